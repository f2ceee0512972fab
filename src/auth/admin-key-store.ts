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

/** How stale `last_used_at` may be: it is a hint for operators, not a write per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The statements on admin keys outside their CRUD (which is the ORM's, admin-keys.ts): the check
 * on every admin request, the bootstrap key, and the re-check of keys behind long-lived streams.
 */
export class AdminKeyStore {
  constructor(private readonly em: EntityManager) {}

  /**
   * The live key with this hash: on every admin request, one indexed row, in one round trip that
   * also moves `last_used_at` when it is more than a minute old. The update's condition reads the
   * row like the select does, so most requests write nothing: a key used all day is written about
   * once a minute, on whichever instance sees it first. Without `now`, a plain read.
   */
  async findLive(keyHash: string, now?: Date): Promise<AdminKeyRow | null> {
    if (!now) {
      const [row] = await sqlRows<AdminKeyRow>(
        this.em,
        sql`select id, name, key_hash, scopes, realm_id from admin_key where key_hash = ${keyHash} and revoked_at is null`,
      );
      return row ?? null;
    }
    const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    const [row] = await sqlRows<AdminKeyRow>(
      this.em,
      sql`with touched as (
            update admin_key set last_used_at = ${now}
             where key_hash = ${keyHash} and revoked_at is null and (last_used_at is null or last_used_at < ${staleBefore})
          )
          select id, name, key_hash, scopes, realm_id from admin_key where key_hash = ${keyHash} and revoked_at is null`,
    );
    return row ?? null;
  }

  /**
   * The bootstrap key exists with every scope, unless it was revoked: a revoked key stays revoked
   * (a leaked key must not come back with the next restart). Answers whether it is revoked. Safe
   * when several instances start at once: the insert yields to a concurrent one (unique hash).
   * Its name is 'bootstrap', or 'bootstrap (<id>)' when a live key already has that name (an
   * earlier BOOTSTRAP_ADMIN_KEY value): live names are unique.
   */
  async ensureBootstrap(input: { id: string; keyHash: string; scopes: readonly AdminScope[]; now: Date }): Promise<{ revoked: boolean }> {
    await runSql(
      this.em,
      sql`insert into admin_key (id, name, key_hash, scopes, realm_id, created_at)
          select ${input.id},
                 case when exists (select 1 from admin_key where name = 'bootstrap' and revoked_at is null) then 'bootstrap (' || ${input.id}::text || ')' else 'bootstrap' end,
                 ${input.keyHash}, ${JSON.stringify(input.scopes)}::jsonb, null, ${input.now}
          on conflict (key_hash) do update set realm_id = null, scopes = excluded.scopes where admin_key.revoked_at is null`,
    );
    const [row] = await sqlRows<{ revoked: boolean }>(this.em, sql`select revoked_at is not null as revoked from admin_key where key_hash = ${input.keyHash}`);
    return { revoked: row?.revoked ?? false };
  }

  /** Is there any admin key at all, live or revoked? (None: a data directory's first start.) */
  async any(): Promise<boolean> {
    const rows = await sqlRows<{ one: number }>(this.em, sql`select 1 as one from admin_key limit 1`);
    return rows.length > 0;
  }

  /** Those of these keys that are not revoked (nor deleted). */
  async liveIds(ids: string[]): Promise<Set<string>> {
    const rows = await sqlRows<{ id: string }>(this.em, sql`select id from admin_key where id = any(${ids}::text[]) and revoked_at is null`);
    return new Set(rows.map((row) => row.id));
  }
}
