import type { EntityManager } from '@mikro-orm/postgresql';
import type { TerminationReason } from '../db/entities/index.js';
import type { SessionLifecycleEvent } from '../events/session-events.js';

export interface EndSessionsTarget {
  realmId: string;
  sessionId?: string;
  userId?: string;
  /** Session to leave running (terminateAllSessions keepCurrent). */
  exceptSessionId?: string | null;
}

/**
 * End every ACTIVE session matching the target, with one audit row each, in one statement: atomic
 * on its own (autocommitted when `em` has no transaction), or part of the caller's transaction.
 * The `state = 'ACTIVE'` guard makes it exactly-once: two instances (or a user and an admin)
 * racing to end the same session produce one termination and one event. Returns the events to
 * publish after commit.
 */
export async function endSessions(
  em: EntityManager,
  target: EndSessionsTarget,
  reason: TerminationReason,
  actor: string,
  now: Date,
  ip: string | null = null,
): Promise<SessionLifecycleEvent[]> {
  const conditions = ['realm_id = ?', `state = 'ACTIVE'`];
  const params: unknown[] = [target.realmId];
  if (target.sessionId) {
    conditions.push('id = ?');
    params.push(target.sessionId);
  }
  if (target.userId) {
    conditions.push('user_id = ?');
    params.push(target.userId);
  }
  if (target.exceptSessionId) {
    conditions.push('id <> ?');
    params.push(target.exceptSessionId);
  }
  const expiring = reason === 'EXPIRED' || reason === 'IDLE_TIMEOUT';
  // A session that ran out ended at its deadline, not when someone noticed: the same terminatedAt
  // the API shows for it before anything was written (graphql/session.ts), and the same the sweeper writes.
  const endedAt =
    reason === 'EXPIRED'
      ? 'least(?::timestamptz, expires_at)'
      : reason === 'IDLE_TIMEOUT'
        ? 'least(?::timestamptz, coalesce(idle_expires_at, expires_at))'
        : '?';
  const rows = await em.getConnection().execute<TerminatedRow[]>(
    `with ended as (
       update session set state = ?, terminated_at = ${endedAt}, termination_reason = ?
        where ${conditions.join(' and ')} returning id, user_id, realm_id, terminated_at),
     audited as (
       insert into audit_event (id, realm_id, type, actor, user_id, session_id, reason, ip, data, created_at)
       select tessera_audit_id(), realm_id, 'SESSION_TERMINATED', ?, user_id, id, ?, ?, '{}', ? from ended)
     select * from ended`,
    [expiring ? 'EXPIRED' : 'TERMINATED', now, reason, ...params, actor, reason, ip, now],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((row) => terminationEvent(row, reason, now));
}

interface TerminatedRow {
  id: string;
  user_id: string;
  realm_id: string;
  terminated_at?: Date | string | null;
}

export function terminationEvent(row: TerminatedRow, reason: TerminationReason, now: Date): SessionLifecycleEvent {
  const at = row.terminated_at ? new Date(row.terminated_at) : now;
  return { type: 'TERMINATED', sessionId: row.id, userId: row.user_id, realmId: row.realm_id, reason, at: at.toISOString() };
}

/**
 * Mark sessions past their absolute or idle expiry EXPIRED, a batch at a time. SKIP LOCKED lets
 * several instances sweep at once without waiting on each other; the ACTIVE guard in the update
 * makes each expiry happen (and be announced) exactly once.
 *
 * Idle sessions are found by idle_sweep_at, which refreshes leave alone (so that they stay HOT
 * updates, see Migration20261123000200_idle_sweep_schedule): a session it brings up that was
 * refreshed since is not ended but rescheduled, to look again at its current idle expiry.
 * `examined` counts both kinds: a full batch means there may be more.
 */
export async function expireDueSessions(em: EntityManager, now: Date, batchSize = 1000): Promise<{ events: SessionLifecycleEvent[]; examined: number }> {
  return em.transactional(async (tx) => {
    // The deadline that passed first names the reason and the end time (session-state.ts sessionEnd).
    const rows = await tx.getConnection().execute<(TerminatedRow & { termination_reason: TerminationReason | null })[]>(
      `with due as (
         select id from session
          where state = 'ACTIVE' and (expires_at <= ? or idle_sweep_at <= ?)
          limit ? for update skip locked),
       ended as (
         update session set state = 'EXPIRED',
                terminated_at = case when idle_expires_at < expires_at then idle_expires_at else expires_at end,
                termination_reason = case when idle_expires_at < expires_at then 'IDLE_TIMEOUT' else 'EXPIRED' end
          where id in (select id from due) and state = 'ACTIVE' and (expires_at <= ? or idle_expires_at <= ?)
          returning id, user_id, realm_id, termination_reason, terminated_at),
       rescheduled as (
         update session set idle_sweep_at = idle_expires_at
          where id in (select id from due) and state = 'ACTIVE' and expires_at > ? and (idle_expires_at is null or idle_expires_at > ?)
          returning id, user_id, realm_id, null::text as termination_reason, null::timestamptz as terminated_at),
       audited as (
         insert into audit_event (id, realm_id, type, actor, user_id, session_id, reason, ip, data, created_at)
         select tessera_audit_id(), realm_id, 'SESSION_TERMINATED', 'system', user_id, id, termination_reason, null, '{}', ? from ended)
       select * from ended union all select * from rescheduled`,
      [now, now, batchSize, now, now, now, now, now],
      'all',
      tx.getTransactionContext(),
    );
    const events = rows.filter((row) => row.termination_reason !== null).map((row) => terminationEvent(row, row.termination_reason!, now));
    return { events, examined: rows.length };
  });
}
