import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTessera, stopAll, type TesseraProcess } from './helpers/processes.js';
import { ownDatabase } from './helpers/server.js';

// Webhook deliveries across real instances on one PostgreSQL: the queue is in the database, so a
// receiver that was down gets everything once it is up, each attempt made by one instance, and
// an instance killed while holding a claim loses it to another when its lease runs out.

const DATABASE_URL = process.env.DATABASE_URL;

async function gql(at: TesseraProcess, auth: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await fetch(`${at.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors from ${at.url}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** A receiver on a fixed port that can be brought up and down; `hang` keeps requests unanswered. */
function receiverOn(port: number) {
  const ids: string[] = [];
  let server: Server | null = null;
  let hang = false;
  return {
    ids,
    url: `http://127.0.0.1:${port}/hook`,
    set hang(value: boolean) {
      hang = value;
    },
    async up() {
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          ids.push(String(req.headers['webhook-id']));
          if (!hang) res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async down() {
      const closing = server;
      server = null;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(!DATABASE_URL)('webhooks across instances [real PostgreSQL: skipped when DATABASE_URL is not set]', () => {
  const adminKey = `tsa_hooks_${randomBytes(24).toString('base64url')}`;
  let database: Awaited<ReturnType<typeof ownDatabase>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    database = await ownDatabase();
    env = {
      ...database.env,
      BOOTSTRAP_ADMIN_KEY: adminKey,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      PUBLIC_URL: 'http://tessera.hooks.test',
      PASSWORD_HASH_MEMORY_KIB: '7168',
      PASSWORD_HASH_ITERATIONS: '5',
    };
  });
  afterAll(async () => {
    await stopAll();
    await database?.drop();
  });

  async function realmWithEndpoint(at: TesseraProcess, url: string): Promise<string> {
    const { createRealm } = await gql(at, adminKey, `mutation ($input: CreateRealmInput!) { createRealm(input: $input) { id } }`, {
      input: { name: `hooks-${randomBytes(4).toString('hex')}`, maxActiveSessions: 100 },
    });
    await gql(at, adminKey, `mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`, {
      input: { realmId: createRealm.id, url, eventTypes: ['SESSION_TERMINATED'] },
    });
    return createRealm.id;
  }

  /** `perUser` sessions of each of `users` users: users in parallel, each one's logins one after another (as the login throttle counts them). */
  async function sessions(at: TesseraProcess, realmId: string, users: number, perUser: number): Promise<void> {
    const login = `mutation ($input: LoginInput!) { login(input: $input) { accessToken } }`;
    await Promise.all(
      Array.from({ length: users }, async (_, u) => {
        const username = `u${u}-${randomBytes(3).toString('hex')}`;
        const password = 'correct horse battery staple';
        await gql(at, adminKey, `mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { realmId, username, password } });
        for (let i = 0; i < perUser; i++) await gql(at, '', login, { input: { realmId, username, password } });
      }),
    );
  }

  it('an instance killed while holding a claim loses it: another delivers it, with the same webhook-id', { timeout: 180_000 }, async () => {
    const receiver = receiverOn(await freePort());
    receiver.hang = true;
    await receiver.up();
    // Alone, so the claim is surely its.
    const a = await startTessera(env);
    const realmId = await realmWithEndpoint(a, receiver.url);
    await sessions(a, realmId, 1, 1);
    await gql(a, adminKey, `mutation ($r: ID!) { terminateRealmSessions(realmId: $r) }`, { r: realmId });
    await until(() => receiver.ids.length === 1, 20_000, 'the first attempt');
    await a.kill();
    receiver.hang = false;
    const b = await startTessera(env);
    // The lease (60 s) runs out, then b makes the attempt.
    await until(() => receiver.ids.length === 2, 90_000, 'the attempt by the other instance');
    expect(receiver.ids[1]).toBe(receiver.ids[0]);
    await b.stop();
    await receiver.down();
  });

  it('a receiver down while 1,000 sessions end on two instances gets all 1,000 once it is up, none twice', { timeout: 300_000 }, async () => {
    const receiver = receiverOn(await freePort());
    const [a, b] = await Promise.all([startTessera(env), startTessera(env)]);
    const realms = [await realmWithEndpoint(a, receiver.url), await realmWithEndpoint(b, receiver.url)];
    await Promise.all([sessions(a, realms[0], 5, 100), sessions(b, realms[1], 5, 100)]);
    const ended = await Promise.all([
      gql(a, adminKey, `mutation ($r: ID!) { terminateRealmSessions(realmId: $r) }`, { r: realms[0] }),
      gql(b, adminKey, `mutation ($r: ID!) { terminateRealmSessions(realmId: $r) }`, { r: realms[1] }),
    ]);
    expect(ended.map((e) => e.terminateRealmSessions)).toEqual([500, 500]);
    // First attempts fail (connection refused) while it is down…
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await receiver.up();
    // …and the retries (about 5 s later) all arrive.
    await until(() => receiver.ids.length >= 1000, 120_000, '1,000 deliveries');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(receiver.ids).toHaveLength(1000);
    expect(new Set(receiver.ids).size).toBe(1000);
    await Promise.all([a.stop(), b.stop()]);
    await receiver.down();
  });
});
