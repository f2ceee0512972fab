import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, ownDatabase, startTestServer, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import {
  LoginWithApiKeyDocument,
  LogoutDocument,
  RefreshDocument,
  SetUserDisabledDocument,
  SetUserPasswordDocument,
  TerminateAllSessionsOfRealmDocument,
  TerminateAllSessionsOfUserDocument,
  TerminateSessionDocument,
} from './generated/graphql.js';
import { EventStore } from '../src/events/event-store.js';
import type { SessionLifecycleEvent } from '../src/events/session-events.js';

// Every lifecycle path writes its event to the durable record (docs/events.md): the audit row each
// path writes in its own transaction is the record. Each path is driven through the API (or the
// sweeper) and the record is compared with (1) what the instance published on the bus and (2) the
// session rows themselves. A path that publishes an event without its row, or ends a session
// without either, fails here. A database of this file's own: the sweeper ends only these sessions.

let server: TestServer;
let database: Awaited<ReturnType<typeof ownDatabase>> | undefined;
const published: SessionLifecycleEvent[] = [];
beforeAll(async () => {
  database = await ownDatabase();
  server = await startTestServer(database.env);
  server.app.deps.events.onPublish((event) => published.push(event));
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

async function recordOf(realmIds: string[]) {
  const events = [];
  let after: string | null = null;
  for (;;) {
    const page = await new EventStore(server.app.deps.orm.em.fork()).readAfter(after, { limit: 100 });
    if (page.length === 0) return events.filter((e) => realmIds.includes(e.realmId));
    events.push(...page);
    after = page[page.length - 1].cursor;
  }
}

const key = (e: { type: string; sessionId: string; reason: string | null }) => `${e.type} ${e.sessionId} ${e.reason ?? '-'}`;

describe('the record holds one event per lifecycle change, on every path', () => {
  it('login, refresh, every termination reason, bulk ends and the sweeper: the record equals what was published and what the session rows say', async () => {
    const main = await seedRealm(server, { maxActiveSessions: 2, idleTimeoutSeconds: 600, sessionMinutes: 60 });
    const idle = await seedRealm(server, { idleTimeoutSeconds: 60, sessionMinutes: 60 });
    const short = await seedRealm(server, { sessionMinutes: 1, idleTimeoutSeconds: null });
    const bulk = await seedRealm(server, { sessionMinutes: 60 });
    const unmanaged = await seedRealm(server, { sessionType: 'UNMANAGED' });
    const realmIds = [main.id, idle.id, short.id, bulk.id, unmanaged.id];

    const alice = await main.createUser();
    const first = await alice.login();
    const refreshed = ok(await server.gql(RefreshDocument, { refreshToken: first.refreshToken! })).refresh;
    ok(await server.gql(LogoutDocument, {}, refreshed.accessToken)); // LOGOUT
    const second = await alice.login();
    const third = await alice.login();
    ok(await server.gql(TerminateSessionDocument, { id: second.session!.id }, third.accessToken)); // TERMINATED_BY_USER
    await alice.login();
    await alice.login(); // EVICTED: the third
    const bob = await main.createUser();
    const bobs = [await bob.login(), await bob.login()];
    ok(await server.gql(TerminateSessionDocument, { id: bobs[0].session!.id }, server.adminKey)); // TERMINATED_BY_ADMIN
    ok(await server.gql(TerminateAllSessionsOfUserDocument, { userId: bob.id }, server.adminKey)); // the rest of bob's
    const carol = await main.createUser();
    await carol.login();
    ok(await server.gql(SetUserPasswordDocument, { userId: carol.id, password: 'another horse battery staple' }, server.adminKey)); // PASSWORD_CHANGED
    const dave = await main.createUser();
    await dave.login();
    ok(await server.gql(SetUserDisabledDocument, { id: dave.id, disabled: true }, server.adminKey)); // USER_DISABLED
    const erin = await main.createUser();
    const erins = await erin.login();
    ok(await server.gql(RefreshDocument, { refreshToken: erins.refreshToken! }));
    server.clock.advance(30_000); // past REFRESH_GRACE_SECONDS
    await server.gql(RefreshDocument, { refreshToken: erins.refreshToken! }); // REFRESH_TOKEN_REUSED
    for (let i = 0; i < 3; i++) await (await bulk.createUser()).login();
    expect(ok(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: bulk.id }, server.adminKey)).terminateRealmSessions).toBe(3);
    await (await idle.createUser()).login();
    await (await short.createUser()).login();
    server.clock.advance(61_000);
    await server.app.sweeper.sweepNow(); // IDLE_TIMEOUT and EXPIRED
    // Not session events: an unmanaged login, and an API-key login (unmanaged too).
    const frank = await unmanaged.createUser();
    await frank.login();
    const robot = await main.createUser({ kind: 'API' });
    const { apiKey } = await robot.createApiKey();
    ok(await server.gql(LoginWithApiKeyDocument, { input: { realmId: main.id, apiKey } }));

    const record = await recordOf(realmIds);
    const announced = published.filter((e) => realmIds.includes(e.realmId));
    expect(record.map(key).sort()).toEqual(announced.map(key).sort());
    expect(new Set(record.map((e) => e.id)).size).toBe(record.length);
    expect(record.some((e) => e.realmId === unmanaged.id || e.userId === robot.id)).toBe(false);
    expect(new Set(record.filter((e) => e.type === 'TERMINATED').map((e) => e.reason))).toEqual(
      new Set([
        'LOGOUT',
        'TERMINATED_BY_USER',
        'EVICTED',
        'TERMINATED_BY_ADMIN',
        'PASSWORD_CHANGED',
        'USER_DISABLED',
        'REFRESH_TOKEN_REUSED',
        'IDLE_TIMEOUT',
        'EXPIRED',
      ]),
    );

    // Against the rows: every session once CREATED; an ended one once TERMINATED with its own
    // reason, after its other events; an active one never.
    const rows = await server.app.deps.orm.em
      .fork()
      .getConnection()
      .execute<{ id: string; state: string; termination_reason: string | null }[]>(
        `select id, state, termination_reason from session where realm_id in (?, ?, ?, ?, ?)`,
        realmIds,
      );
    expect(rows.length).toBe(15); // alice 5, bob 2, carol, dave, erin, 3 in bulk, one idle, one short
    for (const row of rows) {
      const own = record.filter((e) => e.sessionId === row.id);
      expect(own[0].type, row.id).toBe('CREATED');
      expect(own.filter((e) => e.type === 'CREATED')).toHaveLength(1);
      const ends = own.filter((e) => e.type === 'TERMINATED');
      if (row.state === 'ACTIVE') expect(ends).toEqual([]);
      else {
        expect(ends.map((e) => e.reason)).toEqual([row.termination_reason]);
        expect(own.at(-1)!.type).toBe('TERMINATED');
      }
    }
    expect(
      record
        .filter((e) => e.type === 'REFRESHED')
        .map((e) => e.sessionId)
        .sort(),
    ).toEqual([first.session!.id, erins.session!.id].sort());
  });
});
