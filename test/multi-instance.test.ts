import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/orm.js';
import { authenticateAdminKey, ensureBootstrapAdminKey } from '../src/auth/admin-keys.js';
import { systemClock } from '../src/clock.js';
import { ADMIN_SCOPES } from '../src/db/entities/index.js';
import { startRedis, startTessera, stopAll, type RedisProcess, type TesseraProcess } from './helpers/processes.js';
import { eventually, openWs, within, type RecordedSubscription, type WsConnection } from './helpers/ws-client.js';

// Forced logout across instances: two real Tessera processes on one PostgreSQL, sharing events
// through a private redis-server. A session ended on A must reach the subscribers on B — through
// Redis pub/sub, and through the database re-check when Redis loses the event.

const DATABASE_URL = process.env.DATABASE_URL;

interface GraphQLResponse {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

async function gql(at: TesseraProcess, query: string, variables: Record<string, unknown> = {}, auth: string | null = null): Promise<Record<string, any>> {
  const response = await fetch(`${at.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse;
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors from ${at.url}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const EVENT_FIELDS = 'sessionId userId realmId reason terminatedAt';
const WATCH_OWN = `subscription { sessionTerminated { ${EVENT_FIELDS} } }`;
const REALM_EVENTS = 'subscription ($realmId: ID!) { sessionEvents(realmId: $realmId) { type reason session { id } } }';
type TerminatedEvent = { sessionTerminated: { sessionId: string; userId: string; realmId: string; reason: string; terminatedAt: string } };
type RealmEvent = { sessionEvents: { type: string; reason: string | null; session: { id: string } } };

function newAdminKey(): string {
  return `tsa_multi_${randomBytes(24).toString('base64url')}`;
}

describe.skipIf(!DATABASE_URL)('forced logout across instances [real PostgreSQL: skipped when DATABASE_URL is not set]', () => {
  let redis: RedisProcess;
  let a: TesseraProcess;
  let b: TesseraProcess;
  let db: Database;
  const adminKey = newAdminKey();
  const sockets: WsConnection[] = [];
  let counter = 0;

  beforeAll(async () => {
    redis = await startRedis();
    const common = {
      DATABASE_URL: DATABASE_URL!,
      REDIS_URL: redis.url,
      BOOTSTRAP_ADMIN_KEY: adminKey,
      LOG_LEVEL: 'warn',
      SUBSCRIPTION_RECHECK_SECONDS: '1',
      // Instances behind one load balancer share the issuer; the default (localhost:PORT) differs per port.
      PUBLIC_URL: 'http://tessera.multi.test',
    };
    // A sweeps every second; B never does, so an expiry B hears of was announced by A.
    a = await startTessera({ ...common, SWEEP_INTERVAL_SECONDS: '1' });
    b = await startTessera({ ...common, SWEEP_INTERVAL_SECONDS: '3600' });
    db = await openDatabase({ databaseUrl: DATABASE_URL!, dataDir: '' });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(sockets.map((s) => s.dispose()));
    await db?.close();
    await stopAll();
  });

  function connect(at: TesseraProcess, credential: string): WsConnection {
    const socket = openWs(at.wsUrl, credential);
    sockets.push(socket);
    return socket;
  }

  async function seed(settings: Record<string, unknown> = {}) {
    const { createRealm: realm } = await gql(
      a,
      'mutation ($input: CreateRealmInput!) { createRealm(input: $input) { id } }',
      { input: { name: `multi-${counter++}`, ...settings } },
      adminKey,
    );
    const username = `user-${counter++}`;
    const password = 'correct horse battery staple';
    const { createUser: user } = await gql(
      a,
      'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { realmId: realm.id, kind: 'HUMAN', username, password } },
      adminKey,
    );
    const login = async (at: TesseraProcess = a) =>
      (
        await gql(at, 'mutation ($input: LoginInput!) { login(input: $input) { accessToken refreshToken session { id } } }', {
          input: { realmId: realm.id, username, password },
        })
      ).login as { accessToken: string; refreshToken: string; session: { id: string } };
    return { realmId: realm.id as string, userId: user.id as string, login };
  }

  async function liveSubscriptions(at: TesseraProcess): Promise<number> {
    const text = await (await fetch(`${at.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('tessera_live_subscriptions '));
    return line ? Number(line.split(' ')[1]) : NaN;
  }

  /** Subscribe on `at` to the own session of a token and wait until the instance holds the stream. */
  async function watchOwn(at: TesseraProcess, token: string): Promise<{ ws: WsConnection; sub: RecordedSubscription<TerminatedEvent> }> {
    const before = await liveSubscriptions(at);
    const ws = connect(at, token);
    await ws.connected();
    const sub = ws.subscribe<TerminatedEvent>(WATCH_OWN);
    await eventually(async () => (await liveSubscriptions(at)) > before, 5_000, 'the subscription to be live');
    return { ws, sub };
  }

  /** A realm stream on B that provably hears what A publishes (probe logins on A until one shows). */
  async function realmStreamOnB(seeded: Awaited<ReturnType<typeof seed>>): Promise<RecordedSubscription<RealmEvent>> {
    const ws = connect(b, adminKey);
    await ws.connected();
    const sub = ws.subscribe<RealmEvent>(REALM_EVENTS, { realmId: seeded.realmId });
    for (let attempt = 0; attempt < 20; attempt++) {
      const probe = await seeded.login(a);
      await gql(a, 'mutation { logout }', {}, probe.accessToken);
      const seen = await eventually(() => sub.results.some((r) => r.data?.sessionEvents.session.id === probe.session.id), 300, 'probe').catch(() => false);
      if (seen) return sub;
    }
    throw new Error('the realm stream on B never heard from A');
  }

  async function expectEndedOnB(ws: WsConnection, sub: RecordedSubscription<TerminatedEvent>, expected: Record<string, string>, timeoutMs = 5_000) {
    const result = await sub.result(0, timeoutMs);
    expect(result.errors).toBeUndefined();
    expect(result.data?.sessionTerminated).toMatchObject(expected);
    expect(await sub.ended()).toEqual({ kind: 'complete' });
    expect((await ws.closed()).code).toBe(4403);
  }

  function terminationOf(stream: RecordedSubscription<RealmEvent>, sessionId: string) {
    return eventually(
      () => stream.results.map((r) => r.data?.sessionEvents).find((e) => e?.type === 'TERMINATED' && e.session.id === sessionId),
      5_000,
      `the TERMINATED event of ${sessionId} on B's realm stream`,
    );
  }

  it('logout on A reaches the subscriber on B (and B realm streams, through Redis)', async () => {
    const seeded = await seed();
    const stream = await realmStreamOnB(seeded);
    const login = await seeded.login();
    const { ws, sub } = await watchOwn(b, login.accessToken);
    await gql(a, 'mutation { logout }', {}, login.accessToken);
    await expectEndedOnB(ws, sub, { sessionId: login.session.id, userId: seeded.userId, realmId: seeded.realmId, reason: 'LOGOUT' });
    expect((await terminationOf(stream, login.session.id)).reason).toBe('LOGOUT');
  });

  it('admin termination on A reaches the subscriber on B', async () => {
    const seeded = await seed();
    const login = await seeded.login();
    const { ws, sub } = await watchOwn(b, login.accessToken);
    await gql(a, 'mutation ($id: ID!) { terminateSession(id: $id) { id } }', { id: login.session.id }, adminKey);
    await expectEndedOnB(ws, sub, { sessionId: login.session.id, reason: 'TERMINATED_BY_ADMIN' });
  });

  it('terminateRealmSessions on A reaches every subscriber of the realm on B with its own event, and nobody else', async () => {
    const seeded = await seed({ maxActiveSessions: 25 });
    const bystanderRealm = await seed();
    const stream = await realmStreamOnB(seeded);
    const logins: Awaited<ReturnType<typeof seeded.login>>[] = [];
    for (let i = 0; i < 25; i++) logins.push(await seeded.login());
    const subscribers: Awaited<ReturnType<typeof watchOwn>>[] = [];
    for (const login of logins) subscribers.push(await watchOwn(b, login.accessToken));
    const bystander = await watchOwn(b, (await bystanderRealm.login()).accessToken);

    const ended = await gql(a, 'mutation ($realmId: ID!) { terminateRealmSessions(realmId: $realmId) }', { realmId: seeded.realmId }, adminKey);
    expect(ended.terminateRealmSessions).toBe(25); // the probes of realmStreamOnB logged out already
    await Promise.all(
      subscribers.map(({ ws, sub }, i) =>
        expectEndedOnB(ws, sub, { sessionId: logins[i].session.id, userId: seeded.userId, realmId: seeded.realmId, reason: 'TERMINATED_BY_ADMIN' }),
      ),
    );
    for (const { sub } of subscribers) expect(sub.results).toHaveLength(1);
    for (const login of logins) expect((await terminationOf(stream, login.session.id)).reason).toBe('TERMINATED_BY_ADMIN');
    expect(bystander.sub.results).toHaveLength(0);
    expect(bystander.ws.closes).toHaveLength(0);
  });

  it('an eviction by a login on A reaches the subscriber on B', async () => {
    const seeded = await seed({ maxActiveSessions: 1 });
    const first = await seeded.login();
    const { ws, sub } = await watchOwn(b, first.accessToken);
    const second = await seeded.login(a);
    expect(second.session.id).not.toBe(first.session.id);
    await expectEndedOnB(ws, sub, { sessionId: first.session.id, reason: 'EVICTED' });
  });

  it("an expiry announced by A's sweeper reaches B", async () => {
    const seeded = await seed();
    const stream = await realmStreamOnB(seeded);
    const login = await seeded.login();
    const { ws, sub } = await watchOwn(b, login.accessToken);
    // A child process's clock cannot be moved: move the session's expiry into the past instead.
    await db.orm.em.fork().getConnection().execute(`update session set expires_at = now() - interval '1 second' where id = ?`, [login.session.id]);
    await expectEndedOnB(ws, sub, { sessionId: login.session.id, reason: 'EXPIRED' }, 8_000);
    // B never sweeps: the realm event can only come from A's sweeper, through Redis.
    expect((await terminationOf(stream, login.session.id)).reason).toBe('EXPIRED');
    const [row] = await db.orm.em.fork().getConnection().execute(`select state, termination_reason from session where id = ?`, [login.session.id]);
    expect(row).toEqual({ state: 'EXPIRED', termination_reason: 'EXPIRED' });
  });

  /** `me` with `token` on `at`: the user's id, or the error code that refused it. */
  async function meOn(at: TesseraProcess, token: string): Promise<string> {
    const response = await fetch(`${at.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { user { id } } }' }),
    });
    const body = (await response.json()) as GraphQLResponse;
    return body.data?.me?.user?.id ?? body.errors?.[0]?.extensions?.code ?? 'no answer';
  }

  /** How long after `end()` answered `me` on B first refused the token (docs/security.md#sessions). */
  async function refusedOnBAfter(token: string, end: () => Promise<unknown>, timeoutMs: number): Promise<number> {
    await end();
    const ended = Date.now();
    await eventually(async () => (await meOn(b, token)) === 'UNAUTHENTICATED', timeoutMs, "B to refuse the ended session's token");
    return Date.now() - ended;
  }

  it("refuses an ended session's token on B within the bus's latency: a window of milliseconds, not the 5 s cache backstop", async () => {
    const seeded = await seed();
    const login = await seeded.login();
    // B has checked the token, so it is in B's cache: only an invalidation can end it there early.
    expect(await meOn(b, login.accessToken)).toBe(seeded.userId);
    const window = await refusedOnBAfter(login.accessToken, () => gql(a, 'mutation { logout }', {}, login.accessToken), 4_000);
    expect(window).toBeLessThan(1_000);
  });

  it('survives a Redis outage: the mutation succeeds promptly and B still delivers the event', async () => {
    const seeded = await seed();
    const login = await seeded.login();
    const { ws, sub } = await watchOwn(b, login.accessToken);

    await redis.stop();
    const started = Date.now();
    const ended = await within(
      gql(a, 'mutation ($id: ID!) { terminateSession(id: $id) { id state } }', { id: login.session.id }, adminKey),
      5_000,
      'terminateSession during the Redis outage',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(ended.terminateSession).toEqual({ id: login.session.id, state: 'TERMINATED' });

    // Give the Redis clients time to notice and give up on what they had queued.
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.start();

    await expectEndedOnB(ws, sub, { sessionId: login.session.id, reason: 'TERMINATED_BY_ADMIN' }, 10_000);
    expect(a.alive(), a.output()).toBe(true);
    expect(b.alive(), b.output()).toBe(true);
    expect((await fetch(`${a.url}/health`)).status).toBe(200);
    expect((await fetch(`${b.url}/health`)).status).toBe(200);

    // Pub/sub itself recovers: B's realm streams hear A again.
    const after = await seed();
    const stream = await within(realmStreamOnB(after), 20_000, 'pub/sub to recover after the outage');
    const next = await after.login(a);
    await gql(a, 'mutation { logout }', {}, next.accessToken);
    expect((await terminationOf(stream, next.session.id)).reason).toBe('LOGOUT');
  }, 60_000);

  it("with Redis down, refuses an ended session's token on B through the event record: within EVENT_CATCHUP_SECONDS (1 s) and a read, before the 5 s backstop", async () => {
    const seeded = await seed();
    const login = await seeded.login();
    expect(await meOn(b, login.accessToken)).toBe(seeded.userId);
    await redis.stop();
    try {
      const window = await refusedOnBAfter(
        login.accessToken,
        () => gql(a, 'mutation ($id: ID!) { terminateSession(id: $id) { id } }', { id: login.session.id }, adminKey),
        6_000,
      );
      expect(window).toBeLessThan(3_000);
    } finally {
      await redis.start();
    }
  }, 30_000);
});

describe.skipIf(!DATABASE_URL)('instances starting together [real PostgreSQL: skipped when DATABASE_URL is not set]', () => {
  // Every instance of a deployment starts with the same BOOTSTRAP_ADMIN_KEY, often at the same
  // moment. What each one runs at start, run here at once on one database, as two processes would
  // (a process-level race is too rarely hit to test reliably; this one is hit every time).
  it('two instances bootstrapping the same new admin key at once both succeed', async () => {
    const db = await openDatabase({ databaseUrl: DATABASE_URL!, dataDir: '' });
    try {
      const key = newAdminKey();
      const outcomes = await Promise.allSettled([
        ensureBootstrapAdminKey(db.orm.em.fork(), systemClock, key),
        ensureBootstrapAdminKey(db.orm.em.fork(), systemClock, key),
      ]);
      expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason).slice(0, 200) : 'ok'))).toEqual(['ok', 'ok']);
      const admin = await authenticateAdminKey(db.orm.em.fork(), key, null);
      expect(admin?.scopes.size).toBe(ADMIN_SCOPES.length);
    } finally {
      await db.close();
    }
  });
});
