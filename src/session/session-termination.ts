import type { EntityManager } from '@mikro-orm/postgresql';
import type { TerminationReason } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import type { SessionLifecycleEvent } from '../events/session-events.js';

export interface EndSessionsTarget {
  realmId: string;
  sessionId?: string;
  userId?: string;
  /** Session to leave running (terminateAllSessions keepCurrent). */
  exceptSessionId?: string | null;
}

/**
 * End every ACTIVE session matching the target in one statement, with one audit row each, inside
 * the caller's transaction. The `state = 'ACTIVE'` guard makes it exactly-once: two instances (or
 * a user and an admin) racing to end the same session produce one termination and one event.
 * Returns the events to publish after commit.
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
  const state = reason === 'EXPIRED' || reason === 'IDLE_TIMEOUT' ? 'EXPIRED' : 'TERMINATED';
  const rows = await em.getConnection().execute<{ id: string; user_id: string; realm_id: string }[]>(
    `update session set state = ?, terminated_at = ?, termination_reason = ?
      where ${conditions.join(' and ')} returning id, user_id, realm_id`,
    [state, now, reason, ...params],
    'all',
    em.getTransactionContext(),
  );
  await recordTerminations(em, rows, reason, actor, now, ip);
  return rows.map((row) => terminationEvent(row, reason, now));
}

export function terminationEvent(
  row: { id: string; user_id: string; realm_id: string },
  reason: TerminationReason,
  now: Date,
): SessionLifecycleEvent {
  return { type: 'TERMINATED', sessionId: row.id, userId: row.user_id, realmId: row.realm_id, reason, at: now.toISOString() };
}

async function recordTerminations(
  em: EntityManager,
  rows: { id: string; user_id: string; realm_id: string }[],
  reason: TerminationReason,
  actor: string,
  now: Date,
  ip: string | null,
): Promise<void> {
  // One multi-row insert: terminateRealmSessions may end thousands of sessions at once.
  for (let start = 0; start < rows.length; start += 1000) {
    const chunk = rows.slice(start, start + 1000);
    const values = chunk.map(() => `(?, ?, 'SESSION_TERMINATED', ?, ?, ?, ?, ?, '{}', ?)`).join(', ');
    const params = chunk.flatMap((row) => [newId('aud'), row.realm_id, actor, row.user_id, row.id, reason, ip, now]);
    await em.getConnection().execute(
      `insert into audit_event (id, realm_id, type, actor, user_id, session_id, reason, ip, data, created_at) values ${values}`,
      params,
      'run',
      em.getTransactionContext(),
    );
  }
}

/**
 * Mark sessions past their absolute or idle expiry EXPIRED, a batch at a time. SKIP LOCKED lets
 * several instances sweep at once without waiting on each other; the ACTIVE guard in the update
 * makes each expiry happen (and be announced) exactly once.
 */
export async function expireDueSessions(em: EntityManager, now: Date, batchSize = 1000): Promise<SessionLifecycleEvent[]> {
  return em.transactional(async (tx) => {
    const rows = await tx.getConnection().execute<{ id: string; user_id: string; realm_id: string; termination_reason: TerminationReason }[]>(
      `update session set state = 'EXPIRED', terminated_at = ?,
              termination_reason = case when expires_at <= ? then 'EXPIRED' else 'IDLE_TIMEOUT' end
        where id in (
          select id from session
           where state = 'ACTIVE' and (expires_at <= ? or idle_expires_at <= ?)
           limit ? for update skip locked)
          and state = 'ACTIVE'
        returning id, user_id, realm_id, termination_reason`,
      [now, now, now, now, batchSize],
      'all',
      tx.getTransactionContext(),
    );
    for (const reason of ['EXPIRED', 'IDLE_TIMEOUT'] as const) {
      await recordTerminations(tx, rows.filter((r) => r.termination_reason === reason), reason, 'system', now, null);
    }
    return rows.map((row) => terminationEvent(row, row.termination_reason, now));
  });
}
