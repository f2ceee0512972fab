// The SQL definitions of the session store: the liveness rule, "end with audit", and the stored
// functions that open a session in one round trip. session-state.ts is the same rule in
// TypeScript; test/session-rule.property.test.ts holds the two to each other.
import { Sql, sql } from '../db/sql.js';
import type { StoredFunction } from '../db/stored-functions.js';

/**
 * The liveness rule over the columns of a session row (`s`: its alias with the dot, sql`s.`, or
 * nothing): a session is live until its earlier deadline — absolute or idle — and then ends with
 * that deadline's reason (session-state.ts sessionEnd, effectiveState).
 */
export function sessionRule(s: Sql = sql``) {
  // least() ignores a null idle deadline.
  const deadline = sql`least(${s}expires_at, ${s}idle_expires_at)`;
  const deadlineReason = sql`(case when ${s}idle_expires_at < ${s}expires_at then 'IDLE_TIMEOUT' else 'EXPIRED' end)`;
  return {
    /** When the session runs out if nothing ends it earlier. */
    deadline,
    /** The reason it then ends with. */
    deadlineReason,
    liveAt: (now: Sql | Date) => sql`(${s}state = 'ACTIVE' and ${deadline} > ${now})`,
    /** ACTIVE as written, but past its deadline: EXPIRED as it reads, not yet as it is written. */
    ranOutAt: (now: Sql | Date) => sql`(${s}state = 'ACTIVE' and ${deadline} <= ${now})`,
    /** The state as it reads at `now` (session-state.ts effectiveState). */
    stateAt: (now: Sql | Date) => sql`(case when ${s}state <> 'ACTIVE' then ${s}state when ${deadline} > ${now} then 'ACTIVE' else 'EXPIRED' end)`,
    /** The termination reason as it reads at `now`. */
    reasonAt: (now: Sql | Date) =>
      sql`(case when ${s}state <> 'ACTIVE' then ${s}termination_reason when ${deadline} > ${now} then null else ${deadlineReason} end)`,
  };
}

/** How `endWithAudit` ends a session. */
export type Ending =
  /** TERMINATED at `now`, for this reason (a logout, an admin, an eviction, …). */
  | { kind: 'terminated'; reason: Sql | string }
  /** EXPIRED at its deadline with the deadline's reason, when it has run out by `now`. */
  | { kind: 'ran-out' };

export const RAN_OUT: Ending = { kind: 'ran-out' };

/** The columns of an ended session that its termination event is made of (session-store.ts). */
export const ENDED_COLUMNS = sql`id, user_id, realm_id, termination_reason, terminated_at`;

/**
 * "End the session and write its audit row": two CTEs, `ended_sessions` (the ended rows, every
 * column) and `ended_audit`, for a `with` clause. Every statement and stored function that ends
 * sessions is built on it. The `state = 'ACTIVE'` guard makes an ending exactly-once: two
 * instances (or a user and an admin) racing to end a session produce one termination, one audit
 * row and one event.
 *
 * A session that ran out ends at its deadline, not when someone noticed: the same terminatedAt the
 * API shows for it before anything was written (session-state.ts), and the time of its audit row,
 * which is its event in the durable record (src/events/event-store.ts).
 */
export function endWithAudit(which: Sql, ending: Ending, by: { actor: Sql | string; ip: Sql | string | null; now: Sql | Date }): Sql {
  const rule = sessionRule(sql`s.`);
  const [state, endedAt, reason, guard] =
    ending.kind === 'terminated'
      ? [sql`'TERMINATED'`, sql`${by.now}`, sql`${ending.reason}`, sql`s.state = 'ACTIVE'`]
      : [sql`'EXPIRED'`, rule.deadline, rule.deadlineReason, rule.ranOutAt(by.now)];
  return sql`ended_sessions as (
      update session s set state = ${state}, terminated_at = ${endedAt}, termination_reason = ${reason}
       where ${which} and ${guard}
      returning s.*),
    ended_audit as (
      insert into audit_event (id, realm_id, type, actor, user_id, session_id, reason, ip, data, created_at)
      select tessera_audit_id(), realm_id, 'SESSION_TERMINATED', ${by.actor}, user_id, id, termination_reason, ${by.ip}, '{}', terminated_at
        from ended_sessions)`;
}

const SYSTEM = { actor: sql`'system'`, now: sql`p_now` };

/**
 * The SQLSTATE tessera_open_session raises when the user is gone or disabled: deleted or disabled
 * while its login checked the password, between the statement that read the user and this one.
 * An error rather than an empty answer, so that the throttle settled before it in the same
 * statement (openSessionAfterThrottle) is rolled back with it. SessionStore.openSession catches it.
 */
export const USER_GONE_SQLSTATE = 'TSU01';
const userGone = new Sql([`'${USER_GONE_SQLSTATE}'`], []);
const endedAsJson = sql`coalesce(jsonb_agg(to_jsonb(e)), '[]')`;
const endedRows = sql`(select ${ENDED_COLUMNS} from ended_sessions) e`;

/**
 * A login's managed session in one round trip (SessionStore.openSession): lock the user, end its
 * sessions that ran out, evict the oldest beyond the realm's cap, then create the session, its
 * first refresh token and the audit rows. Each statement sees the ones before it (a function's
 * statements take fresh snapshots), so the cap holds under parallel logins of one user: the lock
 * on the user row serialises them. Returns the new session and the sessions it ended.
 *
 * A user deleted or disabled since the login read it raises USER_GONE_SQLSTATE, having written
 * nothing: the update that locks the user waits for a deleteUser or a disabling updateUser that
 * holds the row, and then finds no row to lock (instead of a session that fails its foreign key, or
 * one opened after the disabling ended the user's others).
 */
const openSession: StoredFunction = {
  signature: 'tessera_open_session(text, text, timestamptz, text, integer, text, timestamptz, integer, integer, text, text, text, text, text, jsonb)',
  definition: sql`
    create or replace function tessera_open_session(
      p_realm_id text, p_user_id text, p_now timestamptz, p_upgraded_hash text, p_max_active integer,
      p_session_id text, p_expires_at timestamptz, p_idle_timeout_seconds integer, p_access_token_seconds integer,
      p_ip text, p_user_agent text, p_app text, p_token_hash text, p_audit_id text, p_audit_data jsonb)
    returns table (session jsonb, ended jsonb)
    language plpgsql volatile as $$
    declare
      v_ended jsonb;
      v_evicted jsonb;
      v_over integer;
    begin
      update app_user set last_login_at = p_now, password_hash = coalesce(p_upgraded_hash, password_hash)
       where id = p_user_id and realm_id = p_realm_id and not disabled;
      if not found then
        raise exception 'tessera_open_session: user % is gone or disabled', p_user_id using errcode = ${userGone};
      end if;

      with ${endWithAudit(sql`s.realm_id = p_realm_id and s.user_id = p_user_id`, RAN_OUT, { ...SYSTEM, ip: sql`null` })}
      select ${endedAsJson} into v_ended from ${endedRows};

      select count(*) - p_max_active + 1 into v_over
        from session where realm_id = p_realm_id and user_id = p_user_id and state = 'ACTIVE';
      if v_over > 0 then
        with oldest as (
          select id from session where realm_id = p_realm_id and user_id = p_user_id and state = 'ACTIVE'
           order by created_at, id limit v_over),
        ${endWithAudit(sql`s.id in (select id from oldest)`, { kind: 'terminated', reason: sql`'EVICTED'` }, { ...SYSTEM, ip: sql`p_ip` })}
        select ${endedAsJson} into v_evicted from ${endedRows};
        v_ended := v_ended || v_evicted;
      end if;

      return query
      with created as (
        insert into session (id, realm_id, user_id, state, created_at, last_active_at, expires_at, idle_timeout_seconds,
                             idle_expires_at, access_token_seconds, ip, user_agent, app)
        values (p_session_id, p_realm_id, p_user_id, 'ACTIVE', p_now, p_now, p_expires_at, p_idle_timeout_seconds,
                p_now + make_interval(secs => p_idle_timeout_seconds), p_access_token_seconds, p_ip, p_user_agent, p_app)
        returning *),
      first_token as (
        insert into refresh_token (token_hash, session_id, realm_id, created_at) values (p_token_hash, p_session_id, p_realm_id, p_now)),
      audited as (
        insert into audit_event (id, realm_id, type, actor, user_id, session_id, ip, data, created_at)
        values (p_audit_id, p_realm_id, 'LOGIN_SUCCEEDED', 'user:' || p_user_id, p_user_id, p_session_id, p_ip,
                p_audit_data || jsonb_build_object('evicted', coalesce((select jsonb_agg(e->'id') from jsonb_array_elements(v_evicted) e), '[]')),
                p_now))
      select to_jsonb(created), v_ended from created;
    end;
    $$`,
};

/**
 * The same, after settling the login's throttle counters (tessera_settle_login_throttle,
 * throttle-store.ts) in the same round trip. The counters first, then the user: every statement
 * that takes both takes them in this order, and charging takes only counters, so none deadlock.
 * When the user is gone (USER_GONE_SQLSTATE) the settling is undone with the rest: the attempt
 * stays charged, as a failed one is.
 */
const openSessionAfterThrottle: StoredFunction = {
  signature:
    'tessera_open_session(text, text, timestamptz, text, integer, text, timestamptz, integer, integer, text, text, text, text, text, jsonb, text, text[], integer[])',
  definition: sql`
    create or replace function tessera_open_session(
      p_realm_id text, p_user_id text, p_now timestamptz, p_upgraded_hash text, p_max_active integer,
      p_session_id text, p_expires_at timestamptz, p_idle_timeout_seconds integer, p_access_token_seconds integer,
      p_ip text, p_user_agent text, p_app text, p_token_hash text, p_audit_id text, p_audit_data jsonb,
      p_throttle_known text, p_throttle_refund text[], p_throttle_refund_thresholds integer[])
    returns table (session jsonb, ended jsonb)
    language plpgsql volatile as $$
    begin
      if p_throttle_known is not null then
        perform tessera_settle_login_throttle(p_throttle_known, p_throttle_refund, p_throttle_refund_thresholds, p_now);
      end if;
      return query select * from tessera_open_session(
        p_realm_id, p_user_id, p_now, p_upgraded_hash, p_max_active, p_session_id, p_expires_at, p_idle_timeout_seconds,
        p_access_token_seconds, p_ip, p_user_agent, p_app, p_token_hash, p_audit_id, p_audit_data);
    end;
    $$`,
};

/**
 * An audit event id made in the database, for set-based inserts (one per ended session), in the
 * shape of ids.ts's newTimeOrderedId: 'aud_', the creation time in milliseconds as 12 hex digits,
 * then 80 random bits in base64url (bytes 0–5 and 9–12 of a random UUID, none of which holds its
 * version or variant bits). Later ids sort later, so inserts go to the right edge of the index.
 */
const auditId: StoredFunction = {
  signature: 'tessera_audit_id()',
  definition: sql`
    create or replace function tessera_audit_id() returns text language sql volatile as $$
      select 'aud_' || lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, '0')
             || rtrim(translate(encode(substring(u from 1 for 6) || substring(u from 10 for 4), 'base64'), '+/', '-_'), '=')
        from uuid_send(gen_random_uuid()) as u
    $$`,
};

/**
 * A new session's idle_sweep_at: its idle expiry (Migration20261123000200_idle_sweep_schedule).
 * A trigger, so that every way of creating a session sets it.
 */
const idleSweepAt: StoredFunction = {
  signature: 'tessera_session_idle_sweep_at()',
  definition: sql`
    create or replace function tessera_session_idle_sweep_at() returns trigger language plpgsql as $$
    begin
      new.idle_sweep_at := new.idle_expires_at;
      return new;
    end;
    $$`,
};

export const SESSION_FUNCTIONS: StoredFunction[] = [auditId, idleSweepAt, openSession, openSessionAfterThrottle];
