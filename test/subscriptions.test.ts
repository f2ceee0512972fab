import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, ok, errorCode, type TestServer } from './helpers/server.js';
import { createAdminKey, seedRealm, type SeededRealm } from './helpers/factories.js';
import { authenticateAdminKey, revokeAdminKey } from '../src/auth/admin-keys.js';
import { codeOf, eventually, openWs, sleep, within, type RecordedSubscription, type WsConnection } from './helpers/ws-client.js';

// Real-time forced logout, end to end: a real server on a real port, graphql-ws and SSE clients,
// every termination reason, who may watch what, socket lifecycle, the lost-event re-check, metrics.

let server: TestServer;
const connections: WsConnection[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.allSettled(connections.map((c) => c.dispose()));
  await server?.close();
});

const EVENT_FIELDS = 'sessionId userId realmId reason terminatedAt';
const WATCH_OWN = `subscription { sessionTerminated { ${EVENT_FIELDS} } }`;
const WATCH_BY_ID = `subscription Watch($sessionId: ID) { sessionTerminated(sessionId: $sessionId) { ${EVENT_FIELDS} } }`;
const REALM_EVENTS = `subscription RealmEvents($realmId: ID!) {
  sessionEvents(realmId: $realmId) { type reason at session { id state terminationReason lastActiveAt } }
}`;

type Login = Awaited<ReturnType<Awaited<ReturnType<SeededRealm['createUser']>>['login']>>;
type TerminatedEvent = { sessionTerminated: { sessionId: string; userId: string; realmId: string; reason: string; terminatedAt: string } };
type RealmEvent = {
  sessionEvents: {
    type: string;
    reason: string | null;
    at: string;
    session: { id: string; state: string; terminationReason: string | null; lastActiveAt: string } | null;
  };
};

function connect(credential: string | null, options?: Parameters<typeof openWs>[2]): WsConnection {
  const connection = openWs(server.wsUrl, credential, options);
  connections.push(connection);
  return connection;
}

/** Wait until this instance is really listening for the end of the session (no sleeps). */
async function untilWatched(sessionId: string, count: number): Promise<void> {
  await eventually(() => server.app.watchers.watching(sessionId) >= count, 5_000, `${count} watcher(s) of ${sessionId}`);
}

/** A user's connection with a subscription to its own session's end, live on the server. */
async function watchOwnSession(login: Login): Promise<{ ws: WsConnection; sub: RecordedSubscription<TerminatedEvent> }> {
  const ws = connect(login.accessToken);
  await ws.connected();
  const sub = ws.subscribe<TerminatedEvent>(WATCH_OWN);
  // One wait for the socket itself (it lives as long as its session), one for the subscription.
  await untilWatched(login.session!.id, 2);
  return { ws, sub };
}

/** The forced-logout contract for the connection's own session: one event, complete, close 4403. */
async function expectForcedLogout(
  ws: WsConnection,
  sub: RecordedSubscription<TerminatedEvent>,
  expected: { sessionId: string; userId: string; realmId: string; reason: string },
): Promise<void> {
  const result = await sub.result(0);
  expect(result.errors).toBeUndefined();
  expect(result.data?.sessionTerminated).toEqual({ ...expected, terminatedAt: expect.any(String) });
  expect(Number.isNaN(Date.parse(result.data!.sessionTerminated.terminatedAt))).toBe(false);
  expect(await sub.ended()).toEqual({ kind: 'complete' });
  expect((await ws.closed()).code).toBe(4403);
  expect(sub.results).toHaveLength(1);
}

/** The first error code of a subscription the server refused (error sink or an errors-only result). */
async function refusal(sub: RecordedSubscription): Promise<string | undefined> {
  const outcome = await within(Promise.race([sub.result(0).then((r) => ({ result: r })), sub.ended().then((end) => ({ end }))]), 5_000, 'the refusal');
  if ('result' in outcome) {
    expect(outcome.result.data ?? null).toBeNull();
    return codeOf(outcome.result);
  }
  expect(outcome.end.kind).toBe('error');
  return outcome.end.kind === 'error' ? codeOf(outcome.end.error) : undefined;
}

async function metricsText(target: { url: string } = server): Promise<string> {
  const response = await fetch(`${target.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function newUserWithLogin(realm: SeededRealm) {
  const user = await realm.createUser();
  const login = await user.login();
  return { user, login };
}

describe('sessionTerminated is delivered for every reason, then the socket of the ended session closes with 4403', () => {
  it('LOGOUT', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    expect(ok(await server.gql('mutation { logout }', {}, login.accessToken)).logout).toBe(true);
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'LOGOUT' });
  });

  it('TERMINATED_BY_USER: another session of the same user ends it', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const other = await user.login();
    const { ws, sub } = await watchOwnSession(login);
    const ended = ok(
      await server.gql('mutation ($id: ID!) { terminateSession(id: $id) { id state terminationReason } }', { id: login.session!.id }, other.accessToken),
    );
    expect(ended.terminateSession).toEqual({ id: login.session!.id, state: 'TERMINATED', terminationReason: 'TERMINATED_BY_USER' });
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'TERMINATED_BY_USER' });
  });

  it('TERMINATED_BY_ADMIN: terminateSession with the admin key', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    ok(await server.gql('mutation ($id: ID!) { terminateSession(id: $id) { id } }', { id: login.session!.id }, server.adminKey));
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'TERMINATED_BY_ADMIN' });
  });

  it('TERMINATED_BY_ADMIN: terminateAllSessions reaches every session of the user', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const second = await user.login();
    const first = await watchOwnSession(login);
    const other = await watchOwnSession(second);
    const count = ok(await server.gql('mutation ($u: ID!) { terminateAllSessions(userId: $u) }', { u: user.id }, server.adminKey));
    expect(count.terminateAllSessions).toBe(2);
    await expectForcedLogout(first.ws, first.sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'TERMINATED_BY_ADMIN' });
    await expectForcedLogout(other.ws, other.sub, { sessionId: second.session!.id, userId: user.id, realmId: realm.id, reason: 'TERMINATED_BY_ADMIN' });
  });

  it('TERMINATED_BY_ADMIN: terminateRealmSessions logs everyone of the realm out, and nobody else', async () => {
    const realm = await seedRealm(server);
    const alice = await newUserWithLogin(realm);
    const bob = await newUserWithLogin(realm);
    const elsewhere = await newUserWithLogin(await seedRealm(server));
    const a = await watchOwnSession(alice.login);
    const b = await watchOwnSession(bob.login);
    const outsider = await watchOwnSession(elsewhere.login);
    expect(ok(await server.gql('mutation ($r: ID!) { terminateRealmSessions(realmId: $r) }', { r: realm.id }, server.adminKey)).terminateRealmSessions).toBe(2);
    await expectForcedLogout(a.ws, a.sub, { sessionId: alice.login.session!.id, userId: alice.user.id, realmId: realm.id, reason: 'TERMINATED_BY_ADMIN' });
    await expectForcedLogout(b.ws, b.sub, { sessionId: bob.login.session!.id, userId: bob.user.id, realmId: realm.id, reason: 'TERMINATED_BY_ADMIN' });
    await sleep(200);
    expect(outsider.sub.results).toHaveLength(0);
    expect(outsider.ws.closes).toHaveLength(0);
  });

  it('EVICTED: with maxActiveSessions 1 the second login ends the first', async () => {
    const realm = await seedRealm(server, { maxActiveSessions: 1 });
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    const second = await user.login();
    expect(second.session!.state).toBe('ACTIVE');
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'EVICTED' });
  });

  it('PASSWORD_CHANGED: setPassword', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    ok(
      await server.gql(
        'mutation ($u: ID!, $p: String!) { setPassword(userId: $u, password: $p) { id } }',
        { u: user.id, p: 'a brand new passphrase 42' },
        server.adminKey,
      ),
    );
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'PASSWORD_CHANGED' });
  });

  it('USER_DISABLED: updateUser disabled: true', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    const updated = ok(
      await server.gql('mutation ($id: ID!) { updateUser(id: $id, input: { disabled: true }) { id disabled } }', { id: user.id }, server.adminKey),
    );
    expect(updated.updateUser.disabled).toBe(true);
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'USER_DISABLED' });
  });

  it('REFRESH_TOKEN_REUSED: a rotated refresh token presented after the grace window', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    const REFRESH = 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }';
    const rotated = ok(await server.gql(REFRESH, { t: login.refreshToken }));
    expect(rotated.refresh.refreshToken).not.toBe(login.refreshToken);
    expect(sub.results).toHaveLength(0); // a refresh is not an end
    server.clock.advance(11_000);
    expect(errorCode(await server.gql(REFRESH, { t: login.refreshToken }))).toBe('INVALID_REFRESH_TOKEN');
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'REFRESH_TOKEN_REUSED' });
  });

  it('EXPIRED: the sweeper announces an absolute expiry exactly once, even when it runs twice', async () => {
    const realm = await seedRealm(server, { sessionMinutes: 1, accessTokenSeconds: 30, idleTimeoutSeconds: null });
    const { user, login } = await newUserWithLogin(realm);
    const dashboard = connect(server.adminKey);
    const realmEvents = dashboard.subscribe<RealmEvent>(REALM_EVENTS, { realmId: realm.id });
    const { ws, sub } = await watchOwnSession(login);
    await untilRealmEventsListen(realm, realmEvents);
    const expiredBefore = metricValue(await metricsText(), 'tessera_session_terminations_total', 'reason="EXPIRED"');
    // The sweeper ends every due session in the database — with a shared PostgreSQL, those of
    // other test files too — so the metric is checked against what this instance announced.
    const announced: string[] = [];
    const stopListening = server.app.deps.events.onPublish(
      (event) => event.type === 'TERMINATED' && event.reason === 'EXPIRED' && announced.push(event.sessionId),
    );

    server.clock.advance(61_000);
    await server.app.sweeper.sweepNow();
    await server.app.sweeper.sweepNow();
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'EXPIRED' });

    await sleep(300);
    stopListening();
    const ends = realmEvents.results.filter((r) => r.data?.sessionEvents.type === 'TERMINATED' && r.data.sessionEvents.session?.id === login.session!.id);
    expect(ends).toHaveLength(1);
    expect(ends[0].data!.sessionEvents).toMatchObject({ reason: 'EXPIRED', session: { state: 'EXPIRED', terminationReason: 'EXPIRED' } });
    expect(announced.filter((id) => id === login.session!.id)).toHaveLength(1);
    expect(new Set(announced).size).toBe(announced.length);
    const expiredAfter = metricValue(await metricsText(), 'tessera_session_terminations_total', 'reason="EXPIRED"');
    expect(expiredAfter - expiredBefore).toBe(announced.length);
  });

  it('IDLE_TIMEOUT: a session not refreshed within idleTimeoutSeconds', async () => {
    const realm = await seedRealm(server, { idleTimeoutSeconds: 60 });
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    server.clock.advance(61_000);
    await server.app.sweeper.sweepNow();
    await server.app.sweeper.sweepNow();
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'IDLE_TIMEOUT' });
    const state = ok(await server.gql('query ($id: ID!) { session(id: $id) { state terminationReason } }', { id: login.session!.id }, server.adminKey));
    expect(state.session).toEqual({ state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT' });
  });

  it('IDLE_TIMEOUT after a refresh: nothing at the idle deadline of the login, the event at the refreshed one', async () => {
    const realm = await seedRealm(server, { idleTimeoutSeconds: 60 });
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    server.clock.advance(50_000);
    ok(await server.gql('mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }', { t: login.refreshToken }));
    // Past the login's idle deadline: the sweeper looks at the session again (it was refreshed) and
    // ends nothing.
    server.clock.advance(20_000);
    await server.app.sweeper.sweepNow();
    await sleep(200);
    expect(sub.results).toHaveLength(0);
    // Past the refreshed deadline: ended by the sweeper, and announced.
    server.clock.advance(41_000);
    await server.app.sweeper.sweepNow();
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'IDLE_TIMEOUT' });
  });
});

/**
 * With Redis the bus subscription of a new stream is confirmed asynchronously: make sure a realm
 * stream hears events before a test relies on it (log a throwaway user in until the stream shows
 * its session; the probe sessions are logged out again so they expire or count for nothing).
 */
async function untilRealmEventsListen(realm: SeededRealm, sub: RecordedSubscription<RealmEvent>): Promise<void> {
  const probe = await realm.createUser();
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const login = await probe.login();
      ok(await server.gql('mutation { logout }', {}, login.accessToken));
      // The probe's last event (its TERMINATED) seen: nothing of it is still on the way.
      const ended = (r: (typeof sub.results)[number]) => r.data?.sessionEvents.session?.id === login.session!.id && r.data?.sessionEvents.type === 'TERMINATED';
      const seen = await eventually(() => sub.results.some(ended), 250, 'probe').catch(() => false);
      if (seen) return;
    }
  } finally {
    await sleep(50); // let the probe's own events arrive before the test counts anything
  }
  throw new Error('realm event stream never started listening');
}

describe('the socket lifecycle of a forced logout', () => {
  // Since the durable event record (docs/events.md): a later subscribe with the ended session's
  // token learns the stored reason at once and completes; nothing else is served to that token.
  it('after the own session ends, the socket is closed; a later subscribe gets the stored event at once, and nothing else is served', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'LOGOUT' });
    const later = ws.subscribe<{ sessionTerminated: { reason: string } }>('subscription { sessionTerminated { reason } }');
    expect((await later.result(0)).data!.sessionTerminated).toEqual({ reason: 'LOGOUT' });
    expect((await later.ended()).kind).toBe('complete');
    expect((await ws.closed()).code).toBe(4403);
    expect(ws.closes.at(-1)!.code).toBe(4403);
    expect(errorCode(await server.gql('{ me { user { id } } }', {}, login.accessToken))).toBe('UNAUTHENTICATED');
  });

  it('a socket with no own-session subscription is closed with 4403 when its session ends', async () => {
    const realm = await seedRealm(server);
    const { login } = await newUserWithLogin(realm);
    const ws = connect(login.accessToken);
    await ws.connected();
    await untilWatched(login.session!.id, 1);
    ok(await server.gql('mutation ($id: ID!) { terminateSession(id: $id) { id } }', { id: login.session!.id }, server.adminKey));
    expect((await ws.closed()).code).toBe(4403);
  });

  it('watching the own session by explicit id still delivers the event before the 4403 close', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const ws = connect(login.accessToken);
    await ws.connected();
    const sub = ws.subscribe<TerminatedEvent>(WATCH_BY_ID, { sessionId: login.session!.id });
    await untilWatched(login.session!.id, 2);
    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'LOGOUT' });
  });

  it('watching the own session with the id inlined in the query closes promptly after the event', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const other = await user.login();
    const ws = connect(login.accessToken);
    await ws.connected();
    // One subscription on a session that stays alive (its id in a variable not named sessionId),
    // one on the own session written inline: neither may be mistaken for the other.
    const bystander = ws.subscribe<TerminatedEvent>(`subscription ($id: ID) { sessionTerminated(sessionId: $id) { ${EVENT_FIELDS} } }`, {
      id: other.session!.id,
    });
    const sub = ws.subscribe<TerminatedEvent>(`subscription { sessionTerminated(sessionId: "${login.session!.id}") { ${EVENT_FIELDS} } }`);
    await untilWatched(login.session!.id, 2);
    await untilWatched(other.session!.id, 1);
    const started = Date.now();
    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'LOGOUT' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(bystander.results).toHaveLength(0);
  });
});

describe('who may watch which session', () => {
  it('a user token watches another session of the same user by id; its own socket stays open', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const other = await user.login();
    const ws = connect(login.accessToken);
    await ws.connected();
    const sub = ws.subscribe<TerminatedEvent>(WATCH_BY_ID, { sessionId: other.session!.id });
    await untilWatched(other.session!.id, 1);
    ok(await server.gql('mutation { logout }', {}, other.accessToken));
    const result = await sub.result(0);
    expect(result.data?.sessionTerminated).toMatchObject({ sessionId: other.session!.id, userId: user.id, realmId: realm.id, reason: 'LOGOUT' });
    expect(await sub.ended()).toEqual({ kind: 'complete' });
    // The watcher's own session is alive: the socket stays usable.
    const me = ws.subscribe<{ me: { user: { id: string }; session: { id: string } } }>('query { me { user { id } session { id } } }');
    expect((await me.result(0)).data?.me).toEqual({ user: { id: user.id }, session: { id: login.session!.id } });
    expect(ws.closes).toHaveLength(0);
  });

  it("a user token cannot watch another user's session, nor one of another realm (NOT_FOUND)", async () => {
    const realm = await seedRealm(server);
    const watcher = await newUserWithLogin(realm);
    const neighbour = await newUserWithLogin(realm);
    const foreigner = await newUserWithLogin(await seedRealm(server));
    const ws = connect(watcher.login.accessToken);
    await ws.connected();
    expect(await refusal(ws.subscribe(WATCH_BY_ID, { sessionId: neighbour.login.session!.id }))).toBe('NOT_FOUND');
    expect(await refusal(ws.subscribe(WATCH_BY_ID, { sessionId: foreigner.login.session!.id }))).toBe('NOT_FOUND');
    expect(await refusal(ws.subscribe(WATCH_BY_ID, { sessionId: 'ses_does_not_exist' }))).toBe('NOT_FOUND');
    // The checks that run before any subscription resolver (envelop's onSubscribe) still do.
    expect(await refusal(ws.subscribe(WATCH_BY_ID, { sessionId: 'ses_\u0000' }))).toBe('BAD_USER_INPUT');
    // Refusals do not end the connection.
    expect(ws.closes).toHaveLength(0);
  });

  it('an admin key with SESSIONS_READ watches any session of its realm by id', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const key = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realm.id });
    const ws = connect(key);
    await ws.connected();
    const sub = ws.subscribe<TerminatedEvent>(WATCH_BY_ID, { sessionId: login.session!.id });
    await untilWatched(login.session!.id, 1);
    ok(await server.gql('mutation ($id: ID!) { terminateSession(id: $id) { id } }', { id: login.session!.id }, server.adminKey));
    expect((await sub.result(0)).data?.sessionTerminated).toMatchObject({ sessionId: login.session!.id, userId: user.id, reason: 'TERMINATED_BY_ADMIN' });
    expect(await sub.ended()).toEqual({ kind: 'complete' });
    await sleep(100);
    expect(ws.closes).toHaveLength(0); // an admin socket has no session of its own to lose
  });

  it('a realm-limited admin key gets NOT_FOUND for a session of another realm; a key without SESSIONS_READ is FORBIDDEN', async () => {
    const realmA = await seedRealm(server);
    const realmB = await seedRealm(server);
    const inB = await newUserWithLogin(realmB);
    const inA = await newUserWithLogin(realmA);
    const keyA = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realmA.id });
    const usersOnly = await createAdminKey(server, { scopes: ['USERS_READ'], realmId: realmA.id });
    const wsA = connect(keyA);
    await wsA.connected();
    expect(await refusal(wsA.subscribe(WATCH_BY_ID, { sessionId: inB.login.session!.id }))).toBe('NOT_FOUND');
    const wsUsers = connect(usersOnly);
    await wsUsers.connected();
    expect(await refusal(wsUsers.subscribe(WATCH_BY_ID, { sessionId: inA.login.session!.id }))).toBe('FORBIDDEN');
  });

  it('subscribing to a session that has already ended yields its event at once', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const ended = await user.login();
    ok(await server.gql('mutation { logout }', {}, ended.accessToken));

    const ws = connect(login.accessToken);
    await ws.connected();
    const sub = ws.subscribe<TerminatedEvent>(WATCH_BY_ID, { sessionId: ended.session!.id });
    expect((await sub.result(0, 2_000)).data?.sessionTerminated).toMatchObject({ sessionId: ended.session!.id, reason: 'LOGOUT' });
    expect(await sub.ended()).toEqual({ kind: 'complete' });

    const admin = connect(server.adminKey);
    const byAdmin = admin.subscribe<TerminatedEvent>(WATCH_BY_ID, { sessionId: ended.session!.id });
    expect((await byAdmin.result(0, 2_000)).data?.sessionTerminated).toMatchObject({ sessionId: ended.session!.id, reason: 'LOGOUT' });
    expect(await byAdmin.ended()).toEqual({ kind: 'complete' });
  });
});

describe('connection authentication', () => {
  it('closes a connection without authorization with 4403', async () => {
    const ws = connect(null);
    expect((await ws.closed()).code).toBe(4403);
  });

  it('closes a connection with a bad, tampered or ended token, or an unknown admin key, with 4403', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const ended = await user.login();
    ok(await server.gql('mutation { logout }', {}, ended.accessToken));
    const tampered = login.accessToken.slice(0, -3) + (login.accessToken.endsWith('AAA') ? 'BBB' : 'AAA');
    for (const credential of ['not-a-token', tampered, ended.accessToken, 'tsa_unknown_admin_key_0123456789abcdefghij']) {
      const ws = connect(credential);
      expect((await ws.closed()).code, credential).toBe(4403);
    }
    const notAString = connect(null, { connectionParams: { authorization: { bearer: login.accessToken } } });
    expect((await notAString.closed()).code).toBe(4403);
  });

  it('closes the socket of an admin key revoked while connected at the next re-check', async () => {
    const realm = await seedRealm(server);
    const secret = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realm.id });
    const ws = connect(secret);
    await ws.connected();
    const stream = ws.subscribe<RealmEvent>(REALM_EVENTS, { realmId: realm.id });
    await untilRealmEventsListen(realm, stream);
    await server.app.watchers.recheck();
    expect(ws.closes).toHaveLength(0); // a live key survives re-checks

    const em = server.app.deps.orm.em.fork();
    const key = await authenticateAdminKey(em, secret, null);
    expect(await revokeAdminKey(em, server.clock, key!.keyId)).toBe(true);
    await server.app.watchers.recheck();
    expect((await ws.closed()).code).toBe(4403);
    expect((await stream.ended()).kind).toBe('error');
  });

  it('closes a socket that never sends connection_init with 4408 after 3 s', async () => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const opened = Date.now();
    const code = await within(new Promise<number>((resolve) => socket.once('close', (c) => resolve(c))), 8_000, 'the init timeout');
    expect(code).toBe(4408);
    expect(Date.now() - opened).toBeGreaterThan(2_800);
    expect(Date.now() - opened).toBeLessThan(4_500);
  }, 15_000);

  it('refuses more than 20 operations on one connection', async () => {
    const realm = await seedRealm(server);
    const ws = connect(server.adminKey);
    await ws.connected();
    const subs = Array.from({ length: 20 }, () => ws.subscribe<RealmEvent>(REALM_EVENTS, { realmId: realm.id }));
    const extra = ws.subscribe(REALM_EVENTS, { realmId: realm.id });
    expect(await refusal(extra)).toBe('RATE_LIMITED');
    expect(ws.closes).toHaveLength(0);
    // The 20 that were accepted work; freeing a slot admits a new one.
    await untilRealmEventsListen(realm, subs[19]);
    subs[0].unsubscribe();
    const again = await eventually(
      async () => {
        const candidate = ws.subscribe<RealmEvent>(REALM_EVENTS, { realmId: realm.id });
        const refused = await within(candidate.ended(), 300, 'x').then(
          () => true,
          () => false,
        );
        return refused ? null : candidate;
      },
      5_000,
      'a free slot after unsubscribing',
    );
    await untilRealmEventsListen(realm, again);
  });
});

describe('keep-alive and framing', () => {
  let pinging: TestServer;
  beforeAll(async () => {
    pinging = await startTestServer({ WS_KEEPALIVE_SECONDS: '1' });
  });
  afterAll(async () => {
    await pinging?.close();
  });

  /** A raw graphql-transport-ws socket, acknowledged; `autoPong: false` plays a peer that has vanished. */
  async function rawSocket(credential: string, options: { autoPong: boolean }) {
    const socket = new WebSocket(pinging.wsUrl, 'graphql-transport-ws', { autoPong: options.autoPong });
    const messages: { type: string; id?: string; payload?: unknown }[] = [];
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await within(new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject)), 5_000, 'the upgrade');
    const acknowledged = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        messages.push(message);
        if (message.type === 'connection_ack') resolve();
      }),
    );
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${credential}` } }));
    await within(acknowledged, 5_000, 'connection_ack');
    return { socket, messages, closed };
  }

  it('disconnects a peer that stops answering pings, releasing its subscription, and keeps one that answers', async () => {
    const realm = await seedRealm(pinging);
    const gone = await (await realm.createUser()).login();
    const live = await (await realm.createUser()).login();
    const dead = await rawSocket(gone.accessToken, { autoPong: false });
    dead.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: WATCH_OWN } }));
    await eventually(() => pinging.app.watchers.watching(gone.session!.id) === 2, 5_000, 'the dead peer to subscribe');
    const healthy = openWs(pinging.wsUrl, live.accessToken);
    connections.push(healthy);
    await healthy.connected();
    healthy.subscribe(WATCH_OWN);

    // Pinged within 1 s, found silent at the sweep after: gone within about 2 s.
    expect(await within(dead.closed, 4_000, 'the dead peer to be disconnected')).toBe(1006);
    await eventually(() => pinging.app.watchers.watching(gone.session!.id) === 0, 3_000, 'the dead peer to stop watching');
    await sleep(1_500);
    expect(healthy.closes).toHaveLength(0);
    expect(pinging.app.watchers.watching(live.session!.id)).toBe(2);
  });

  it("writes an event's next and its complete together", async () => {
    const realm = await seedRealm(pinging);
    const user = await realm.createUser();
    const login = await user.login();
    const watcher = await user.login();
    const { socket, messages, closed } = await rawSocket(watcher.accessToken, { autoPong: true });
    socket.send(JSON.stringify({ id: 'w', type: 'subscribe', payload: { query: WATCH_BY_ID, variables: { sessionId: login.session!.id } } }));
    await eventually(() => pinging.app.watchers.watching(login.session!.id) === 1, 5_000, 'the subscription');
    // Frames read in one chunk are handed out in one go; between two reads the event loop turns.
    let turned = false;
    let turnedBeforeComplete: boolean | null = null;
    socket.on('message', (data) => {
      const { type } = JSON.parse(String(data));
      if (type === 'next') setImmediate(() => (turned = true));
      if (type === 'complete') turnedBeforeComplete = turned;
    });
    ok(await pinging.gql('mutation { logout }', {}, login.accessToken));
    await eventually(() => messages.some((m) => m.type === 'complete'), 5_000, 'the complete frame');
    expect(messages.slice(-2).map((m) => m.type)).toEqual(['next', 'complete']);
    expect(turnedBeforeComplete).toBe(false);
    socket.close(1000);
    await closed;
  });
});

describe('allowed origins', () => {
  let strict: TestServer;
  beforeAll(async () => {
    // The second origin is written with a trailing slash, as people do; browsers never send one.
    strict = await startTestServer({ ALLOWED_ORIGINS: 'https://app.example,https://admin.example/' });
  });
  afterAll(async () => {
    await strict?.close();
  });

  function upgrade(origin: string): Promise<{ opened: boolean; status?: number; socket: WebSocket }> {
    const socket = new WebSocket(strict.wsUrl, 'graphql-transport-ws', { origin });
    return within(
      new Promise((resolve) => {
        socket.once('open', () => resolve({ opened: true, socket }));
        socket.once('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode, socket }));
        socket.once('error', () => resolve({ opened: false, socket }));
      }),
      5_000,
      `the upgrade from ${origin}`,
    );
  }

  it('refuses a WebSocket upgrade from an origin that is not allowed', async () => {
    const outcome = await upgrade('https://evil.example');
    expect(outcome.opened).toBe(false);
    expect(outcome.status).toBeGreaterThanOrEqual(400);
  });

  it('accepts the allowed origins and speaks graphql-transport-ws on them', async () => {
    for (const origin of ['https://app.example', 'https://admin.example']) {
      const { opened, socket } = await upgrade(origin);
      expect(opened, origin).toBe(true);
      const ack = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${strict.adminKey}` } }));
      expect(JSON.parse(await within(ack, 5_000, 'connection_ack'))).toEqual({ type: 'connection_ack' });
      socket.close(1000);
    }
  });
});

describe('sessionEvents(realmId) for admin keys', () => {
  it('streams CREATED on login, REFRESHED on refresh and TERMINATED with its reason on logout', async () => {
    const realm = await seedRealm(server);
    const key = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realm.id });
    const ws = connect(key);
    await ws.connected();
    const sub = ws.subscribe<RealmEvent>(REALM_EVENTS, { realmId: realm.id });
    await untilRealmEventsListen(realm, sub);

    const { login } = await newUserWithLogin(realm);
    const sid = login.session!.id;
    const eventsOf = () => sub.results.map((r) => r.data!.sessionEvents).filter((e) => e.session?.id === sid);
    const nth = (n: number) => eventually(() => eventsOf()[n], 5_000, `event #${n} of ${sid}`);
    const created = await nth(0);
    expect(created).toMatchObject({ type: 'CREATED', reason: null, session: { id: sid, state: 'ACTIVE' } });

    server.clock.advance(1_000);
    ok(await server.gql('mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }', { t: login.refreshToken }));
    const refreshed = await nth(1);
    expect(refreshed).toMatchObject({ type: 'REFRESHED', reason: null, session: { id: sid, state: 'ACTIVE' } });
    // The session is read fresh for every event, not from what the stream saw before.
    expect(Date.parse(refreshed.session!.lastActiveAt)).toBeGreaterThan(Date.parse(created.session!.lastActiveAt));

    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    const terminated = await nth(2);
    expect(terminated).toMatchObject({ type: 'TERMINATED', reason: 'LOGOUT', session: { id: sid, state: 'TERMINATED', terminationReason: 'LOGOUT' } });
    expect(Number.isNaN(Date.parse(terminated.at))).toBe(false);
    expect(eventsOf()).toHaveLength(3);
    expect(sub.results.every((r) => r.errors === undefined)).toBe(true);
    // Realm streams do not complete on a termination: they follow the whole realm.
    await sleep(100);
    expect(sub.end).toBeNull();
  });

  it('does not leak events of other realms into a realm stream', async () => {
    const realm = await seedRealm(server);
    const other = await seedRealm(server);
    const ws = connect(server.adminKey);
    const sub = ws.subscribe<RealmEvent>(REALM_EVENTS, { realmId: realm.id });
    await untilRealmEventsListen(realm, sub);
    const before = sub.results.length;
    const { login } = await newUserWithLogin(other);
    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    await sleep(300);
    expect(sub.results.slice(before)).toHaveLength(0);
  });

  it('an event whose resolver fails arrives masked, and the stream goes on', async () => {
    const realm = await seedRealm(server);
    const ws = connect(server.adminKey);
    const sub = ws.subscribe<RealmEvent>(REALM_EVENTS, { realmId: realm.id });
    await untilRealmEventsListen(realm, sub);
    const { login: broken } = await newUserWithLogin(realm);
    await eventually(() => sub.results.some((r) => r.data?.sessionEvents.session?.id === broken.session!.id), 5_000, 'the login event');
    const before = sub.results.length;
    // A session whose row holds what no DateTime can be: resolving its `lastActiveAt` throws. Feeds
    // read the durable record (src/events/event-record.ts), so its next event is written there.
    const connection = server.app.deps.orm.em.fork().getConnection();
    await connection.execute(`update session set last_active_at = 'infinity' where id = ?`, [broken.session!.id]);
    await connection.execute(
      `insert into audit_event (id, realm_id, type, actor, user_id, session_id, data, created_at)
       values ('aud_broken_row', ?, 'LOGIN_SUCCEEDED', 'system', ?, ?, '{}', now())`,
      [realm.id, broken.user.id, broken.session!.id],
    );
    server.app.deps.events.publish([
      { type: 'CREATED', sessionId: broken.session!.id, userId: broken.user.id, realmId: realm.id, reason: null, at: new Date().toISOString() },
    ]);
    const failed = await eventually(() => sub.results.slice(before).find((r) => r.errors), 5_000, 'the failed event');
    // `session` is nullable (it is null once deleted with its user), so the error stops there.
    expect(failed.data).toMatchObject({ sessionEvents: { type: 'CREATED', session: null } });
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors![0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(failed.errors)).not.toMatch(/Invalid|RangeError|infinity/i);

    const { login } = await newUserWithLogin(realm);
    await eventually(() => sub.results.some((r) => r.data?.sessionEvents.session?.id === login.session!.id), 5_000, 'the next event');
  });

  it('is FORBIDDEN for a key without SESSIONS_READ and NOT_FOUND for a realm-limited key of another realm; users may not use it', async () => {
    const realm = await seedRealm(server);
    const otherRealm = await seedRealm(server);
    const noScope = await createAdminKey(server, { scopes: ['USERS_MANAGE', 'SESSIONS_TERMINATE'], realmId: realm.id });
    const otherKey = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: otherRealm.id });
    const { login } = await newUserWithLogin(realm);

    const a = connect(noScope);
    expect(await refusal(a.subscribe(REALM_EVENTS, { realmId: realm.id }))).toBe('FORBIDDEN');
    const b = connect(otherKey);
    expect(await refusal(b.subscribe(REALM_EVENTS, { realmId: realm.id }))).toBe('NOT_FOUND');
    const c = connect(login.accessToken);
    expect(await refusal(c.subscribe(REALM_EVENTS, { realmId: realm.id }))).toBe('FORBIDDEN');
  });
});

describe('SSE', () => {
  async function openSse(credential: string, query: string, variables?: Record<string, unknown>) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${credential}` },
      body: JSON.stringify({ query, variables }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let done = false;
    const pump = (async () => {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
      done = true;
    })();
    return {
      text: () => text,
      done: () => done,
      /** The data of every `next` event so far. */
      events: () =>
        text
          .split('\n\n')
          .filter((block) => /^event: next$/m.test(block))
          .map((block) =>
            JSON.parse(
              block
                .split('\n')
                .find((l) => l.startsWith('data: '))!
                .slice(6),
            ),
          ),
      ended: (ms = 5_000) => within(pump, ms, 'the SSE stream to end'),
      cancel: () => reader.cancel(),
    };
  }

  it('delivers sessionTerminated over SSE and ends the stream', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const stream = await openSse(login.accessToken, `subscription { sessionTerminated { ${EVENT_FIELDS} } }`);
    await untilWatched(login.session!.id, 1);
    ok(await server.gql('mutation ($id: ID!) { terminateSession(id: $id) { id } }', { id: login.session!.id }, server.adminKey));
    await stream.ended();
    expect(stream.events()).toEqual([
      {
        data: {
          sessionTerminated: {
            sessionId: login.session!.id,
            userId: user.id,
            realmId: realm.id,
            reason: 'TERMINATED_BY_ADMIN',
            terminatedAt: expect.any(String),
          },
        },
      },
    ]);
  });

  it("gives an ended session's token its stored termination over SSE and ends; any other stream is refused", async () => {
    const realm = await seedRealm(server);
    const { login } = await newUserWithLogin(realm);
    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    const stream = await openSse(login.accessToken, 'subscription { sessionTerminated { reason } }');
    await stream.ended();
    expect(stream.events()).toEqual([{ data: { sessionTerminated: { reason: 'LOGOUT' } } }]);
    const other = await openSse(login.accessToken, REALM_EVENTS, { realmId: realm.id });
    await other.ended();
    expect(other.events().length).toBe(1);
    expect(codeOf(other.events()[0])).toBe('UNAUTHENTICATED');
  });

  it('ends the realm stream of an admin key revoked while it streams, at the next re-check', async () => {
    const realm = await seedRealm(server);
    const secret = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realm.id });
    const stream = await openSse(secret, REALM_EVENTS, { realmId: realm.id });
    const listening = async () => {
      const { login } = await newUserWithLogin(realm);
      return eventually(() => stream.events().some((e) => e.data?.sessionEvents.session.id === login.session!.id), 1_000, 'a probe event').catch(() => false);
    };
    await eventually(listening, 10_000, 'the SSE realm stream to listen');
    await server.app.watchers.recheck();
    expect(stream.done()).toBe(false); // a live key survives re-checks
    expect(await listening()).toBe(true);

    const em = server.app.deps.orm.em.fork();
    const key = await authenticateAdminKey(em, secret, null);
    expect(await revokeAdminKey(em, server.clock, key!.keyId)).toBe(true);
    await server.app.watchers.recheck();
    await stream.ended();
    expect(codeOf(stream.events().at(-1))).toBe('UNAUTHENTICATED');
  });
});

describe('lost events', () => {
  it('a session ended without any event (direct database write) is found by the re-check', async () => {
    const realm = await seedRealm(server);
    const { user, login } = await newUserWithLogin(realm);
    const { ws, sub } = await watchOwnSession(login);
    await server.app.deps.orm.em
      .fork()
      .getConnection()
      .execute("update session set state = 'TERMINATED', termination_reason = 'TERMINATED_BY_ADMIN', terminated_at = now() where id = ?", [login.session!.id]);
    await sleep(200);
    expect(sub.results).toHaveLength(0); // nothing was published: only the re-check can tell
    await server.app.watchers.recheck();
    await expectForcedLogout(ws, sub, { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'TERMINATED_BY_ADMIN' });
  });
});

describe('metrics', () => {
  it('reports live subscriptions, events delivered (WebSocket and SSE) and terminations by reason', async () => {
    const realm = await seedRealm(server);
    const { login } = await newUserWithLogin(realm);
    const other = await newUserWithLogin(realm);
    const before = await metricsText();
    const live = metricValue(before, 'tessera_live_subscriptions');
    const logouts = metricValue(before, 'tessera_session_terminations_total', 'reason="LOGOUT"');
    const delivered = (text: string, transport: string) => metricValue(text, 'tessera_subscription_events_delivered_total', `transport="${transport}"`);

    const { ws, sub } = await watchOwnSession(login);
    const sse = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${other.login.accessToken}` },
      body: JSON.stringify({ query: 'subscription { sessionTerminated { reason } }' }),
    });
    await untilWatched(other.login.session!.id, 1);
    await eventually(async () => metricValue(await metricsText(), 'tessera_live_subscriptions') === live + 2, 3_000, 'live subscriptions +2');

    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    ok(await server.gql('mutation { logout }', {}, other.login.accessToken));
    await sub.ended();
    await ws.closed();
    await sse.text();
    const after = await eventually(
      async () => {
        const text = await metricsText();
        return metricValue(text, 'tessera_live_subscriptions') === live ? text : null;
      },
      3_000,
      'live subscriptions back to the start',
    );
    expect(metricValue(after, 'tessera_session_terminations_total', 'reason="LOGOUT"') - logouts).toBe(2);
    expect(delivered(after, 'websocket') - delivered(before, 'websocket')).toBe(1);
    expect(delivered(after, 'sse') - delivered(before, 'sse')).toBe(1);
    expect(after).toMatch(/^# TYPE tessera_live_subscriptions gauge$/m);
  });

  it('releases a subscription whose client goes away (SSE abort, WebSocket unsubscribe and disconnect)', async () => {
    const realm = await seedRealm(server);
    const { login } = await newUserWithLogin(realm);
    const live = async () => metricValue(await metricsText(), 'tessera_live_subscriptions');
    const start = await live();

    const abort = new AbortController();
    const sse = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: JSON.stringify({ query: 'subscription ($r: ID!) { sessionEvents(realmId: $r) { type } }', variables: { r: realm.id } }),
      signal: abort.signal,
    });
    expect(sse.status).toBe(200);
    const ws = connect(server.adminKey);
    const byId = ws.subscribe(WATCH_BY_ID, { sessionId: login.session!.id });
    const own = await watchOwnSession(login);
    await eventually(async () => (await live()) === start + 3, 3_000, 'three live subscriptions');

    abort.abort();
    byId.unsubscribe();
    await own.ws.dispose();
    await eventually(async () => (await live()) === start, 3_000, 'every subscription released');
    // Nothing is left waiting on the session either (the socket's own watch included).
    await eventually(() => server.app.watchers.watching(login.session!.id) === 0, 3_000, 'no watchers left');
  });
});

describe('shutdown', () => {
  it('closes open sockets with 1001 when the server stops', async () => {
    const second = await startTestServer();
    let stopped = false;
    try {
      const realm = await seedRealm(second);
      const user = await realm.createUser();
      const login = await user.login();
      const userSocket = openWs(second.wsUrl, login.accessToken);
      const adminSocket = openWs(second.wsUrl, second.adminKey);
      await userSocket.connected();
      await adminSocket.connected();
      const sub = userSocket.subscribe(WATCH_OWN);
      await eventually(() => second.app.watchers.watching(login.session!.id) >= 2, 5_000, 'the subscription');
      const stopping = Date.now();
      await second.app.stop();
      stopped = true;
      // Open sockets must not hold the shutdown until the forced-destroy timer (5 s).
      expect(Date.now() - stopping).toBeLessThan(4_000);
      expect((await userSocket.closed()).code).toBe(1001);
      expect((await adminSocket.closed()).code).toBe(1001);
      expect(sub.results).toHaveLength(0);
      await Promise.all([userSocket.dispose(), adminSocket.dispose()]);
    } finally {
      if (!stopped) await second.close();
    }
  });
});
