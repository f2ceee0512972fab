import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ok, ownDatabase, startTestServer, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { RealmAuditEventsDocument, RefreshDocument, TerminateSessionDocument } from './generated/graphql.js';
import { pruneExpiredRecords } from '../src/session/retention.js';

// Pruning deletes by age across all realms, and this file moves its clock by weeks: it gets a
// database of its own, so that the other files sharing the server keep their rows.
let server: TestServer;
let database: Awaited<ReturnType<typeof ownDatabase>> | undefined;
beforeAll(async () => {
  database = await ownDatabase();
  server = await startTestServer({ ...database.env, SESSION_RETENTION_DAYS: '30', AUDIT_RETENTION_DAYS: '25' });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

const DAY = 24 * 60 * 60 * 1000;
const SESSION_IDS = 'query ($realmId: ID!) { sessions(realmId: $realmId, first: 100) { edges { node { id state } } } }';

describe('retention: ended sessions and old audit events are pruned', () => {
  it('deletes sessions ended longer ago than SESSION_RETENTION_DAYS with their refresh tokens, and audit events older than AUDIT_RETENTION_DAYS; keeps the rest', async () => {
    // Year-long sessions: the one left active must still be active when the clock has moved.
    const realm = await seedRealm(server, { sessionMinutes: 525600, idleTimeoutSeconds: null });
    const user = await realm.createUser();
    const endedLongAgo = await user.login();
    const active = await user.login();
    const endedRecently = await user.login();

    ok(await server.gql(TerminateSessionDocument, { id: endedLongAgo.session!.id }, server.adminKey));
    server.clock.advance(20 * DAY);
    ok(await server.gql(TerminateSessionDocument, { id: endedRecently.session!.id }, server.adminKey));
    server.clock.advance(11 * DAY); // ended 31 and 11 days ago; the active one was created 31 days ago

    const auditBefore = ok(await server.gql(RealmAuditEventsDocument, { realmId: realm.id, first: 100 }, server.adminKey)).auditEvents.edges.map((e) => e.node);
    expect(auditBefore.some((e) => e.type === 'LOGIN_SUCCEEDED')).toBe(true);

    const pruned = await server.app.sweeper.pruneNow();
    expect(pruned.sessions).toBe(1);

    const sessions = ok(await server.gql(SESSION_IDS, { realmId: realm.id }, server.adminKey)).sessions.edges.map(
      (e: { node: { id: string; state: string } }) => e.node,
    );
    expect(sessions.map((s: { id: string }) => s.id).sort()).toEqual([active.session!.id, endedRecently.session!.id].sort());
    expect(sessions.find((s: { id: string }) => s.id === active.session!.id).state).toBe('ACTIVE');

    // The pruned session's refresh tokens went with it; the active session still refreshes.
    expect(errorCode(await server.gql(RefreshDocument, { refreshToken: endedLongAgo.refreshToken! }))).toBe('INVALID_REFRESH_TOKEN');
    const [{ count }] = await server.app.deps.orm.em
      .fork()
      .getConnection()
      .execute<{ count: string }[]>('select count(*) from refresh_token where session_id = ?', [endedLongAgo.session!.id]);
    expect(Number(count)).toBe(0);
    ok(await server.gql(RefreshDocument, { refreshToken: active.refreshToken! }));

    // Audit: the logins and the first termination (31 days old) are gone; the termination of 11 days
    // ago and the refresh just made are kept.
    const audit = ok(await server.gql(RealmAuditEventsDocument, { realmId: realm.id, first: 100 }, server.adminKey)).auditEvents.edges.map((e) => e.node);
    expect(audit.filter((e) => e.type === 'LOGIN_SUCCEEDED')).toEqual([]);
    expect(audit.filter((e) => e.type === 'SESSION_TERMINATED').map((e) => e.sessionId)).toEqual([endedRecently.session!.id]);
    expect(audit.filter((e) => e.type === 'SESSION_REFRESHED').map((e) => e.sessionId)).toEqual([active.session!.id]);
    expect(pruned.auditEvents).toBe(auditBefore.length - 1);

    // A second pass finds nothing more to delete.
    expect(await server.app.sweeper.pruneNow()).toEqual({ sessions: 0, auditEvents: 0, deliveries: 0 });

    // The sweeper's own passes prune too (at most once an hour): a month on, the other ended
    // session is gone as well, and the active one is still there.
    server.clock.advance(31 * DAY);
    await server.app.sweeper.sweepNow();
    const left = ok(await server.gql(SESSION_IDS, { realmId: realm.id }, server.adminKey)).sessions.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(left).toEqual([active.session!.id]);
  });

  it('keeps everything when both retentions are 0 (forever)', async () => {
    const realm = await seedRealm(server);
    const login = await (await realm.createUser()).login();
    ok(await server.gql(TerminateSessionDocument, { id: login.session!.id }, server.adminKey));
    const farFuture = new Date(server.clock.now().getTime() + 100 * 365 * DAY);
    expect(await pruneExpiredRecords(server.app.deps.orm.em.fork(), farFuture, { sessionDays: 0, auditDays: 0 })).toEqual({
      sessions: 0,
      auditEvents: 0,
      deliveries: 0,
    });
    const sessions = ok(await server.gql(SESSION_IDS, { realmId: realm.id }, server.adminKey)).sessions.edges;
    expect(sessions.map((e: { node: { id: string } }) => e.node.id)).toEqual([login.session!.id]);
    const audit = ok(await server.gql(RealmAuditEventsDocument, { realmId: realm.id, first: 100 }, server.adminKey)).auditEvents.edges;
    expect(audit.length).toBeGreaterThan(0);
  });
});
