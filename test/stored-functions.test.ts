import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownDatabase } from './helpers/server.js';
import { openDatabase } from '../src/db/orm.js';
import { sql, sqlRows } from '../src/db/sql.js';
import { applyStoredFunctions } from '../src/db/stored-functions.js';

// The stored functions run the bodies of the store's SQL definitions (session-store.sql.ts,
// throttle-store.ts), re-applied after every migration run; their signatures change only through
// migrations. On a database of this file's own: it rewrites a function.

let own: Awaited<ReturnType<typeof ownDatabase>>;
beforeAll(async () => {
  own = await ownDatabase();
}, 60_000);
afterAll(async () => {
  await own?.drop();
});

const open = () => openDatabase({ databaseUrl: own.env.DATABASE_URL || null, dataDir: own.env.DATA_DIR ?? 'memory://' });
const OPEN_SESSION = 'tessera_open_session(text, text, timestamptz, text, integer, text, timestamptz, integer, integer, text, text, text, text, text, jsonb)';

async function definitionOf(database: Awaited<ReturnType<typeof open>>, signature: string): Promise<string | null> {
  const [row] = await sqlRows<{ definition: string | null }>(
    database.orm.em.fork(),
    sql`select case when to_regprocedure(${signature}) is null then null else pg_get_functiondef(to_regprocedure(${signature})) end as definition`,
  );
  return row.definition;
}

describe('stored functions', () => {
  it("run the store's definitions after migrating, and get them back when something else was put there", async () => {
    const database = await open();
    try {
      await database.migrate();
      // The migration's body wrote the deadline as a case expression; the store's rule uses least().
      expect(await definitionOf(database, OPEN_SESSION)).toContain('least(s.expires_at, s.idle_expires_at)');
      await sqlRows(database.orm.em.fork(), sql`create or replace function tessera_audit_id() returns text language sql volatile as $$ select 'aud_x' $$`);
      expect(await definitionOf(database, 'tessera_audit_id()')).not.toContain('clock_timestamp');
    } finally {
      await database.close();
    }
    const again = await open();
    try {
      await again.migrate();
      expect(await definitionOf(again, 'tessera_audit_id()')).toContain('clock_timestamp');
    } finally {
      await again.close();
    }
  });

  it('refuses a definition whose signature no migration made, and creates nothing', async () => {
    const database = await open();
    try {
      const stray = {
        signature: 'tessera_stray(text)',
        definition: sql`create or replace function tessera_stray(p text) returns text language sql as $$ select p $$`,
      };
      await expect(applyStoredFunctions(database.orm.em.fork(), [stray])).rejects.toThrow(/tessera_stray\(text\)/);
      expect(await definitionOf(database, 'tessera_stray(text)')).toBeNull();
    } finally {
      await database.close();
    }
  });
});
