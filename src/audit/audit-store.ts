import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql, sql, sqlRows } from '../db/sql.js';

/**
 * Statements on audit_event other than its inserts, which are written in the statement or flush
 * of the change they record: the session store's statements for sessions, the ORM's unit of work
 * for admin changes (audit-log.ts).
 */
export class AuditStore {
  constructor(private readonly em: EntityManager) {}

  /**
   * Delete up to `batchSize` events of a realm (null: of no realm, e.g. admin keys) made before
   * `before`, along the (realm_id, created_at) index. Two texts: `realm_id is null` and
   * `realm_id = $1` are different index conditions.
   */
  async pruneOlderThan(realmId: string | null, before: Date, batchSize: number): Promise<number> {
    const realm = realmId === null ? sql`realm_id is null` : sql`realm_id = ${realmId}`;
    const { rowCount } = await runSql(
      this.em,
      sql`delete from audit_event where id in (select id from audit_event where ${realm} and created_at < ${before} limit ${batchSize})`,
    );
    return rowCount;
  }

  /**
   * The ids of deleted realms whose audit rows may still be kept: each deleteRealm leaves one
   * REALM_DELETED row under no realm (read along the realm_id index's null part), kept as long as
   * the rows it outlives.
   */
  async deletedRealmIds(): Promise<string[]> {
    const rows = await sqlRows<{ realm_id: string }>(
      this.em,
      sql`select distinct data->>'realmId' as realm_id from audit_event where realm_id is null and type = 'REALM_DELETED' and data ? 'realmId'`,
    );
    return rows.map((row) => row.realm_id);
  }
}
