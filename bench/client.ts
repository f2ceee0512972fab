// `npm run bench:client`: @tessera/client/node's verifier, measured in this process (one core)
// against a Tessera started as a child process (so its work is not counted here): managed mode on
// tokens of active sessions (target ≥ 50,000 verifications/s, no request per check), and offline
// HS256 and RS256 verification, with and without the verified-token cache. Prints one table.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { createVerifier, type Verifier, type VerifierOptions } from '../client/src/node.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const USERS = 20;
const SESSIONS_PER_USER = 10; // the realm default maxActiveSessions
const PASSWORD = 'bench password 1234';

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const adminKey = `tsa_bench_${randomBytes(24).toString('base64url')}`;
const dataDir = process.env.DATABASE_URL ? '' : mkdtempSync(join(tmpdir(), 'tessera-bench-client-'));
const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    DATA_DIR: dataDir || './.data',
    BOOTSTRAP_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const verifiers: Verifier[] = [];
try {
  await waitForHealth();
  const hs = await seed('HS256');
  const rs = await seed('RS256');
  const rows: [string, string, string][] = [];

  // Managed mode: every session checked once (one verifyToken each), then only cache hits.
  const counting = countingFetch();
  const managed = track(createVerifier({ issuer: hs.issuer, secret: hs.secret, managed: { adminKey }, fetch: counting.fetchImpl }));
  await until(() => managed.subscriptionState === 'live');
  for (const token of hs.tokens) await managed.verify(token);
  const requestsBefore = counting.requests();
  const managedRate = await rate(managed, hs.tokens);
  const extra = counting.requests() - requestsBefore;
  rows.push([
    `managed, HS256, ${hs.tokens.length} active sessions`,
    perSecond(managedRate),
    `≥ 50,000/s ${managedRate.perSecond >= 50_000 ? 'ok' : 'MISSED'}; ${extra} requests while measuring`,
  ]);

  const rsManaged = track(createVerifier({ issuer: rs.issuer, managed: { adminKey } }));
  await until(() => rsManaged.subscriptionState === 'live');
  for (const token of rs.tokens) await rsManaged.verify(token);
  rows.push([`managed, RS256, ${rs.tokens.length} active sessions`, perSecond(await rate(rsManaged, rs.tokens)), '']);

  rows.push([
    'offline HS256, every token verified (no cache)',
    perSecond(await rate(offline({ issuer: hs.issuer, secret: hs.secret }), hs.tokens)),
    'jose, WebCrypto HMAC',
  ]);
  rows.push(['offline RS256, every token verified (no cache)', perSecond(await rate(offline({ issuer: rs.issuer }), rs.tokens)), 'jose, JWKS fetched once']);
  rows.push([
    'offline HS256, verified-token cache',
    perSecond(await rate(track(createVerifier({ issuer: hs.issuer, secret: hs.secret })), hs.tokens)),
    'a token repeats across requests',
  ]);
  rows.push(['offline RS256, verified-token cache', perSecond(await rate(track(createVerifier({ issuer: rs.issuer })), rs.tokens)), '']);

  console.log(`\n@tessera/client/node verifier — ${SECONDS} s per row, one thread, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}\n`);
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(24)}  ${note}`);
  console.log('');
} finally {
  await Promise.all(verifiers.map((v) => v.close()));
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

function track(verifier: Verifier): Verifier {
  verifiers.push(verifier);
  return verifier;
}

function offline(options: VerifierOptions): Verifier {
  return track(createVerifier({ ...options, tokenCacheSize: 0 }));
}

/** Sequential verifications for SECONDS (after a short warm-up): per second, and CPU µs each. */
async function rate(verifier: Verifier, tokens: string[]): Promise<{ perSecond: number; cpuMicros: number }> {
  const warmUntil = performance.now() + 300;
  for (let i = 0; performance.now() < warmUntil; i++) await verifier.verify(tokens[i % tokens.length]);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let count = 0;
  while (performance.now() < end) {
    for (let j = 0; j < 100; j++) await verifier.verify(tokens[count++ % tokens.length]);
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: count / seconds, cpuMicros: (used.user + used.system) / count };
}

function perSecond(r: { perSecond: number; cpuMicros: number }): string {
  return `${Math.round(r.perSecond).toLocaleString('en-US')}/s (${r.cpuMicros.toFixed(1)} µs CPU)`;
}

async function gql<T>(query: string, variables: Record<string, unknown> = {}, auth: string | null = adminKey): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as { data?: T; errors?: unknown[] };
  if (answer.errors?.length || !answer.data) throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
  return answer.data;
}

/** A realm with USERS × SESSIONS_PER_USER active sessions, and one access token of each. */
async function seed(jwtAlgorithm: 'HS256' | 'RS256') {
  const { createRealm: realm } = await gql<{ createRealm: { id: string; issuer: string; jwtSecret: string | null } }>(
    'mutation($input: CreateRealmInput!) { createRealm(input: $input) { id issuer jwtSecret } }',
    { input: { name: `bench-client-${jwtAlgorithm}-${randomBytes(3).toString('hex')}`, jwtAlgorithm, accessTokenSeconds: 3600 } },
  );
  const tokens: string[] = [];
  for (let u = 0; u < USERS; u++) {
    const username = `user${u}`;
    await gql('mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', {
      input: { realmId: realm.id, kind: 'HUMAN', username, password: PASSWORD },
    });
    // One login at a time: Tessera throttles a burst of logins to one account (RATE_LIMITED).
    for (let s = 0; s < SESSIONS_PER_USER; s++) tokens.push(await login(realm.id, username));
  }
  return { issuer: realm.issuer, secret: realm.jwtSecret ?? undefined, tokens };
}

async function login(realmId: string, username: string): Promise<string> {
  for (;;) {
    try {
      return (
        await gql<{ login: { accessToken: string } }>(
          'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
          { input: { realmId, username, password: PASSWORD } },
          null,
        )
      ).login.accessToken;
    } catch (error) {
      if (!String(error).includes('RATE_LIMITED')) throw error;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

function countingFetch() {
  let requests = 0;
  const fetchImpl: typeof fetch = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  return { fetchImpl, requests: () => requests };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitForHealth(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('Tessera did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
