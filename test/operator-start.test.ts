import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FILE_VARIABLES, loadConfig } from '../src/config.js';
import { freePort } from './helpers/processes.js';

// What an operator meets when starting the real entry point (src/main.ts) by hand: PORT=0,
// secrets from files, a busy port, and a new migration (docs/operations.md).

const root = new URL('..', import.meta.url).pathname;
// tsx by path: the migration script runs from a scratch directory without node_modules.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>, cwd = root) {
  const clean = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'BOOTSTRAP_ADMIN_KEY', 'KEY_ENCRYPTION_KEY', 'PORT', 'PUBLIC_URL']) delete clean[name];
  const child = spawn(process.execPath, ['--import', tsx, ...args], {
    cwd,
    env: { ...clean, DATA_DIR: 'memory://', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function until<T>(what: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-operator-'));
  dirs.push(dir);
  return dir;
}

describe('starting Tessera by hand', () => {
  it('PORT=0 listens on a free port that the issuer and JWKS URL name; the admin key may come from a file', async () => {
    const dir = await tempDir();
    const key = 'tsa_operator-start-key-from-a-file-0123456789';
    await writeFile(join(dir, 'admin-key'), `${key}\n`, { mode: 0o600 });
    const server = run(['src/main.ts'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', BOOTSTRAP_ADMIN_KEY_FILE: join(dir, 'admin-key') });
    const graphql = await until(() => /"graphql":"(http:\/\/[^"]+)"/.exec(server.output())?.[1], 60_000, server.output);
    const port = Number(new URL(graphql).port);
    expect(port).toBeGreaterThan(0);

    const answer = await fetch(graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: 'mutation { createRealm(input: { name: "PortZero" }) { id issuer jwksUrl } }' }),
    }).then((r) => r.json());
    const realm = answer.data.createRealm;
    expect(realm.issuer).toBe(`http://localhost:${port}/realms/${realm.id}`);
    expect(new URL(realm.jwksUrl).port).toBe(String(port));
    const jwks = await fetch(`http://127.0.0.1:${port}${new URL(realm.jwksUrl).pathname}`);
    expect(jwks.status).toBe(200);

    // A second server on the same port: one clear line, exit code 1, no stack trace.
    const second = run(['src/main.ts'], { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    expect(await second.exit).toBe(1);
    expect(second.output()).toContain(`Cannot listen: port ${port} on 127.0.0.1 is in use`);
    expect(second.output()).not.toMatch(/EADDRINUSE|at .*\.ts:\d+/);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  }, 120_000);

  it('reads DATABASE_URL, REDIS_URL and METRICS_TOKEN from their _FILE variants too (Docker secrets, with the trailing newline)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-file-vars-'));
    const values = { DATABASE_URL: 'postgres://tessera:s3cret@db:5432/tessera', REDIS_URL: 'redis://:s3cret@redis:6379', METRICS_TOKEN: 'm'.repeat(32) };
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(values)) {
      await writeFile(join(dir, name), `${value}\n`);
      env[`${name}_FILE`] = join(dir, name);
    }
    expect(FILE_VARIABLES).toEqual(expect.arrayContaining(Object.keys(values)));
    expect(loadConfig(env)).toMatchObject({ databaseUrl: values.DATABASE_URL, redisUrl: values.REDIS_URL, metricsToken: values.METRICS_TOKEN });
    await rm(dir, { recursive: true });
  });

  it('reads KEY_ENCRYPTION_KEY and BOOTSTRAP_ADMIN_KEY from their _FILE variants, dropping the trailing newline', async () => {
    const dir = await tempDir();
    const kek = 'k'.repeat(40);
    const adminKey = 'tsa_admin-key-from-a-secret-file-0123456789';
    await writeFile(join(dir, 'kek'), `${kek}\n`);
    await writeFile(join(dir, 'admin-key'), `${adminKey}\r\n`);
    const config = loadConfig({ KEY_ENCRYPTION_KEY_FILE: join(dir, 'kek'), BOOTSTRAP_ADMIN_KEY_FILE: join(dir, 'admin-key') });
    expect(config.keyEncryptionKeys).toEqual([kek]);
    expect(config.bootstrapAdminKey).toBe(adminKey);
  });

  it('refuses a BOOTSTRAP_ADMIN_KEY without the tsa_ prefix at start: exit 2, the variable named, never listening', async () => {
    const port = await freePort();
    const server = run(['src/main.ts'], { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', BOOTSTRAP_ADMIN_KEY: 'x'.repeat(40) });
    expect(await server.exit).toBe(2);
    expect(server.output()).toContain('Invalid configuration: BOOTSTRAP_ADMIN_KEY: must start with "tsa_"');
    expect(server.output()).not.toContain('Tessera listening');
    // Nothing answers on the port it was given.
    await expect(fetch(`http://127.0.0.1:${port}/ready`)).rejects.toThrow();
  }, 120_000);

  it('refuses X together with X_FILE, and a _FILE that cannot be read, naming the variable', async () => {
    const both = run(['src/main.ts'], { PORT: '0', BOOTSTRAP_ADMIN_KEY: 'tsa_' + 'x'.repeat(40), BOOTSTRAP_ADMIN_KEY_FILE: '/etc/hostname' });
    expect(await both.exit).toBe(2);
    expect(both.output()).toContain('BOOTSTRAP_ADMIN_KEY_FILE: set BOOTSTRAP_ADMIN_KEY or BOOTSTRAP_ADMIN_KEY_FILE, not both');
    const missing = run(['src/main.ts'], { PORT: '0', KEY_ENCRYPTION_KEY_FILE: '/nonexistent/kek' });
    expect(await missing.exit).toBe(2);
    expect(missing.output()).toContain('KEY_ENCRYPTION_KEY_FILE: cannot read /nonexistent/kek (ENOENT)');
  }, 120_000);
});

describe('npm run migration:create', () => {
  it('writes a blank migration and lists it in migrations-list.ts; refuses a bad name', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'migrations'));
    await mkdir(join(dir, 'src/db'), { recursive: true });
    await copyFile(join(root, 'src/db/migrations-list.ts'), join(dir, 'src/db/migrations-list.ts'));
    const script = join(root, 'scripts/new-migration.ts');

    const bad = run([script, 'Not A Name'], {}, dir);
    expect(await bad.exit).toBe(2);
    expect(bad.output()).toContain('usage: npm run migration:create -- <name in snake_case');

    const made = run([script, 'webhook_endpoints'], {}, dir);
    expect(await made.exit, made.output()).toBe(0);
    const [file] = await readdir(join(dir, 'migrations'));
    expect(file).toMatch(/^Migration\d{14}_webhook_endpoints\.ts$/);
    const className = file.replace(/\.ts$/, '');
    expect(await readFile(join(dir, 'migrations', file), 'utf8')).toContain(`export class ${className} extends Migration`);
    const list = await readFile(join(dir, 'src/db/migrations-list.ts'), 'utf8');
    expect(list).toContain(`import { ${className} } from '../../migrations/${className}.js';`);
    expect(list.trimEnd()).toMatch(new RegExp(`\\{ name: '${className}', class: ${className} \\},\\n\\];$`));
  }, 120_000);
});
