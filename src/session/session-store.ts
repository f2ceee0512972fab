import type { EntityManager } from '@mikro-orm/postgresql';
import { Realm, Session, User, type SessionState, type TerminationReason } from '../db/entities/index.js';
import { hydrate } from '../db/hydrate.js';
import { newTimeOrderedId } from '../db/ids.js';
import { runSql, sql, sqlRows, type Sql } from '../db/sql.js';
import type { SessionLifecycleEvent } from '../events/session-events.js';
import type { ThrottleSettlement } from '../auth/throttle-store.js';
import { ENDED_COLUMNS, RAN_OUT, USER_GONE_SQLSTATE, endWithAudit, sessionRule, type Ending } from './session-store.sql.js';

type Json = Record<string, unknown>;

/** The sessions one ending applies to. */
export type EndTarget =
  | { realmId: string; sessionId: string }
  /** Every session of a user, but the one to keep (terminateAllSessions keepCurrent). */
  | { realmId: string; userId: string; exceptSessionId?: string | null }
  /** The sessions whose latest token was issued (login or refresh) in a span: a signing key's (retireRealmKey). */
  | { realmId: string; lastActiveFrom: Date; lastActiveUntil: Date | null }
  | { realmId: string };

/** Who may see a session: a realm (null: every realm) and a user (null: every user). */
export interface SessionReach {
  realmId: string | null;
  userId: string | null;
}

/** Who ends sessions, from where, when: the audit row's actor, ip and time. */
export interface EndedBy {
  actor: string;
  ip: string | null;
  now: Date;
}

/** A session's columns the watchers and the token check read its state from. */
export interface SessionStateRow {
  id: string;
  realm_id: string;
  user_id: string;
  state: SessionState;
  expires_at: string;
  idle_expires_at: string | null;
  termination_reason: TerminationReason | null;
  terminated_at: string | null;
}

interface EndedRow {
  id: string;
  user_id: string;
  realm_id: string;
  termination_reason: TerminationReason;
  terminated_at: string | null;
}

/** A refresh token as introspection sees it: its own times, and its session's state and deadlines. */
export interface RefreshTokenState {
  sessionId: string;
  userId: string;
  username: string;
  createdAt: Date;
  rotatedAt: Date | null;
  state: SessionState;
  expiresAt: Date;
  idleExpiresAt: Date | null;
}

export interface OpenSessionInput {
  realm: Realm;
  user: User;
  sessionId: string;
  now: Date;
  expiresAt: Date;
  upgradedHash: string | null;
  refreshTokenHash: string;
  client: { ip: string | null; userAgent: string | null; app: string | null };
  throttle: ThrottleSettlement | null;
}

/**
 * Every statement on sessions and their refresh tokens — open, rotate, end, expire, list, purge —
 * and the audit rows they write, for one unit of work (`em`: inside its transaction when it has
 * one). Built on one liveness rule and one "end with audit" (session-store.sql.ts); what ends
 * sessions returns the events to publish after commit.
 */
export class SessionStore {
  constructor(private readonly em: EntityManager) {}

  // ── login ──────────────────────────────────────────────────────────────────────────────────

  /** Select-list columns `realm` and `app_user` (jsonb): the login's realm and user, for the throttle's statement. */
  static loginSubjects(realmId: string | null, usernameKey: string): Sql {
    return sql`(select to_jsonb(r) from realm r where r.id = ${realmId}) as realm,
               (select to_jsonb(u) from app_user u where u.realm_id = ${realmId} and u.username_key = ${usernameKey}) as app_user`;
  }

  loginSubjectsOf(row: { realm: Json | null; app_user: Json | null }): { realm: Realm | null; user: User | null } {
    const realm = row.realm ? hydrate(this.em, Realm, row.realm) : null;
    return { realm, user: realm && row.app_user ? hydrate(this.em, User, row.app_user) : null };
  }

  /**
   * A managed session in one round trip (tessera_open_session, session-store.sql.ts): settle the
   * throttle, lock the user, end its sessions that ran out, evict beyond the cap, create it. Null,
   * with nothing written (the throttle not settled either), when the user is gone or disabled: a
   * deleteUser or updateUser that came between the login's read of the user and this statement.
   */
  async openSession(input: OpenSessionInput): Promise<{ session: Session; ended: SessionLifecycleEvent[] } | null> {
    const { realm, user, now, client, throttle } = input;
    let row: { session: Json; ended: EndedRow[] };
    try {
      [row] = await sqlRows<{ session: Json; ended: EndedRow[] }>(
        this.em,
        sql`select session, ended from tessera_open_session(${realm.id}, ${user.id}, ${now}, ${input.upgradedHash}, ${realm.maxActiveSessions},
              ${input.sessionId}, ${input.expiresAt}, ${realm.idleTimeoutSeconds}, ${realm.accessTokenSeconds}, ${client.ip}, ${client.userAgent},
              ${client.app}, ${input.refreshTokenHash}, ${newTimeOrderedId('aud')}, ${JSON.stringify({ app: client.app })},
              ${throttle?.known ?? null}::text, ${throttle?.refunds.map((r) => r.key) ?? null}::text[], ${throttle?.refunds.map((r) => r.threshold) ?? null}::integer[])`,
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === USER_GONE_SQLSTATE) return null;
      throw error;
    }
    return { session: hydrate(this.em, Session, row.session), ended: row.ended.map((ended) => terminationEvent(ended, now)) };
  }

  /**
   * An unmanaged login: the user's last login (and upgraded hash), and its audit row. False, with
   * nothing written, when the user is not in the realm, gone or disabled (since the login read it).
   */
  async recordUnmanagedLogin(input: {
    realmId: string;
    userId: string;
    now: Date;
    upgradedHash: string | null;
    ip: string | null;
    app: string | null;
  }): Promise<boolean> {
    const { realmId, userId, now } = input;
    const { rowCount } = await runSql(
      this.em,
      sql`with touched as (update app_user set last_login_at = ${now}, password_hash = coalesce(${input.upgradedHash}, password_hash)
                            where id = ${userId} and realm_id = ${realmId} and not disabled
                           returning id)
          insert into audit_event (id, realm_id, type, actor, user_id, ip, data, created_at)
          select ${newTimeOrderedId('aud')}, ${realmId}, 'LOGIN_SUCCEEDED', ${`user:${userId}`}, id, ${input.ip}, ${JSON.stringify({ app: input.app })}, ${now}
            from touched`,
    );
    return rowCount > 0;
  }

  /**
   * An API-key login: the key's last use, the user's last login and the audit row, in one
   * statement. The user's row is locked first (as deleteUser and updateUser lock it), so a deletion,
   * a disabling or the key's revocation that came after the login read them either waits for this
   * or makes it find nothing. False, with nothing written, when the key is revoked or not the
   * user's, or the user is not an enabled API user of the realm.
   */
  async recordApiKeyLogin(input: { realmId: string; userId: string; apiKeyId: string; now: Date; ip: string | null }): Promise<boolean> {
    const { realmId, now } = input;
    const { rowCount } = await runSql(
      this.em,
      sql`with subject as (select id from app_user where id = ${input.userId} and realm_id = ${realmId} and kind = 'API' and not disabled for update),
          used as (update api_key set last_used_at = ${now}
                    where id = ${input.apiKeyId} and realm_id = ${realmId} and revoked_at is null and user_id in (select id from subject)
                   returning user_id),
          touched as (update app_user set last_login_at = ${now} where id in (select user_id from used) and realm_id = ${realmId})
          insert into audit_event (id, realm_id, type, actor, user_id, ip, data, created_at)
          select ${newTimeOrderedId('aud')}, ${realmId}, 'LOGIN_SUCCEEDED', 'user:' || user_id, user_id, ${input.ip},
                 jsonb_build_object('apiKeyId', ${input.apiKeyId}::text), ${now}
            from used`,
    );
    return rowCount > 0;
  }

  /** A refused login, audited in the realm it names (the username cut to 100 characters). */
  async recordFailedLogin(input: { realmId: string; userId: string | null; username: string; ip: string | null; now: Date }): Promise<void> {
    await runSql(
      this.em,
      sql`insert into audit_event (id, realm_id, type, actor, user_id, ip, data, created_at)
          values (${newTimeOrderedId('aud')}, ${input.realmId}, 'LOGIN_FAILED', 'anonymous', ${input.userId}, ${input.ip},
                  ${JSON.stringify({ username: input.username.slice(0, 100) })}, ${input.now})`,
    );
  }

  // ── refresh ────────────────────────────────────────────────────────────────────────────────

  /**
   * The common refresh — an unspent token of a live session — in one autocommitted statement:
   * lock the token and its session, rotate, touch the session, write the audit row, and read back
   * what the new access token needs. Null when the token is anything else.
   *
   * Races: `for update` makes a concurrent refresh or termination of the session wait, and
   * PostgreSQL re-checks the conditions against the row it waited for (READ COMMITTED), so a token
   * spent or a session ended meanwhile matches nothing here rather than being rotated twice or
   * revived. The other parts of the statement write only when `claimed` found the row.
   */
  async rotate(input: { presentedHash: string; nextHash: string; seed: string; now: Date; ip: string | null; realmId?: string | null }) {
    const { presentedHash, now } = input;
    const realmId = input.realmId ?? null;
    const [row] = await sqlRows<{ session: Json; realm: Json; app_user: Json }>(
      this.em,
      sql`with claimed as (
         select s.id, s.realm_id, s.user_id, s.idle_timeout_seconds
           from refresh_token t join session s on s.id = t.session_id and s.realm_id = t.realm_id
          where t.token_hash = ${presentedHash} and t.rotated_at is null and ${sessionRule(sql`s.`).liveAt(now)}
            and (${realmId}::text is null or t.realm_id = ${realmId})
            for update of s, t),
       rotated as (update refresh_token t set rotated_at = ${now}, successor_seed = ${input.seed}
                     from claimed c where t.token_hash = ${presentedHash} and t.session_id = c.id),
       successor as (insert into refresh_token (token_hash, session_id, realm_id, created_at)
                     select ${input.nextHash}, c.id, c.realm_id, ${now} from claimed c),
       touched as (update session s
                      set last_active_at = ${now},
                          idle_expires_at = ${now}::timestamptz + make_interval(secs => c.idle_timeout_seconds)
                     from claimed c where s.id = c.id and s.realm_id = c.realm_id
                   returning s.*),
       audited as (insert into audit_event (id, realm_id, type, actor, user_id, session_id, ip, data, created_at)
                   select ${newTimeOrderedId('aud')}, c.realm_id, 'SESSION_REFRESHED', 'user:' || c.user_id, c.user_id, c.id, ${input.ip}, '{}', ${now}
                     from claimed c)
       select to_jsonb(s) as session, to_jsonb(r) as realm, to_jsonb(u) as app_user
         from touched s join realm r on r.id = s.realm_id join app_user u on u.id = s.user_id and u.realm_id = s.realm_id`,
    );
    if (!row) return null;
    return { session: hydrate(this.em, Session, row.session), realm: hydrate(this.em, Realm, row.realm), user: hydrate(this.em, User, row.app_user) };
  }

  /**
   * The session of a refresh token and the token's rotation, both locked (inside a transaction):
   * every refresh and termination of this session queues here, and a refresh that waited reads
   * the rotation of the one before it.
   */
  async lockForRefresh(
    presentedHash: string,
    realmId: string | null = null,
  ): Promise<{ session: Session; rotatedAt: Date | null; successorSeed: string | null } | null> {
    const [row] = await sqlRows<{ session: Json; rotated_at: string | null; successor_seed: string | null }>(
      this.em,
      sql`select to_jsonb(s) as session, t.rotated_at, t.successor_seed
            from refresh_token t join session s on s.id = t.session_id and s.realm_id = t.realm_id
           where t.token_hash = ${presentedHash} and (${realmId}::text is null or t.realm_id = ${realmId}) for update of s, t`,
    );
    if (!row) return null;
    return { session: hydrate(this.em, Session, row.session), rotatedAt: row.rotated_at ? new Date(row.rotated_at) : null, successorSeed: row.successor_seed };
  }

  /** Whether this refresh token of the session is its current one (not yet exchanged). */
  async isUnspent(tokenHash: string, sessionId: string): Promise<boolean> {
    const rows = await sqlRows(this.em, sql`select 1 from refresh_token where token_hash = ${tokenHash} and session_id = ${sessionId} and rotated_at is null`);
    return rows.length > 0;
  }

  /** A spent token came back after the grace window: end its session, and audit the reuse. */
  async endReused(session: Pick<Session, 'id' | 'realmId' | 'userId'>, by: EndedBy): Promise<SessionLifecycleEvent[]> {
    const target = sql`s.realm_id = ${session.realmId} and s.id = ${session.id}`;
    const ending: Ending = { kind: 'terminated', reason: 'REFRESH_TOKEN_REUSED' };
    return this.ended(
      sql`with ${endWithAudit(target, ending, { ...by, actor: 'system' })},
           reuse_audit as (
             insert into audit_event (id, realm_id, type, actor, user_id, session_id, ip, data, created_at)
             values (${newTimeOrderedId('aud')}, ${session.realmId}, 'REFRESH_TOKEN_REUSED', 'anonymous', ${session.userId}, ${session.id}, ${by.ip}, '{}', ${by.now}))
          select ${ENDED_COLUMNS} from ended_sessions`,
      by.now,
    );
  }

  /**
   * The caller's session after its password changed (changePassword): every refresh token it had
   * goes — deleted, not marked spent, so the old one is an unknown token (INVALID_REFRESH_TOKEN)
   * rather than a "reuse" that would end the session the user just secured — and a fresh one is
   * its only token. One statement; the session row is locked, so a concurrent refresh or
   * termination waits for it. Null when the session is no longer live.
   */
  async replaceRefreshTokens(input: { realmId: string; userId: string; sessionId: string; tokenHash: string; now: Date }): Promise<Session | null> {
    const { now } = input;
    const [row] = await sqlRows<{ session: Json }>(
      this.em,
      sql`with live as (
            select s.* from session s
             where s.id = ${input.sessionId} and s.realm_id = ${input.realmId} and s.user_id = ${input.userId} and ${sessionRule(sql`s.`).liveAt(now)}
               for update),
          dropped as (delete from refresh_token t using live l where t.session_id = l.id),
          fresh as (insert into refresh_token (token_hash, session_id, realm_id, created_at)
                    select ${input.tokenHash}, l.id, l.realm_id, ${now} from live l)
          select to_jsonb(l) as session from live l`,
    );
    return row ? hydrate(this.em, Session, row.session) : null;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────────

  /**
   * A refresh token of a realm and its session, as introspection and revocation read it (by the
   * token's hash; another realm's token is no token here). One row, joined to the username.
   */
  async refreshTokenOf(tokenHash: string, realmId: string): Promise<RefreshTokenState | null> {
    const [row] = await sqlRows<{
      session_id: string;
      user_id: string;
      username: string;
      created_at: string;
      rotated_at: string | null;
      state: SessionState;
      expires_at: string;
      idle_expires_at: string | null;
    }>(
      this.em,
      sql`select t.session_id, s.user_id, u.username, t.created_at, t.rotated_at, s.state, s.expires_at, s.idle_expires_at
            from refresh_token t join session s on s.id = t.session_id and s.realm_id = t.realm_id
            join app_user u on u.id = s.user_id and u.realm_id = s.realm_id
           where t.token_hash = ${tokenHash} and t.realm_id = ${realmId}`,
    );
    if (!row) return null;
    return {
      sessionId: row.session_id,
      userId: row.user_id,
      username: row.username,
      createdAt: new Date(row.created_at),
      rotatedAt: row.rotated_at ? new Date(row.rotated_at) : null,
      state: row.state,
      expiresAt: new Date(row.expires_at),
      idleExpiresAt: row.idle_expires_at ? new Date(row.idle_expires_at) : null,
    };
  }

  async find(id: string, reach: SessionReach): Promise<Session | null> {
    const [row] = await sqlRows<{ session: Json }>(this.em, sql`select to_jsonb(s) as session from session s where ${inReach(id, reach)}`);
    return row ? hydrate(this.em, Session, row.session) : null;
  }

  /** The hot read of every token check the cache cannot answer: one row by primary key. */
  async stateOf(sessionId: string, realmId: string, userId: string): Promise<Pick<Session, 'state' | 'expiresAt' | 'idleExpiresAt'> | null> {
    const [row] = await sqlRows<Pick<SessionStateRow, 'state' | 'expires_at' | 'idle_expires_at'>>(
      this.em,
      sql`select state, expires_at, idle_expires_at from session where id = ${sessionId} and realm_id = ${realmId} and user_id = ${userId}`,
    );
    if (!row) return null;
    return { state: row.state, expiresAt: new Date(row.expires_at), idleExpiresAt: row.idle_expires_at ? new Date(row.idle_expires_at) : null };
  }

  /** Sessions by id, any realm (the watchers' re-check of what this instance waits on). */
  statesOf(ids: string[]): Promise<SessionStateRow[]> {
    return sqlRows<SessionStateRow>(
      this.em,
      sql`select id, realm_id, user_id, state, expires_at, idle_expires_at, termination_reason, terminated_at
            from session where id = any(${ids}::text[])`,
    );
  }

  /**
   * A page of a realm's sessions (of one user, when given), newest first, `limit + 1` rows; the
   * state as it reads at `now`: an ACTIVE row past its deadline is EXPIRED before the sweeper ran.
   */
  async list(input: {
    realmId: string;
    userId: string | null;
    state: SessionState | null;
    after: { createdAt: Date; id: string } | null;
    limit: number;
    now: Date;
  }): Promise<Session[]> {
    const { after } = input;
    const afterAt = after?.createdAt ?? null;
    // A user's list reads by session_user_idx, a realm's by session_realm_created_idx: two texts.
    const owner = input.userId ? sql`s.user_id = ${input.userId}` : sql`true`;
    const rows = await sqlRows<{ session: Json }>(
      this.em,
      sql`select to_jsonb(s) as session from session s
           where s.realm_id = ${input.realmId} and ${owner}
             and (${input.state}::text is null or ${sessionRule(sql`s.`).stateAt(input.now)} = ${input.state})
             and (${afterAt}::timestamptz is null or s.created_at < ${afterAt} or (s.created_at = ${afterAt} and s.id < ${after?.id ?? null}))
           order by s.created_at desc, s.id desc
           limit ${input.limit + 1}`,
    );
    return rows.map((row) => hydrate(this.em, Session, row.session));
  }

  // ── ending ─────────────────────────────────────────────────────────────────────────────────

  /** End the ACTIVE sessions of the target (one statement: atomic alone, or part of `em`'s transaction). */
  end(target: EndTarget, reason: TerminationReason, by: EndedBy): Promise<SessionLifecycleEvent[]> {
    return this.ended(sql`with ${endWithAudit(targetOf(target), { kind: 'terminated', reason }, by)} select ${ENDED_COLUMNS} from ended_sessions`, by.now);
  }

  /** Write down the sessions of the target that ran out by `now` as EXPIRED, at their deadline. */
  expire(target: EndTarget, by: EndedBy): Promise<SessionLifecycleEvent[]> {
    return this.ended(sql`with ${endWithAudit(targetOf(target), RAN_OUT, by)} select ${ENDED_COLUMNS} from ended_sessions`, by.now);
  }

  /**
   * One round trip: find the session in the reach, end it if it is ACTIVE (with its audit row),
   * and answer it as it now is. Null when it is not in the reach.
   */
  async terminateInReach(id: string, reach: SessionReach, reason: TerminationReason, by: EndedBy) {
    const [row] = await sqlRows<{ session: Json | null; ended: EndedRow | null }>(
      this.em,
      sql`with ${endWithAudit(inReach(id, reach), { kind: 'terminated', reason }, by)}
          select coalesce((select to_jsonb(e) from ended_sessions e), (select to_jsonb(s) from session s where ${inReach(id, reach)})) as session,
                 (select to_jsonb(e) from (select ${ENDED_COLUMNS} from ended_sessions) e) as ended`,
    );
    if (!row?.session) return null;
    return { session: hydrate(this.em, Session, row.session), ended: row.ended ? terminationEvent(row.ended, by.now) : null };
  }

  /**
   * Write down sessions past their absolute or idle deadline as EXPIRED, a batch at a time, in a
   * transaction of its own. SKIP LOCKED lets several instances sweep at once without waiting on
   * each other; the ACTIVE guard makes each expiry happen (and be announced) exactly once.
   *
   * Idle sessions are found by idle_sweep_at, which refreshes leave alone (so that they stay HOT
   * updates, see Migration20261123000200_idle_sweep_schedule): a session it brings up that was
   * refreshed since is not ended but rescheduled, to look again at its current idle expiry.
   * `examined` counts both kinds: a full batch means there may be more.
   */
  async expireDue(now: Date, batchSize: number): Promise<{ events: SessionLifecycleEvent[]; examined: number }> {
    const rows = await this.em.transactional((tx) =>
      sqlRows<Omit<EndedRow, 'termination_reason'> & { termination_reason: TerminationReason | null }>(
        tx,
        sql`with due as (
           select id from session
            where state = 'ACTIVE' and (expires_at <= ${now} or idle_sweep_at <= ${now})
            limit ${batchSize} for update skip locked),
         ${endWithAudit(sql`s.id in (select id from due)`, RAN_OUT, { actor: 'system', ip: null, now })},
         rescheduled as (
           update session s set idle_sweep_at = s.idle_expires_at
            where s.id in (select id from due) and ${sessionRule(sql`s.`).liveAt(now)}
            returning s.id, s.user_id, s.realm_id, null::text as termination_reason, null::timestamptz as terminated_at)
         select ${ENDED_COLUMNS} from ended_sessions
         union all select id, user_id, realm_id, termination_reason, terminated_at from rescheduled`,
      ),
    );
    const events = rows.flatMap((row) =>
      row.termination_reason === null ? [] : [terminationEvent({ ...row, termination_reason: row.termination_reason }, now)],
    );
    return { events, examined: rows.length };
  }

  /**
   * Delete up to `batchSize` sessions of a realm that ended before `endedBefore`, with their
   * refresh tokens (the foreign key cascades). An ended session was created before it ended,
   * which bounds the walk of the (realm_id, created_at) index.
   */
  async pruneEnded(realmId: string, endedBefore: Date, batchSize: number): Promise<number> {
    const { rowCount } = await runSql(
      this.em,
      sql`delete from session where id in (
            select id from session
             where realm_id = ${realmId} and created_at < ${endedBefore} and state <> 'ACTIVE' and terminated_at < ${endedBefore}
             limit ${batchSize})`,
    );
    return rowCount;
  }

  private async ended(statement: Sql, now: Date): Promise<SessionLifecycleEvent[]> {
    return (await sqlRows<EndedRow>(this.em, statement)).map((row) => terminationEvent(row, now));
  }
}

/**
 * Three texts, not one with nullable parameters: each selects by another index (primary key, the
 * user's, the realm's), and one generic plan for all three would walk a realm to end one session.
 */
function targetOf(target: EndTarget): Sql {
  if ('sessionId' in target) return sql`s.realm_id = ${target.realmId} and s.id = ${target.sessionId}`;
  if ('lastActiveFrom' in target) {
    const until = target.lastActiveUntil;
    return sql`s.realm_id = ${target.realmId} and s.last_active_at >= ${target.lastActiveFrom}
               and (${until}::timestamptz is null or s.last_active_at <= ${until})`;
  }
  if ('userId' in target) {
    const except = target.exceptSessionId ?? null;
    return sql`s.realm_id = ${target.realmId} and s.user_id = ${target.userId} and (${except}::text is null or s.id <> ${except})`;
  }
  return sql`s.realm_id = ${target.realmId}`;
}

/** One session by id, if the reach sees it (the id always selects by primary key). */
function inReach(id: string, reach: SessionReach): Sql {
  return sql`s.id = ${id} and (${reach.realmId}::text is null or s.realm_id = ${reach.realmId})
             and (${reach.userId}::text is null or s.user_id = ${reach.userId})`;
}

function terminationEvent(row: EndedRow, now: Date): SessionLifecycleEvent {
  const at = row.terminated_at ? new Date(row.terminated_at) : now;
  return { type: 'TERMINATED', sessionId: row.id, userId: row.user_id, realmId: row.realm_id, reason: row.termination_reason, at: at.toISOString() };
}
