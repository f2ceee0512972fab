import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode, type GraphQLResponse } from './helpers/server.js';
import { createAdminKey, seedRealm, type SeededRealm, type SeededUser } from './helpers/factories.js';
import {
  MeDocument,
  SessionByIdDocument,
  SessionsOfRealmDocument,
  TerminateAllSessionsOfRealmDocument,
  TerminateAllSessionsOfUserDocument,
  TerminateSessionDocument,
} from './generated/graphql.js';

// Nothing ever crosses realms (docs/security.md#realm-isolation): for every session operation, a
// caller of realm A gets exactly the answer it would get for an object that does not exist —
// NOT_FOUND — when it names something of realm B, and realm B is left untouched. (The Kratos habit:
// an "in another network" case for every operation.)

const server = useTestServer();

type Login = Awaited<ReturnType<SeededUser['login']>>;

interface World {
  realmA: SeededRealm;
  realmB: SeededRealm;
  userA: SeededUser;
  userB: SeededUser;
  loginA: Login;
  loginB: Login;
  callers: Record<string, string>;
}

async function world(): Promise<World> {
  const realmA = await seedRealm(server);
  const realmB = await seedRealm(server);
  // Same username in both realms: usernames are unique per realm only.
  const userA = await realmA.createUser({ username: 'alice' });
  const userB = await realmB.createUser({ username: 'alice' });
  const loginA = await userA.login();
  const loginB = await userB.login();
  const realmKey = await createAdminKey(server, { realmId: realmA.id }); // all scopes, realm A only
  return {
    realmA,
    realmB,
    userA,
    userB,
    loginA,
    loginB,
    callers: { 'user token of realm A': loginA.accessToken, 'all-scopes admin key limited to realm A': realmKey },
  };
}

function expectNotFound(response: GraphQLResponse<Record<string, unknown>>, what: string) {
  expect(errorCode(response), `${what}: ${JSON.stringify(response)}`).toBe('NOT_FOUND');
  for (const value of Object.values(response.data ?? {})) expect(value, what).toBeNull();
  return response.errors![0].message;
}

async function expectRealmBUntouched(w: World) {
  const session = ok(await server.gql(SessionByIdDocument, { id: w.loginB.session!.id }, server.adminKey)).session!;
  expect(session).toMatchObject({ state: 'ACTIVE', terminationReason: null });
  const me = ok(await server.gql(MeDocument, {}, w.loginB.accessToken)).me!;
  expect(me.user.id).toBe(w.userB.id);
}

describe('session operations across realms', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });

  for (const callerName of ['user token of realm A', 'all-scopes admin key limited to realm A']) {
    describe(callerName, () => {
      it('session(id) of realm B: NOT_FOUND, like a session that does not exist', async () => {
        const caller = w.callers[callerName];
        const message = expectNotFound(await server.gql(SessionByIdDocument, { id: w.loginB.session!.id }, caller), 'session(B)');
        expect(expectNotFound(await server.gql(SessionByIdDocument, { id: 'ses_doesnotexist' }, caller), 'session(missing)')).toBe(message);
        // Its own realm's session is readable (the check is about the realm, not a blanket refusal).
        const own = ok(await server.gql(SessionByIdDocument, { id: w.loginA.session!.id }, caller)).session!;
        expect(own.id).toBe(w.loginA.session!.id);
      });

      it('sessions(realmId B): NOT_FOUND, like a realm that does not exist', async () => {
        const caller = w.callers[callerName];
        const message = expectNotFound(await server.gql(SessionsOfRealmDocument, { realmId: w.realmB.id }, caller), 'sessions(B)');
        expect(expectNotFound(await server.gql(SessionsOfRealmDocument, { realmId: 'rlm_doesnotexist' }, caller), 'sessions(missing)')).toBe(message);
        expectNotFound(await server.gql(SessionsOfRealmDocument, { realmId: w.realmB.id, userId: w.userB.id }, caller), 'sessions(B, userB)');
        expectNotFound(await server.gql(SessionsOfRealmDocument, { realmId: w.realmB.id, state: 'ACTIVE' }, caller), 'sessions(B, ACTIVE)');
        // Naming realm B's user under realm A finds nothing of B either.
        const crossed = await server.gql(SessionsOfRealmDocument, { realmId: w.realmA.id, userId: w.userB.id }, caller);
        if (crossed.errors) expect(errorCode(crossed)).toBe('NOT_FOUND');
        else expect(crossed.data!.sessions.edges).toEqual([]);
      });

      it('terminateSession of realm B: NOT_FOUND, and the session lives on', async () => {
        const caller = w.callers[callerName];
        const message = expectNotFound(await server.gql(TerminateSessionDocument, { id: w.loginB.session!.id }, caller), 'terminateSession(B)');
        expect(expectNotFound(await server.gql(TerminateSessionDocument, { id: 'ses_doesnotexist' }, caller), 'terminateSession(missing)')).toBe(message);
        await expectRealmBUntouched(w);
      });

      it('terminateAllSessions of a realm B user: NOT_FOUND, and the sessions live on', async () => {
        const caller = w.callers[callerName];
        const message = expectNotFound(await server.gql(TerminateAllSessionsOfUserDocument, { userId: w.userB.id }, caller), 'terminateAll(B)');
        expectNotFound(await server.gql(TerminateAllSessionsOfUserDocument, { userId: w.userB.id, keepCurrent: true }, caller), 'terminateAll(B, keep)');
        expect(expectNotFound(await server.gql(TerminateAllSessionsOfUserDocument, { userId: 'usr_doesnotexist' }, caller), 'terminateAll(missing)')).toBe(
          message,
        );
        await expectRealmBUntouched(w);
      });

      it('terminateRealmSessions of realm B: NOT_FOUND, and realm B lives on', async () => {
        const caller = w.callers[callerName];
        const message = expectNotFound(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: w.realmB.id }, caller), 'terminateRealm(B)');
        expect(expectNotFound(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: 'rlm_doesnotexist' }, caller), 'terminateRealm(missing)')).toBe(
          message,
        );
        await expectRealmBUntouched(w);
      });
    });
  }

  it('the caller of realm A kept its own session through all of it', async () => {
    const me = ok(await server.gql(MeDocument, {}, w.loginA.accessToken)).me!;
    expect(me.session).toMatchObject({ id: w.loginA.session!.id, state: 'ACTIVE' });
  });

  it('realm-limited admin keys do act inside their own realm (positive control)', async () => {
    const inside = await world();
    const key = inside.callers['all-scopes admin key limited to realm A'];
    const list = ok(await server.gql(SessionsOfRealmDocument, { realmId: inside.realmA.id }, key)).sessions;
    expect(list.edges.map((e) => e.node.id)).toEqual([inside.loginA.session!.id]);
    expect(ok(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: inside.realmA.id }, key)).terminateRealmSessions).toBe(1);
    const ended = ok(await server.gql(SessionByIdDocument, { id: inside.loginA.session!.id }, key)).session!;
    expect(ended).toMatchObject({ state: 'TERMINATED', terminationReason: 'TERMINATED_BY_ADMIN' });
    await expectRealmBUntouched(inside);
    // And a global key reaches realm B.
    expect(ok(await server.gql(TerminateAllSessionsOfRealmDocument, { realmId: inside.realmB.id }, server.adminKey)).terminateRealmSessions).toBe(1);
  });

  it('a token of realm A cannot act as the same-named user of realm B', async () => {
    const other = await world();
    const me = ok(await server.gql(MeDocument, {}, other.loginA.accessToken)).me!;
    expect(me.user.id).toBe(other.userA.id);
    expect(me.user.id).not.toBe(other.userB.id);
    const list = ok(await server.gql(SessionsOfRealmDocument, { realmId: other.realmA.id }, other.loginA.accessToken)).sessions;
    expect(list.edges.map((e) => e.node.id)).toEqual([other.loginA.session!.id]);
  });
});
