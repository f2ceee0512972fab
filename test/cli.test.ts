import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTessera, stopAll } from './helpers/processes.js';

// The CLI as an operator runs it (`npm run cli -- …`), on an embedded data directory: with no
// server running it opens the database itself; while a server runs on the directory (which holds
// the database locked) it goes through that server's API. And a fresh directory's first start
// writes the initial admin key to a file only its user can read (docs/operations.md#admin-keys).

const root = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(async () => {
  await stopAll();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-cli-'));
  dirs.push(dir);
  return dir;
}

function cli(dir: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'warn' };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'BOOTSTRAP_ADMIN_KEY', 'KEY_ENCRYPTION_KEY']) delete env[name];
  const child = spawn('npm', ['run', '--silent', 'cli', '--', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const lastLine = (text: string) => text.trim().split('\n').at(-1)!;

async function gql(url: string, query: string, key: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}
const REALMS = '{ realms { edges { node { id } } } }';

describe('npm run cli -- admin-key … without a running server', () => {
  it('says what is wrong: unknown commands (usage, exit 2), lowercase scopes, duplicate names; list has a header', async () => {
    const dir = await dataDir();
    // Refused before the database is opened: these may run side by side.
    const usages = [['frobnicate'], ['admin-key', 'delete', 'x'], [], ['admin-key', 'create'], ['--help']];
    const answers = await Promise.all(usages.map((args) => cli(dir, ...args)));
    for (const [i, answer] of answers.entries()) {
      expect(answer.code, usages[i].join(' ')).toBe(usages[i][0] === '--help' ? 0 : 2);
      expect(answer.code === 0 ? answer.stdout : answer.stderr).toContain('Usage:');
    }

    const lower = await cli(dir, 'admin-key', 'create', '--name', 'ops', '--scope', 'users_read');
    expect(lower.code).toBe(1);
    expect(lower.stderr).toContain("unknown scope 'users_read' (scopes are upper-case: USERS_READ)");

    const created = await cli(dir, 'admin-key', 'create', '--name', 'ops', '--scope', 'USERS_READ', '--scope', 'SESSIONS_READ');
    expect(created.code, created.stderr).toBe(0);
    expect(lastLine(created.stdout)).toMatch(/^tsa_[\w-]{40,}$/);
    const all = await cli(dir, 'admin-key', 'create', '--name', 'everything');
    expect(all.stdout).toContain('ADMIN_KEYS_MANAGE'); // the default: every scope

    const duplicate = await cli(dir, 'admin-key', 'create', '--name', 'ops');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('already named "ops"');

    const listed = await cli(dir, 'admin-key', 'list');
    expect(listed.code).toBe(0);
    const [header, ...rows] = listed.stdout.trim().split('\n');
    expect(header.split('\t')).toEqual(['ID', 'NAME', 'SCOPES', 'REALM', 'STATUS', 'CREATED', 'LAST USED']);
    expect(rows.map((row) => row.split('\t').slice(1, 5))).toEqual([
      ['ops', 'USERS_READ,SESSIONS_READ', '*', 'active'],
      ['everything', 'REALMS_MANAGE,REALMS_READ,USERS_MANAGE,USERS_READ,SESSIONS_READ,SESSIONS_TERMINATE,ADMIN_KEYS_MANAGE', '*', 'active'],
    ]);
    const id = rows[0].split('\t')[0];
    expect(await cli(dir, 'admin-key', 'revoke', id)).toMatchObject({ code: 0, stdout: `revoked ${id}\n` });
    expect((await cli(dir, 'admin-key', 'revoke', id)).code).toBe(1);
  }, 120_000);
});

describe('a first embedded start, and the CLI beside the running server', () => {
  it('writes the initial key to a 0600 file and logs its path only; the CLI works through the server while it runs', async () => {
    const dir = await dataDir();
    const server = await startTessera({ DATA_DIR: dir, LOG_LEVEL: 'info' });
    const keyFile = join(dir, 'initial-admin-key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const initialKey = (await readFile(keyFile, 'utf8')).trim();
    expect(initialKey).toMatch(/^tsa_/);
    expect(server.output()).toContain(keyFile);
    expect(server.output()).not.toContain(initialKey);
    expect((await gql(server.url, REALMS, initialKey)).data?.realms).toBeTruthy();
    // The credential for the CLI is private too, and no key of the database.
    expect((await stat(join(dir, 'local-server.json'))).mode & 0o777).toBe(0o600);

    const created = await cli(dir, 'admin-key', 'create', '--name', 'beside', '--scope', 'REALMS_READ');
    expect(created.code, created.stderr).toBe(0);
    const key = lastLine(created.stdout);
    expect((await gql(server.url, REALMS, key)).data?.realms).toBeTruthy();
    expect((await cli(dir, 'admin-key', 'create', '--name', 'beside')).stderr).toContain('already named "beside"');

    const listed = await cli(dir, 'admin-key', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID\tNAME/);
    expect(rows.slice(1).map((row) => row.split('\t')[1])).toEqual(['initial', 'beside']);
    expect(rows[1].split('\t')[6]).not.toBe('-'); // the initial key was used above
    const id = rows[2].split('\t')[0];
    expect((await cli(dir, 'admin-key', 'revoke', id)).code).toBe(0);
    // Revoked in the running server's database: refused at once.
    expect((await gql(server.url, REALMS, key)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await cli(dir, 'migrate')).stdout).toContain('applied the migrations at its start');
    expect(server.output()).not.toContain('local_'); // the CLI's credential is never logged

    await server.stop();
    await expect(stat(join(dir, 'local-server.json'))).rejects.toThrow();
    // Stopped: the CLI opens the database itself and sees the same keys.
    const offline = await cli(dir, 'admin-key', 'list');
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('revoked');

    // The initial key is written once per data directory, not at every start.
    await rm(keyFile);
    const again = await startTessera({ DATA_DIR: dir, LOG_LEVEL: 'info' });
    await expect(stat(keyFile)).rejects.toThrow();
    expect(again.output()).not.toContain('initial-admin-key');
    await again.kill(); // no graceful stop: a stale local-server.json of a dead process
    const afterCrash = await cli(dir, 'admin-key', 'list');
    expect(afterCrash.code, afterCrash.stderr).toBe(0);
  }, 180_000);
});
