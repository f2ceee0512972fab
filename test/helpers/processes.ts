import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Real processes for tests that must cross a process boundary: Tessera instances started through
 * the real entry point (`node --import tsx src/main.ts`) and a private redis-server, each on a free
 * port. Everything started here is remembered so `stopAll()` in afterAll leaves nothing behind.
 */

const running = new Set<ChildProcess>();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitForOk(url: string, timeoutMs: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${url} was ready:\n${output()}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function track(child: ChildProcess): { output: () => string } {
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { output: () => output };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface TesseraProcess {
  url: string;
  wsUrl: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  /** Is the process still running? */
  alive(): boolean;
  /** SIGTERM (graceful) and wait for the exit. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Start Tessera on a free port with the given environment (on top of a clean one: DATABASE_URL and
 * REDIS_URL of the test runner are not inherited unless passed) and wait until /ready answers.
 */
export async function startTessera(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<TesseraProcess> {
  const port = await freePort();
  const clean = { ...process.env };
  delete clean.DATABASE_URL;
  delete clean.REDIS_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...clean, HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'test', SHUTDOWN_DRAIN_SECONDS: '0', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output } = track(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/ready`, readyTimeoutMs, child, output);
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    port,
    child,
    output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

export interface RedisProcess {
  port: number;
  url: string;
  /** Stop the server abruptly (SIGKILL), as in an outage. */
  stop(): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
}

/** A private, non-persistent redis-server on a free port. */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const { output } = track(proc);
    const deadline = Date.now() + 10_000;
    while (!output().includes('Ready to accept connections')) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`redis-server exited:\n${output()}`);
      if (Date.now() > deadline) throw new Error(`redis-server not ready on ${port}:\n${output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (!child) return;
      const proc = child;
      child = null;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    start,
  };
}

/** Kill every process these helpers started (afterAll). */
export async function stopAll(): Promise<void> {
  const children = [...running];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
}
