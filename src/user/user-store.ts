import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../db/entities/index.js';
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
}
