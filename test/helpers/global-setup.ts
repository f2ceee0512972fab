import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openDatabase } from '../../src/db/orm.js';

/**
 * Before any test file starts (they run two at a time):
 * - @tessera/client is built into client/dist once, with the build script its prepack runs. The
 *   browser tests serve that directory and the package test packs it; each building it itself
 *   would rewrite files another file's page may be loading.
 * - Against a real PostgreSQL (DATABASE_URL), the schema is migrated once, so that the servers the
 *   files start in parallel never race to apply the same migration. Test files share that
 *   database safely: each makes its own realms and never truncates anything.
 */
export default async function setup(): Promise<void> {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: join(import.meta.dirname, '..', '..', 'client') });
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) return;
  const database = await openDatabase({ databaseUrl, dataDir: '' });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
}
