import { openDatabase } from '../../src/db/orm.js';

/**
 * Against a real PostgreSQL (DATABASE_URL), migrate once before the test files start their
 * servers in parallel, so they never race to apply the same migration. Test files share that
 * database safely: each makes its own realms and never truncates anything.
 */
export default async function setup(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) return;
  const database = await openDatabase({ databaseUrl, dataDir: '' });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
}
