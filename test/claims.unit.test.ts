import { describe, expect, it } from 'vitest';
import { buildClaims, fullName, type ClaimsInput, type MembershipWithOrg } from '../src/token/claims.js';
import { realmIssuer } from '../src/token/jwt.js';
import { effectiveState, expiryReason } from '../src/session/session-state.js';
import { successorOf, newRefreshToken, newSuccessorSeed, hashRefreshToken } from '../src/session/refresh-tokens.js';
import type { JwtField, Membership, Org } from '../src/db/entities/index.js';

// The pure parts of the session core, without a server: the claim set
// (docs/concepts.md#login-tokens), session state, and refresh-token derivation.

const issuedAt = new Date('2030-01-02T03:04:05.678Z');
const expiresAt = new Date('2030-01-02T03:09:05.999Z');

function membership(partial: Partial<Membership>): Membership {
  return {
    id: 'mem_1',
    realmId: 'rlm_1',
    userId: 'usr_1',
    orgId: null,
    permissions: [],
    customAttributes: {},
    createdAt: issuedAt,
    updatedAt: issuedAt,
    ...partial,
  };
}

function org(partial: Partial<Org>): Org {
  return { id: 'org_1', realmId: 'rlm_1', name: 'Acme', customAttributes: {}, createdAt: issuedAt, updatedAt: issuedAt, ...partial };
}

const acme = org({ id: 'org_acme', name: 'Acme', customAttributes: { plan: 'pro' } });
const memberships: MembershipWithOrg[] = [
  { membership: membership({ orgId: 'org_acme', permissions: ['admin'], customAttributes: { role: 'owner' } }), org: acme },
  { membership: membership({ id: 'mem_2', permissions: ['support'] }), org: null },
];

function claims(fields: JwtField[], overrides: Partial<ClaimsInput> = {}) {
  return buildClaims({
    realm: { jwtFields: fields },
    user: { id: 'usr_1', username: 'dora', firstName: 'Dora', lastName: 'Explorer', customAttributes: { tier: 'gold' } },
    memberships,
    sessionId: 'ses_1',
    tokenId: 'jti-1',
    issuedAt,
    expiresAt,
    ...overrides,
  });
}

const base = {
  sub: 'usr_1',
  uid: 'usr_1',
  sid: 'ses_1',
  jti: 'jti-1',
  iat: Math.floor(issuedAt.getTime() / 1000),
  exp: Math.floor(expiresAt.getTime() / 1000),
  un: 'dora',
  fn: 'Dora',
  ln: 'Explorer',
  n: 'Dora Explorer',
};

describe('buildClaims', () => {
  it('[]: identity claims only', () => {
    expect(claims([])).toEqual(base);
  });

  it('[MEMBERSHIPS]: permissions only', () => {
    expect(claims(['MEMBERSHIPS'])).toEqual({ ...base, m: [{ p: ['admin'] }, { p: ['support'] }] });
  });

  it('[MEMBERSHIPS, ORGS]: with org id and name', () => {
    expect(claims(['MEMBERSHIPS', 'ORGS'])).toEqual({ ...base, m: [{ p: ['admin'], oid: 'org_acme', o: 'Acme' }, { p: ['support'] }] });
  });

  it('[MEMBERSHIPS, ORGS, CUSTOM_ATTRIBUTES]: everything', () => {
    expect(claims(['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'])).toEqual({
      ...base,
      cs: { tier: 'gold' },
      m: [{ p: ['admin'], cs: { role: 'owner' }, oid: 'org_acme', o: 'Acme', ocs: { plan: 'pro' } }, { p: ['support'] }],
    });
  });

  it('[MEMBERSHIPS, CUSTOM_ATTRIBUTES]: membership attributes, no org data', () => {
    expect(claims(['MEMBERSHIPS', 'CUSTOM_ATTRIBUTES'])).toEqual({
      ...base,
      cs: { tier: 'gold' },
      m: [{ p: ['admin'], cs: { role: 'owner' } }, { p: ['support'] }],
    });
  });

  it('[CUSTOM_ATTRIBUTES]: user attributes, no memberships', () => {
    expect(claims(['CUSTOM_ATTRIBUTES'])).toEqual({ ...base, cs: { tier: 'gold' } });
  });

  it('leaves out null and empty values', () => {
    const result = claims(['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'], {
      user: { id: 'usr_2', username: 'plain', firstName: null, lastName: '', customAttributes: {} },
      memberships: [{ membership: membership({ orgId: 'org_x', permissions: ['read'] }), org: org({ id: 'org_x', name: 'X' }) }],
      sessionId: null,
      expiresAt: null,
    });
    expect(result).toEqual({ sub: 'usr_2', uid: 'usr_2', jti: 'jti-1', iat: base.iat, un: 'plain', m: [{ p: ['read'], oid: 'org_x', o: 'X' }] });
    expect(JSON.stringify(result)).not.toMatch(/null|""|\{\}|\[\]/);
  });

  it('leaves out m when there are no memberships, and cs when there are no attributes', () => {
    const result = claims(['MEMBERSHIPS', 'CUSTOM_ATTRIBUTES'], {
      memberships: [],
      user: { id: 'usr_1', username: 'dora', firstName: 'Dora', lastName: null, customAttributes: {} },
    });
    expect(result).not.toHaveProperty('m');
    expect(result).not.toHaveProperty('cs');
    expect(result).toMatchObject({ fn: 'Dora', n: 'Dora' });
    expect(result).not.toHaveProperty('ln');
  });

  it('keeps falsy values that are not empty (0, false) inside custom attributes', () => {
    const result = claims(['CUSTOM_ATTRIBUTES'], {
      user: { id: 'usr_1', username: 'dora', firstName: null, lastName: null, customAttributes: { count: 0, admin: false } },
    });
    expect(result.cs).toEqual({ count: 0, admin: false });
  });

  it('counts whole seconds, rounding down (a token never outlives its stated expiry)', () => {
    const result = claims([]);
    expect(result.iat).toBe(1893553445);
    expect(result.exp).toBe(1893553745);
    expect(Number.isInteger(result.exp)).toBe(true);
  });
});

describe('fullName and issuer', () => {
  it('joins the names that are set', () => {
    expect(fullName({ firstName: 'Ada', lastName: 'Lovelace' })).toBe('Ada Lovelace');
    expect(fullName({ firstName: 'Ada', lastName: null })).toBe('Ada');
    expect(fullName({ firstName: null, lastName: 'Lovelace' })).toBe('Lovelace');
    expect(fullName({ firstName: null, lastName: null })).toBeNull();
  });

  it('issuer = PUBLIC_URL/realms/<realmId>', () => {
    expect(realmIssuer('https://auth.example.com', 'rlm_abc')).toBe('https://auth.example.com/realms/rlm_abc');
  });
});

describe('session state', () => {
  const now = new Date('2030-01-01T12:00:00Z');
  const at = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000);

  it('is ACTIVE before both expiries', () => {
    expect(effectiveState({ state: 'ACTIVE', expiresAt: at(60), idleExpiresAt: at(30), terminationReason: null }, now)).toEqual({
      state: 'ACTIVE',
      reason: null,
    });
    expect(expiryReason({ expiresAt: at(60), idleExpiresAt: null }, now)).toBeNull();
  });

  it('reads EXPIRED (EXPIRED) at the absolute expiry', () => {
    expect(effectiveState({ state: 'ACTIVE', expiresAt: at(0), idleExpiresAt: at(30), terminationReason: null }, now)).toEqual({
      state: 'EXPIRED',
      reason: 'EXPIRED',
    });
    expect(expiryReason({ expiresAt: at(-1), idleExpiresAt: null }, now)).toBe('EXPIRED');
  });

  it('names the deadline that passed first, so the reason does not change with time', () => {
    const wentIdleFirst = { state: 'ACTIVE' as const, expiresAt: at(-10), idleExpiresAt: at(-100), terminationReason: null };
    expect(effectiveState(wentIdleFirst, now)).toEqual({ state: 'EXPIRED', reason: 'IDLE_TIMEOUT' });
    expect(effectiveState(wentIdleFirst, at(3600))).toEqual({ state: 'EXPIRED', reason: 'IDLE_TIMEOUT' });
    // A tie is the absolute expiry.
    expect(expiryReason({ expiresAt: at(-5), idleExpiresAt: at(-5) }, now)).toBe('EXPIRED');
  });

  it('reads EXPIRED (IDLE_TIMEOUT) past the idle expiry', () => {
    expect(effectiveState({ state: 'ACTIVE', expiresAt: at(60), idleExpiresAt: at(-1), terminationReason: null }, now)).toEqual({
      state: 'EXPIRED',
      reason: 'IDLE_TIMEOUT',
    });
  });

  it('a stored end is final, whatever the clock says', () => {
    expect(effectiveState({ state: 'TERMINATED', expiresAt: at(60), idleExpiresAt: at(60), terminationReason: 'LOGOUT' }, now)).toEqual({
      state: 'TERMINATED',
      reason: 'LOGOUT',
    });
  });
});

describe('refresh tokens', () => {
  it('are 256-bit random, stored as a hash, and their successor is deterministic per seed', () => {
    const token = newRefreshToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(newRefreshToken()).not.toBe(token);
    expect(hashRefreshToken(token)).not.toContain(token);
    const seed = newSuccessorSeed();
    expect(successorOf(token, seed)).toBe(successorOf(token, seed));
    expect(successorOf(token, seed)).not.toBe(successorOf(token, newSuccessorSeed()));
    expect(successorOf(token, seed)).not.toBe(token);
    expect(Buffer.from(successorOf(token, seed), 'base64url')).toHaveLength(32);
  });
});
