import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MikroORM, PostgreSqlDriver, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { allEntities } from './entities/index.js';
import { migrationsList } from './migrations-list.js';

export interface Database {
  orm: MikroORM;
  /** 'postgresql' for a real server, 'embedded' for PGlite. */
  kind: 'postgresql' | 'embedded';
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
  if (!inMemory) await mkdir(resolve(dataDir), { recursive: true });
  const pglite = inMemory ? new PGlite() : new PGlite(resolve(dataDir));
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
      pool: { min: 0, max: 1, acquireTimeoutMillis: 30_000 },
    }),
  );
  return {
    orm,
    kind: 'embedded',
    async close() {
      await orm.close(true);
      await socketServer.stop();
      await pglite.close();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}

async function openServer(databaseUrl: string): Promise<Database> {
  const orm = await MikroORM.init(
    ormOptions({
      clientUrl: databaseUrl,
      pool: { min: 0, max: 10, acquireTimeoutMillis: 10_000 },
      driverOptions: { connection: { connectionTimeoutMillis: 5_000, statement_timeout: 15_000 } },
    }),
  );
  return { orm, kind: 'postgresql', close: () => orm.close(true) };
}

export async function openDatabase(opts: { databaseUrl: string | null; dataDir: string }): Promise<Database> {
  return opts.databaseUrl ? openServer(opts.databaseUrl) : openEmbedded(opts.dataDir);
}

export async function migrate(orm: MikroORM): Promise<void> {
  await orm.getMigrator().up();
}
