import type { EntityManager } from '@mikro-orm/postgresql';
import { Realm } from '../db/entities/index.js';
import { AuditStore } from '../audit/audit-store.js';
import { SessionStore } from './session-store.js';
import { DeliveryStore } from '../delivery/delivery-store.js';

export interface RetentionPolicy {
  /** Days an ended session (and its refresh tokens) is kept after it ended; 0 = forever. */
  sessionDays: number;
  /** Days an audit event is kept; 0 = forever. */
  auditDays: number;
}

export interface PruneResult {
  sessions: number;
  auditEvents: number;
  /** Finished (SUCCEEDED or FAILED) webhook and back-channel logout deliveries, kept as long as ended sessions. */
  deliveries: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows per delete: small enough that no statement holds its locks or its WAL for long. */
const BATCH = 2000;

/**
 * Delete what has outlived its use: sessions that ended more than `sessionDays` ago, with their
 * refresh tokens (every refresh leaves a spent token behind, kept while the session lives to
 * detect reuse), finished deliveries made before then, and audit events older than `auditDays`.
 *
 * Realm by realm, in batches, so that every delete walks the (realm_id, created_at) indexes the
 * lists use instead of scanning a whole table, and no statement runs long. Instances may prune at
 * the same time: the later delete finds the rows gone.
 */
export async function pruneExpiredRecords(em: EntityManager, now: Date, policy: RetentionPolicy): Promise<PruneResult> {
  const result: PruneResult = { sessions: 0, auditEvents: 0, deliveries: 0 };
  if (policy.sessionDays === 0 && policy.auditDays === 0) return result;
  const realmIds = (await em.find(Realm, {}, { fields: ['id'] })).map((realm) => realm.id);

  if (policy.sessionDays > 0) {
    const sessions = new SessionStore(em);
    const endedBefore = new Date(now.getTime() - policy.sessionDays * DAY_MS);
    for (const id of realmIds) result.sessions += await inBatches(() => sessions.pruneEnded(id, endedBefore, BATCH));
    const deliveries = new DeliveryStore(em);
    result.deliveries = await inBatches(() => deliveries.pruneFinished(endedBefore, BATCH));
  }

  if (policy.auditDays > 0) {
    const audit = new AuditStore(em);
    const before = new Date(now.getTime() - policy.auditDays * DAY_MS);
    // Deleted realms' events stay until their retention too (deleteRealm), found by the
    // REALM_DELETED row under no realm: pruned before that row, which is younger than them all.
    const deletedRealmIds = await audit.deletedRealmIds();
    // Events of no realm (admin keys and the like) are kept under a null realm_id.
    for (const id of [...realmIds, ...deletedRealmIds, null]) result.auditEvents += await inBatches(() => audit.pruneOlderThan(id, before, BATCH));
  }
  return result;
}

async function inBatches(deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < BATCH) return total;
  }
}
