import { afterAll, describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode, type GraphQLResponse } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm, storedPasswordHash, unique, type SeededRealm } from './helpers/factories.js';
import { eventually, openWs, type WsConnection } from './helpers/ws-client.js';

// Self-service (docs/concepts.md#self-service): a user changes its own password and profile with
// its login token, through the real server.

const server = useTestServer();
const connections: WsConnection[] = [];
afterAll(async () => {
  await Promise.allSettled(connections.map((c) => c.dispose()));
});

const CHANGE_PASSWORD = `mutation ($current: String!, $next: String!) {
  changePassword(currentPassword: $current, newPassword: $next) { accessToken refreshToken session { id state } user { id } }
}`;
const UPDATE_ME = `mutation ($input: UpdateMeInput!) { updateMe(input: $input) { id email firstName lastName name } }`;
const SESSION = `query ($id: ID!) { session(id: $id) { id state terminationReason } }`;
const REFRESH = `mutation ($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { accessToken } }`;
const ME = `query { me { user { id email } session { id state } } }`;
const NEW_PASSWORD = 'a completely different passphrase 7';

type ChangeResult = {
  changePassword: { accessToken: string; refreshToken: string | null; session: { id: string; state: string } | null; user: { id: string } };
};

function changePassword(token: string, current: string, next: string): Promise<GraphQLResponse<ChangeResult>> {
  return server.gql<ChangeResult>(CHANGE_PASSWORD, { current, next }, token);
}

async function sessionOf(id: string) {
  return ok(await server.gql<{ session: { id: string; state: string; terminationReason: string | null } }>(SESSION, { id }, server.adminKey)).session;
}

async function newUser(realm: SeededRealm, input: Parameters<SeededRealm['createUser']>[0] = {}) {
  return realm.createUser(input);
}

describe('changePassword', () => {
  it('changes the password, ends every other session with PASSWORD_CHANGED (a subscriber hears it) and gives the caller fresh tokens', async () => {
    const realm = await seedRealm(server);
    const alice = await newUser(realm);
    const mine = await alice.login();
    const other = await alice.login();
    const third = await alice.login();
    const before = await storedPasswordHash(server, alice.id);

    // The other session watches its own end over graphql-ws.
    const ws = openWs(server.wsUrl, other.accessToken);
    connections.push(ws);
    await ws.connected();
    const sub = ws.subscribe<{ sessionTerminated: { sessionId: string; reason: string } }>('subscription { sessionTerminated { sessionId reason } }');
    await eventually(() => server.app.watchers.watching(other.session!.id) >= 2, 5_000, 'the subscription is live');

    const { changePassword: result } = ok(await changePassword(mine.accessToken, DEFAULT_PASSWORD, NEW_PASSWORD));
    expect(result.user.id).toBe(alice.id);
    expect(result.session).toEqual({ id: mine.session!.id, state: 'ACTIVE' });
    expect(result.refreshToken).toBeTruthy();
    expect(result.refreshToken).not.toBe(mine.refreshToken);
    expect(result.accessToken).not.toBe(mine.accessToken);
    expect(await storedPasswordHash(server, alice.id)).not.toBe(before);

    const event = await sub.result(0);
    expect(event.data?.sessionTerminated).toEqual({ sessionId: other.session!.id, reason: 'PASSWORD_CHANGED' });
    for (const ended of [other, third])
      expect(await sessionOf(ended.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'PASSWORD_CHANGED' });
    expect(await sessionOf(mine.session!.id)).toMatchObject({ state: 'ACTIVE', terminationReason: null });

    // The new access token works, the old refresh token does not, the new one does.
    expect(ok(await server.gql<{ me: { session: { id: string } } }>(ME, {}, result.accessToken)).me.session.id).toBe(mine.session!.id);
    expect(errorCode(await server.gql(REFRESH, { t: mine.refreshToken }))).toBe('INVALID_REFRESH_TOKEN');
    // Refusing the old token did not end the session (it is not a reuse).
    expect((await sessionOf(mine.session!.id)).state).toBe('ACTIVE');
    ok(await server.gql(REFRESH, { t: result.refreshToken }));

    // Logins take the new password only.
    const login = (password: string) => server.gql(LOGIN, { input: { realmId: realm.id, username: alice.username, password } });
    expect(errorCode(await login(DEFAULT_PASSWORD))).toBe('INVALID_CREDENTIALS');
    ok(await login(NEW_PASSWORD));
  });

  it('refuses a wrong current password with INVALID_CREDENTIALS and changes nothing', async () => {
    const realm = await seedRealm(server);
    const bob = await newUser(realm);
    const mine = await bob.login();
    const other = await bob.login();
    const before = await storedPasswordHash(server, bob.id);
    const response = await changePassword(mine.accessToken, 'not my password at all', NEW_PASSWORD);
    expect(errorCode(response)).toBe('INVALID_CREDENTIALS');
    expect(response.data ?? null).toBeNull();
    expect(await storedPasswordHash(server, bob.id)).toBe(before);
    expect((await sessionOf(other.session!.id)).state).toBe('ACTIVE');
    ok(await server.gql(REFRESH, { t: mine.refreshToken }));
  });

  it('is throttled like a login, on the same counters: wrong current passwords make logins RATE_LIMITED too', async () => {
    const realm = await seedRealm(server);
    const carol = await newUser(realm);
    const mine = await carol.login();
    for (let i = 0; i < 5; i++) expect(errorCode(await changePassword(mine.accessToken, `wrong guess ${i}`, NEW_PASSWORD))).toBe('INVALID_CREDENTIALS');
    // The right current password is refused now, before any hashing.
    const throttled = await changePassword(mine.accessToken, DEFAULT_PASSWORD, NEW_PASSWORD);
    expect(errorCode(throttled)).toBe('RATE_LIMITED');
    expect(throttled.errors?.[0].extensions?.retryAfter).toBeGreaterThan(0);
    // The login form shares the counters: guessing through either counts against both.
    const login = await server.gql(LOGIN, { input: { realmId: realm.id, username: carol.username, password: DEFAULT_PASSWORD } });
    expect(errorCode(login)).toBe('RATE_LIMITED');
    ok(await server.gql(REFRESH, { t: mine.refreshToken })); // the session itself is untouched
  });

  it('puts the new password through the password policy (BAD_USER_INPUT on newPassword), changing nothing', async () => {
    const realm = await seedRealm(server);
    const dave = await newUser(realm);
    const mine = await dave.login();
    const other = await dave.login();
    const before = await storedPasswordHash(server, dave.id);
    for (const weak of ['short', 'password123', dave.username, realm.name]) {
      const response = await changePassword(mine.accessToken, DEFAULT_PASSWORD, weak);
      expect(errorCode(response), weak).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0].extensions?.field).toBe('newPassword');
    }
    expect(await storedPasswordHash(server, dave.id)).toBe(before);
    expect((await sessionOf(other.session!.id)).state).toBe('ACTIVE');
  });

  it('needs a user login token', async () => {
    expect(errorCode(await server.gql(CHANGE_PASSWORD, { current: DEFAULT_PASSWORD, next: NEW_PASSWORD }, server.adminKey))).toBe('UNAUTHENTICATED');
    expect(errorCode(await server.gql(CHANGE_PASSWORD, { current: DEFAULT_PASSWORD, next: NEW_PASSWORD }))).toBe('UNAUTHENTICATED');
  });
});

describe('updateMe', () => {
  it("updates the caller's own email and names, with an audit row", async () => {
    const realm = await seedRealm(server);
    const erin = await newUser(realm);
    const { accessToken } = await erin.login();
    const email = `${unique('erin')}@example.com`;
    const { updateMe } = ok(
      await server.gql<{ updateMe: Record<string, unknown> }>(UPDATE_ME, { input: { email, firstName: 'Erin', lastName: 'Example' } }, accessToken),
    );
    expect(updateMe).toEqual({ id: erin.id, email, firstName: 'Erin', lastName: 'Example', name: 'Erin Example' });
    expect(ok(await server.gql<{ me: { user: { email: string } } }>(ME, {}, accessToken)).me.user.email).toBe(email);
    const audit = ok(
      await server.gql<{ auditEvents: { edges: { node: { type: string; actor: string } }[] } }>(
        'query ($r: ID!, $u: ID) { auditEvents(realmId: $r, userId: $u) { edges { node { type actor } } } }',
        { r: realm.id, u: erin.id },
        server.adminKey,
      ),
    );
    expect(audit.auditEvents.edges.map((e) => e.node)).toContainEqual({ type: 'USER_UPDATED', actor: `user:${erin.id}` });
  });

  it("refuses an email another user of the realm has (any case), but not another realm's", async () => {
    const realm = await seedRealm(server);
    const email = `${unique('taken')}@example.com`;
    await newUser(realm, { email });
    const frank = await newUser(realm);
    const { accessToken } = await frank.login();
    const response = await server.gql(UPDATE_ME, { input: { email: email.toUpperCase() } }, accessToken);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0].extensions?.field).toBe('email');
    expect(ok(await server.gql<{ me: { user: { email: string | null } } }>(ME, {}, accessToken)).me.user.email).toBeNull();

    const elsewhere = await seedRealm(server);
    const grace = await newUser(elsewhere);
    ok(await server.gql(UPDATE_ME, { input: { email } }, (await grace.login()).accessToken));
  });

  it('two users claiming one address at once: exactly one gets it', async () => {
    const realm = await seedRealm(server);
    const email = `${unique('race')}@example.com`;
    const tokens = await Promise.all([newUser(realm), newUser(realm)].map(async (u) => (await (await u).login()).accessToken));
    const results = await Promise.all(tokens.map((token) => server.gql(UPDATE_ME, { input: { email } }, token)));
    expect(results.map((r) => errorCode(r) ?? 'ok').sort()).toEqual(['BAD_USER_INPUT', 'ok']);
  });

  it('refuses a malformed email (BAD_USER_INPUT on email)', async () => {
    const realm = await seedRealm(server);
    const { accessToken } = await (await newUser(realm)).login();
    const response = await server.gql(UPDATE_ME, { input: { email: 'not an email' } }, accessToken);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0].extensions?.field).toBe('email');
  });

  it('needs a user login token', async () => {
    expect(errorCode(await server.gql(UPDATE_ME, { input: { firstName: 'X' } }, server.adminKey))).toBe('UNAUTHENTICATED');
  });
});
