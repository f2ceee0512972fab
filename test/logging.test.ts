import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ownDatabase, startTestServer, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { LoginDocument, MeDocument } from './generated/graphql.js';
import { eventually, openWs } from './helpers/ws-client.js';

/** A server whose log lines (made from its LOG_LEVEL, in the real format) are kept in `lines`. */
async function loggedServer(env: Record<string, string>) {
  const lines: string[] = [];
  const server = await startTestServer(env, { logSink: (line) => lines.push(line) });
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { server, lines, entries };
}

describe('LOG_LEVEL=debug', () => {
  let logged: Awaited<ReturnType<typeof loggedServer>>;
  beforeAll(async () => {
    logged = await loggedServer({ LOG_LEVEL: 'debug' });
  });
  afterAll(() => logged.server.close());

  it('writes one line per request: operation, status, duration, caller kind and realm — and never a password or token', async () => {
    const { server } = logged;
    const password = `known-password-${randomBytes(8).toString('hex')}`;
    const realm = await seedRealm(server);
    const user = await realm.createUser({ password });
    const tokens = await user.login();
    const me = await server.gql(MeDocument, {}, tokens.accessToken);
    expect(me.errors).toBeUndefined();
    const wrong = await server.gql(LoginDocument, { input: { realmId: realm.id, username: user.username, password: `${password}-wrong` } });
    expect(errorCode(wrong)).toBe('INVALID_CREDENTIALS');
    // A browser's request (Origin) goes through yoga, not the fast path: it logs too.
    await server.gql(MeDocument, {}, tokens.accessToken, { origin: 'http://elsewhere.test' });

    const requests = logged.entries().filter((entry) => entry.message === 'request');
    const meLines = requests.filter((entry) => entry.operation === 'Me');
    expect(meLines).toHaveLength(2);
    expect(meLines.map((entry) => entry.handler).sort()).toEqual(['fast-path', 'yoga']);
    for (const line of meLines) {
      expect(line).toMatchObject({ level: 'debug', method: 'POST', path: '/graphql', status: 200, caller: 'user', realm: realm.id });
      expect(typeof line.durationMs).toBe('number');
    }
    const logins = requests.filter((entry) => entry.operation === 'Login');
    expect(logins.length).toBe(2);
    expect(logins[0]).toMatchObject({ caller: 'anonymous', handler: 'fast-path', status: 200 });
    expect(requests.some((entry) => entry.operation === 'CreateRealm' && entry.caller === 'admin')).toBe(true);

    const output = logged.lines.join('');
    for (const secret of [password, tokens.accessToken, tokens.refreshToken, server.adminKey]) expect(output).not.toContain(secret);
  });

  it('writes one line per WebSocket operation: name, caller kind, realm and outcome — and never the token', async () => {
    const { server } = logged;
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const tokens = await user.login();
    const ws = openWs(server.wsUrl, tokens.accessToken);
    try {
      await ws.connected();
      const own = ws.subscribe('subscription OwnLogout { sessionTerminated { sessionId reason } }');
      // Another realm's feed is not the user's to read; an unknown field never gets to run.
      const forbidden = ws.subscribe('subscription Feed($realmId: ID!) { sessionEvents(realmId: $realmId) { type } }', { realmId: realm.id });
      const invalid = ws.subscribe('subscription Broken { noSuchField }');
      const me = ws.subscribe('query MeOverSocket { me { user { id } } }');
      await me.result();
      await forbidden.ended();
      await invalid.ended();
      const socketLines = () => logged.entries().filter((entry) => entry.message === 'websocket operation');
      const byName = await eventually(
        () => {
          const lines = new Map(socketLines().map((line) => [line.operation, line]));
          return ['OwnLogout', 'Feed', 'Broken', 'MeOverSocket'].every((name) => lines.has(name)) && lines;
        },
        5_000,
        'a debug line for each of the four operations',
      );
      const caller = { level: 'debug', path: '/graphql', caller: 'user', realm: realm.id };
      expect(byName.get('OwnLogout')).toMatchObject({ ...caller, outcome: 'subscribed' });
      expect(byName.get('Feed')).toMatchObject({ ...caller, outcome: 'refused' });
      expect(byName.get('Broken')).toMatchObject({ ...caller, outcome: 'refused', code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(byName.get('MeOverSocket')).toMatchObject({ ...caller, outcome: 'answered' });
      for (const line of byName.values()) expect(typeof line.durationMs).toBe('number');
      // One line each, written once the operation is answered (not again for its events).
      expect(socketLines().filter((line) => line.realm === realm.id)).toHaveLength(4);
      own.unsubscribe();
    } finally {
      await ws.dispose();
    }
    const output = logged.lines.join('');
    for (const secret of [tokens.accessToken, tokens.refreshToken]) expect(output).not.toContain(secret);
  });

  it('warns of an unknown admin key, without the key', async () => {
    const key = `tsa_unknown_${randomBytes(16).toString('hex')}`;
    const response = await logged.server.gql(MeDocument, {}, key);
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
    const warning = logged.entries().find((entry) => entry.message === 'admin key refused: unknown or revoked');
    expect(warning?.level).toBe('warn');
    expect(
      logged
        .entries()
        .filter((entry) => entry.message === 'request')
        .at(-1),
    ).toMatchObject({ caller: 'refused' });
    expect(logged.lines.join('')).not.toContain(key);
  });

  it('warns of a revoked admin key, without the key', async () => {
    const { server } = logged;
    const created = await server.gql(
      'mutation ($input: CreateAdminKeyInput!) { createAdminKey(input: $input) { adminKey { id } key } }',
      { input: { name: `revoked-${randomBytes(4).toString('hex')}`, scopes: ['REALMS_MANAGE'] } },
      server.adminKey,
    );
    const { adminKey, key } = (created.data as { createAdminKey: { adminKey: { id: string }; key: string } }).createAdminKey;
    const realms = '{ realms(first: 1) { edges { node { id } } } }';
    expect((await server.gql(realms, {}, key)).errors).toBeUndefined();
    expect((await server.gql('mutation ($id: ID!) { revokeAdminKey(id: $id) }', { id: adminKey.id }, server.adminKey)).errors).toBeUndefined();
    const before = logged.entries().length;

    expect(errorCode(await server.gql(realms, {}, key))).toBe('UNAUTHENTICATED');
    const warning = logged
      .entries()
      .slice(before)
      .find((entry) => entry.message === 'admin key refused: unknown or revoked');
    expect(warning?.level).toBe('warn');
    expect(logged.lines.join('')).not.toContain(key);
  });

  it('warns of a revoked API key used, to log in or in a token, naming the key and never the key or the token', async () => {
    const { server } = logged;
    const realm = await seedRealm(server);
    const robot = await realm.createUser({ kind: 'API' });
    const { apiKey, key } = await robot.createApiKey();
    const login = 'mutation ($input: ApiKeyLoginInput!) { loginWithApiKey(input: $input) { accessToken } }';
    const { data } = await server.gql<{ loginWithApiKey: { accessToken: string } }>(login, { input: { realmId: realm.id, apiKey } });
    const token = data!.loginWithApiKey.accessToken;
    expect((await server.gql(MeDocument, {}, token)).errors).toBeUndefined();
    const before = logged.entries().length;
    expect(logged.entries().some((entry) => entry.apiKey === key.id)).toBe(false);
    expect((await server.gql('mutation ($id: ID!) { revokeApiKey(id: $id) }', { id: key.id }, server.adminKey)).errors).toBeUndefined();

    expect(errorCode(await server.gql(login, { input: { realmId: realm.id, apiKey } }))).toBe('INVALID_CREDENTIALS');
    expect(errorCode(await server.gql(MeDocument, {}, token))).toBe('UNAUTHENTICATED');

    const warnings = logged
      .entries()
      .slice(before)
      .filter((entry) => entry.level === 'warn' && entry.apiKey === key.id);
    expect(warnings).toEqual([
      expect.objectContaining({ message: 'API key refused: revoked', realm: realm.id, apiKey: key.id }),
      expect.objectContaining({ message: 'token refused: its API key is revoked', realm: realm.id, user: robot.id, apiKey: key.id }),
    ]);
    const output = logged.lines.join('');
    for (const secret of [apiKey, token]) expect(output).not.toContain(secret);
    // An unknown key is no security event of a known key: no warning names one.
    const unknown = `${apiKey.slice(0, -4)}zzzz`;
    const count = logged.entries().filter((entry) => entry.level === 'warn').length;
    expect(errorCode(await server.gql(login, { input: { realmId: realm.id, apiKey: unknown } }))).toBe('INVALID_CREDENTIALS');
    expect(logged.entries().filter((entry) => entry.level === 'warn')).toHaveLength(count);
  });

  it('warns of a reused refresh token and of throttled logins', async () => {
    const { server } = logged;
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const first = await user.login();
    const refresh = `mutation Refresh($refreshToken: String!) { refresh(refreshToken: $refreshToken) { refreshToken } }`;
    expect((await server.gql(refresh, { refreshToken: first.refreshToken })).errors).toBeUndefined();
    server.clock.advance(10 * 60_000);
    await server.gql(refresh, { refreshToken: first.refreshToken });
    expect(logged.entries().find((entry) => entry.message === 'refresh token reused: its session was ended')).toMatchObject({ level: 'warn', realm: realm.id });

    let throttled = false;
    for (let i = 0; i < 30 && !throttled; i++) {
      const response = await server.gql(LoginDocument, { input: { realmId: realm.id, username: user.username, password: `wrong-${i}` } });
      throttled = errorCode(response) === 'RATE_LIMITED';
    }
    expect(throttled).toBe(true);
    expect(logged.entries().find((entry) => entry.message === 'request throttled')?.level).toBe('warn');
  });
});

describe('LOG_LEVEL=info', () => {
  it('writes no request lines (the level is obeyed)', async () => {
    const logged = await loggedServer({ LOG_LEVEL: 'info' });
    try {
      await logged.server.gql(MeDocument, {});
      // …over WebSocket too.
      const ws = openWs(logged.server.wsUrl, logged.server.adminKey);
      try {
        await ws.connected();
        await ws.subscribe('query Socket { __typename }').result();
      } finally {
        await ws.dispose();
      }
      expect(logged.lines.length).toBeGreaterThan(0); // "database ready" and such
      expect(logged.entries().filter((entry) => entry.level === 'debug')).toEqual([]);
    } finally {
      await logged.server.close();
    }
  });
});

describe('an instance with another PUBLIC_URL', () => {
  it('refuses the other one’s tokens as invalid, and says why at debug: issuer mismatch, expected X, got Y', async () => {
    const database = await ownDatabase();
    let first: TestServer | undefined;
    let second: Awaited<ReturnType<typeof loggedServer>> | undefined;
    try {
      first = await startTestServer({ ...database.env, PUBLIC_URL: 'http://a.tessera.test' });
      const realm = await seedRealm(first);
      const user = await realm.createUser();
      const tokens = await user.login();
      await first.close();
      first = undefined;
      // Same database, another PUBLIC_URL: the key is known, the issuer is not this instance's.
      second = await loggedServer({ ...database.env, PUBLIC_URL: 'http://b.tessera.test', LOG_LEVEL: 'debug' });
      const response = await second.server.gql(MeDocument, {}, tokens.accessToken);
      expect(errorCode(response)).toBe('UNAUTHENTICATED');
      expect(response.errors?.[0].message).toBe('Invalid or expired token');
      expect(second.entries().find((entry) => entry.message === 'token refused: issuer mismatch')).toMatchObject({
        level: 'debug',
        expected: `http://b.tessera.test/realms/${realm.id}`,
        got: `http://a.tessera.test/realms/${realm.id}`,
      });
      expect(second.lines.join('')).not.toContain(tokens.accessToken);
    } finally {
      await first?.close();
      await second?.server.close();
      await database.drop();
    }
  });
});
