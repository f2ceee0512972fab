import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

interface PooledClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}
interface KnexClient {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(connection: PooledClient): Promise<void>;
}

/**
 * One statement of a hot path (token checks, refresh, login, terminate), run on its own outside
 * any transaction: a named — prepared — statement on a connection of the ORM's pool. PostgreSQL
 * parses and plans it once per connection instead of on every call, and we skip the ORM's and
 * knex's query building, which cost more than the query itself on these paths.
 *
 * Statements return fixed columns (or jsonb), never `select *`: a prepared `*` fails once another
 * instance's migration adds a column.
 */
export async function hotQuery<T>(em: EntityManager, text: string, values: unknown[]): Promise<T[]> {
  const client = em.getConnection().getKnex().client as unknown as KnexClient;
  const connection = await client.acquireConnection();
  try {
    return (await connection.query({ name: statementName(text), text, values })).rows as T[];
  } finally {
    await client.releaseConnection(connection);
  }
}

const statementNames = new Map<string, string>();

/** A prepared statement's name, one per distinct text (pg refuses one name for two texts). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) statementNames.set(text, (name = `tessera_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`));
  return name;
}
