import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownDatabase, startTestServer, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { ok } from './helpers/server.js';
import { RefreshDocument, TerminateSessionDocument } from './generated/graphql.js';
import { EventStore, decodeCursor } from '../src/events/event-store.js';

// The durable event record (src/events/event-store.ts): the session lifecycle rows of audit_event,
// read in commit-safe order. A database of this file's own: reads across realms see every realm.

let server: TestServer;
let database: Awaited<ReturnType<typeof ownDatabase>> | undefined;
beforeAll(async () => {
  database = await ownDatabase();
  server = await startTestServer(database.env);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

const store = () => new EventStore(server.app.deps.orm.em.fork());

async function readAll(realmId?: string, limit = 2) {
  const events = [];
  let after: string | null = null;
  for (;;) {
    const page = await store().readAfter(after, { realmId, limit });
    if (page.length === 0) return events;
    events.push(...page);
    after = page[page.length - 1].cursor;
  }
}

describe('EventStore', () => {
  it('holds every CREATED, REFRESHED and TERMINATED of a realm once, in order, paged by cursor; another realm apart', async () => {
    const realm = await seedRealm(server, { sessionMinutes: 60 });
    const other = await seedRealm(server, { sessionMinutes: 60 });
    const user = await realm.createUser();
    const stranger = await other.createUser();
    const first = await user.login();
    const refreshed = ok(await server.gql(RefreshDocument, { refreshToken: first.refreshToken! })).refresh;
    const second = await user.login();
    await stranger.login();
    ok(await server.gql(TerminateSessionDocument, { id: first.session!.id }, server.adminKey));

    const events = await readAll(realm.id);
    expect(events.map((e) => [e.type, e.sessionId, e.reason])).toEqual([
      ['CREATED', first.session!.id, null],
      ['REFRESHED', first.session!.id, null],
      ['CREATED', second.session!.id, null],
      ['TERMINATED', first.session!.id, 'TERMINATED_BY_ADMIN'],
    ]);
    expect(refreshed.refreshToken).toBeTruthy();
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    expect(events.every((e) => e.realmId === realm.id && e.userId === user.id)).toBe(true);

    // Across realms: the other realm's login is there too, in commit order.
    const all = await readAll(undefined, 3);
    const mine = all.filter((e) => e.realmId === realm.id || e.realmId === other.id);
    expect(mine.map((e) => e.type)).toEqual(['CREATED', 'REFRESHED', 'CREATED', 'CREATED', 'TERMINATED']);
    expect(mine[3].realmId).toBe(other.id);
  });

  it('refuses a garbage cursor, one of another realm and one older than the retention, on `after`', async () => {
    const realm = await seedRealm(server, { sessionMinutes: 60 });
    const other = await seedRealm(server, { sessionMinutes: 60 });
    await (await realm.createUser()).login();
    const [event] = await readAll(realm.id);
    await expect(store().checkCursor(event.cursor, realm.id, new Date(0))).resolves.toBeUndefined();
    for (const [cursor, realmId, keptSince, message] of [
      ['garbage', realm.id, new Date(0), /not a cursor/],
      ['e' + 'f'.repeat(32), realm.id, new Date(0), /not a cursor/],
      ['e' + '0'.repeat(31) + '1', realm.id, new Date(0), /older than the event retention/],
      [event.cursor, other.id, new Date(0), /not of this realm/],
      [event.cursor, realm.id, new Date(Date.now() + 60_000), /older than the event retention/],
    ] as const) {
      await expect(store().checkCursor(cursor, realmId, keptSince)).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        extensions: { field: 'after' },
        message: expect.stringMatching(message),
      });
    }
    await expect(store().readAfter('garbage', { limit: 1 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(decodeCursor(event.cursor)).not.toBeNull();
    // Later events have greater cursors, as strings too.
    await (await realm.createUser()).login();
    const [first, second] = await readAll(realm.id);
    expect(second.cursor > first.cursor).toBe(true);
  });

  // The embedded database serves one connection: a transaction there runs alone, so no reader can
  // overlap it. Only a real PostgreSQL can show the interleaving.
  it.skipIf(!process.env.DATABASE_URL)('shows nothing of a transaction still running, and nothing behind a cursor once it commits', async () => {
    const realm = await seedRealm(server, { sessionMinutes: 60 });
    const user = await realm.createUser();
    await user.login();
    const [created] = await readAll(realm.id);
    const em = server.app.deps.orm.em.fork();
    // An open transaction that wrote an event row: not readable yet, by anyone.
    await em.begin();
    await em
      .getConnection()
      .execute(
        `insert into audit_event (id, realm_id, type, actor, user_id, session_id, data, created_at) values ('aud_open_tx', ?, 'SESSION_REFRESHED', 'system', ?, ?, '{}', now())`,
        [realm.id, user.id, created.sessionId],
        'run',
        em.getTransactionContext(),
      );
    expect(await store().readAfter(created.cursor, { realmId: realm.id, limit: 10 })).toEqual([]);
    await em.commit();
    const after = await store().readAfter(created.cursor, { realmId: realm.id, limit: 10 });
    expect(after.map((e) => e.id)).toEqual(['aud_open_tx']);
  });
});
