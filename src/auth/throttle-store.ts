import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql, sql, sqlRows, type Sql } from '../db/sql.js';
import type { StoredFunction } from '../db/stored-functions.js';

/** One counter an attempt is charged on, with its rule (throttle.ts THROTTLE_RULES). */
export interface ThrottleCounter {
  key: string;
  threshold: number;
  maxBlockSeconds: number;
}

/** Counters a successful login settles: cleared ones, and one charge taken back (when it was made). */
export interface ThrottleSettlement {
  clear: string[];
  refund: string | null;
  refundThreshold: number;
}

export interface Charge<Alongside> {
  /** When the block of a blocked counter ends (ms), or null when none was blocked. */
  blockedUntil: number | null;
  /** The keys counted: fewer than all only when a concurrent attempt blocked one meanwhile. */
  charged: Set<string>;
  alongside: Alongside;
}

/** Every statement on login_throttle, the failed-login counters shared by every instance. */
export class ThrottleStore {
  constructor(private readonly em: EntityManager) {}

  /**
   * One more attempt on each of the three counters — unless one of them is blocked, then none — in
   * one statement. The upsert's update applies only while the counter is not blocked, evaluated
   * under the row lock, so concurrent attempts see each other's charges and the one that reaches
   * the threshold blocks all that come after it. Rows are locked in key order, like the multi-row
   * delete of tessera_settle_login_throttle, so statements that share counters cannot deadlock.
   *
   * `alongside`: more select-list expressions, so that a caller's read rides in the same round trip
   * (the login's realm and user, SessionStore.loginSubjects); returned as they are named.
   */
  async charge<Alongside extends object>(counters: ThrottleCounter[], now: Date, windowStart: Date, alongside: Sql | null): Promise<Charge<Alongside>> {
    // Three counters on the login path: one statement text.
    if (counters.length !== 3) throw new Error('one counter per throttle rule');
    const rules = sql.join(
      counters.map(({ key, threshold, maxBlockSeconds }) => sql`(${key}, ${threshold}::int, ${maxBlockSeconds}::int)`),
      sql`, `,
    );
    const [row] = await sqlRows<{ blocked_until: string | null; charged: string[] | null } & Alongside>(
      this.em,
      sql`with rule (key, threshold, max_block_seconds) as (values ${rules}),
       block as (select max(blocked_until) as until from login_throttle where key in (select key from rule) and blocked_until > ${now}),
       charged as (
         insert into login_throttle as t (key, failures, last_failure_at, blocked_until)
         select key, 1, ${now}::timestamptz, null from rule where (select until from block) is null order by key
         on conflict (key) do update set
              failures = case when t.last_failure_at < ${windowStart} then 1 else t.failures + 1 end,
              last_failure_at = excluded.last_failure_at,
              blocked_until = (
                select case
                  when t.last_failure_at >= ${windowStart} and t.failures + 1 >= rule.threshold
                  then excluded.last_failure_at + make_interval(secs => least(rule.max_block_seconds, power(2, t.failures + 1 - rule.threshold)))
                  else t.blocked_until end
                from rule where rule.key = excluded.key)
            where t.blocked_until is null or t.blocked_until <= excluded.last_failure_at
         returning key)
       select (select until from block) as blocked_until, (select array_agg(key) from charged) as charged
              ${alongside ? sql`, ${alongside}` : sql``}`,
    );
    const { blocked_until: blockedUntil, charged, ...rest } = row;
    return { blockedUntil: blockedUntil ? new Date(blockedUntil).getTime() : null, charged: new Set(charged ?? []), alongside: rest as unknown as Alongside };
  }

  /** When the latest block among these counters ends (ms), or null when none is blocked. */
  async blockedUntil(keys: string[], now: Date): Promise<number | null> {
    const rows = await sqlRows<{ blocked_until: string }>(
      this.em,
      sql`select blocked_until from login_throttle where key = any(${keys}::text[]) and blocked_until > ${now}`,
    );
    if (rows.length === 0) return null;
    return Math.max(...rows.map((row) => new Date(row.blocked_until).getTime()));
  }

  /** A success: clear the account's counters, take one charge back (also how a charge is refunded). */
  async settle({ clear, refund, refundThreshold }: ThrottleSettlement): Promise<void> {
    await runSql(this.em, sql`select tessera_settle_login_throttle(${clear}, ${refund}, ${refundThreshold})`);
  }

  /**
   * Drop counters nobody has touched for `windowSeconds`: every username an attacker makes up
   * leaves rows behind. Database time, not an instance's clock: one instance with a skewed clock
   * must not wipe the live counters of the others.
   */
  async pruneIdle(windowSeconds: number): Promise<number> {
    const { rowCount } = await runSql(
      this.em,
      // skip locked: a counter being charged right now is not idle, and waiting for it while
      // holding others could deadlock with that charge.
      sql`delete from login_throttle
           where key in (select key from login_throttle
                          where last_failure_at < now() - make_interval(secs => ${windowSeconds})
                            and (blocked_until is null or blocked_until < now())
                            for update skip locked)`,
    );
    return rowCount;
  }
}

/**
 * Clear an account's counters and refund one charge of the address's counter, in the database, so
 * that a successful login settles them in the same round trip as its session. Rows are locked in
 * key order, as charging locks them, so the two cannot deadlock.
 */
const settleLoginThrottle: StoredFunction = {
  signature: 'tessera_settle_login_throttle(text[], text, integer)',
  definition: sql`
    create or replace function tessera_settle_login_throttle(p_clear text[], p_refund text, p_refund_threshold integer)
    returns void language plpgsql volatile as $$
    begin
      perform 1 from login_throttle where key = any(array_append(p_clear, p_refund)) order by key for update;
      delete from login_throttle where key = any(p_clear);
      update login_throttle
         set failures = greatest(failures - 1, 0),
             blocked_until = case when failures - 1 < p_refund_threshold then null else blocked_until end
       where key = p_refund;
    end;
    $$`,
};

export const THROTTLE_FUNCTIONS: StoredFunction[] = [settleLoginThrottle];
