import type { EntityManager } from '@mikro-orm/postgresql';
import type { AdminScope } from '../db/entities/index.js';
import { runSql, sql, sqlRows } from '../db/sql.js';

export interface AdminKeyRow {
  id: string;
  name: string;
  key_hash: string;
  scopes: AdminScope[];
  realm_id: string | null;
}

/**
 * The statements on admin keys outside their CRUD (which is the ORM's, admin-keys.ts): the check
 * on every admin request, the bootstrap key, and the re-check of keys behind long-lived streams.
 */
export class AdminKeyStore {
  constructor(private readonly em: EntityManager) {}

  /** The live key with this hash: on every admin request, one indexed row. */
  async findLive(keyHash: string): Promise<AdminKeyRow | null> {
    const [row] = await sqlRows<AdminKeyRow>(
      this.em,
      sql`select id, name, key_hash, scopes, realm_id from admin_key where key_hash = ${keyHash} and revoked_at is null`,
    );
    return row ?? null;
  }

  /**
   * An all-scopes key with this hash, live and of every realm, whatever it was before. Safe when
   * several instances start at once: the insert yields to a concurrent one (unique hash).
   */
  /**
   * The bootstrap key exists with every scope, unless it was revoked: a revoked key stays revoked
   * (a leaked key must not come back with the next restart). Answers whether it is revoked.
   */
  async ensureBootstrap(input: { id: string; keyHash: string; scopes: readonly AdminScope[]; now: Date }): Promise<{ revoked: boolean }> {
    await runSql(
      this.em,
      sql`insert into admin_key (id, name, key_hash, scopes, realm_id, created_at) values (${input.id}, 'bootstrap', ${input.keyHash}, ${JSON.stringify(input.scopes)}, null, ${input.now})
          on conflict (key_hash) do update set realm_id = null, scopes = excluded.scopes where admin_key.revoked_at is null`,
    );
    const [row] = await sqlRows<{ revoked: boolean }>(this.em, sql`select revoked_at is not null as revoked from admin_key where key_hash = ${input.keyHash}`);
    return { revoked: row?.revoked ?? false };
  }

  /** Those of these keys that are not revoked (nor deleted). */
  async liveIds(ids: string[]): Promise<Set<string>> {
    const rows = await sqlRows<{ id: string }>(this.em, sql`select id from admin_key where id = any(${ids}::text[]) and revoked_at is null`);
    return new Set(rows.map((row) => row.id));
  }
}
