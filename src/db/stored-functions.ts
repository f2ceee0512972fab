import type { EntityManager } from '@mikro-orm/postgresql';
import { render, runSql, sql, sqlRows, type Sql } from './sql.js';
import { SESSION_FUNCTIONS } from '../session/session-store.sql.js';
import { THROTTLE_FUNCTIONS } from '../auth/throttle-store.js';
import { DELIVERY_FUNCTIONS } from '../delivery/delivery-store.js';

/** A function (or trigger function) the database runs for a store, defined next to its statements. */
export interface StoredFunction {
  /** As regprocedure spells it: the name and the argument types. */
  signature: string;
  /** `create or replace function …`, without parameters. */
  definition: Sql;
}

/** Every stored function, each from the one definition its store keeps. */
export const STORED_FUNCTIONS: StoredFunction[] = [...SESSION_FUNCTIONS, ...THROTTLE_FUNCTIONS, ...DELIVERY_FUNCTIONS];

/**
 * Re-apply the bodies of the stored functions after migrating (inside the migration lock on a
 * server), so that the body the database runs is the one in the store's SQL definitions, built from
 * the same rule fragments as its statements. A body changes with the code; a signature only through
 * a migration: a function missing with its signature stops the start instead of being created
 * (`create or replace` would add an overload beside the migrated one).
 */
export async function applyStoredFunctions(em: EntityManager, functions: StoredFunction[] = STORED_FUNCTIONS): Promise<void> {
  const [{ missing }] = await sqlRows<{ missing: string[] | null }>(
    em,
    sql`select array_agg(signature) filter (where to_regprocedure(signature) is null) as missing
          from unnest(${functions.map((fn) => fn.signature)}::text[]) as signature`,
  );
  if (missing?.length) throw new Error(`stored functions missing (a signature changes only through a migration): ${missing.join(', ')}`);
  for (const fn of functions) {
    if (render(fn.definition).values.length > 0) throw new Error(`the definition of ${fn.signature} has parameters`);
    await runSql(em, fn.definition);
  }
}
