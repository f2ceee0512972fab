import type { RealmSettings } from './realm-settings.js';

/**
 * How long a token a signing key signed may live (`exp − iat`, seconds), by kind of token: a number,
 * `'open'` (no `exp` at all: open-ended unmanaged or API sessions), or null (the key never signed
 * that kind). A key's lifetimes are the realm's settings while it signed, widened by every change
 * of them meanwhile (settings apply to sessions created after a change, so a token issued under
 * longer settings stays valid): docs/security.md#signing-keys.
 */
export type Lifetime = number | 'open' | null;

export interface TokenLifetimes {
  /** Managed sessions' login tokens (they always carry `sid` and `exp`). */
  managed: number | null;
  /** Human users' tokens of unmanaged sessions (no `sid`). */
  unmanaged: Lifetime;
  /** API users' tokens (no `sid`, an `akid`). */
  api: Lifetime;
}

/**
 * How long after a rotation the previous key may still sign: other instances learn of the
 * rotation from the bus at once, or at the latest when their cache of the active key runs out
 * (token/jwt.ts ACTIVE_KEY_TTL_MS, 5 s), plus clock skew between instances.
 */
export const ROTATION_GRACE_SECONDS = 10;
/** The skew the token check tolerates on `exp` (token/jwt.ts CLOCK_SKEW_SECONDS). */
const EXP_SKEW_SECONDS = 30;

export function lifetimesOf(settings: Pick<RealmSettings, 'sessionType' | 'sessionMinutes' | 'apiKeyMinutes' | 'accessTokenSeconds'>): TokenLifetimes {
  const managed = settings.sessionType === 'MANAGED';
  return {
    managed: managed ? settings.accessTokenSeconds : null,
    unmanaged: managed ? null : settings.sessionMinutes === null ? 'open' : settings.sessionMinutes * 60,
    api: settings.apiKeyMinutes === null ? 'open' : settings.apiKeyMinutes * 60,
  };
}

function longer<T extends Lifetime>(a: T, b: T): T {
  if (a === 'open' || b === 'open') return 'open' as T;
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b) as T;
}

/** What a key may have signed after the realm's settings changed while it signs. */
export function widen(a: TokenLifetimes, b: TokenLifetimes): TokenLifetimes {
  return { managed: longer(a.managed, b.managed), unmanaged: longer(a.unmanaged, b.unmanaged), api: longer(a.api, b.api) };
}

/**
 * When a key that stopped signing at `rotatedAt` has nothing left to verify: its last token was
 * issued within the rotation grace and lives no longer than its longest lifetime (then the skew the
 * check tolerates). Null when it may have signed open-ended tokens: those end only when the key is
 * retired (retireRealmKey).
 */
export function verificationDeadline(lifetimes: TokenLifetimes, rotatedAt: Date): Date | null {
  const all = [lifetimes.managed, lifetimes.unmanaged, lifetimes.api];
  if (all.includes('open')) return null;
  const longest = Math.max(0, ...all.filter((value): value is number => typeof value === 'number'));
  return new Date(rotatedAt.getTime() + (ROTATION_GRACE_SECONDS + longest + EXP_SKEW_SECONDS) * 1000);
}

export function isTokenLifetimes(value: unknown): value is TokenLifetimes {
  if (!value || typeof value !== 'object') return false;
  const { managed, unmanaged, api } = value as Record<string, unknown>;
  const ok = (v: unknown) => v === null || v === 'open' || (typeof v === 'number' && Number.isFinite(v));
  return (managed === null || typeof managed === 'number') && ok(unmanaged) && ok(api);
}
