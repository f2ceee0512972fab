import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresCluster, type PostgresCluster } from './helpers/postgres-cluster.js';
import { startTessera, stopAll, type TesseraProcess } from './helpers/processes.js';
import { openDatabase, type Database } from '../src/db/orm.js';
import { sha256 } from '../src/auth/opaque-tokens.js';

// Faults with real processes (docs/security.md#faults-fail-closed): a PostgreSQL cluster of this
// file's own that the test stops and starts, and Tessera started through its real entry point.
// While the database is down requests fail closed with SERVICE_UNAVAILABLE (no stack, no token),
// /health stays up, /ready says 503; when it returns, Tessera recovers without a restart. A Tessera
// killed with SIGKILL in the middle of logins and refreshes leaves nothing half-written.

const ADMIN_KEY = 'tsa_faults-test-admin-key-0123456789abcdef';
const PASSWORD = 'correct horse battery staple';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 180_000);
afterAll(async () => {
  await stopAll();
  await cluster?.destroy();
}, 60_000);

type GraphQLAnswer = { status: number; text: string; json: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] } | null };

async function gql(tessera: TesseraProcess, query: string, variables: Record<string, unknown> = {}, auth?: string): Promise<GraphQLAnswer> {
  const response = await fetch(`${tessera.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json: GraphQLAnswer['json'] = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, text, json };
}

const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { accessToken refreshToken session { id } } }';
const REFRESH = 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken session { id } } }';

async function seed(tessera: TesseraProcess, realmInput: Record<string, unknown>, users: number) {
  const realm = await gql(
    tessera,
    'mutation ($i: CreateRealmInput!) { createRealm(input: $i) { id } }',
    { i: { name: `faults-${Date.now()}`, ...realmInput } },
    ADMIN_KEY,
  );
  expect(realm.json?.errors, realm.text).toBeUndefined();
  const realmId = realm.json!.data.createRealm.id as string;
  const usernames: string[] = [];
  for (let i = 0; i < users; i++) {
    const username = `user-${i}-${Date.now().toString(36)}`;
    const created = await gql(
      tessera,
      'mutation ($i: CreateUserInput!) { createUser(input: $i) { id } }',
      { i: { realmId, username, password: PASSWORD } },
      ADMIN_KEY,
    );
    expect(created.json?.errors, created.text).toBeUndefined();
    usernames.push(username);
  }
  return { realmId, usernames };
}

async function status(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | null | undefined | false>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function expectNoInternals(text: string) {
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|ECONNREFUSED|select |insert |knex|mikro|postgres:\/\//i);
}

describe('the database goes away and comes back', () => {
  it('fails closed while PostgreSQL is down, keeps /health up, and recovers on its own', async () => {
    await cluster.psql('create database outage');
    const tessera = await startTessera({ DATABASE_URL: cluster.url('outage'), BOOTSTRAP_ADMIN_KEY: ADMIN_KEY });
    const { realmId, usernames } = await seed(tessera, {}, 1);
    const before = await gql(tessera, LOGIN, { i: { realmId, username: usernames[0], password: PASSWORD } });
    expect(before.json?.errors, before.text).toBeUndefined();
    const { accessToken, refreshToken } = before.json!.data.login;

    await cluster.stop('immediate');

    const down = await until('/ready to answer 503', 10_000, async () => ((await status(`${tessera.url}/ready`)) === 503 ? true : null));
    console.log(`database down: /ready 503 after ${down.ms} ms`);
    expect(await status(`${tessera.url}/health`)).toBe(200);

    const failures: { name: string; answer: GraphQLAnswer; ms: number }[] = [];
    const attempt = async (name: string, run: () => Promise<GraphQLAnswer>) => {
      const started = Date.now();
      failures.push({ name, answer: await run(), ms: Date.now() - started });
    };
    await attempt('login', () => gql(tessera, LOGIN, { i: { realmId, username: usernames[0], password: PASSWORD } }));
    await attempt('refresh', () => gql(tessera, REFRESH, { t: refreshToken }));
    await attempt('admin query', () => gql(tessera, '{ realms { edges { node { id } } } }', {}, ADMIN_KEY));
    await attempt('user query', () => gql(tessera, '{ me { user { id } } }', {}, accessToken));
    await attempt('createUser', () =>
      gql(
        tessera,
        'mutation ($i: CreateUserInput!) { createUser(input: $i) { id } }',
        { i: { realmId, username: 'during-outage', password: PASSWORD } },
        ADMIN_KEY,
      ),
    );
    for (const { name, answer, ms } of failures) {
      expectNoInternals(answer.text);
      expect(answer.json, `${name}: ${answer.text}`).not.toBeNull();
      expect(
        answer.json!.errors?.map((e) => e.extensions?.code),
        `${name}: ${answer.text}`,
      ).toEqual(['SERVICE_UNAVAILABLE']);
      // No token of any kind while the database cannot say who is who.
      expect(answer.text, name).not.toMatch(/accessToken"\s*:\s*"|refreshToken"\s*:\s*"/);
      // Failing closed means failing fast, not holding the client for the pool's whole timeout.
      expect(ms, `${name} took ${ms} ms`).toBeLessThan(12_000);
    }
    console.log(`during the outage: ${failures.map((f) => `${f.name} ${f.ms} ms`).join(', ')}`);
    // A token check cannot confirm the session: never valid.
    const check = await gql(tessera, 'query ($t: String!) { verifyToken(token: $t) { valid reason } }', { t: accessToken });
    expectNoInternals(check.text);
    expect(check.json?.data?.verifyToken?.valid ?? false, check.text).toBe(false);
    expect(await status(`${tessera.url}/health`)).toBe(200);
    expect(tessera.alive()).toBe(true);
    // Operators see why requests fail (the client sees only the code).
    expect(tessera.output()).toContain('database unavailable');

    await cluster.start();
    const back = await until('Tessera to recover', 15_000, async () => {
      if ((await status(`${tessera.url}/ready`)) !== 200) return null;
      const answer = await gql(tessera, LOGIN, { i: { realmId, username: usernames[0], password: PASSWORD } });
      return answer.json?.data?.login?.accessToken ? answer : null;
    });
    console.log(`database back: ready and logging in after ${back.ms} ms`);
    // Everything works again, on the same process: reads, writes, the old session's refresh.
    const refreshed = await gql(tessera, REFRESH, { t: refreshToken });
    expect(refreshed.json?.errors, refreshed.text).toBeUndefined();
    const created = await gql(
      tessera,
      'mutation ($i: CreateUserInput!) { createUser(input: $i) { id } }',
      { i: { realmId, username: 'after-outage', password: PASSWORD } },
      ADMIN_KEY,
    );
    expect(created.json?.errors, created.text).toBeUndefined();
    // The user attempted during the outage was not created.
    const users = await gql(tessera, 'query ($r: ID!) { users(realmId: $r, query: "during-outage") { edges { node { id } } } }', { r: realmId }, ADMIN_KEY);
    expect(users.json?.data?.users?.edges, users.text).toEqual([]);
    expect(tessera.output()).not.toMatch(/unhandled|uncaught/i);
    await tessera.stop();
  }, 120_000);
});

describe('the database hangs (a frozen host, a network black hole)', () => {
  it('answers /ready 503 and fails requests in bounded time, then recovers when it answers again', async () => {
    await cluster.psql('create database hang');
    const tessera = await startTessera({ DATABASE_URL: cluster.url('hang'), BOOTSTRAP_ADMIN_KEY: ADMIN_KEY });
    const { realmId, usernames } = await seed(tessera, {}, 1);
    const before = await gql(tessera, LOGIN, { i: { realmId, username: usernames[0], password: PASSWORD } });
    expect(before.json?.errors, before.text).toBeUndefined();

    await cluster.freeze();
    try {
      const started = Date.now();
      const healthStatus = await status(`${tessera.url}/health`);
      expect(healthStatus).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_000);

      const ready = await until('/ready to answer 503', 10_000, async () => ((await status(`${tessera.url}/ready`)) === 503 ? true : null));
      console.log(`database frozen: /ready 503 after ${ready.ms} ms`);

      // A handful at once, more than the pool holds would be worse; these must all come back.
      const calls = await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          const t0 = Date.now();
          const answer =
            i % 2
              ? await gql(tessera, '{ realms { edges { node { id } } } }', {}, ADMIN_KEY)
              : await gql(tessera, LOGIN, { i: { realmId, username: usernames[0], password: PASSWORD } });
          return { answer, ms: Date.now() - t0 };
        }),
      );
      for (const { answer, ms } of calls) {
        expectNoInternals(answer.text);
        expect(
          answer.json?.errors?.map((e) => e.extensions?.code),
          `${answer.text}\n${tessera.output().slice(-2000)}`,
        ).toEqual(['SERVICE_UNAVAILABLE']);
        expect(answer.text).not.toMatch(/accessToken"\s*:\s*"/);
        expect(ms, `took ${ms} ms`).toBeLessThan(25_000);
      }
      console.log(`while frozen: requests failed after ${calls.map((c) => c.ms).join(', ')} ms`);
      expect(await status(`${tessera.url}/health`)).toBe(200);
    } finally {
      await cluster.thaw();
    }

    const back = await until('Tessera to recover', 20_000, async () => {
      if ((await status(`${tessera.url}/ready`)) !== 200) return null;
      const answer = await gql(tessera, LOGIN, { i: { realmId, username: usernames[0], password: PASSWORD } });
      return answer.json?.data?.login?.accessToken ? answer : null;
    });
    console.log(`database thawed: ready and logging in after ${back.ms} ms`);
    await tessera.stop();
  }, 150_000);
});

describe('SIGKILL in the middle of logins and refreshes', () => {
  it('leaves every session with exactly one current refresh token, and nothing half-written', async () => {
    await cluster.psql('create database crash');
    const url = cluster.url('crash');
    const tessera = await startTessera({ DATABASE_URL: url, BOOTSTRAP_ADMIN_KEY: ADMIN_KEY, TRUST_PROXY: 'true' });
    // A small session cap, so logins also evict (login + eviction + events in one transaction).
    const { realmId, usernames } = await seed(tessera, { maxActiveSessions: 3 }, 6);

    const receivedSessions = new Set<string>();
    const receivedRefreshTokens = new Map<string, string>(); // token → session
    const heads = new Map<string, string>(); // session → newest refresh token the client holds
    let stop = false;
    let completed = 0;
    const client = async (worker: number) => {
      const username = usernames[worker % usernames.length];
      while (!stop) {
        try {
          const own = [...heads.entries()].filter((_, i) => i % 8 === worker % 8);
          const refreshing = own.length > 0 && Math.random() < 0.6;
          const answer = refreshing
            ? await fetch(`${tessera.url}/graphql`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.${worker}.1` },
                body: JSON.stringify({ query: REFRESH, variables: { t: own[Math.floor(Math.random() * own.length)][1] } }),
              })
            : await fetch(`${tessera.url}/graphql`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.${worker}.1` },
                body: JSON.stringify({ query: LOGIN, variables: { i: { realmId, username, password: PASSWORD } } }),
              });
          const json = (await answer.json()) as { data?: Record<string, { refreshToken: string; session: { id: string } } | null> };
          const result = json.data?.login ?? json.data?.refresh;
          if (result) {
            receivedSessions.add(result.session.id);
            receivedRefreshTokens.set(result.refreshToken, result.session.id);
            heads.set(result.session.id, result.refreshToken);
            completed++;
          }
        } catch {
          // the process died under us
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, i) => client(i));
    await until('a few logins and refreshes', 30_000, async () => completed >= 30);
    // Let it run a little longer, then kill it mid-flight.
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 500));
    await tessera.kill();
    const atKill = completed;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(workers);
    console.log(`killed after ${atKill} completed logins/refreshes (${receivedSessions.size} sessions seen by clients)`);
    expect(receivedSessions.size).toBeGreaterThan(3);

    // Start it again: it comes up on the same database.
    const again = await startTessera({ DATABASE_URL: url, BOOTSTRAP_ADMIN_KEY: ADMIN_KEY });

    const database: Database = await openDatabase({ databaseUrl: url, dataDir: '' });
    try {
      const em = database.orm.em.fork();
      const sessions = await em.execute<{ id: string; user_id: string; state: string }[]>(`select id, user_id, state from session where realm_id = ?`, [
        realmId,
      ]);
      const ids = new Set(sessions.map((s) => s.id));
      // Every session a client got a token for exists.
      for (const id of receivedSessions) expect(ids.has(id), `session ${id} was handed to a client but is not in the database`).toBe(true);
      // Every session has exactly one current (un-rotated) refresh token.
      const heads = await em.execute<{ id: string; current: number }[]>(
        `select s.id, count(rt.token_hash) filter (where rt.rotated_at is null)::int as current
           from session s left join refresh_token rt on rt.session_id = s.id
          where s.realm_id = ? group by s.id`,
        [realmId],
      );
      const broken = heads.filter((row) => Number(row.current) !== 1);
      expect(broken, JSON.stringify(broken)).toEqual([]);
      // No refresh token without its session.
      const orphans = await em.execute<{ n: number }[]>(
        `select count(*)::int as n from refresh_token rt left join session s on s.id = rt.session_id where s.id is null`,
      );
      expect(Number(orphans[0].n)).toBe(0);
      // Every refresh token a client received is stored (as a hash) for the session it came with.
      const stored = await em.execute<{ token_hash: string; session_id: string }[]>(`select token_hash, session_id from refresh_token where realm_id = ?`, [
        realmId,
      ]);
      const byHash = new Map(stored.map((row) => [row.token_hash, row.session_id]));
      for (const [token, sessionId] of receivedRefreshTokens) expect(byHash.get(sha256(token)), 'a refresh token handed out is not stored').toBe(sessionId);
      // The session cap held through it all: evictions committed with the logins that caused them.
      const active = await em.execute<{ user_id: string; n: number }[]>(
        `select user_id, count(*)::int as n from session where realm_id = ? and state = 'ACTIVE' group by user_id`,
        [realmId],
      );
      for (const row of active) expect(Number(row.n), `user ${row.user_id}`).toBeLessThanOrEqual(3);
      // Every ended session says why and when.
      const unexplained = await em.execute<{ n: number }[]>(
        `select count(*)::int as n from session where realm_id = ? and state <> 'ACTIVE' and (terminated_at is null or termination_reason is null)`,
        [realmId],
      );
      expect(Number(unexplained[0].n)).toBe(0);
    } finally {
      await database.close();
    }

    // And the restarted server works: the newest token of a live session refreshes.
    const liveHead = await (async () => {
      for (const [sessionId, token] of heads) {
        const answer = await gql(again, REFRESH, { t: token });
        if (answer.json?.data?.refresh) return { sessionId, answer };
      }
      return null;
    })();
    expect(liveHead, 'no session could be refreshed after the restart').not.toBeNull();
    expect(liveHead!.answer.json!.data.refresh.session.id).toBe(liveHead!.sessionId);
    await again.stop();
  }, 180_000);
});

describe('migrations', () => {
  it('instances started together on an empty database all start: one migrates, the others wait for it', async () => {
    await cluster.psql('create database rollout');
    const instances = await Promise.all([0, 1, 2].map(() => startTessera({ DATABASE_URL: cluster.url('rollout'), BOOTSTRAP_ADMIN_KEY: ADMIN_KEY })));
    try {
      for (const tessera of instances) {
        const realm = await gql(
          tessera,
          'mutation ($i: CreateRealmInput!) { createRealm(input: $i) { id } }',
          { i: { name: `rollout-${tessera.port}` } },
          ADMIN_KEY,
        );
        expect(realm.json?.errors, realm.text).toBeUndefined();
      }
      const applied = await cluster.psql('select count(*), count(distinct name) from tessera_migrations', 'rollout');
      const [total, distinct] = applied.trim().split('|').map(Number);
      expect(total).toBeGreaterThan(0);
      expect(total).toBe(distinct);
    } finally {
      await Promise.all(instances.map((tessera) => tessera.stop()));
    }
  }, 120_000);

  it('are not cancelled by a statement timeout, not even one the database sets for every session', async () => {
    await cluster.psql('create database slow_migrations');
    const database = await openDatabase({ databaseUrl: cluster.url('slow_migrations'), dataDir: '' });
    try {
      await database.migrate();
      await cluster.psql(`alter database slow_migrations set statement_timeout = '200ms'`);
      // Another session holds the migrations table for 1.5 s: migrating has to wait for it, far
      // longer than the database's statement timeout lets any of its statements run.
      const holder = cluster.psql(
        'begin; set local statement_timeout = 0; lock table tessera_migrations in access exclusive mode; select pg_sleep(1.5); commit;',
        'slow_migrations',
      );
      await until(
        'the lock to be held',
        10_000,
        async () =>
          (
            await cluster.psql(
              `select count(*) from pg_locks where relation = 'tessera_migrations'::regclass and mode = 'AccessExclusiveLock' and granted`,
              'slow_migrations',
            )
          ).trim() === '1',
      );
      const started = Date.now();
      await database.migrate();
      expect(Date.now() - started).toBeGreaterThan(500);
      await holder;
    } finally {
      await database.close();
    }
  }, 60_000);
});
