import { describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode, type GraphQLResponse } from './helpers/server.js';
import { createAdminKey, seedRealm, type SeededUser } from './helpers/factories.js';
import {
  LogoutDocument,
  MeDocument,
  RefreshDocument,
  SessionByIdDocument,
  SessionsOfRealmDocument,
  SetUserDisabledDocument,
  SetUserPasswordDocument,
  TerminateAllSessionsOfRealmDocument,
  TerminateAllSessionsOfUserDocument,
  TerminateSessionDocument,
  VerifyLoginTokenDocument,
  type SessionState,
} from './generated/graphql.js';

const server = useTestServer({ resetClock: true });

type Login = Awaited<ReturnType<SeededUser['login']>>;

function expectCode(response: GraphQLResponse<unknown>, code: string) {
  expect(errorCode(response), JSON.stringify(response)).toBe(code);
}

async function sessionAsAdmin(id: string) {
  return ok(await server.gql(SessionByIdDocument, { id }, server.adminKey)).session!;
}

async function expectEnded(login: Login, state: SessionState, reason: string) {
  const session = await sessionAsAdmin(login.session!.id);
  expect(session).toMatchObject({ state, terminationReason: reason });
  expect(session.terminatedAt).not.toBeNull();
  // A session that ended can never be used again: not its login token, not its refresh token.
  expectCode(await server.gql(MeDocument, {}, login.accessToken), 'UNAUTHENTICATED');
  expectCode(await server.gql(RefreshDocument, { refreshToken: login.refreshToken! }), 'INVALID_REFRESH_TOKEN');
  const verification = ok(await server.gql(VerifyLoginTokenDocument, { token: login.accessToken })).verifyToken;
  expect(verification).toMatchObject({ valid: false, reason: 'SESSION_NOT_ACTIVE' });
}

async function expectActive(login: Login) {
  expect((await sessionAsAdmin(login.session!.id)).state).toBe('ACTIVE');
  ok(await server.gql(MeDocument, {}, login.accessToken));
}

/** Logins of one user a little apart in time, so "oldest" and "newest first" are well defined. */
async function loginTimes(user: SeededUser, count: number): Promise<Login[]> {
  const logins: Login[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) server.clock.advance(1_000);
    logins.push(await user.login({ app: `app-${i}` }));
  }
  return logins;
}

describe('logout', () => {
  it('ends the session (LOGOUT) and the token is rejected at once', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const [login, other] = await loginTimes(user, 2);
    expect(ok(await server.gql(LogoutDocument, {}, login.accessToken)).logout).toBe(true);
    await expectEnded(login, 'TERMINATED', 'LOGOUT');
    // Logging out again with the dead token is not possible.
    expectCode(await server.gql(LogoutDocument, {}, login.accessToken), 'UNAUTHENTICATED');
    // The user's other session is untouched.
    await expectActive(other);
  });

  it('needs a user token', async () => {
    expectCode(await server.gql(LogoutDocument, {}), 'UNAUTHENTICATED');
    expectCode(await server.gql(LogoutDocument, {}, server.adminKey), 'UNAUTHENTICATED');
  });
});

describe('terminateSession', () => {
  it('by the session itself: LOGOUT', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const ended = ok(await server.gql(TerminateSessionDocument, { id: login.session!.id }, login.accessToken)).terminateSession;
    expect(ended).toMatchObject({ id: login.session!.id, state: 'TERMINATED', terminationReason: 'LOGOUT' });
    expect(ended.terminatedAt).not.toBeNull();
    await expectEnded(login, 'TERMINATED', 'LOGOUT');
  });

  it('by another session of the same user: TERMINATED_BY_USER', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const [phone, laptop] = await loginTimes(user, 2);
    const ended = ok(await server.gql(TerminateSessionDocument, { id: phone.session!.id }, laptop.accessToken)).terminateSession;
    expect(ended).toMatchObject({ state: 'TERMINATED', terminationReason: 'TERMINATED_BY_USER', current: false });
    await expectEnded(phone, 'TERMINATED', 'TERMINATED_BY_USER');
    await expectActive(laptop);
  });

  it('by an admin with SESSIONS_TERMINATE: TERMINATED_BY_ADMIN', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const key = await createAdminKey(server, { scopes: ['SESSIONS_TERMINATE', 'SESSIONS_READ'] });
    const ended = ok(await server.gql(TerminateSessionDocument, { id: login.session!.id }, key)).terminateSession;
    expect(ended).toMatchObject({ state: 'TERMINATED', terminationReason: 'TERMINATED_BY_ADMIN', current: false });
    await expectEnded(login, 'TERMINATED', 'TERMINATED_BY_ADMIN');
  });

  it('an admin without SESSIONS_TERMINATE is FORBIDDEN, and the session lives on', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const reader = await createAdminKey(server, { scopes: ['SESSIONS_READ', 'USERS_MANAGE'] });
    expectCode(await server.gql(TerminateSessionDocument, { id: login.session!.id }, reader), 'FORBIDDEN');
    expectCode(await server.gql(TerminateAllSessionsOfUserDocument, { userId: user.id }, reader), 'FORBIDDEN');
    expectCode(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: realm.id }, reader), 'FORBIDDEN');
    await expectActive(login);
  });

  it("a user on someone else's session: NOT_FOUND, and nothing happens", async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser();
    const mallory = await realm.createUser();
    const aliceLogin = await alice.login();
    const malloryLogin = await mallory.login();
    const response = await server.gql(TerminateSessionDocument, { id: aliceLogin.session!.id }, malloryLogin.accessToken);
    expectCode(response, 'NOT_FOUND');
    // Same answer as for a session that does not exist at all.
    const missing = await server.gql(TerminateSessionDocument, { id: 'ses_doesnotexist' }, malloryLogin.accessToken);
    expectCode(missing, 'NOT_FOUND');
    expect(missing.errors![0].message).toBe(response.errors![0].message);
    expectCode(await server.gql(SessionByIdDocument, { id: aliceLogin.session!.id }, malloryLogin.accessToken), 'NOT_FOUND');
    await expectActive(aliceLogin);
  });

  it('anonymous callers are UNAUTHENTICATED', async () => {
    const realm = await seedRealm(server);
    const login = await (await realm.createUser()).login();
    expectCode(await server.gql(TerminateSessionDocument, { id: login.session!.id }), 'UNAUTHENTICATED');
    expectCode(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: realm.id }), 'UNAUTHENTICATED');
    await expectActive(login);
  });

  it('an already ended session keeps its first reason', async () => {
    const realm = await seedRealm(server);
    const login = await (await realm.createUser()).login();
    ok(await server.gql(LogoutDocument, {}, login.accessToken));
    const again = ok(await server.gql(TerminateSessionDocument, { id: login.session!.id }, server.adminKey)).terminateSession;
    expect(again).toMatchObject({ state: 'TERMINATED', terminationReason: 'LOGOUT' });
  });
});

describe('terminateAllSessions', () => {
  it('by the user, keeping the current session: counts the others only', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const bystander = await realm.createUser();
    const bystanderLogin = await bystander.login();
    const [a, b, c] = await loginTimes(user, 3);
    ok(await server.gql(LogoutDocument, {}, b.accessToken)); // already ended: not counted

    const count = ok(await server.gql(TerminateAllSessionsOfUserDocument, { userId: user.id, keepCurrent: true }, c.accessToken)).terminateAllSessions;
    expect(count).toBe(1);
    await expectEnded(a, 'TERMINATED', 'TERMINATED_BY_USER');
    expect((await sessionAsAdmin(b.session!.id)).terminationReason).toBe('LOGOUT');
    await expectActive(c);
    await expectActive(bystanderLogin);
  });

  it('by the user, not keeping the current session: counts every one, the current included', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const [a, b, c] = await loginTimes(user, 3);
    const count = ok(await server.gql(TerminateAllSessionsOfUserDocument, { userId: user.id, keepCurrent: false }, c.accessToken)).terminateAllSessions;
    expect(count).toBe(3);
    await expectEnded(a, 'TERMINATED', 'TERMINATED_BY_USER');
    await expectEnded(b, 'TERMINATED', 'TERMINATED_BY_USER');
    await expectEnded(c, 'TERMINATED', 'LOGOUT');
    // keepCurrent defaults to false.
    const [d, e] = await loginTimes(user, 2);
    expect(ok(await server.gql(TerminateAllSessionsOfUserDocument, { userId: user.id }, e.accessToken)).terminateAllSessions).toBe(2);
    await expectEnded(d, 'TERMINATED', 'TERMINATED_BY_USER');
    await expectEnded(e, 'TERMINATED', 'LOGOUT');
  });

  it("a user cannot end another user's sessions", async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser();
    const mallory = await realm.createUser();
    const aliceLogin = await alice.login();
    const malloryLogin = await mallory.login();
    expectCode(await server.gql(TerminateAllSessionsOfUserDocument, { userId: alice.id }, malloryLogin.accessToken), 'NOT_FOUND');
    await expectActive(aliceLogin);
    await expectActive(malloryLogin);
  });

  it('by an admin: every active session of the user, TERMINATED_BY_ADMIN', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const bystander = await realm.createUser();
    const bystanderLogin = await bystander.login();
    const logins = await loginTimes(user, 3);
    const key = await createAdminKey(server, { scopes: ['SESSIONS_TERMINATE'], realmId: realm.id });
    const count = ok(await server.gql(TerminateAllSessionsOfUserDocument, { userId: user.id, keepCurrent: true }, key)).terminateAllSessions;
    expect(count).toBe(3);
    for (const login of logins) await expectEnded(login, 'TERMINATED', 'TERMINATED_BY_ADMIN');
    await expectActive(bystanderLogin);
    // Nothing left to end.
    expect(ok(await server.gql(TerminateAllSessionsOfUserDocument, { userId: user.id }, key)).terminateAllSessions).toBe(0);
    expectCode(await server.gql(TerminateAllSessionsOfUserDocument, { userId: 'usr_doesnotexist' }, key), 'NOT_FOUND');
  });
});

describe('terminateRealmSessions', () => {
  it('ends every active session of the realm and no other', async () => {
    const realm = await seedRealm(server);
    const elsewhere = await seedRealm(server);
    const alice = await realm.createUser();
    const bob = await realm.createUser();
    const logins = [...(await loginTimes(alice, 2)), await bob.login()];
    const ended = await bob.login();
    ok(await server.gql(LogoutDocument, {}, ended.accessToken));
    const outsider = await (await elsewhere.createUser()).login();

    const count = ok(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: realm.id }, server.adminKey)).terminateRealmSessions;
    expect(count).toBe(3);
    for (const login of logins) await expectEnded(login, 'TERMINATED', 'TERMINATED_BY_ADMIN');
    expect((await sessionAsAdmin(ended.session!.id)).terminationReason).toBe('LOGOUT');
    await expectActive(outsider);
    // New logins work after the purge.
    await expectActive(await alice.login());
  });

  it('is for admins only: a user token of the realm is FORBIDDEN', async () => {
    const realm = await seedRealm(server);
    const login = await (await realm.createUser()).login();
    expectCode(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: realm.id }, login.accessToken), 'FORBIDDEN');
    await expectActive(login);
    expectCode(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: 'rlm_doesnotexist' }, server.adminKey), 'NOT_FOUND');
  });
});

describe('sessions end with the user', () => {
  it('setPassword ends every session of the user (PASSWORD_CHANGED)', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const bystander = await (await realm.createUser()).login();
    const logins = await loginTimes(user, 2);
    ok(await server.gql(SetUserPasswordDocument, { userId: user.id, password: 'a brand new password' }, server.adminKey));
    for (const login of logins) await expectEnded(login, 'TERMINATED', 'PASSWORD_CHANGED');
    await expectActive(bystander);
  });

  it('disabling a user ends every session of the user (USER_DISABLED)', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const bystander = await (await realm.createUser()).login();
    const logins = await loginTimes(user, 2);
    ok(await server.gql(SetUserDisabledDocument, { id: user.id, disabled: true }, server.adminKey));
    for (const login of logins) await expectEnded(login, 'TERMINATED', 'USER_DISABLED');
    await expectActive(bystander);
    // Re-enabling does not bring the sessions back.
    ok(await server.gql(SetUserDisabledDocument, { id: user.id, disabled: false }, server.adminKey));
    expect((await sessionAsAdmin(logins[0].session!.id)).state).toBe('TERMINATED');
    await expectActive(await user.login());
  });
});

describe('maxActiveSessions', () => {
  it('a login beyond the cap evicts the oldest active session (EVICTED)', async () => {
    const realm = await seedRealm(server, { maxActiveSessions: 2 });
    const user = await realm.createUser();
    const [first, second, third] = await loginTimes(user, 3);
    await expectEnded(first, 'TERMINATED', 'EVICTED');
    await expectActive(second);
    await expectActive(third);

    // Ended sessions do not count: after a logout, the next login evicts nobody.
    ok(await server.gql(LogoutDocument, {}, second.accessToken));
    server.clock.advance(1_000);
    const fourth = await user.login();
    await expectActive(third);
    await expectActive(fourth);
    server.clock.advance(1_000);
    const fifth = await user.login();
    await expectEnded(third, 'TERMINATED', 'EVICTED');
    await expectActive(fourth);
    await expectActive(fifth);
  });

  it('sessions that already expired are not counted against the cap', async () => {
    const realm = await seedRealm(server, { maxActiveSessions: 2, idleTimeoutSeconds: 60 });
    const user = await realm.createUser();
    const [first, second] = await loginTimes(user, 2);
    server.clock.advance(120_000);
    const third = await user.login();
    expect(await sessionAsAdmin(first.session!.id)).toMatchObject({ state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT' });
    expect(await sessionAsAdmin(second.session!.id)).toMatchObject({ state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT' });
    await expectActive(third);
  });

  it('holds under parallel logins of one user', async () => {
    const realm = await seedRealm(server, { maxActiveSessions: 2 });
    const user = await realm.createUser();
    const logins = await Promise.all(Array.from({ length: 5 }, () => user.login()));
    expect(new Set(logins.map((l) => l.session!.id)).size).toBe(5);
    const active = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, userId: user.id, state: 'ACTIVE' }, server.adminKey)).sessions;
    expect(active.edges).toHaveLength(2);
    const evicted = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, userId: user.id, state: 'TERMINATED' }, server.adminKey)).sessions;
    expect(evicted.edges).toHaveLength(3);
    for (const edge of evicted.edges) expect(edge.node.terminationReason).toBe('EVICTED');
  });
});

describe('listing sessions', () => {
  it('newest first, with current, filtered by user and state', async () => {
    const realm = await seedRealm(server, { idleTimeoutSeconds: 600 });
    const alice = await realm.createUser();
    const bob = await realm.createUser();
    const [a1, a2, a3] = await loginTimes(alice, 3);
    server.clock.advance(1_000);
    const b1 = await bob.login();
    ok(await server.gql(LogoutDocument, {}, a2.accessToken));

    // As alice (from a3): only her own sessions, newest first, the current one flagged.
    const own = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id }, a3.accessToken)).sessions;
    expect(own.edges.map((e) => e.node.id)).toEqual([a3, a2, a1].map((l) => l.session!.id));
    expect(own.edges.map((e) => e.node.current)).toEqual([true, false, false]);
    expect(own.edges.map((e) => e.node.state)).toEqual(['ACTIVE', 'TERMINATED', 'ACTIVE']);
    for (const edge of own.edges) expect(edge.node.user.id).toBe(alice.id);
    // Passing her own id is the same; anyone else's is NOT_FOUND.
    const ownById = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, userId: alice.id }, a3.accessToken)).sessions;
    expect(ownById.edges.map((e) => e.node.id)).toEqual(own.edges.map((e) => e.node.id));
    expectCode(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, userId: bob.id }, a3.accessToken), 'NOT_FOUND');

    const activeOnly = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, state: 'ACTIVE' }, a1.accessToken)).sessions;
    expect(activeOnly.edges.map((e) => [e.node.id, e.node.current])).toEqual([
      [a3.session!.id, false],
      [a1.session!.id, true],
    ]);
    const terminatedOnly = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, state: 'TERMINATED' }, a1.accessToken)).sessions;
    expect(terminatedOnly.edges.map((e) => e.node.id)).toEqual([a2.session!.id]);

    // As an admin: everyone's, newest first, none current.
    const all = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id }, server.adminKey)).sessions;
    expect(all.edges.map((e) => e.node.id)).toEqual([b1, a3, a2, a1].map((l) => l.session!.id));
    expect(all.edges.every((e) => e.node.current === false)).toBe(true);
    const bobs = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, userId: bob.id }, server.adminKey)).sessions;
    expect(bobs.edges.map((e) => e.node.id)).toEqual([b1.session!.id]);

    // Pages.
    const page1 = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, first: 2 }, server.adminKey)).sessions;
    expect(page1.edges.map((e) => e.node.id)).toEqual([b1, a3].map((l) => l.session!.id));
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, first: 2, after: page1.pageInfo.endCursor }, server.adminKey)).sessions;
    expect(page2.edges.map((e) => e.node.id)).toEqual([a2, a1].map((l) => l.session!.id));
    expect(page2.pageInfo.hasNextPage).toBe(false);
  });

  it('state EXPIRED includes sessions past their idle timeout before any sweep', async () => {
    const realm = await seedRealm(server, { idleTimeoutSeconds: 60 });
    const user = await realm.createUser();
    const [old] = await loginTimes(user, 1);
    server.clock.advance(61_000);
    const fresh = await user.login();
    const expired = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, state: 'EXPIRED' }, server.adminKey)).sessions;
    expect(expired.edges.map((e) => [e.node.id, e.node.state, e.node.terminationReason])).toEqual([[old.session!.id, 'EXPIRED', 'IDLE_TIMEOUT']]);
    const active = ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id, state: 'ACTIVE' }, fresh.accessToken)).sessions;
    expect(active.edges.map((e) => e.node.id)).toEqual([fresh.session!.id]);
  });

  it('session(id): a user sees its own sessions, current or not', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const [a, b] = await loginTimes(user, 2);
    const other = ok(await server.gql(SessionByIdDocument, { id: a.session!.id }, b.accessToken)).session!;
    expect(other).toMatchObject({ id: a.session!.id, current: false, state: 'ACTIVE', app: 'app-0', ip: '127.0.0.1' });
    const self = ok(await server.gql(SessionByIdDocument, { id: b.session!.id }, b.accessToken)).session!;
    expect(self).toMatchObject({ id: b.session!.id, current: true });
  });
});
