import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, useTestServer } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm } from './helpers/factories.js';

// The hot paths were tuned by counting their round trips to the database (docs/performance.md):
// these are the counts, held. A statement is one query the pg driver sends, whoever sends it (a
// store, the ORM, a transaction's begin and commit); the server runs in this process.

const pg = createRequire(import.meta.url)('pg') as { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
const query = pg.Client.prototype.query;
let statements = 0;
beforeAll(() => {
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    statements++;
    return query.apply(this, args);
  };
});
afterAll(() => {
  pg.Client.prototype.query = query;
});

// The catch-up read of the event record (docs/events.md) runs on its own clock, not in a request:
// at its default of once a second it would land in some of the windows counted here. So would the
// delivery worker's poll (WEBHOOK_POLL_SECONDS).
const server = useTestServer({ env: { EVENT_CATCHUP_SECONDS: '60', WEBHOOK_POLL_SECONDS: '3600' } });

/** The statements `work` sends. */
async function statementsOf(work: () => Promise<unknown>): Promise<number> {
  statements = 0;
  await work();
  return statements;
}

/** The EntityManagers `work` forks (a fork per request cost 3–4 % of a refresh's main thread). */
async function forksOf(work: () => Promise<unknown>): Promise<number> {
  const { em } = server.app.deps.orm;
  const fork = em.fork;
  let forks = 0;
  em.fork = (...args) => (forks++, fork.apply(em, args));
  try {
    await work();
  } finally {
    em.fork = fork;
  }
  return forks;
}

const LOGIN = 'mutation L($i: LoginInput!) { login(input: $i) { accessToken refreshToken session { id } } }';
const REFRESH = 'mutation R($t: String!) { refresh(refreshToken: $t) { refreshToken } }';
const ME = '{ me { user { id } } }';
const VERIFY = 'query V($t: String!) { verifyToken(token: $t) { valid } }';
const LIST = 'query S($r: ID!) { sessions(realmId: $r, first: 10) { edges { node { id state ip createdAt } } } }';
const TERMINATE = 'mutation T($id: ID!) { terminateSession(id: $id) { id state } }';

async function seeded() {
  const realm = await seedRealm(server);
  const user = await realm.createUser();
  await user.login(); // the realm's signing key is read once per instance, by its first token
  const login = async () =>
    ok(await server.gql(LOGIN, { i: { realmId: realm.id, username: user.username, password: DEFAULT_PASSWORD } })).login as {
      accessToken: string;
      refreshToken: string;
      session: { id: string };
    };
  return { realm, user, login };
}

describe('round trips of the hot paths', () => {
  it('login: two statements (charge the throttle and read realm and user; open the session)', async () => {
    const { login } = await seeded();
    expect(await statementsOf(login)).toBe(2);
  });

  it('refresh: one statement, and no unit of work of its own', async () => {
    const { login } = await seeded();
    const { refreshToken } = await login();
    let next = '';
    expect(await statementsOf(async () => (next = ok(await server.gql(REFRESH, { t: refreshToken })).refresh.refreshToken))).toBe(1);
    expect(await forksOf(async () => ok(await server.gql(REFRESH, { t: next })))).toBe(0);
  });

  it("listSessions (a user's own): one statement, and no unit of work of its own", async () => {
    const { realm, login } = await seeded();
    const { accessToken } = await login();
    await server.gql(VERIFY, { t: accessToken }); // the session is now cached
    const list = async () => expect(ok(await server.gql(LIST, { r: realm.id }, accessToken)).sessions.edges.length).toBeGreaterThan(0);
    expect(await statementsOf(list)).toBe(1);
    expect(await forksOf(list)).toBe(0);
  });

  it('token check: one indexed read when the session is not cached, none when it is; `me` then needs none', async () => {
    const { login } = await seeded();
    const { accessToken } = await login();
    expect(await statementsOf(async () => expect(ok(await server.gql(VERIFY, { t: accessToken })).verifyToken.valid).toBe(true))).toBe(1);
    expect(await statementsOf(async () => ok(await server.gql(VERIFY, { t: accessToken })))).toBe(0);
    await server.gql(ME, {}, accessToken); // reads the user once
    // …and makes no unit of work either: forking an EntityManager cost more than the whole check.
    const { em } = server.app.deps.orm;
    const fork = em.fork;
    let forks = 0;
    em.fork = (...args) => (forks++, fork.apply(em, args));
    try {
      expect(await statementsOf(async () => expect(ok(await server.gql(ME, {}, accessToken)).me.user.id).toBeTruthy())).toBe(0);
    } finally {
      em.fork = fork;
    }
    expect(forks).toBe(0);
  });

  it("token check of an unmanaged token and of an API user's: one read of the user (and key), then none per request, `me` none after its first", async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED', apiKeyMinutes: null });
    const human = await realm.createUser();
    const robot = await realm.createUser({ kind: 'API' });
    const { apiKey } = await robot.createApiKey();
    await human.login(); // the realm's signing key is read once per instance, by its first token
    const unmanaged = (await human.login()).accessToken as string;
    const api = ok(await server.gql('mutation A($i: ApiKeyLoginInput!) { loginWithApiKey(input: $i) { accessToken } }', { i: { realmId: realm.id, apiKey } }))
      .loginWithApiKey.accessToken as string;
    const verify = (token: string) => async () => expect(ok(await server.gql(VERIFY, { t: token })).verifyToken.valid).toBe(true);
    const me = (token: string) => async () => expect(ok(await server.gql(ME, {}, token)).me.user.id).toBeTruthy();
    const times = (n: number, work: () => Promise<unknown>) => async () => {
      for (let i = 0; i < n; i++) await work();
    };
    for (const token of [unmanaged, api]) {
      // The user's state (and the API key's), read in one statement, then remembered.
      expect(await statementsOf(verify(token))).toBe(1);
      expect(await statementsOf(times(5, verify(token)))).toBe(0);
      await me(token)(); // reads the user's profile once (remembered for 1 s: src/user/user-snapshots.ts)
      expect(await statementsOf(times(3, me(token)))).toBe(0);
    }
  });

  it('terminateSession: one statement for a cached token, one more for an admin key', async () => {
    const { login } = await seeded();
    const own = await login();
    await server.gql(VERIFY, { t: own.accessToken }); // the session is now cached
    const byUser = await statementsOf(async () =>
      expect(
        await forksOf(async () => expect(ok(await server.gql(TERMINATE, { id: own.session.id }, own.accessToken)).terminateSession.state).toBe('TERMINATED')),
      ).toBe(0),
    );
    expect(byUser).toBe(1);
    const other = await login();
    const byAdmin = await statementsOf(async () => ok(await server.gql(TERMINATE, { id: other.session.id }, server.adminKey)));
    expect(byAdmin).toBe(2);
  });
});
