import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers/processes.js';
import { afterAll, describe, expect, it } from 'vitest';

// `npm start` on a fresh clone: no DATABASE_URL, the embedded PostgreSQL under DATA_DIR, migrations
// at start, and a clean exit on SIGTERM. Runs the real entry point in its own process.

async function waitFor(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const clean = { ...process.env };
  delete clean.DATABASE_URL;
  delete clean.REDIS_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...clean, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

describe('npm start with the embedded database', () => {
  it('serves the API from DATA_DIR, keeps data across restarts, and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-embedded-'));
    dirs.push(dataDir);
    const port = await freePort();
    const adminKey = 'tsa_embedded-start-test-key-0123456789abcdef';
    const env = { PORT: String(port), DATA_DIR: dataDir, BOOTSTRAP_ADMIN_KEY: adminKey };

    const first = start(env);
    await waitFor(`http://127.0.0.1:${port}/ready`, 45_000);
    const created = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query: 'mutation { createRealm(input: { name: "Persisted" }) { id name } }' }),
    }).then((r) => r.json());
    const realmId = created.data.createRealm.id as string;
    expect(first.output()).toContain('embedded');
    expect((await readdir(dataDir)).length).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => first.child.on('exit', (code) => resolve(code)));
    first.child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const second = start(env);
    await waitFor(`http://127.0.0.1:${port}/ready`, 45_000);
    const read = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query: 'query ($id: ID!) { realm(id: $id) { name } }', variables: { id: realmId } }),
    }).then((r) => r.json());
    expect(read.data.realm.name).toBe('Persisted');
    const secondExit = new Promise<number | null>((resolve) => second.child.on('exit', (code) => resolve(code)));
    second.child.kill('SIGTERM');
    expect(await secondExit).toBe(0);
  }, 120_000);

  it('refuses to start with a bad setting and names the variable', async () => {
    const bad = start({ PORT: 'eighty', DATA_DIR: join(tmpdir(), 'never-used') });
    const code = await new Promise<number | null>((resolve) => bad.child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(bad.output()).toContain('PORT');
  });
});
