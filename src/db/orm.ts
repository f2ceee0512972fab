import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConnectionException, MikroORM, PostgreSqlDriver, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { allEntities } from './entities/index.js';
import { migrationsList } from './migrations-list.js';
import { sql, sqlRows } from './sql.js';
import { applyStoredFunctions } from './stored-functions.js';

export interface Database {
  orm: MikroORM;
  /** 'postgresql' for a real server, 'embedded' for PGlite. */
  kind: 'postgresql' | 'embedded';
  /**
   * Applies pending migrations, then the current bodies of the stored functions (stored-functions.ts);
   * `onWait` is told when another instance is applying them first.
   */
  migrate(onWait?: () => void): Promise<void>;
  close(): Promise<void>;
}

export function ormOptions(overrides: Partial<Options> = {}): Options {
  return {
    driver: PostgreSqlDriver,
    entities: allEntities,
    extensions: [Migrator],
    migrations: {
      migrationsList,
      tableName: 'tessera_migrations',
      transactional: true,
      allOrNothing: true,
      path: './migrations',
      emit: 'ts',
      silent: true,
      snapshot: false, // migrations are written by hand; an entity snapshot would mislead migration:create
    },
    // Requests fork their own EntityManager; touching the global one is a bug we want to hear about.
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    debug: false,
    ...overrides,
  };
}

/**
 * The embedded database: PGlite behind the official socket server, so the app talks to it through
 * the same pg driver as to a real server. PGlite serves one connection, hence the pool of one.
 * The socket is a unix socket in a private temp dir, so nothing else on the host can reach it.
 */
async function openEmbedded(dataDir: string): Promise<Database> {
  const inMemory = dataDir === 'memory://';
  let releaseLock = async () => {};
  if (!inMemory) {
    await mkdir(resolve(dataDir), { recursive: true });
    releaseLock = await lockDataDir(resolve(dataDir));
  }
  // PostgreSQL's files live in a subfolder: initdb wants an empty directory, and the lock sits beside it.
  const pglite = inMemory ? new PGlite() : new PGlite(join(resolve(dataDir), 'pgdata'));
  await pglite.waitReady;
  const socketDir = await mkdtemp(join(tmpdir(), 'tessera-pg-'));
  const socketServer = new PGLiteSocketServer({ db: pglite, path: join(socketDir, '.s.PGSQL.5432'), maxConnections: 1 });
  await socketServer.start();
  const orm = await MikroORM.init(
    ormOptions({
      host: socketDir,
      port: 5432,
      user: 'postgres',
      password: 'postgres',
      dbName: 'postgres',
      pool: {
        min: 0,
        max: 1,
        acquireTimeoutMillis: 30_000,
        // PGlite is one session for every connection in turn: statements prepared on a connection
        // the pool has since closed (idle, or broken) are still there, while the new connection's
        // client knows of none and would prepare them again ("already exists"). Start it clean.
        afterCreate: (
          connection: { query(sql: string, done: (error: Error | null) => void): void },
          done: (error: Error | null, connection: unknown) => void,
        ) => connection.query('deallocate all', (error) => done(error, connection)),
      },
    }),
  );
  return {
    orm,
    kind: 'embedded',
    // The data directory's lock already makes this process the only one on these files.
    async migrate() {
      await orm.getMigrator().up();
      await applyStoredFunctions(orm.em.fork());
    },
    async close() {
      await orm.close(true);
      await socketServer.stop();
      await pglite.close();
      await rm(socketDir, { recursive: true, force: true });
      await releaseLock();
    },
  };
}

/**
 * One process per embedded data directory: a second PGlite on the same files (a CLI command while
 * the server runs) would not see the other's writes and can corrupt them. A lock file with the
 * owner's pid refuses the second opener with a clear message; a stale lock (dead pid) is taken over.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = join(dir, 'tessera.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: 'wx' });
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new Error(`The embedded database in ${dir} is in use by process ${owner} (a running Tessera?). Stop it first, or use the API / DATABASE_URL.`, {
          cause: error,
        });
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Bounds on every wait for a real server, so that a database that is down or hung makes requests
 * fail (SERVICE_UNAVAILABLE) in seconds instead of holding clients and pool slots forever:
 * - connect: 5 s; waiting for a pooled connection: 10 s;
 * - statement_timeout (server side) cancels a slow statement after 15 s;
 * - query_timeout (client side) gives up on an answer after 20 s — the server cannot enforce
 *   its own timeout when it is frozen or unreachable (a hung host, a network black hole);
 * - TCP keepalive finds pooled connections whose peer vanished without a FIN.
 */
export const SERVER_CONNECTION_OPTIONS = {
  connectionTimeoutMillis: 5_000,
  statement_timeout: 15_000,
  query_timeout: 20_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
} as const;

async function openServer(databaseUrl: string): Promise<Database> {
  const orm = await MikroORM.init(
    ormOptions({
      clientUrl: databaseUrl,
      pool: { min: 0, max: 10, acquireTimeoutMillis: 10_000 },
      driverOptions: { connection: { ...SERVER_CONNECTION_OPTIONS } },
    }),
  );
  return { orm, kind: 'postgresql', migrate: (onWait) => migrateServer(databaseUrl, onWait), close: () => orm.close(true) };
}

/** Any fixed 64-bit number: the advisory lock every instance takes around migrating. */
const MIGRATION_LOCK_ID = 7_461_829_350;

/**
 * Migrations on a server get a connection of their own:
 * - without the request path's timeouts: a migration that rewrites a big table may rightly run for
 *   minutes, and one cancelled half-way stops every instance from starting (statement_timeout is
 *   set to 0 explicitly, so a database-level default does not apply either);
 * - under an advisory lock: instances started together (a rollout, `docker compose up --scale`) would
 *   otherwise apply the same migrations at once, and all but one fail to start. The others wait, then
 *   find nothing left to do. A session-level lock on the pool's only connection, released at the end
 *   (or by the server if the connection dies).
 */
async function migrateServer(databaseUrl: string, onWait?: () => void): Promise<void> {
  const orm = await MikroORM.init(
    ormOptions({
      clientUrl: databaseUrl,
      pool: { min: 1, max: 1 },
      driverOptions: {
        connection: {
          connectionTimeoutMillis: SERVER_CONNECTION_OPTIONS.connectionTimeoutMillis,
          keepAlive: true,
          options: '-c statement_timeout=0',
        },
      },
    }),
  );
  try {
    const em = orm.em.fork();
    const [{ locked }] = await sqlRows<{ locked: boolean }>(em, sql`select pg_try_advisory_lock(${MIGRATION_LOCK_ID}) as locked`);
    if (!locked) {
      onWait?.();
      await sqlRows(em, sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`);
    }
    try {
      await orm.getMigrator().up();
      await applyStoredFunctions(em);
    } finally {
      await sqlRows(em, sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`);
    }
  } finally {
    await orm.close(true);
  }
}

// SQLSTATEs that mean "the database cannot serve us right now", not "this query is wrong":
// class 08 (connection exception), 53300 too many connections, 57P01-57P03 admin/crash shutdown and
// "cannot connect now" (starting up, in recovery), 57014 statement timeout (an overloaded server).
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[123]|57014)$/;
// What the pg driver, the pool and the socket layer say when the server is gone, hung or refusing.
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|EAI_AGAIN|ENOTFOUND|Connection terminated|Connection ended unexpectedly|Query read timeout|timeout expired|Timeout acquiring a connection|Client has encountered a connection error|Client was closed|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to/i;

/**
 * Is this error (or what it wraps) the database being unreachable, down, hung or overloaded — a
 * fault clients should retry later (SERVICE_UNAVAILABLE) — rather than a bug?
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current) && seen.size < 8) {
    seen.add(current);
    if (current instanceof ConnectionException) return true;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_SQLSTATE.test(code)) return true;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && UNAVAILABLE_MESSAGE.test(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    const next = current as { originalError?: unknown; previous?: unknown; cause?: unknown };
    current = next.originalError ?? next.previous ?? next.cause;
  }
  return false;
}

export async function openDatabase(opts: { databaseUrl: string | null; dataDir: string }): Promise<Database> {
  return opts.databaseUrl ? openServer(opts.databaseUrl) : openEmbedded(opts.dataDir);
}
