import type { EntityManager } from '@mikro-orm/postgresql';
import { escapeLike } from '../db/like.js';
import { runSql, sql, sqlRows } from '../db/sql.js';

export interface SealableKeyRow {
  id: string;
  secret: string | null;
  private_key_pem: string | null;
}

/** The column a signing key keeps its secret material in: HS256 `secret`, RS256 `private_key_pem`. */
export type SecretColumn = 'secret' | 'private_key_pem';

const SET_SECRET = { secret: sql`secret`, private_key_pem: sql`private_key_pem` } as const;

/**
 * The statements of sealing signing keys at start (signing-key-sealer.ts). Keys are otherwise
 * written and read through the ORM (realm.service.ts, signing-keys.ts).
 */
export class SigningKeyStore {
  constructor(private readonly em: EntityManager) {}

  /**
   * The keys whose secret material does (`starting: true`) or does not start with `prefix`,
   * locked for update (inside a transaction). Only the rows that need work are read.
   */
  lockWhereSecret(prefix: string, starting: boolean): Promise<SealableKeyRow[]> {
    return sqlRows<SealableKeyRow>(
      this.em,
      sql`select id, secret, private_key_pem from signing_key
           where (coalesce(secret, private_key_pem) like ${`${escapeLike(prefix)}%`}) = ${starting} for update`,
    );
  }

  async writeSecret(id: string, column: SecretColumn, value: string): Promise<void> {
    await runSql(this.em, sql`update signing_key set ${SET_SECRET[column]} = ${value} where id = ${id}`);
  }
}
