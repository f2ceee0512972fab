import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/**
 * A piece of SQL and its parameters, made by the `sql` tag. Put into another `sql` template it is
 * spliced in as SQL (its parameters renumbered), not passed as a parameter: that is how the rule
 * fragments of the store files (e.g. a session's liveness) are written once and used by many
 * statements.
 */
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

/**
 * sql`select … where id = ${id}`: every interpolated value becomes a parameter ($1…$n), never
 * text; an interpolated `Sql` becomes part of the text.
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

/** Fragments one after another, `separator` between them. */
sql.join = (fragments: readonly Sql[], separator: Sql): Sql => {
  if (fragments.length === 0) return sql``;
  const strings = ['', ...Array<string>(fragments.length * 2 - 2).fill(''), ''];
  const values = fragments.flatMap((fragment, i) => (i === 0 ? [fragment] : [separator, fragment]));
  return new Sql(strings, values);
};

/** The text of a statement with its parameters numbered, and their values in that order. */
export function render(statement: Sql): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  return { text: write(statement, values, new Map()), values };
}

function write(statement: Sql, values: unknown[], seen: Map<unknown, number>): string {
  let text = statement.strings[0];
  for (let i = 0; i < statement.values.length; i++) {
    const value = statement.values[i];
    if (value instanceof Sql) text += write(value, values, seen);
    else text += `$${parameterNumber(value, values, seen)}`;
    text += statement.strings[i + 1];
  }
  return text;
}

/**
 * One parameter per value; an object given twice (the `now` of a statement, in every rule
 * fragment it meets) is one parameter. Primitives are not shared: one `null` may be a text in one
 * place and an integer in another, and a parameter has one type.
 */
function parameterNumber(value: unknown, values: unknown[], seen: Map<unknown, number>): number {
  if (typeof value !== 'object' || value === null) return values.push(value);
  let number = seen.get(value);
  if (number === undefined) seen.set(value, (number = values.push(value)));
  return number;
}

/** The part of node-postgres's public `Client#query` (a QueryConfig) that we use. */
interface PgConnection {
  query<Row>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows the statement inserted, updated, deleted or returned. */
  rowCount: number;
}

/**
 * Run one statement as a named — prepared — statement, on the connection of `em`'s transaction
 * when it has one, else on a connection of the ORM's pool (autocommitted). PostgreSQL parses and
 * plans it once per connection instead of on every call, and we skip the ORM's and knex's query
 * building, which on hot paths cost more than the query itself.
 *
 * Statements return fixed columns (or jsonb), never `select *`: a prepared `*` fails once another
 * instance's migration adds a column.
 */
export async function runSql<Row = Record<string, unknown>>(em: EntityManager, statement: Sql): Promise<SqlResult<Row>> {
  const { text, values } = render(statement);
  // knex's transaction client hands out the transaction's own connection; the pool's client, one
  // of the pool (PGlite serves one connection: there is never a second pool).
  const owner: Knex = em.getTransactionContext<Knex.Transaction>() ?? em.getConnection().getKnex();
  const client: Knex.Client = owner.client;
  const connection: PgConnection = await client.acquireConnection();
  try {
    const result = await connection.query<Row>({ name: statementName(text), text, values });
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } finally {
    await client.releaseConnection(connection);
  }
}

/** The rows of one statement (see runSql). */
export async function sqlRows<Row = Record<string, unknown>>(em: EntityManager, statement: Sql): Promise<Row[]> {
  return (await runSql<Row>(em, statement)).rows;
}

const statementNames = new Map<string, string>();

/** A prepared statement's name, one per distinct text (pg refuses one name for two texts). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) statementNames.set(text, (name = `tessera_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`));
  return name;
}
