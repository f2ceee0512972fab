import type { EntityManager } from '@mikro-orm/postgresql';

export interface RetentionPolicy {
  /** Days an ended session (and its refresh tokens) is kept after it ended; 0 = forever. */
  sessionDays: number;
  /** Days an audit event is kept; 0 = forever. */
  auditDays: number;
}

export interface PruneResult {
  sessions: number;
  auditEvents: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows per delete: small enough that no statement holds its locks or its WAL for long. */
const BATCH = 2000;

/**
 * Delete what has outlived its use: sessions that ended more than `sessionDays` ago, with their
 * refresh tokens (the foreign key cascades; every refresh leaves a spent token behind, kept while
 * the session lives to detect reuse), and audit events older than `auditDays`.
 *
 * Realm by realm, in batches, so that every delete walks the (realm_id, created_at) indexes the
 * lists use instead of scanning a whole table, and no statement runs long. An ended session was
 * created before it ended, which bounds the scan. Instances may prune at the same time: the later
 * delete finds the rows gone.
 */
export async function pruneExpiredRecords(em: EntityManager, now: Date, policy: RetentionPolicy): Promise<PruneResult> {
  const result: PruneResult = { sessions: 0, auditEvents: 0 };
  if (policy.sessionDays === 0 && policy.auditDays === 0) return result;
  const realms = await em.getConnection().execute<{ id: string }[]>('select id from realm');

  if (policy.sessionDays > 0) {
    const endedBefore = new Date(now.getTime() - policy.sessionDays * DAY_MS);
    for (const { id } of realms) {
      result.sessions += await deleteInBatches(
        em,
        `delete from session where id in (
           select id from session
            where realm_id = ? and created_at < ? and state <> 'ACTIVE' and terminated_at < ?
            limit ${BATCH})`,
        [id, endedBefore, endedBefore],
      );
    }
  }

  if (policy.auditDays > 0) {
    const before = new Date(now.getTime() - policy.auditDays * DAY_MS);
    // Events of no realm (admin keys and the like) are kept under a null realm_id.
    for (const id of [...realms.map((realm) => realm.id), null]) {
      result.auditEvents += await deleteInBatches(
        em,
        `delete from audit_event where id in (
           select id from audit_event where realm_id ${id === null ? 'is null' : '= ?'} and created_at < ? limit ${BATCH})`,
        id === null ? [before] : [id, before],
      );
    }
  }
  return result;
}

async function deleteInBatches(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await em.getConnection().execute<{ affectedRows: number }>(sql, params, 'run');
    total += deleted.affectedRows;
    if (deleted.affectedRows < BATCH) return total;
  }
}
