import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRows } from '../db/sql.js';

export interface ClientCredentialRow {
  id: string;
  realm_id: string;
  secret_hash: string;
}

/**
 * The statement on oauth_client outside its CRUD (which is the ORM's, client.service.ts): the
 * client authentication of every OAuth request, one row by primary key, inside its realm.
 */
export class ClientStore {
  constructor(private readonly em: EntityManager) {}

  async credentialOf(realmId: string, clientId: string): Promise<ClientCredentialRow | null> {
    const [row] = await sqlRows<ClientCredentialRow>(
      this.em,
      sql`select id, realm_id, secret_hash from oauth_client where id = ${clientId} and realm_id = ${realmId}`,
    );
    return row ?? null;
  }
}
