import { isIPv6 } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import { rateLimited } from '../errors.js';
import type { Clock } from '../clock.js';
import { sha256 } from './opaque-tokens.js';
import { hotQuery } from '../db/hot-query.js';

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

/** Counters a successful login settles: cleared ones, and one charge taken back (when it was made). */
export interface ThrottleSettlement {
  clear: string[];
  refund: string | null;
  refundThreshold: number;
}

/**
 * More select-list expressions for the charging statement, so that a caller's read rides in the
 * same round trip. Their placeholders start at $12 (charging uses $1–$11).
 */
export interface ReadAlongside {
  columns: string;
  values: unknown[];
}

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

  constructor(private readonly deps: { em: EntityManager; clock: Clock }) {}

  private async blockedUntil(keys: string[], now: Date): Promise<number | null> {
    const rows = await this.deps.em.execute<{ blocked_until: Date }[]>(
      `select blocked_until from login_throttle where key in (${keys.map(() => '?').join(', ')}) and blocked_until > ?`,
      [...keys, now],
    );
    if (rows.length === 0) return null;
    return Math.max(...rows.map((row) => new Date(row.blocked_until).getTime()));
  }

  /**
   * One more attempt on each counter — unless one of them is blocked, then none — in one
   * statement. Returns when the block ends (or null) and which keys were counted: fewer than all
   * only when a concurrent attempt blocked a counter after this statement's snapshot (the upsert
   * re-checks under the row lock). Rows are locked in key order, like the multi-row delete of
   * tessera_settle_login_throttle, so statements that share counters cannot deadlock.
   */
  private async charge<Alongside extends object>(
    entries: { rule: ThrottleRule; key: string }[],
    now: Date,
    alongside?: ReadAlongside,
  ): Promise<{ blockedUntil: number | null; charged: Set<string>; alongside: Alongside }> {
    const windowStart = new Date(now.getTime() - THROTTLE_WINDOW_SECONDS * 1000);
    // Three counters on the login path; a failure is recorded with the same statement.
    if (entries.length !== THROTTLE_RULES.length) throw new Error('one entry per throttle rule');
    const [row] = await hotQuery<{ blocked_until: Date | null; charged: string[] | null } & Alongside>(
      this.deps.em,
      `with rule (key, threshold, max_block_seconds) as (values ($1, $2::int, $3::int), ($4, $5::int, $6::int), ($7, $8::int, $9::int)),
       block as (select max(blocked_until) as until from login_throttle where key in (select key from rule) and blocked_until > $10),
       charged as (
         insert into login_throttle as t (key, failures, last_failure_at, blocked_until)
         select key, 1, $10::timestamptz, null from rule where (select until from block) is null order by key
         on conflict (key) do update set
              failures = case when t.last_failure_at < $11 then 1 else t.failures + 1 end,
              last_failure_at = excluded.last_failure_at,
              blocked_until = (
                select case
                  when t.last_failure_at >= $11 and t.failures + 1 >= rule.threshold
                  then excluded.last_failure_at + make_interval(secs => least(rule.max_block_seconds, power(2, t.failures + 1 - rule.threshold)))
                  else t.blocked_until end
                from rule where rule.key = excluded.key)
            where t.blocked_until is null or t.blocked_until <= excluded.last_failure_at
         returning key)
       select (select until from block) as blocked_until, (select array_agg(key) from charged) as charged
              ${alongside ? `, ${alongside.columns}` : ''}`,
      [...entries.flatMap(({ rule, key }) => [key, rule.threshold, rule.maxBlockSeconds]), now, windowStart, ...(alongside?.values ?? [])],
    );
    const { blocked_until: blockedUntil, charged, ...rest } = row;
    return { blockedUntil: blockedUntil ? new Date(blockedUntil).getTime() : null, charged: new Set(charged ?? []), alongside: rest as unknown as Alongside };
  }

  /** Take back one charge (the attempt was refused after all), as settling a success does. */
  private async refund(rule: ThrottleRule, key: string): Promise<void> {
    await hotQuery(this.deps.em, 'select tessera_settle_login_throttle($1, $2, $3)', [[], key, rule.threshold]);
  }

  /**
   * Throws RATE_LIMITED (before any password hashing) when the attempt is blocked; otherwise counts
   * it as a failure until a success is settled. `alongside` is read in the same statement, and
   * returned.
   */
  async assertAllowed<Alongside extends object = object>(attempt: LoginAttempt, alongside?: ReadAlongside): Promise<Alongside> {
    const now = this.deps.clock.now();
    const keys = keysOf(attempt);
    const { blockedUntil, charged, alongside: read } = await this.charge<Alongside>(keys, now, alongside);
    if (blockedUntil !== null) throw rateLimited((blockedUntil - now.getTime()) / 1000);
    if (charged.size < keys.length) {
      // Blocked by a concurrent attempt meanwhile: this one was never made, so take back its counts.
      for (const entry of keys) if (charged.has(entry.key)) await this.refund(entry.rule, entry.key);
      const until = await this.blockedUntil(
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
 * Drop counters nobody has touched for a window: every username an attacker makes up leaves rows
 * behind, and the table must not grow without bound. The expiry sweeper runs it on every pass (an
 * index range over the idle rows only), off the login path. Database time, not an instance's
 * clock: one instance with a skewed clock must not wipe the live counters of the others.
 */
export async function pruneThrottleCounters(em: EntityManager): Promise<number> {
  const result = await em.execute<{ affectedRows: number }>(
    // skip locked: a counter being charged right now is not idle, and waiting for it while holding
    // others could deadlock with that charge.
    `delete from login_throttle
      where key in (select key from login_throttle
                     where last_failure_at < now() - make_interval(secs => ?)
                       and (blocked_until is null or blocked_until < now())
                       for update skip locked)`,
    [THROTTLE_WINDOW_SECONDS],
    'run',
  );
  return result.affectedRows;
}
