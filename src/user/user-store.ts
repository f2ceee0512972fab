import type { EntityManager } from '@mikro-orm/postgresql';
import { User, type UserKind } from '../db/entities/index.js';
import { hydrate } from '../db/hydrate.js';
import { sql, sqlRows } from '../db/sql.js';

/**
 * The hot read of users (`me` when its snapshot is cold). Writes to users are admin CRUD, through
 * the ORM (UserService); a login's touch of the user rides in its session statement (SessionStore).
 */
export class UserStore {
  constructor(private readonly em: EntityManager) {}

  async find(userId: string, realmId: string): Promise<User | null> {
    const [row] = await sqlRows<{ app_user: Record<string, unknown> }>(
      this.em,
      sql`select to_jsonb(u) as app_user from app_user u where u.id = ${userId} and u.realm_id = ${realmId}`,
    );
    return row ? hydrate(this.em, User, row.app_user) : null;
  }

  /**
   * The user behind an unmanaged token, and the API key it names, in one statement (the cold path
   * of such a token's check, behind SubjectStates). Each null when it does not exist in the realm.
   */
  async tokenSubject(realmId: string, userId: string, apiKeyId: string | null) {
    const [row] = await sqlRows<{ kind: UserKind | null; disabled: boolean | null; key_user_id: string | null; key_revoked: boolean | null }>(
      this.em,
      sql`select u.kind, u.disabled, k.user_id as key_user_id, k.revoked_at is not null as key_revoked
            from (select 1) as one
            left join app_user u on u.id = ${userId} and u.realm_id = ${realmId}
            left join api_key k on k.id = ${apiKeyId} and k.realm_id = ${realmId}`,
    );
    return {
      user: row.kind ? { realmId, kind: row.kind, disabled: row.disabled === true } : null,
      apiKey: row.key_user_id ? { realmId, userId: row.key_user_id, revoked: row.key_revoked === true } : null,
    };
  }

  /**
   * Whether another user of the realm has this email (case-insensitively), asked under a
   * transaction-scoped advisory lock on (realm, address) — inside `em`'s transaction, so that two
   * users claiming one address at once take turns and the second sees the first's commit.
   */
  async claimEmail(realmId: string, email: string, userId: string): Promise<boolean> {
    const folded = email.toLowerCase();
    await sqlRows(this.em, sql`select pg_advisory_xact_lock(hashtextextended(${`email:${realmId}:${folded}`}, 0))`);
    const [taken] = await sqlRows(this.em, sql`select 1 from app_user where realm_id = ${realmId} and lower(email) = ${folded} and id <> ${userId} limit 1`);
    return !taken;
  }
}
