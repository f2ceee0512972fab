import { isIPv6 } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import { rateLimited } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Sql } from '../db/sql.js';
import { sha256 } from './opaque-tokens.js';
import { ThrottleStore, type ThrottleSettlement } from './throttle-store.js';

export type { ThrottleSettlement } from './throttle-store.js';

/**
 * A failure counter: once `threshold` attempts inside the window failed, the key is blocked for
 * 2^(failures - threshold) seconds (1, 2, 4, … up to `maxBlockSeconds`); every further failure
 * made once a block ran out doubles the next one.
 */
interface ThrottleRule {
  kind: 'account-ip' | 'account' | 'ip';
  threshold: number;
  maxBlockSeconds: number;
}

// Three counters, so that guessing is slow but the real user is never locked out for good:
// - one account from one address: strict (5 tries, then up to 15 minutes);
// - one account from anywhere: loose and short (20 tries, at most 60 s), so an attacker spraying
//   from many addresses is slowed without being able to hold the owner out;
// - one address, any account of the realm: 100 tries, then up to 15 minutes (credential stuffing).
// All keys include the realm: tenants never share a counter, so abuse of one realm cannot lock out
// the users of another.
export const THROTTLE_RULES: ThrottleRule[] = [
  { kind: 'account-ip', threshold: 5, maxBlockSeconds: 900 },
  { kind: 'account', threshold: 20, maxBlockSeconds: 60 },
  { kind: 'ip', threshold: 100, maxBlockSeconds: 900 },
];
export const THROTTLE_WINDOW_SECONDS = 900;

export interface LoginAttempt {
  realmId: string;
  username: string;
  ip: string | null;
}

/**
 * The address as a throttling subject. An IPv6 client typically controls a whole /64 (SLAAC,
 * privacy addresses), so counting per address would hand it 2^64 fresh counters: count per /64.
 */
export function throttleSubject(ip: string | null): string {
  if (!ip) return 'unknown';
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  if (right.some((part) => part.includes('.'))) return ip; // IPv4-mapped/compatible: keep as is
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function keysOf(attempt: LoginAttempt): { rule: ThrottleRule; key: string }[] {
  const account = `${attempt.realmId}:${attempt.username.trim().toLowerCase()}`;
  const ip = throttleSubject(attempt.ip);
  const raw: Record<ThrottleRule['kind'], string> = {
    'account-ip': `account-ip:${account}:${ip}`,
    account: `account:${account}`,
    ip: `ip:${attempt.realmId}:${ip}`,
  };
  return THROTTLE_RULES.map((rule) => ({ rule, key: sha256(raw[rule.kind]) }));
}

function fingerprint(attempt: LoginAttempt): string {
  return `${attempt.realmId}\u0000${attempt.username}\u0000${attempt.ip ?? ''}`;
}

/**
 * Login throttling backed by PostgreSQL, so every instance behind a load balancer shares it.
 *
 * An attempt is *charged* before its password is checked, and refunded when it succeeds. Counting
 * only after the (slow) argon2 verify would let an attacker fire hundreds of guesses at once: every
 * one of them would pass the check before the first failure was recorded. Charging is one upsert
 * per counter whose update applies only while the counter is not blocked — evaluated under the
 * row lock, so concurrent attempts see each other's charges and the one that reaches the threshold
 * blocks all that come after it.
 */
export class LoginThrottle {
  /** Attempts this instance charged and that await their outcome. */
  private readonly charged = new Set<string>();
  #store: ThrottleStore | undefined;

  constructor(private readonly deps: { em: EntityManager; clock: Clock }) {}

  private get store(): ThrottleStore {
    return (this.#store ??= new ThrottleStore(this.deps.em));
  }

  private charge<Alongside extends object>(entries: { rule: ThrottleRule; key: string }[], now: Date, alongside: Sql | null = null) {
    const windowStart = new Date(now.getTime() - THROTTLE_WINDOW_SECONDS * 1000);
    const counters = entries.map(({ rule, key }) => ({ key, threshold: rule.threshold, maxBlockSeconds: rule.maxBlockSeconds }));
    return this.store.charge<Alongside>(counters, now, windowStart, alongside);
  }

  /** Take back one charge (the attempt was refused after all), as settling a success does. */
  private refund(rule: ThrottleRule, key: string): Promise<void> {
    return this.store.settle({ clear: [], refund: key, refundThreshold: rule.threshold });
  }

  /** Settle a success in a statement of its own (where no session is opened to carry it). */
  settle(settlement: ThrottleSettlement): Promise<void> {
    return this.store.settle(settlement);
  }

  /**
   * Throws RATE_LIMITED (before any password hashing) when the attempt is blocked; otherwise counts
   * it as a failure until a success is settled. `alongside` (select-list expressions) is read in
   * the same statement, and returned.
   */
  async assertAllowed<Alongside extends object = object>(attempt: LoginAttempt, alongside: Sql | null = null): Promise<Alongside> {
    const now = this.deps.clock.now();
    const keys = keysOf(attempt);
    const { blockedUntil, charged, alongside: read } = await this.charge<Alongside>(keys, now, alongside);
    if (blockedUntil !== null) throw rateLimited((blockedUntil - now.getTime()) / 1000);
    if (charged.size < keys.length) {
      // Blocked by a concurrent attempt meanwhile: this one was never made, so take back its counts.
      for (const entry of keys) if (charged.has(entry.key)) await this.refund(entry.rule, entry.key);
      const until = await this.store.blockedUntil(
        keys.map((k) => k.key),
        now,
      );
      throw rateLimited(((until ?? now.getTime() + 1000) - now.getTime()) / 1000);
    }
    this.charged.add(fingerprint(attempt));
    return read;
  }

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    // Already counted when it was allowed.
    if (this.charged.delete(fingerprint(attempt))) return;
    await this.charge(keysOf(attempt), this.deps.clock.now());
  }

  /**
   * A successful login clears the account's counters and takes its own charge off the address's.
   * Returns what to settle, for the statement that opens the session to do it in the same round
   * trip (tessera_settle_login_throttle, called by tessera_open_session).
   */
  settleSuccess(attempt: LoginAttempt): ThrottleSettlement {
    const keys = keysOf(attempt);
    const address = keys.find(({ rule }) => rule.kind === 'ip')!;
    const charged = this.charged.delete(fingerprint(attempt));
    return {
      clear: keys.filter(({ rule }) => rule.kind !== 'ip').map((k) => k.key),
      refund: charged ? address.key : null,
      refundThreshold: address.rule.threshold,
    };
  }
}

/**
 * Drop counters nobody has touched for a window, so the table does not grow without bound (every
 * username an attacker makes up leaves rows behind). The expiry sweeper runs it on every pass (an
 * index range over the idle rows only), off the login path.
 */
export function pruneThrottleCounters(em: EntityManager): Promise<number> {
  return new ThrottleStore(em).pruneIdle(THROTTLE_WINDOW_SECONDS);
}

// Failed OAuth client authentication (docs/oauth.md#limits), on the same shared counters: one
// client from one address, one client from anywhere, one address against any client of a realm.
const CLIENT_AUTH_RULES = [
  { name: 'client-ip', threshold: 10, maxBlockSeconds: 900 },
  { name: 'client', threshold: 50, maxBlockSeconds: 60 },
  { name: 'ip', threshold: 100, maxBlockSeconds: 900 },
] as const;

export interface ClientAuthAttempt {
  realmId: string;
  clientId: string;
  ip: string | null;
}

/**
 * Counts failed client authentications and says when they are blocked. Only failures are ever
 * charged or refused: a client secret has 256 random bits, so there is no guessing to slow down
 * that a block would stop, and refusing the right secret would let anyone who knows a client_id
 * (it is not secret) lock that client out. What the block does is turn a flood of wrong secrets
 * into cheap 429s that say so.
 */
export class ClientAuthThrottle {
  constructor(private readonly deps: { em: EntityManager; clock: Clock }) {}

  /** Charge one failure; the seconds to wait when the attempt's counters are blocked, else null. */
  async recordFailure(attempt: ClientAuthAttempt): Promise<number | null> {
    const now = this.deps.clock.now();
    const ip = throttleSubject(attempt.ip);
    const raw: Record<(typeof CLIENT_AUTH_RULES)[number]['name'], string> = {
      'client-ip': `oauth-client-ip:${attempt.realmId}:${attempt.clientId}:${ip}`,
      client: `oauth-client:${attempt.realmId}:${attempt.clientId}`,
      ip: `oauth-ip:${attempt.realmId}:${ip}`,
    };
    const counters = CLIENT_AUTH_RULES.map((rule) => ({ key: sha256(raw[rule.name]), threshold: rule.threshold, maxBlockSeconds: rule.maxBlockSeconds }));
    const windowStart = new Date(now.getTime() - THROTTLE_WINDOW_SECONDS * 1000);
    const { blockedUntil } = await new ThrottleStore(this.deps.em).charge(counters, now, windowStart, null);
    return blockedUntil === null ? null : Math.max(1, Math.ceil((blockedUntil - now.getTime()) / 1000));
  }
}
