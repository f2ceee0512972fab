import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, errorCode, startTestServer, type TestServer } from './helpers/server.js';
import { createAdminKey, seedRealm } from './helpers/factories.js';
import { codeOf, eventually, openWs, within, type RecordedSubscription, type WsConnection } from './helpers/ws-client.js';
import { createServices } from '../src/services.js';

// The durable event record through the API (docs/events.md): realm feeds that resume from a cursor
// with nothing lost or repeated at the seam, the paged record, refused cursors, and the token of a
// session that ended while its tab slept.

let server: TestServer;
const sockets: WsConnection[] = [];
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(async () => {
  for (const socket of sockets) await socket.dispose().catch(() => undefined);
  await server?.close();
});

function connect(credential: string): WsConnection {
  const socket = openWs(server.wsUrl, credential);
  sockets.push(socket);
  return socket;
}

/** The code a subscription was refused with: an error result, or an error ending it. */
async function refusal(sub: RecordedSubscription): Promise<string | undefined> {
  const outcome = await within(Promise.race([sub.result(0).then((r) => ({ result: r })), sub.ended().then((end) => ({ end }))]), 5_000, 'the refusal');
  if ('result' in outcome) {
    expect(outcome.result.data ?? null).toBeNull();
    return codeOf(outcome.result);
  }
  return outcome.end.kind === 'error' ? codeOf(outcome.end.error) : undefined;
}

const FEED = `subscription ($realmId: ID!, $after: String) { sessionEvents(realmId: $realmId, after: $after) { id cursor type reason at } }`;
const PAGE = `query ($realmId: ID!, $after: String, $first: Int) {
  realmEvents(realmId: $realmId, after: $after, first: $first) { edges { cursor node { id cursor type } } pageInfo { hasNextPage endCursor } }
}`;
interface FeedResult {
  sessionEvents: { id: string; cursor: string; type: string; reason: string | null; at: string };
}

/** Sessions without a password hash each (the login service's own door for that), `count` of them. */
async function openSessions(realmId: string, userIds: string[], count: number): Promise<void> {
  const logins = createServices(server.app.deps).logins;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await logins.openSessionWithoutPassword(realmId, userIds[i % userIds.length], { ip: '127.0.0.1', app: 'test' });
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function pageAll(realmId: string) {
  const events: { id: string; cursor: string; type: string }[] = [];
  let after: string | null = null;
  for (;;) {
    const { realmEvents }: { realmEvents: any } = ok<any>(await server.gql(PAGE, { realmId, after, first: 100 }, server.adminKey));
    events.push(...realmEvents.edges.map((edge: { node: { id: string; cursor: string; type: string } }) => edge.node));
    if (!realmEvents.pageInfo.hasNextPage) return events;
    after = realmEvents.pageInfo.endCursor;
  }
}

describe('sessionEvents(after) and realmEvents', () => {
  it('replays 1,000 events while 1,000 more commit, then goes on live: each once, in order, as the record pages them', async () => {
    const realm = await seedRealm(server, { maxActiveSessions: 100 });
    // 25 users of at most 100 sessions: 2,001 logins evict nobody (an eviction would be an event too).
    const users = await Promise.all(Array.from({ length: 25 }, () => realm.createUser()));
    const userIds = users.map((user) => user.id);
    await openSessions(realm.id, userIds, 1);
    const [first] = await pageAll(realm.id);

    await openSessions(realm.id, userIds, 999);
    const socket = connect(server.adminKey);
    const feed = socket.subscribe<FeedResult>(FEED, { realmId: realm.id, after: first.cursor });
    // While the replay streams: 1,000 more, which the feed must carry on with.
    await openSessions(realm.id, userIds, 1000);
    await eventually(() => feed.results.length >= 1999, 60_000, 'every event after the cursor');

    const received = feed.results.map((result) => result.data!.sessionEvents);
    expect(received).toHaveLength(1999);
    expect(new Set(received.map((event) => event.id)).size).toBe(1999);
    const paged = await pageAll(realm.id);
    expect(paged).toHaveLength(2000);
    expect(received.map((event) => event.id)).toEqual(paged.slice(1).map((event) => event.id));
    for (let i = 1; i < received.length; i++) expect(received[i].cursor > received[i - 1].cursor).toBe(true);

    // Live on: the next event arrives after the last of the replay.
    await openSessions(realm.id, userIds, 1);
    await eventually(() => feed.results.length === 2000, 10_000, 'the live event');
    expect(feed.results[1999].data!.sessionEvents.cursor > received[1998].cursor).toBe(true);
  }, 120_000);

  it('refuses a garbage cursor and one of another realm on `after`, in the feed and in the record', async () => {
    const realm = await seedRealm(server);
    const other = await seedRealm(server);
    await (await other.createUser()).login();
    const [otherEvent] = await pageAll(other.id);
    for (const after of ['garbage', otherEvent.cursor]) {
      const answer = await server.gql(PAGE, { realmId: realm.id, after }, server.adminKey);
      expect(errorCode(answer)).toBe('BAD_USER_INPUT');
      expect(answer.errors![0].extensions).toMatchObject({ field: 'after' });
      const feed = connect(server.adminKey).subscribe<FeedResult>(FEED, { realmId: realm.id, after });
      expect(await refusal(feed)).toBe('BAD_USER_INPUT');
      expect(feed.results[0].errors![0].extensions).toMatchObject({ field: 'after' });
    }
  });
});

describe('who may read the record', () => {
  it('realmEvents: FORBIDDEN without SESSIONS_READ, NOT_FOUND for a key of another realm and for an unknown realm, FORBIDDEN for a user token', async () => {
    const realm = await seedRealm(server);
    const other = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const noScope = await createAdminKey(server, { scopes: ['USERS_MANAGE'], realmId: realm.id });
    const otherRealmKey = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: other.id });
    const ownKey = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realm.id });
    const ask = (credential: string, realmId = realm.id) => server.gql(PAGE, { realmId, first: 10 }, credential);
    expect(errorCode(await ask(noScope))).toBe('FORBIDDEN');
    expect(errorCode(await ask(otherRealmKey))).toBe('NOT_FOUND');
    expect(errorCode(await ask(server.adminKey, 'rlm_unknown'))).toBe('NOT_FOUND');
    expect(errorCode(await ask(login.accessToken))).toBe('FORBIDDEN');
    const { realmEvents } = ok<any>(await ask(ownKey));
    expect(realmEvents.edges.map((edge: { node: { type: string } }) => edge.node.type)).toEqual(['CREATED']);
  });
});

describe('the token of a session that has already ended', () => {
  it('subscribes to its own sessionTerminated, gets the stored reason at once, and the socket closes with 4403 — even past its exp', async () => {
    const realm = await seedRealm(server, { accessTokenSeconds: 60 });
    const user = await realm.createUser();
    const asleep = await user.login();
    const other = await user.login();
    ok(await server.gql(`mutation ($id: ID!) { terminateSession(id: $id) { id } }`, { id: asleep.session!.id }, other.accessToken));
    server.clock.advance(120_000); // the sleeping tab's access token is past its exp as well

    const socket = connect(asleep.accessToken);
    const watch = socket.subscribe<{ sessionTerminated: { sessionId: string; reason: string } }>(`subscription { sessionTerminated { sessionId reason } }`);
    const event = await watch.result(0);
    expect(event.data!.sessionTerminated).toEqual({ sessionId: asleep.session!.id, reason: 'TERMINATED_BY_USER' });
    expect((await watch.ended()).kind).toBe('complete');
    expect((await socket.closed()).code).toBe(4403);
    // Its delivery was measured, commit to socket.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/^tessera_event_delivery_lag_seconds_count (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    // Nothing else: not another session of the user, not a query, not over HTTP.
    const prying = connect(asleep.accessToken);
    const elsewhere = prying.subscribe(`subscription ($id: ID) { sessionTerminated(sessionId: $id) { reason } }`, { id: other.session!.id });
    expect(await refusal(elsewhere)).toBe('UNAUTHENTICATED');
    expect((await prying.closed()).code).toBe(4403);
    expect(errorCode(await server.gql('{ me { user { id } } }', {}, asleep.accessToken))).toBe('UNAUTHENTICATED');
  });

  it('a forged or tampered token of it is refused as before', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    const tampered = login.accessToken.slice(0, -3) + (login.accessToken.endsWith('AAA') ? 'BBB' : 'AAA');
    const socket = connect(tampered);
    expect((await socket.closed()).code).toBe(4403);
  });
});
