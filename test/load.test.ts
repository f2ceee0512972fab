import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, ok, errorCode, type TestServer } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm } from './helpers/factories.js';
import { openWs, type RecordedSubscription, type WsConnection } from './helpers/ws-client.js';
import { RefreshDocument } from './generated/graphql.js';
import { RefreshToken, Session, User } from '../src/db/entities/index.js';
import { newId } from '../src/db/ids.js';
import { buildClaims } from '../src/token/claims.js';
import { sha256 } from '../src/auth/opaque-tokens.js';

// Load (docs/performance.md has the full benchmark): concurrent refreshes of one token, a burst of
// logins, and a thousand live WebSocket subscribers that all hear a realm-wide logout. Figures are
// printed for the report.

let server: TestServer;
beforeAll(async () => {
  // The periodic re-check of live subscriptions is pushed out of the way: events must arrive
  // through the event bus, at once, not through the safety net.
  server = await startTestServer({ TRUST_PROXY: 'true', SUBSCRIPTION_RECHECK_SECONDS: '3600' });
});
afterAll(async () => {
  await server?.close();
});

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function healthProbe(url: string) {
  let done = false;
  const samples: { status: number; ms: number }[] = [];
  const running = (async () => {
    while (!done) {
      const started = performance.now();
      const response = await fetch(`${url}/health`).catch(() => null);
      samples.push({ status: response?.status ?? 0, ms: performance.now() - started });
      await response?.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      done = true;
      await running;
      return samples;
    },
  };
}

describe('refresh under concurrency', () => {
  it('20 parallel refreshes of one token all succeed and leave exactly one valid head', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const answers = await Promise.all(Array.from({ length: 20 }, () => server.gql(RefreshDocument, { refreshToken: login.refreshToken! })));
    for (const answer of answers) expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    const next = new Set(answers.map((answer) => answer.data!.refresh.refreshToken));
    // Two tabs (or twenty) get the same successor: one head, nothing to fight over.
    expect(next.size).toBe(1);
    const [head] = next;
    for (const answer of answers) expect(answer.data!.refresh.session!.state).toBe('ACTIVE');

    const em = server.app.deps.orm.em.fork();
    const tokens = await em.find(RefreshToken, { sessionId: login.session!.id });
    const current = tokens.filter((token) => token.rotatedAt === null);
    expect(current).toHaveLength(1);
    expect(current[0].tokenHash).toBe(sha256(head!));
    expect(tokens).toHaveLength(2);
    // The head works; the session is still the same one.
    const again = ok(await server.gql(RefreshDocument, { refreshToken: head! }));
    expect(again.refresh.session!.id).toBe(login.session!.id);
  });
});

describe('a burst of logins', () => {
  it('200 parallel logins all complete, the session cap holds, and the server stays healthy', async () => {
    const realm = await seedRealm(server, { maxActiveSessions: 10 });
    const users = await Promise.all(Array.from({ length: 20 }, () => realm.createUser()));
    const probe = await healthProbe(server.url);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        server.gql(
          'mutation ($i: LoginInput!) { login(input: $i) { accessToken session { id } } }',
          { i: { realmId: realm.id, username: users[i % users.length].username, password: DEFAULT_PASSWORD } },
          null,
          { 'x-forwarded-for': `100.70.${i >> 8}.${i & 255}` },
        ),
      ),
    );
    const elapsed = performance.now() - started;
    const samples = await probe.stop();
    const codes = answers.map((answer) => errorCode(answer) ?? 'OK');
    console.log(
      `200 parallel logins: ${elapsed.toFixed(0)} ms (${((200 / elapsed) * 1000).toFixed(1)}/s); /health max ${Math.max(...samples.map((s) => s.ms)).toFixed(0)} ms over ${samples.length} probes`,
    );
    expect(
      codes.filter((code) => code !== 'OK'),
      JSON.stringify(answers.find((a) => a.errors)?.errors),
    ).toEqual([]);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((sample) => sample.status === 200)).toBe(true);
    expect(new Set(answers.map((answer) => answer.data!.login.session!.id)).size).toBe(200);
    // Ten logins per user with a cap of ten: every user ends with at most ten active sessions.
    const em = server.app.deps.orm.em.fork();
    const active = await em.execute<{ user_id: string; n: number }[]>(
      `select user_id, count(*)::int as n from session where realm_id = ? and state = 'ACTIVE' group by user_id`,
      [realm.id],
    );
    expect(active).toHaveLength(20);
    for (const row of active) expect(Number(row.n)).toBeLessThanOrEqual(10);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  }, 120_000);
});

describe('a thousand live subscribers', () => {
  it('every one of 1,000 WebSocket clients hears terminateRealmSessions, in bounded time and memory', async () => {
    const CLIENTS = 1_000;
    const realm = await seedRealm(server, { maxActiveSessions: 100 });
    const users = await Promise.all(Array.from({ length: 10 }, () => realm.createUser()));
    const em = server.app.deps.orm.em.fork();
    const stored = await em.find(User, { id: { $in: users.map((u) => u.id) } });
    const now = server.clock.now();
    // Sessions seeded straight into the database (a thousand password logins would cost a thousand
    // argon2 runs); their tokens are signed by the server's own keys with the real claim builder.
    const sessions = Array.from({ length: CLIENTS }, (_, i) => {
      const user = stored[i % stored.length];
      return {
        user,
        row: {
          id: newId('ses'),
          realmId: realm.id,
          userId: user.id,
          state: 'ACTIVE' as const,
          createdAt: now,
          lastActiveAt: now,
          expiresAt: new Date(now.getTime() + 600 * 60_000),
          idleTimeoutSeconds: 1800,
          idleExpiresAt: new Date(now.getTime() + 1800_000),
          accessTokenSeconds: 300,
          ip: '127.0.0.1',
          userAgent: 'load-test',
          app: 'load',
          terminatedAt: null,
          terminationReason: null,
        },
      };
    });
    await em.insertMany(
      Session,
      sessions.map((s) => s.row),
    );
    await em.insertMany(
      RefreshToken,
      sessions.map((s) => ({ tokenHash: sha256(randomUUID()), sessionId: s.row.id, realmId: realm.id, createdAt: now, rotatedAt: null, successorSeed: null })),
    );
    const tokens = await Promise.all(
      sessions.map(({ user, row }) =>
        server.app.deps.keys.sign(
          realm.id,
          buildClaims({
            realm: { jwtFields: [] },
            user,
            memberships: [],
            sessionId: row.id,
            tokenId: randomUUID(),
            issuedAt: now,
            expiresAt: new Date(now.getTime() + 300_000),
          }) as never,
        ),
      ),
    );

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const connectStarted = performance.now();
    const connections: WsConnection[] = [];
    const subscriptions: RecordedSubscription<{ sessionTerminated: { sessionId: string; reason: string } }>[] = [];
    try {
      for (let i = 0; i < CLIENTS; i++) {
        const connection = openWs(server.wsUrl, tokens[i]);
        connections.push(connection);
        subscriptions.push(connection.subscribe('subscription { sessionTerminated { sessionId reason } }'));
      }
      await Promise.all(connections.map((connection) => connection.connected(60_000)));
      // Each client waits twice on the server: its socket's session watch, and its subscription.
      const deadline = Date.now() + 60_000;
      while (server.app.watchers.size < 2 * CLIENTS) {
        if (Date.now() > deadline) throw new Error(`only ${server.app.watchers.size} waits registered`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const connectMs = performance.now() - connectStarted;
      const rssConnected = process.memoryUsage().rss;

      const terminateStarted = performance.now();
      const ended = ok(await server.gql('mutation ($r: ID!) { terminateRealmSessions(realmId: $r) }', { r: realm.id }, server.adminKey));
      expect(ended.terminateRealmSessions).toBe(CLIENTS);
      const results = await Promise.all(subscriptions.map((subscription) => subscription.result(0, 30_000)));
      const deliveredMs = performance.now() - terminateStarted;
      const rssPeak = process.memoryUsage().rss;

      // Every client got its own session's event: none lost, none crossed.
      for (let i = 0; i < CLIENTS; i++) {
        expect(results[i].errors, JSON.stringify(results[i].errors)).toBeUndefined();
        expect(results[i].data!.sessionTerminated).toEqual({ sessionId: sessions[i].row.id, reason: 'TERMINATED_BY_ADMIN' });
      }
      // …and the server then closes every socket of an ended session.
      const closes = await Promise.all(connections.map((connection) => connection.closed(30_000)));
      expect(closes.filter((close) => close.code !== 4403)).toEqual([]);

      console.log(
        `1,000 WebSocket subscribers: connected and subscribed in ${connectMs.toFixed(0)} ms; ` +
          `terminateRealmSessions → all events delivered in ${deliveredMs.toFixed(0)} ms; ` +
          `RSS (server + clients + embedded db in one process) ${mib(rssBefore)} before, ${mib(rssConnected)} connected, ${mib(rssPeak)} after delivery`,
      );
      expect(deliveredMs).toBeLessThan(15_000);
      // ~1,000 sockets on each side and their subscriptions: a few hundred KiB each at most.
      expect(rssConnected - rssBefore).toBeLessThan(400 * 1024 * 1024);
      expect(rssPeak - rssBefore).toBeLessThan(500 * 1024 * 1024);
      // Nothing left behind on the server.
      const deadlineClean = Date.now() + 10_000;
      while (server.app.watchers.size > 0 && Date.now() < deadlineClean) await new Promise((r) => setTimeout(r, 100));
      expect(server.app.watchers.size).toBe(0);
    } finally {
      await Promise.all(connections.map((connection) => connection.dispose().catch(() => undefined)));
    }
  }, 90_000);
});
