import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of a test's own — its own data directory and port, trust auth on
 * 127.0.0.1 — so a test can stop it (as in an outage) and start it again without touching the
 * server everyone else uses. initdb and the server refuse to run as root: as root, they are run
 * as the `postgres` user (runuser, or su), in a temp directory owned by it.
 */
export interface PostgresCluster {
  port: number;
  dataDir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  running(): boolean;
  start(): Promise<void>;
  /** `immediate` is a crash (no checkpoint, connections cut); `fast` a clean shutdown. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /**
   * SIGSTOP every process of the cluster: the server is still "there" (connections open, port
   * listening) but answers nothing — a hung host or a network black hole, not a clean refusal.
   */
  freeze(): Promise<void>;
  /** SIGCONT: the frozen server carries on. */
  thaw(): Promise<void>;
  /** Run SQL through psql (e.g. create database). */
  psql(sql: string, database?: string): Promise<string>;
  /** Stop and delete everything. */
  destroy(): Promise<void>;
  /** The server log, for failure messages. */
  log(): Promise<string>;
}

/** The newest /usr/lib/postgresql/<version>/bin that has initdb, or PG_BIN. */
export function postgresBinDir(): string | null {
  if (process.env.PG_BIN && existsSync(join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : null;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Run a PostgreSQL binary, as the postgres user when we are root. */
async function runAsPostgres(binary: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const options = { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
  if (!isRoot()) return (await run(binary, args, options)).stdout;
  if (existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser')) {
    return (await run('runuser', ['-u', 'postgres', '--', binary, ...args], options)).stdout;
  }
  const quoted = [binary, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  return (await run('su', ['postgres', '-s', '/bin/sh', '-c', quoted], options)).stdout;
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin; set PG_BIN');
  const dir = await mkdtemp(join(tmpdir(), 'tessera-pgcluster-'));
  if (isRoot()) {
    const { uid, gid } = await postgresIds();
    await chown(dir, uid, gid);
  }
  await chmod(dir, 0o700);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  await runAsPostgres(join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], 120_000);

  let running = false;
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`, // unix socket in our own directory, not /var/run/postgresql
    `-c listen_addresses=127.0.0.1`,
    `-c fsync=off`, // a test cluster: durability across a host crash is not what is being tested
    `-c max_connections=50`,
  ].join(' ');

  const clusterPids = async (): Promise<number[]> => {
    const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const children = await run('pgrep', ['-P', String(postmaster)]).then(
      ({ stdout }) => stdout.split('\n').filter(Boolean).map(Number),
      () => [] as number[],
    );
    return [postmaster, ...children];
  };

  const cluster: PostgresCluster = {
    port,
    dataDir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    running: () => running,
    async start() {
      await runAsPostgres(join(bin, 'pg_ctl'), ['-D', dataDir, '-o', serverOptions, '-l', logFile, '-w', '-t', '60', 'start'], 90_000);
      running = true;
    },
    async stop(mode = 'immediate') {
      await runAsPostgres(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], 90_000);
      running = false;
    },
    async freeze() {
      for (const pid of await clusterPids()) process.kill(pid, 'SIGSTOP');
    },
    async thaw() {
      for (const pid of await clusterPids()) process.kill(pid, 'SIGCONT');
    },
    psql: (sql, database = 'postgres') =>
      runAsPostgres(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql]),
    async destroy() {
      if (running) await cluster.stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
  };
  try {
    await cluster.start();
  } catch (error) {
    const log = await cluster.log();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`, { cause: error });
  }
  return cluster;
}
