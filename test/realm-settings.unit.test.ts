import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REALM_SETTINGS,
  MAX_MANAGED_SESSION_MINUTES,
  MAX_UNMANAGED_SESSION_MINUTES,
  checkRealmName,
  defaultsFor,
  resolveRealmSettings,
  type RealmSettings,
  type RealmSettingsInput,
} from '../src/realm/realm-settings.js';
import { rejectedField } from './helpers/domain-errors.js';

const managed = (input: RealmSettingsInput) => resolveRealmSettings(DEFAULT_REALM_SETTINGS, input);
const unmanaged = (input: RealmSettingsInput) => resolveRealmSettings({ ...DEFAULT_REALM_SETTINGS, sessionType: 'UNMANAGED' }, input);

describe('realm settings defaults (docs/concepts.md#realm-settings)', () => {
  it('are HS256, [], MANAGED, 600, 1440, 300, 1800, 10', () => {
    expect(DEFAULT_REALM_SETTINGS).toEqual({
      jwtAlgorithm: 'HS256',
      jwtFields: [],
      sessionType: 'MANAGED',
      sessionMinutes: 600,
      apiKeyMinutes: 1440,
      accessTokenSeconds: 300,
      idleTimeoutSeconds: 1800,
      maxActiveSessions: 10,
    } satisfies RealmSettings);
    expect(MAX_MANAGED_SESSION_MINUTES).toBe(525_600);
    expect(MAX_UNMANAGED_SESSION_MINUTES).toBe(1_051_200);
  });

  it('an empty input resolves to the defaults, and resolving never mutates its inputs', () => {
    const current: RealmSettings = { ...DEFAULT_REALM_SETTINGS, jwtFields: ['MEMBERSHIPS'] };
    const snapshot = structuredClone(current);
    const input: RealmSettingsInput = { jwtFields: ['MEMBERSHIPS', 'ORGS', 'MEMBERSHIPS'], sessionMinutes: 60 };
    const inputSnapshot = structuredClone(input);
    expect(resolveRealmSettings(DEFAULT_REALM_SETTINGS, {})).toEqual(DEFAULT_REALM_SETTINGS);
    const next = resolveRealmSettings(current, input);
    expect(next.jwtFields).toEqual(['MEMBERSHIPS', 'ORGS']); // de-duplicated
    expect(next.sessionMinutes).toBe(60);
    expect(current).toEqual(snapshot);
    expect(input).toEqual(inputSnapshot);
  });

  it('undefined keeps the current value, a given value replaces it', () => {
    const current: RealmSettings = { ...DEFAULT_REALM_SETTINGS, sessionMinutes: 120, maxActiveSessions: 3 };
    expect(resolveRealmSettings(current, { maxActiveSessions: undefined, accessTokenSeconds: 60 })).toEqual({
      ...current,
      accessTokenSeconds: 60,
    });
  });

  it('defaults that were not given shrink to a short session; given values are kept as they are', () => {
    expect(defaultsFor({})).toEqual(DEFAULT_REALM_SETTINGS);
    expect(defaultsFor({ sessionMinutes: 2 })).toMatchObject({ accessTokenSeconds: 120, idleTimeoutSeconds: 120 });
    expect(defaultsFor({ sessionMinutes: 1000 })).toMatchObject({ accessTokenSeconds: 300, idleTimeoutSeconds: 1800 });
    expect(defaultsFor({ sessionMinutes: 2, idleTimeoutSeconds: 7200 }).idleTimeoutSeconds).toBe(1800);
    expect(defaultsFor({ sessionMinutes: null })).toEqual(DEFAULT_REALM_SETTINGS);
    // The shrunken defaults are valid together with that session length …
    expect(resolveRealmSettings(defaultsFor({ sessionMinutes: 1 }), { sessionMinutes: 1 })).toMatchObject({
      sessionMinutes: 1,
      accessTokenSeconds: 60,
      idleTimeoutSeconds: 60,
    });
    // … but an idle timeout the admin gave is still checked against it.
    const input = { sessionMinutes: 2, idleTimeoutSeconds: 7200 };
    expect(rejectedField(() => resolveRealmSettings(defaultsFor(input), input))).toBe('idleTimeoutSeconds');
    // defaultsFor hands out copies: nobody can change the shared defaults through it.
    defaultsFor({}).jwtFields.push('MEMBERSHIPS');
    expect(DEFAULT_REALM_SETTINGS.jwtFields).toEqual([]);
  });
});

describe('sessionMinutes', () => {
  it('MANAGED: 1 … 525600, never null', () => {
    expect(managed({ sessionMinutes: 1, accessTokenSeconds: 30, idleTimeoutSeconds: 60 }).sessionMinutes).toBe(1);
    expect(managed({ sessionMinutes: 525_600 }).sessionMinutes).toBe(525_600);
    expect(rejectedField(() => managed({ sessionMinutes: 0 }))).toBe('sessionMinutes');
    expect(rejectedField(() => managed({ sessionMinutes: -5 }))).toBe('sessionMinutes');
    expect(rejectedField(() => managed({ sessionMinutes: 525_601 }))).toBe('sessionMinutes');
    expect(rejectedField(() => managed({ sessionMinutes: null }))).toBe('sessionMinutes');
    expect(rejectedField(() => managed({ sessionMinutes: 1.5 }))).toBe('sessionMinutes');
    expect(rejectedField(() => managed({ sessionMinutes: Number.NaN }))).toBe('sessionMinutes');
  });

  it('UNMANAGED: 1 … 1051200, or null (open-ended)', () => {
    expect(unmanaged({ sessionMinutes: 1_051_200 }).sessionMinutes).toBe(1_051_200);
    expect(unmanaged({ sessionMinutes: null }).sessionMinutes).toBeNull();
    expect(rejectedField(() => unmanaged({ sessionMinutes: 1_051_201 }))).toBe('sessionMinutes');
    expect(rejectedField(() => unmanaged({ sessionMinutes: 0 }))).toBe('sessionMinutes');
  });

  it('switching the session type checks the current length against the new type', () => {
    const open: RealmSettings = { ...DEFAULT_REALM_SETTINGS, sessionType: 'UNMANAGED', sessionMinutes: null };
    expect(rejectedField(() => resolveRealmSettings(open, { sessionType: 'MANAGED' }))).toBe('sessionMinutes');
    expect(resolveRealmSettings(open, { sessionType: 'MANAGED', sessionMinutes: 600 }).sessionType).toBe('MANAGED');
    const long: RealmSettings = { ...open, sessionMinutes: 1_000_000 };
    expect(rejectedField(() => resolveRealmSettings(long, { sessionType: 'MANAGED' }))).toBe('sessionMinutes');
    expect(managed({ sessionType: 'UNMANAGED', sessionMinutes: null })).toMatchObject({ sessionType: 'UNMANAGED', sessionMinutes: null });
  });
});

describe('apiKeyMinutes', () => {
  it('1 … 1051200, or null', () => {
    expect(managed({ apiKeyMinutes: 1 }).apiKeyMinutes).toBe(1);
    expect(managed({ apiKeyMinutes: 1_051_200 }).apiKeyMinutes).toBe(1_051_200);
    expect(managed({ apiKeyMinutes: null }).apiKeyMinutes).toBeNull();
    expect(rejectedField(() => managed({ apiKeyMinutes: 0 }))).toBe('apiKeyMinutes');
    expect(rejectedField(() => managed({ apiKeyMinutes: 1_051_201 }))).toBe('apiKeyMinutes');
  });
});

describe('accessTokenSeconds', () => {
  it('30 … sessionMinutes × 60, never null', () => {
    expect(managed({ accessTokenSeconds: 30 }).accessTokenSeconds).toBe(30);
    expect(managed({ sessionMinutes: 10, accessTokenSeconds: 600, idleTimeoutSeconds: 600 }).accessTokenSeconds).toBe(600);
    expect(rejectedField(() => managed({ accessTokenSeconds: 29 }))).toBe('accessTokenSeconds');
    expect(rejectedField(() => managed({ sessionMinutes: 10, accessTokenSeconds: 601, idleTimeoutSeconds: 600 }))).toBe('accessTokenSeconds');
    expect(rejectedField(() => managed({ accessTokenSeconds: null }))).toBe('accessTokenSeconds');
  });

  it('shortening the session below the current token lifespan is refused', () => {
    const current: RealmSettings = { ...DEFAULT_REALM_SETTINGS, accessTokenSeconds: 3600, idleTimeoutSeconds: null };
    expect(rejectedField(() => resolveRealmSettings(current, { sessionMinutes: 59 }))).toBe('accessTokenSeconds');
  });

  it('an open-ended unmanaged realm bounds it by the longest unmanaged session', () => {
    expect(unmanaged({ sessionMinutes: null, accessTokenSeconds: 1_051_200 * 60 }).accessTokenSeconds).toBe(1_051_200 * 60);
    expect(rejectedField(() => unmanaged({ sessionMinutes: null, accessTokenSeconds: 1_051_200 * 60 + 1 }))).toBe('accessTokenSeconds');
  });
});

describe('idleTimeoutSeconds', () => {
  it('60 … sessionMinutes × 60, or null', () => {
    expect(managed({ idleTimeoutSeconds: 60 }).idleTimeoutSeconds).toBe(60);
    expect(managed({ idleTimeoutSeconds: null }).idleTimeoutSeconds).toBeNull();
    expect(managed({ sessionMinutes: 10, accessTokenSeconds: 60, idleTimeoutSeconds: 600 }).idleTimeoutSeconds).toBe(600);
    expect(rejectedField(() => managed({ idleTimeoutSeconds: 59 }))).toBe('idleTimeoutSeconds');
    expect(rejectedField(() => managed({ sessionMinutes: 10, accessTokenSeconds: 60, idleTimeoutSeconds: 601 }))).toBe('idleTimeoutSeconds');
  });
});

describe('maxActiveSessions', () => {
  it('1 … 100, never null', () => {
    expect(managed({ maxActiveSessions: 1 }).maxActiveSessions).toBe(1);
    expect(managed({ maxActiveSessions: 100 }).maxActiveSessions).toBe(100);
    expect(rejectedField(() => managed({ maxActiveSessions: 0 }))).toBe('maxActiveSessions');
    expect(rejectedField(() => managed({ maxActiveSessions: 101 }))).toBe('maxActiveSessions');
    expect(rejectedField(() => managed({ maxActiveSessions: null }))).toBe('maxActiveSessions');
  });
});

describe('jwtAlgorithm, jwtFields, sessionType', () => {
  it('accept only their enum values and never null', () => {
    expect(managed({ jwtAlgorithm: 'RS256' }).jwtAlgorithm).toBe('RS256');
    expect(rejectedField(() => managed({ jwtAlgorithm: 'none' as never }))).toBe('jwtAlgorithm');
    expect(rejectedField(() => managed({ jwtAlgorithm: 'HS512' as never }))).toBe('jwtAlgorithm');
    expect(rejectedField(() => managed({ jwtAlgorithm: null }))).toBe('jwtAlgorithm');
    expect(rejectedField(() => managed({ sessionType: 'SOMETIMES' as never }))).toBe('sessionType');
    expect(rejectedField(() => managed({ sessionType: null }))).toBe('sessionType');
    expect(rejectedField(() => managed({ jwtFields: null }))).toBe('jwtFields');
    expect(rejectedField(() => managed({ jwtFields: ['EMAIL' as never] }))).toBe('jwtFields');
    expect(rejectedField(() => managed({ jwtFields: 'MEMBERSHIPS' as never }))).toBe('jwtFields');
  });

  it('ORGS requires MEMBERSHIPS', () => {
    expect(rejectedField(() => managed({ jwtFields: ['ORGS'] }))).toBe('jwtFields');
    expect(rejectedField(() => managed({ jwtFields: ['ORGS', 'CUSTOM_ATTRIBUTES'] }))).toBe('jwtFields');
    expect(managed({ jwtFields: ['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'] }).jwtFields).toEqual(['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES']);
    // Removing MEMBERSHIPS from a realm that has ORGS is the same mistake.
    const current: RealmSettings = { ...DEFAULT_REALM_SETTINGS, jwtFields: ['MEMBERSHIPS', 'ORGS'] };
    expect(rejectedField(() => resolveRealmSettings(current, { jwtFields: ['ORGS'] }))).toBe('jwtFields');
    expect(resolveRealmSettings(current, { jwtFields: [] }).jwtFields).toEqual([]);
  });
});

describe('checkRealmName', () => {
  it('trims, and refuses empty, over-long and control-character names', () => {
    expect(checkRealmName('  Acme  ')).toBe('Acme');
    expect(checkRealmName('x'.repeat(100))).toBe('x'.repeat(100));
    expect(rejectedField(() => checkRealmName(''))).toBe('name');
    expect(rejectedField(() => checkRealmName('   '))).toBe('name');
    expect(rejectedField(() => checkRealmName(null))).toBe('name');
    expect(rejectedField(() => checkRealmName(42))).toBe('name');
    expect(rejectedField(() => checkRealmName('x'.repeat(101)))).toBe('name');
    expect(rejectedField(() => checkRealmName('a\u0000b'))).toBe('name');
    expect(rejectedField(() => checkRealmName('line\nbreak'))).toBe('name');
  });
});
