import { describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode } from './helpers/server.js';
import { DEFAULT_PASSWORD, createAdminKey, seedRealm } from './helpers/factories.js';
import {
  LoginDetailedDocument,
  LoginWithApiKeyDocument,
  LogoutDocument,
  RealmAuditEventsDocument,
  RefreshDocument,
  TerminateSessionDocument,
  UpdateRealmDocument,
  type RealmAuditEventsQuery,
} from './generated/graphql.js';

const server = useTestServer({ resetClock: true });

type AuditEvent = RealmAuditEventsQuery['auditEvents']['edges'][number]['node'];

async function auditEvents(realmId: string, filter: { type?: string; userId?: string; sessionId?: string } = {}): Promise<AuditEvent[]> {
  const result = ok(await server.gql(RealmAuditEventsDocument, { realmId, first: 100, ...filter }, server.adminKey));
  return result.auditEvents.edges.map((edge) => edge.node);
}

function only(events: AuditEvent[], type: string, match: Partial<AuditEvent> = {}): AuditEvent {
  const found = events.filter((e) => e.type === type && Object.entries(match).every(([k, v]) => (e as Record<string, unknown>)[k] === v));
  expect(found, `${type} ${JSON.stringify(match)} in ${JSON.stringify(events.map((e) => [e.type, e.reason]))}`).toHaveLength(1);
  return found[0];
}

const ADMIN_ACTOR = /^admin:adm_[A-Za-z0-9_-]+$/;

describe('audit log of the session core', () => {
  it('records logins, failures, refreshes, terminations with reason and actor, refresh reuse and realm updates', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser({ username: 'audited' });
    const step = () => server.clock.advance(1_000);

    step();
    ok(await server.gql(UpdateRealmDocument, { id: realm.id, input: { accessTokenSeconds: 120 } }, server.adminKey));
    step();
    const failed = await server.gql(LoginDetailedDocument, { input: { realmId: realm.id, username: 'AUDITED', password: 'the wrong password' } });
    expect(errorCode(failed)).toBe('INVALID_CREDENTIALS');
    await server.gql(LoginDetailedDocument, { input: { realmId: realm.id, username: 'ghost', password: 'the wrong password' } });
    step();
    const login = await user.login({ app: 'audit-app' });
    step();
    const refreshed = ok(await server.gql(RefreshDocument, { refreshToken: login.refreshToken! })).refresh;
    step();
    ok(await server.gql(LogoutDocument, {}, refreshed.accessToken));
    step();
    const second = await user.login();
    ok(await server.gql(TerminateSessionDocument, { id: second.session!.id }, server.adminKey));
    step();
    const third = await user.login();
    ok(await server.gql(RefreshDocument, { refreshToken: third.refreshToken! }));
    server.clock.advance(11_000);
    expect(errorCode(await server.gql(RefreshDocument, { refreshToken: third.refreshToken! }))).toBe('INVALID_REFRESH_TOKEN');

    const events = await auditEvents(realm.id);
    for (const event of events) expect(event.createdAt).toEqual(expect.any(String));

    const updated = only(events, 'REALM_UPDATED');
    expect(updated.actor).toMatch(ADMIN_ACTOR);
    expect(updated.data).toMatchObject({ before: { accessTokenSeconds: 300 }, after: { accessTokenSeconds: 120 } });

    const wrongPassword = only(events, 'LOGIN_FAILED', { userId: user.id });
    expect(wrongPassword).toMatchObject({ actor: 'anonymous', ip: '127.0.0.1', sessionId: null });
    expect(wrongPassword.data).toMatchObject({ username: 'AUDITED' });
    const unknownUser = only(events, 'LOGIN_FAILED', { userId: null });
    expect(unknownUser.data).toMatchObject({ username: 'ghost' });

    const succeeded = only(events, 'LOGIN_SUCCEEDED', { sessionId: login.session!.id });
    expect(succeeded).toMatchObject({ actor: `user:${user.id}`, userId: user.id, ip: '127.0.0.1' });
    expect(succeeded.data).toMatchObject({ app: 'audit-app' });
    expect(events.filter((e) => e.type === 'LOGIN_SUCCEEDED')).toHaveLength(3);

    const refreshEvents = events.filter((e) => e.type === 'SESSION_REFRESHED');
    expect(refreshEvents).toHaveLength(2);
    expect(only(events, 'SESSION_REFRESHED', { sessionId: login.session!.id })).toMatchObject({ actor: `user:${user.id}`, userId: user.id });

    const terminations = events.filter((e) => e.type === 'SESSION_TERMINATED');
    expect(terminations).toHaveLength(3);
    expect(only(events, 'SESSION_TERMINATED', { sessionId: login.session!.id })).toMatchObject({
      reason: 'LOGOUT',
      actor: `user:${user.id}`,
      userId: user.id,
      ip: '127.0.0.1',
    });
    const byAdmin = only(events, 'SESSION_TERMINATED', { sessionId: second.session!.id });
    expect(byAdmin.reason).toBe('TERMINATED_BY_ADMIN');
    expect(byAdmin.actor).toMatch(ADMIN_ACTOR);
    expect(only(events, 'SESSION_TERMINATED', { sessionId: third.session!.id })).toMatchObject({ reason: 'REFRESH_TOKEN_REUSED', actor: 'system' });

    const reuse = only(events, 'REFRESH_TOKEN_REUSED');
    expect(reuse).toMatchObject({ sessionId: third.session!.id, userId: user.id, ip: '127.0.0.1' });

    // Newest first.
    const times = events.map((e) => new Date(e.createdAt).getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(events.at(0)!.type).toMatch(/REFRESH_TOKEN_REUSED|SESSION_TERMINATED/);

    // Secrets never reach the log: no password, no refresh token, no login token.
    const everything = JSON.stringify(events);
    for (const secret of [DEFAULT_PASSWORD, 'the wrong password', login.refreshToken!, refreshed.refreshToken!, third.refreshToken!, login.accessToken]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('records evictions and expiries as the system', async () => {
    const realm = await seedRealm(server, { maxActiveSessions: 1, idleTimeoutSeconds: 60 });
    const user = await realm.createUser();
    const first = await user.login();
    server.clock.advance(1_000);
    const second = await user.login();
    server.clock.advance(61_000);
    expect(errorCode(await server.gql(RefreshDocument, { refreshToken: second.refreshToken! }))).toBe('INVALID_REFRESH_TOKEN');

    const events = await auditEvents(realm.id, { type: 'SESSION_TERMINATED' });
    expect(events.every((e) => e.type === 'SESSION_TERMINATED')).toBe(true);
    expect(only(events, 'SESSION_TERMINATED', { sessionId: first.session!.id })).toMatchObject({ reason: 'EVICTED', actor: 'system', userId: user.id });
    expect(only(events, 'SESSION_TERMINATED', { sessionId: second.session!.id })).toMatchObject({ reason: 'IDLE_TIMEOUT', actor: 'system' });
  });

  it('records API-key logins and their failures', async () => {
    const realm = await seedRealm(server);
    const robot = await realm.createUser({ kind: 'API' });
    const key = await robot.createApiKey();
    ok(await server.gql(LoginWithApiKeyDocument, { input: { realmId: realm.id, apiKey: key.apiKey } }));
    expect(errorCode(await server.gql(LoginWithApiKeyDocument, { input: { realmId: realm.id, apiKey: 'tsk_nope' } }))).toBe('INVALID_CREDENTIALS');

    const events = await auditEvents(realm.id, { userId: robot.id });
    const success = only(events, 'LOGIN_SUCCEEDED');
    expect(success).toMatchObject({ actor: `user:${robot.id}`, sessionId: null, ip: '127.0.0.1' });
    expect(success.data).toMatchObject({ apiKeyId: key.key.id });
    const failures = await auditEvents(realm.id, { type: 'LOGIN_FAILED' });
    expect(failures).toHaveLength(1);
    expect(JSON.stringify([...events, ...failures])).not.toContain(key.apiKey);
  });

  it('filters by type, user and session', async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser();
    const bob = await realm.createUser();
    const aliceLogin = await alice.login();
    await bob.login();
    ok(await server.gql(LogoutDocument, {}, aliceLogin.accessToken));

    const ofAlice = await auditEvents(realm.id, { userId: alice.id });
    expect(ofAlice.length).toBeGreaterThanOrEqual(3);
    expect(ofAlice.every((e) => e.userId === alice.id)).toBe(true);
    const ofSession = await auditEvents(realm.id, { sessionId: aliceLogin.session!.id });
    expect(ofSession.map((e) => e.type).sort()).toEqual(['LOGIN_SUCCEEDED', 'SESSION_TERMINATED']);
    const logins = await auditEvents(realm.id, { type: 'LOGIN_SUCCEEDED' });
    expect(logins.map((e) => e.userId).sort()).toEqual([alice.id, bob.id].sort());
  });

  it('is readable by REALMS_READ admins of the realm only', async () => {
    const realm = await seedRealm(server);
    const other = await seedRealm(server);
    const login = await (await realm.createUser()).login();
    const reader = await createAdminKey(server, { scopes: ['REALMS_READ'], realmId: realm.id });
    const sessionsOnly = await createAdminKey(server, { scopes: ['SESSIONS_READ', 'SESSIONS_TERMINATE'] });

    const own = ok(await server.gql(RealmAuditEventsDocument, { realmId: realm.id }, reader)).auditEvents;
    expect(own.edges.length).toBeGreaterThan(0);
    expect(own.edges.every((e) => e.node.type !== undefined)).toBe(true);
    expect(errorCode(await server.gql(RealmAuditEventsDocument, { realmId: other.id }, reader))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(RealmAuditEventsDocument, { realmId: realm.id }, sessionsOnly))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(RealmAuditEventsDocument, { realmId: realm.id }, login.accessToken))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(RealmAuditEventsDocument, { realmId: realm.id }))).toBe('UNAUTHENTICATED');
    // Realm B's log shows nothing of realm A.
    const theirs = await auditEvents(other.id);
    expect(JSON.stringify(theirs)).not.toContain(login.session!.id);
  });

  it('does not write audit rows for realms that do not exist', async () => {
    await server.gql(LoginDetailedDocument, { input: { realmId: 'rlm_ghost_realm', username: 'x', password: 'whatever password' } });
    await server.gql(LoginWithApiKeyDocument, { input: { realmId: 'rlm_ghost_realm', apiKey: 'tsk_x' } });
    const { AuditEvent } = await import('../src/db/entities/index.js');
    const count = await server.app.deps.orm.em.fork().count(AuditEvent, { realmId: 'rlm_ghost_realm' });
    expect(count).toBe(0);
  });
});

describe('audit event ids', () => {
  const TIME_ORDERED = /^aud_[0-9a-f]{12}[A-Za-z0-9_-]{14}$/;

  it('are time-ordered, whether made in TypeScript (a login) or in SQL (an ended session)', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login(); // LOGIN_SUCCEEDED: id from newTimeOrderedId
    ok(await server.gql(TerminateSessionDocument, { id: login.session!.id }, server.adminKey)); // SESSION_TERMINATED: tessera_audit_id()
    const events = await auditEvents(realm.id);
    const loginEvent = only(events, 'LOGIN_SUCCEEDED');
    const terminated = only(events, 'SESSION_TERMINATED');
    expect(loginEvent.id).toMatch(TIME_ORDERED);
    expect(terminated.id).toMatch(TIME_ORDERED);
    // Both clocks put the time prefix within a minute of now, and the later event sorts later.
    for (const id of [loginEvent.id, terminated.id]) expect(Math.abs(parseInt(id.slice(4, 16), 16) - Date.now())).toBeLessThan(60_000);
    expect(loginEvent.id < terminated.id).toBe(true);

    const [sql] = await server.app.deps.orm.em
      .fork()
      .getConnection()
      .execute<{ first: string; second: string }[]>(`select tessera_audit_id() as first, (select tessera_audit_id() from pg_sleep(0.002)) as second`);
    expect(sql.first < sql.second).toBe(true);
  });
});
