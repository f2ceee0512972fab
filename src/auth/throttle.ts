import type { EntityManager } from '@mikro-orm/postgresql';
import { rateLimited } from '../errors.js';
import type { Clock } from '../clock.js';
import { sha256 } from './opaque-tokens.js';

/**
 * A failure counter: after `threshold` failures inside `windowSeconds`, each further failure blocks
 * the key for 2^(failures - threshold) seconds, up to `maxBlockSeconds`.
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

function keysOf(attempt: LoginAttempt): { rule: ThrottleRule; key: string }[] {
  const account = `${attempt.realmId}:${attempt.username.trim().toLowerCase()}`;
  const ip = attempt.ip ?? 'unknown';
  const raw: Record<ThrottleRule['kind'], string> = {
    'account-ip': `account-ip:${account}:${ip}`,
    account: `account:${account}`,
    ip: `ip:${attempt.realmId}:${ip}`,
  };
  return THROTTLE_RULES.map((rule) => ({ rule, key: sha256(raw[rule.kind]) }));
}

/** Login throttling backed by PostgreSQL, so every instance behind a load balancer shares it. */
export class LoginThrottle {
  constructor(private readonly deps: { em: EntityManager; clock: Clock }) {}

  /** Throws RATE_LIMITED (before any password hashing) when the attempt is blocked. */
  async assertAllowed(attempt: LoginAttempt): Promise<void> {
    const now = this.deps.clock.now();
    const keys = keysOf(attempt).map((k) => k.key);
    const rows = await this.deps.em
      .getConnection()
      .execute<{ blocked_until: Date }[]>(
        `select blocked_until from login_throttle where key in (?, ?, ?) and blocked_until > ?`,
        [...keys, now],
      );
    if (rows.length === 0) return;
    const until = Math.max(...rows.map((row) => new Date(row.blocked_until).getTime()));
    throw rateLimited((until - now.getTime()) / 1000);
  }

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    const now = this.deps.clock.now();
    const windowStart = new Date(now.getTime() - THROTTLE_WINDOW_SECONDS * 1000);
    for (const { rule, key } of keysOf(attempt)) {
      await this.deps.em.getConnection().execute(
        `insert into login_throttle as t (key, failures, last_failure_at, blocked_until)
              values (?, 1, ?, null)
         on conflict (key) do update set
              failures = case when t.last_failure_at < ? then 1 else t.failures + 1 end,
              last_failure_at = excluded.last_failure_at,
              blocked_until = case
                when t.last_failure_at >= ? and t.failures + 1 >= ?
                then excluded.last_failure_at + make_interval(secs => least(?, power(2, t.failures + 1 - ?)))
                else t.blocked_until end`,
        [key, now, windowStart, windowStart, rule.threshold, rule.maxBlockSeconds, rule.threshold],
      );
    }
  }

  /** A successful login clears the account's counters (not the address's). */
  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const keys = keysOf(attempt)
      .filter(({ rule }) => rule.kind !== 'ip')
      .map((k) => k.key);
    await this.deps.em.getConnection().execute(`delete from login_throttle where key in (?, ?)`, keys);
  }
}
