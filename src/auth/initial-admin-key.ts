import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import { INITIAL_ADMIN_KEY_FILE, dataDirFile, writePrivateFile } from '../db/data-dir-files.js';
import { AdminKeyStore } from './admin-key-store.js';
import { createAdminKey } from './admin-keys.js';

/**
 * A fresh embedded install's first key, so that `npm start` alone is enough to begin: when the
 * database has no admin key at all (none was ever made, none revoked) and no BOOTSTRAP_ADMIN_KEY
 * is set, one all-scopes key named 'initial' is written to DATA_DIR/initial-admin-key (0600).
 * The key row and the file are made together: the row commits only after the file is written,
 * and a start that failed in between finds no key and writes a new file. Answers the file's
 * path when it wrote one (to log the path — never the key), else null.
 */
export async function writeInitialAdminKey(orm: MikroORM, clock: Clock, dataDir: string): Promise<string | null> {
  const em = orm.em.fork();
  if (await new AdminKeyStore(em).any()) return null;
  const path = dataDirFile(dataDir, INITIAL_ADMIN_KEY_FILE);
  await em.transactional(async (tx) => {
    const { secret } = await createAdminKey(tx, clock, { name: 'initial' });
    await writePrivateFile(path, `${secret}\n`);
  });
  return path;
}
