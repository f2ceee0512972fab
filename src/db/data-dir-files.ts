import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

// Files an embedded server keeps beside its database in DATA_DIR, readable by its user alone
// (0600): whoever can read DATA_DIR can read (and rewrite) the whole database anyway, so these
// grant nothing more than the directory already does (docs/operations.md#admin-keys).

/** The first admin key of a fresh data directory (written once, never logged). */
export const INITIAL_ADMIN_KEY_FILE = 'initial-admin-key';
/** Where a running server tells the CLI beside it how to reach it: { pid, url, key }. */
export const LOCAL_SERVER_FILE = 'local-server.json';

export interface LocalServer {
  pid: number;
  /** Its GraphQL endpoint, on an address of this host. */
  url: string;
  /** The credential for the CLI (auth/local-operator.ts), valid while that process lives. */
  key: string;
}

export function dataDirFile(dataDir: string, name: string): string {
  return join(resolve(dataDir), name);
}

/**
 * Write a file that only this user may read: created 0600 under a temporary name, then renamed
 * over the target, so no reader ever sees it half-written or with looser permissions.
 */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
  await chmod(temporary, 0o600); // mode is only a request (umask); say it again
  await rename(temporary, path);
}

export async function writeLocalServer(dataDir: string, server: LocalServer): Promise<void> {
  await writePrivateFile(dataDirFile(dataDir, LOCAL_SERVER_FILE), `${JSON.stringify(server)}\n`);
}

/** Remove this process's local-server file (not one a newer server wrote). */
export async function removeLocalServer(dataDir: string): Promise<void> {
  const path = dataDirFile(dataDir, LOCAL_SERVER_FILE);
  const current = await readLocalServer(dataDir);
  if (current && current.pid !== process.pid) return;
  await rm(path, { force: true });
}

/** The server running for this data directory, or null (no file, unreadable, or its process is gone). */
export async function readLocalServer(dataDir: string): Promise<LocalServer | null> {
  let parsed: Partial<LocalServer>;
  try {
    parsed = JSON.parse(await readFile(dataDirFile(dataDir, LOCAL_SERVER_FILE), 'utf8')) as Partial<LocalServer>;
  } catch {
    return null;
  }
  if (typeof parsed.pid !== 'number' || typeof parsed.url !== 'string' || typeof parsed.key !== 'string') return null;
  return isAlive(parsed.pid) ? (parsed as LocalServer) : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
