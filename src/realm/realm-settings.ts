import { badInput } from '../errors.js';
import { JWT_ALGORITHMS, JWT_FIELDS, SESSION_TYPES, type JwtAlgorithm, type JwtField, type SessionType } from '../db/entities/realm.js';

/** Realm settings (docs/concepts.md#realm-settings): pure data and pure rules, unit-tested directly. */
export interface RealmSettings {
  jwtAlgorithm: JwtAlgorithm;
  jwtFields: JwtField[];
  sessionType: SessionType;
  sessionMinutes: number | null;
  apiKeyMinutes: number | null;
  accessTokenSeconds: number;
  idleTimeoutSeconds: number | null;
  maxActiveSessions: number;
}

export const DEFAULT_REALM_SETTINGS: RealmSettings = {
  jwtAlgorithm: 'HS256',
  jwtFields: [],
  sessionType: 'MANAGED',
  sessionMinutes: 600,
  apiKeyMinutes: 1440,
  accessTokenSeconds: 300,
  idleTimeoutSeconds: 1800,
  maxActiveSessions: 10,
};

export const MAX_MANAGED_SESSION_MINUTES = 525_600; // one year
export const MAX_UNMANAGED_SESSION_MINUTES = 1_051_200; // two years

/** undefined = not given (keep / default); null = explicitly open-ended. */
export type RealmSettingsInput = { [K in keyof RealmSettings]?: RealmSettings[K] | null };

/**
 * The defaults a new realm starts from. A realm created with short sessions (say sessionMinutes: 5)
 * would otherwise be refused for an idle timeout or token lifespan the admin never chose: defaults
 * that were not given shrink to the session length. Values that were given are checked as they are.
 */
export function defaultsFor(input: RealmSettingsInput): RealmSettings {
  const defaults: RealmSettings = { ...DEFAULT_REALM_SETTINGS, jwtFields: [...DEFAULT_REALM_SETTINGS.jwtFields] };
  const minutes = input.sessionMinutes;
  if (isWholeNumber(minutes) && minutes >= 1) {
    const seconds = minutes * 60;
    if (input.accessTokenSeconds === undefined) defaults.accessTokenSeconds = Math.min(defaults.accessTokenSeconds, seconds);
    if (input.idleTimeoutSeconds === undefined && defaults.idleTimeoutSeconds !== null) {
      defaults.idleTimeoutSeconds = Math.min(defaults.idleTimeoutSeconds, seconds);
    }
  }
  return defaults;
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function checkRange(field: string, value: number | null, min: number, max: number, allowNull: boolean): void {
  if (value === null) {
    if (!allowNull) throw badInput(field, `${field} cannot be null here`);
    return;
  }
  if (!isWholeNumber(value) || value < min || value > max) {
    throw badInput(field, `${field} must be a whole number from ${min} to ${max}${allowNull ? ', or null' : ''}`);
  }
}

/**
 * Merge an input over the current settings and check every rule. Throws BAD_USER_INPUT naming the
 * first offending field; returns the merged settings otherwise. Nothing is written by this function.
 */
export function resolveRealmSettings(current: RealmSettings, input: RealmSettingsInput): RealmSettings {
  for (const field of ['jwtAlgorithm', 'jwtFields', 'sessionType', 'accessTokenSeconds', 'maxActiveSessions'] as const) {
    if (input[field] === null) throw badInput(field, `${field} cannot be null`);
  }
  const next: RealmSettings = { ...current };
  for (const key of Object.keys(input) as (keyof RealmSettings)[]) {
    if (input[key] !== undefined) (next as unknown as Record<string, unknown>)[key] = input[key];
  }

  if (!JWT_ALGORITHMS.includes(next.jwtAlgorithm)) throw badInput('jwtAlgorithm', 'jwtAlgorithm must be HS256 or RS256');
  if (!SESSION_TYPES.includes(next.sessionType)) throw badInput('sessionType', 'sessionType must be MANAGED or UNMANAGED');

  if (!Array.isArray(next.jwtFields) || next.jwtFields.some((f) => !JWT_FIELDS.includes(f))) {
    throw badInput('jwtFields', `jwtFields may contain only ${JWT_FIELDS.join(', ')}`);
  }
  next.jwtFields = [...new Set(next.jwtFields)];
  if (next.jwtFields.includes('ORGS') && !next.jwtFields.includes('MEMBERSHIPS')) {
    throw badInput('jwtFields', 'jwtFields: ORGS requires MEMBERSHIPS');
  }

  const managed = next.sessionType === 'MANAGED';
  checkRange('sessionMinutes', next.sessionMinutes, 1, managed ? MAX_MANAGED_SESSION_MINUTES : MAX_UNMANAGED_SESSION_MINUTES, !managed);
  checkRange('apiKeyMinutes', next.apiKeyMinutes, 1, MAX_UNMANAGED_SESSION_MINUTES, true);

  const sessionSeconds = (next.sessionMinutes ?? MAX_UNMANAGED_SESSION_MINUTES) * 60;
  checkRange('accessTokenSeconds', next.accessTokenSeconds, 30, sessionSeconds, false);
  checkRange('idleTimeoutSeconds', next.idleTimeoutSeconds, 60, sessionSeconds, true);
  checkRange('maxActiveSessions', next.maxActiveSessions, 1, 100, false);
  return next;
}

export const MAX_REALM_NAME_LENGTH = 100;

export function checkRealmName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (!trimmed) throw badInput('name', 'name must not be empty');
  if (trimmed.length > MAX_REALM_NAME_LENGTH) throw badInput('name', `name must be at most ${MAX_REALM_NAME_LENGTH} characters`);
  // Control characters have no place in a display name, and PostgreSQL text cannot hold NUL at all.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw badInput('name', 'name must not contain control characters');
  return trimmed;
}
