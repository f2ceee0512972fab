import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql, sql, sqlRows, type Sql } from '../db/sql.js';
import type { StoredFunction } from '../db/stored-functions.js';

/** One counter an attempt is charged on, with its rule (throttle.ts THROTTLE_RULES). */
export interface ThrottleCounter {
  key: string;
  threshold: number;
  maxBlockSeconds: number;
  /** Failures (in a window) past which the counter stops blocking; null: it always blocks. */
  cutoff?: number | null;
  /** Whether the counter applies to an address known to the account (see KnownAddress); default true. */
  whenKnown?: boolean;
  /** Charged now (before the password check); false: only checked, and charged on failure. Default true. */
  chargeNow?: boolean;
}

/** The account+address counter whose recent success makes the address known to the account. */
export interface KnownAddress {
  key: string;
  /** A success since then counts. */
  since: Date;
}

/** What a successful login settles: its address becomes known, and its other charges are taken back. */
export interface ThrottleSettlement {
  /** The account+address counter: reset, and marked with the success. */
  known: string;
  refunds: { key: string; threshold: number }[];
}

export interface Charge<Alongside> {
  /** When the block of a blocked counter ends (ms), or null when none was blocked. */
  blockedUntil: number | null;
  /** The keys counted: fewer than `expected` only when a concurrent attempt blocked one meanwhile. */
  charged: Set<string>;
  /** How many counters were to be charged (those that apply: fewer from a known address). */
  expected: number;
  /** Whether the address is known to the account. */
  known: boolean;
  alongside: Alongside;
}

/** Every statement on login_throttle, the failed-login counters shared by every instance. */
export class ThrottleStore {
  constructor(private readonly em: EntityManager) {}

  /**
   * One more attempt on each counter that applies — unless one of them is blocked, then none — in
   * one statement. The upsert's update applies only while the counter is not blocked, evaluated
   * under the row lock, so concurrent attempts see each other's charges and the one that reaches
   * the threshold blocks all that come after it. Rows are locked in key order, like the multi-row
   * update of tessera_settle_login_throttle, so statements that share counters cannot deadlock.
   *
   * `known`: counters with `whenKnown: false` apply only when this account+address counter has not
   * seen a success since `known.since` — read in the same statement, under the same snapshot.
   * `alongside`: more select-list expressions, so that a caller's read rides in the same round trip
   * (the login's realm and user, SessionStore.loginSubjects); returned as they are named.
   */
  async charge<Alongside extends object>(
    counters: ThrottleCounter[],
    now: Date,
    windowStart: Date,
    known: KnownAddress | null,
    alongside: Sql | null,
  ): Promise<Charge<Alongside>> {
    const rules = sql.join(
      counters.map(
        (c) =>
          sql`(${c.key}, ${c.threshold}::int, ${c.maxBlockSeconds}::int, ${c.cutoff ?? 2147483647}::int, ${c.whenKnown ?? true}::boolean, ${c.chargeNow ?? true}::boolean)`,
      ),
      sql`, `,
    );
    const [row] = await sqlRows<{ blocked_until: string | null; charged: string[] | null; expected: number; known: boolean } & Alongside>(
      this.em,
      sql`with rule (key, threshold, max_block_seconds, cutoff, when_known, charge_now) as (values ${rules}),
       known as (select exists (select 1 from login_throttle where key = ${known?.key ?? null}::text and last_success_at >= ${known?.since ?? null}::timestamptz) as yes),
       live as (select * from rule where when_known or not (select yes from known)),
       block as (select max(blocked_until) as until from login_throttle where key in (select key from live) and blocked_until > ${now}),
       charged as (
         insert into login_throttle as t (key, failures, last_failure_at, blocked_until)
         select key, 1, ${now}::timestamptz, null from live where charge_now and (select until from block) is null order by key
         on conflict (key) do update set
              failures = case when t.last_failure_at < ${windowStart} then 1 else t.failures + 1 end,
              last_failure_at = excluded.last_failure_at,
              blocked_until = (
                select case
                  when t.last_failure_at >= ${windowStart} and t.failures + 1 >= rule.threshold and t.failures + 1 < rule.cutoff
                  then excluded.last_failure_at + make_interval(secs => least(rule.max_block_seconds, power(2, t.failures + 1 - rule.threshold)))
                  else t.blocked_until end
                from rule where rule.key = excluded.key)
            where t.blocked_until is null or t.blocked_until <= excluded.last_failure_at
         returning key)
       select (select until from block) as blocked_until, (select array_agg(key) from charged) as charged,
              (select count(*)::int from live where charge_now) as expected, (select yes from known) as known
              ${alongside ? sql`, ${alongside}` : sql``}`,
    );
    const { blocked_until: blockedUntil, charged, expected, known: isKnown, ...rest } = row;
    return {
      blockedUntil: blockedUntil ? new Date(blockedUntil).getTime() : null,
      charged: new Set(charged ?? []),
      expected: Number(expected),
      known: isKnown,
      alongside: rest as unknown as Alongside,
    };
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

  /** Settle a success (also how charges are refunded: with `known` null). */
  async settle({ known, refunds }: { known: string | null; refunds: ThrottleSettlement['refunds'] }, now: Date): Promise<void> {
    await runSql(
      this.em,
      sql`select tessera_settle_login_throttle(${known}::text, ${refunds.map((r) => r.key)}::text[], ${refunds.map((r) => r.threshold)}::integer[], ${now}::timestamptz)`,
    );
  }

  /**
   * Drop counters nobody has touched for `windowSeconds`: every username an attacker makes up
   * leaves rows behind. Database time, not an instance's clock: one instance with a skewed clock
   * must not wipe the live counters of the others.
   */
  async pruneIdle(windowSeconds: number, knownDays: number): Promise<number> {
    const { rowCount } = await runSql(
      this.em,
      // skip locked: a counter being charged right now is not idle, and waiting for it while
      // holding others could deadlock with that charge. A counter that marks a known address
      // stays for as long as it does.
      sql`delete from login_throttle
           where key in (select key from login_throttle
                          where last_failure_at < now() - make_interval(secs => ${windowSeconds})
                            and (blocked_until is null or blocked_until < now())
                            and (last_success_at is null or last_success_at < now() - make_interval(days => ${knownDays}))
                            for update skip locked)`,
    );
    return rowCount;
  }
}

/**
 * A successful login: mark its account+address counter with the success (the address is now known
 * to the account; its failures and block are cleared) and take back the attempt's other charges.
 * Rows are locked in key order, as charging locks them, so the two cannot deadlock. In the
 * database, so that it rides in the same round trip as the session (tessera_open_session).
 */
const settleLoginThrottle: StoredFunction = {
  signature: 'tessera_settle_login_throttle(text, text[], integer[], timestamptz)',
  definition: sql`
    create or replace function tessera_settle_login_throttle(p_known text, p_refund text[], p_refund_thresholds integer[], p_now timestamptz)
    returns void language plpgsql volatile as $$
    begin
      perform 1 from login_throttle where key = any(array_append(p_refund, p_known)) order by key for update;
      if p_known is not null then
        insert into login_throttle as t (key, failures, last_failure_at, blocked_until, last_success_at)
        values (p_known, 0, p_now, null, p_now)
        on conflict (key) do update set failures = 0, blocked_until = null, last_success_at = excluded.last_success_at;
      end if;
      update login_throttle t
         set failures = greatest(t.failures - 1, 0),
             blocked_until = case when t.failures - 1 < r.threshold then null else t.blocked_until end
        from unnest(p_refund, p_refund_thresholds) as r(key, threshold)
       where t.key = r.key;
    end;
    $$`,
};

export const THROTTLE_FUNCTIONS: StoredFunction[] = [settleLoginThrottle];
