// Where the machine's CPU time goes during a phase, from Linux's /proc: this process's main thread
// and its other threads (libuv's pool, where argon2 runs, and V8's compiler and GC), the PostgreSQL
// and Redis servers on this machine, the load client, and the time no one used. Read before and
// after a phase; the difference divided by the operations done says what one operation cost whom.
// Elsewhere (no /proc) it reads nothing and the bench prints no breakdown.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

export interface CpuSnapshot {
  at: number;
  /** CPU milliseconds, cumulative */
  serverMainThread: number;
  serverOtherThreads: number;
  postgres: number;
  redis: number;
  loadClient: number;
  idle: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports
export const cpuAccountingAvailable = existsSync('/proc/self/stat') && existsSync('/proc/stat');

/** utime + stime of a /proc/<pid>[/task/<tid>]/stat file, in milliseconds (0 when it is gone). */
function cpuMillis(statPath: string): number {
  try {
    const text = readFileSync(statPath, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function commandName(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** A PostgreSQL client backend's title names its database: `postgres: 15/main: user db 127.0.0.1(5555) idle`. */
const CLIENT_BACKEND = /^postgres: .*?: \S+ (\S+) (?:[\d.:a-f]+\(\d+\)|\[local\])/;

let countedDatabase: string | null = null;
/**
 * Count only the client backends of this database (and every server process that serves no one
 * client: WAL writer, checkpointer, …): on a shared machine other people's tests use the same server.
 */
export function countPostgresOf(database: string | null): void {
  countedDatabase = database;
}

function countsAsOurs(pid: string): boolean {
  if (!countedDatabase) return true;
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    const backend = CLIENT_BACKEND.exec(title);
    return !backend || backend[1] === countedDatabase;
  } catch {
    return false;
  }
}

export function cpuSnapshot(loadClientPid: number | undefined): CpuSnapshot {
  const total = cpuMillis('/proc/self/stat');
  const main = cpuMillis(`/proc/self/task/${process.pid}/stat`);
  let postgres = 0;
  let redis = 0;
  // PostgreSQL's processes: backends (of this database, see countPostgresOf), WAL writer,
  // checkpointer. Only the phase's difference is used. A backend that exits meanwhile
  // takes its time with it: the bench keeps its connections open.
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const name = commandName(pid);
    if (name === 'postgres' && countsAsOurs(pid)) postgres += cpuMillis(`/proc/${pid}/stat`);
    else if (name === 'redis-server') redis += cpuMillis(`/proc/${pid}/stat`);
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return {
    at: performance.now(),
    serverMainThread: main,
    serverOtherThreads: total - main,
    postgres,
    redis,
    loadClient: loadClientPid ? cpuMillis(`/proc/${loadClientPid}/stat`) : 0,
    idle: ((cpu[3] + cpu[4]) * 1000) / TICKS_PER_SECOND, // idle + iowait, all cores
  };
}

/** CPU milliseconds, by consumer. */
export type CpuTotals = Omit<CpuSnapshot, 'at'>;
const CONSUMERS = ['serverMainThread', 'serverOtherThreads', 'postgres', 'redis', 'loadClient', 'idle'] as const;

/** CPU milliseconds spent between two snapshots, by consumer. */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): CpuTotals {
  return Object.fromEntries(CONSUMERS.map((key) => [key, after[key] - before[key]])) as CpuTotals;
}

/** Two spans' CPU together (`sum` null: nothing yet). */
export function cpuSum(sum: CpuTotals | null, spent: CpuTotals): CpuTotals {
  return Object.fromEntries(CONSUMERS.map((key) => [key, (sum?.[key] ?? 0) + spent[key]])) as CpuTotals;
}

/** CPU milliseconds per operation, by consumer. */
export function cpuPerOperation(spent: CpuTotals, operations: number): CpuTotals {
  return Object.fromEntries(CONSUMERS.map((key) => [key, spent[key] / operations])) as CpuTotals;
}
