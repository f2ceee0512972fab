import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode, type GraphQLResponse } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm } from './helpers/factories.js';
import {
  CreateApiKeyDocument,
  LoginDetailedDocument,
  LoginWithApiKeyDocument,
  LogoutDocument,
  MeDocument,
  RefreshDocument,
  RevokeUserApiKeyDocument,
  SessionsOfRealmDocument,
  SetUserDisabledDocument,
  TerminateAllSessionsOfUserDocument,
  VerifyLoginTokenDocument,
} from './generated/graphql.js';

const server = useTestServer({ resetClock: true });

const YEAR_MS = 365 * 24 * 3600_000;
const claimsOf = (token: string) => jwt.decode(token, { json: true })!;

function expectCode(response: GraphQLResponse<Record<string, unknown>>, code: string) {
  expect(errorCode(response), JSON.stringify(response)).toBe(code);
  // Non-null fields null the whole data; a nullable field (me) is null itself.
  for (const value of Object.values(response.data ?? {})) expect(value).toBeNull();
}

function apiLogin(realmId: string, apiKey: string) {
  return server.gql(LoginWithApiKeyDocument, { input: { realmId, apiKey } });
}

describe('unmanaged realms', () => {
  it('log in without a session or refresh token; exp = login + sessionMinutes', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED', sessionMinutes: 90 });
    const user = await realm.createUser({ firstName: 'Una' });
    const result = ok(await server.gql(LoginDetailedDocument, { input: { realmId: realm.id, username: user.username, password: DEFAULT_PASSWORD } })).login;
    expect(result.session).toBeNull();
    expect(result.refreshToken).toBeNull();
    expect(result.user.lastLoginAt).not.toBeNull();

    const claims = claimsOf(result.accessToken);
    expect(claims).not.toHaveProperty('sid');
    expect(claims).toMatchObject({ sub: user.id, uid: user.id, iss: realm.issuer, un: user.username, fn: 'Una', n: 'Una' });
    expect(claims.exp).toBe(claims.iat! + 90 * 60);
    expect(new Date(result.accessTokenExpiresAt!).getTime()).toBe(claims.exp! * 1000);
    expect(jwt.verify(result.accessToken, realm.jwtSecret!, { algorithms: ['HS256'], issuer: realm.issuer })).toEqual(claims);

    // The token is the whole session: me has no session, there is nothing to list or refresh.
    const me = ok(await server.gql(MeDocument, {}, result.accessToken)).me!;
    expect(me.user.id).toBe(user.id);
    expect(me.session).toBeNull();
    const verification = ok(await server.gql(VerifyLoginTokenDocument, { token: result.accessToken })).verifyToken;
    expect(verification).toMatchObject({ valid: true, reason: null, session: null });
    expect(ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id }, server.adminKey)).sessions.edges).toEqual([]);
    expect(ok(await server.gql(SessionsOfRealmDocument, { realmId: realm.id }, result.accessToken)).sessions.edges).toEqual([]);

    // It stays valid until exp, and not after.
    server.clock.advance(89 * 60_000);
    ok(await server.gql(MeDocument, {}, result.accessToken));
    server.clock.advance(2 * 60_000);
    expectCode(await server.gql(MeDocument, {}, result.accessToken), 'UNAUTHENTICATED');
    const expired = ok(await server.gql(VerifyLoginTokenDocument, { token: result.accessToken })).verifyToken;
    expect(expired).toMatchObject({ valid: false, reason: 'EXPIRED' });
  });

  it('open-ended sessions (sessionMinutes null) carry no exp at all', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED', sessionMinutes: null });
    expect(realm.sessionMinutes).toBeNull();
    const user = await realm.createUser();
    const login = await user.login();
    expect(login.accessTokenExpiresAt).toBeNull();
    expect(login.refreshToken).toBeNull();
    expect(login.session).toBeNull();
    const claims = claimsOf(login.accessToken);
    expect(claims).not.toHaveProperty('exp');
    expect(claims).not.toHaveProperty('sid');
    expect(jwt.verify(login.accessToken, realm.jwtSecret!, { algorithms: ['HS256'] })).toEqual(claims);

    server.clock.advance(3 * YEAR_MS);
    ok(await server.gql(MeDocument, {}, login.accessToken));
    expect(ok(await server.gql(VerifyLoginTokenDocument, { token: login.accessToken })).verifyToken.valid).toBe(true);
  });

  it('logout answers false and ends nothing; terminateAllSessions ends nothing', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED' });
    const user = await realm.createUser();
    const login = await user.login();
    expect(ok(await server.gql(LogoutDocument, {}, login.accessToken)).logout).toBe(false);
    ok(await server.gql(MeDocument, {}, login.accessToken));
    expect(ok(await server.gql(TerminateAllSessionsOfUserDocument, { userId: user.id }, login.accessToken)).terminateAllSessions).toBe(0);
    ok(await server.gql(MeDocument, {}, login.accessToken));
  });

  it('there is no refresh token to present', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED' });
    const login = await (await realm.createUser()).login();
    expectCode(await server.gql(RefreshDocument, { refreshToken: login.accessToken }), 'INVALID_REFRESH_TOKEN');
  });

  it('RS256 unmanaged tokens verify with the public key', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED', jwtAlgorithm: 'RS256', sessionMinutes: 1051200 });
    const login = await (await realm.createUser()).login();
    const claims = jwt.verify(login.accessToken, realm.jwtPublicKey!, { algorithms: ['RS256'], issuer: realm.issuer }) as jwt.JwtPayload;
    expect(claims.exp).toBe(claims.iat! + 1051200 * 60);
  });
});

describe('API users', () => {
  it('createApiKey then loginWithApiKey: an unmanaged token, exp = apiKeyMinutes', async () => {
    // API logins are unmanaged even in a MANAGED realm.
    const realm = await seedRealm(server, { apiKeyMinutes: 30 });
    expect(realm.sessionType).toBe('MANAGED');
    const robot = await realm.createUser({ kind: 'API', username: 'robot', customAttributes: { team: 'ops' } });
    expect(robot.kind).toBe('API');
    const created = await robot.createApiKey();
    expect(created.apiKey).toMatch(/^tsk_[A-Za-z0-9_-]{43,}$/);

    const result = ok(await apiLogin(realm.id, created.apiKey)).loginWithApiKey;
    expect(result.refreshToken).toBeNull();
    expect(result.session).toBeNull();
    expect(result.user.id).toBe(robot.id);
    const claims = claimsOf(result.accessToken);
    expect(claims).toMatchObject({ sub: robot.id, uid: robot.id, un: 'robot', iss: realm.issuer });
    expect(claims).not.toHaveProperty('sid');
    expect(claims.exp).toBe(claims.iat! + 30 * 60);
    expect(new Date(result.accessTokenExpiresAt!).getTime()).toBe(claims.exp! * 1000);
    expect(jwt.verify(result.accessToken, realm.jwtSecret!, { algorithms: ['HS256'] })).toEqual(claims);

    const me = ok(await server.gql(MeDocument, {}, result.accessToken)).me!;
    expect(me).toMatchObject({ user: { id: robot.id, username: 'robot' }, session: null });
    expect(ok(await server.gql(LogoutDocument, {}, result.accessToken)).logout).toBe(false);

    server.clock.advance(31 * 60_000);
    expectCode(await server.gql(MeDocument, {}, result.accessToken), 'UNAUTHENTICATED');
  });

  it('the default apiKeyMinutes is 1440; null makes API sessions open-ended', async () => {
    const defaults = await seedRealm(server);
    expect(defaults.apiKeyMinutes).toBe(1440);
    const robot = await defaults.createUser({ kind: 'API' });
    const key = await robot.createApiKey();
    const claims = claimsOf(ok(await apiLogin(defaults.id, key.apiKey)).loginWithApiKey.accessToken);
    expect(claims.exp).toBe(claims.iat! + 1440 * 60);

    const openEnded = await seedRealm(server, { apiKeyMinutes: null });
    expect(openEnded.apiKeyMinutes).toBeNull();
    const daemon = await openEnded.createUser({ kind: 'API' });
    const daemonKey = await daemon.createApiKey();
    const result = ok(await apiLogin(openEnded.id, daemonKey.apiKey)).loginWithApiKey;
    expect(result.accessTokenExpiresAt).toBeNull();
    expect(claimsOf(result.accessToken)).not.toHaveProperty('exp');
    server.clock.advance(5 * YEAR_MS);
    ok(await server.gql(MeDocument, {}, result.accessToken));
  });

  it('a user can hold several keys; a revoked key is INVALID_CREDENTIALS, the others keep working', async () => {
    const realm = await seedRealm(server);
    const robot = await realm.createUser({ kind: 'API' });
    const first = await robot.createApiKey();
    const second = await robot.createApiKey();
    ok(await apiLogin(realm.id, first.apiKey));
    expect(ok(await server.gql(RevokeUserApiKeyDocument, { id: first.key.id }, server.adminKey)).revokeApiKey).toBe(true);
    expectCode(await apiLogin(realm.id, first.apiKey), 'INVALID_CREDENTIALS');
    ok(await apiLogin(realm.id, second.apiKey));
  });

  it('a disabled API user is refused', async () => {
    const realm = await seedRealm(server);
    const robot = await realm.createUser({ kind: 'API' });
    const key = await robot.createApiKey();
    ok(await apiLogin(realm.id, key.apiKey));
    ok(await server.gql(SetUserDisabledDocument, { id: robot.id, disabled: true }, server.adminKey));
    expectCode(await apiLogin(realm.id, key.apiKey), 'INVALID_CREDENTIALS');
    ok(await server.gql(SetUserDisabledDocument, { id: robot.id, disabled: false }, server.adminKey));
    ok(await apiLogin(realm.id, key.apiKey));
  });

  it('unknown keys, keys of another realm and garbage all get the same INVALID_CREDENTIALS', async () => {
    const realm = await seedRealm(server);
    const other = await seedRealm(server);
    const robot = await realm.createUser({ kind: 'API' });
    const key = await robot.createApiKey();
    const passwordFailure = await server.gql(LoginDetailedDocument, { input: { realmId: realm.id, username: 'nobody', password: 'wrong password' } });
    const attempts: [string, string][] = [
      [realm.id, 'tsk_' + 'A'.repeat(43)],
      [realm.id, key.apiKey.slice(0, -1)],
      [realm.id, ''],
      [realm.id, 'x'.repeat(5000)],
      [realm.id, `${key.apiKey}\u0000`],
      [other.id, key.apiKey],
      ['rlm_doesnotexist', key.apiKey],
      ['r'.repeat(5000), key.apiKey],
    ];
    for (const [realmId, apiKey] of attempts) {
      const response = await apiLogin(realmId, apiKey);
      expectCode(response, 'INVALID_CREDENTIALS');
      expect(response.errors![0].message).toBe(passwordFailure.errors![0].message);
    }
  });

  it('a human user has no API keys, and an API user cannot log in with a password', async () => {
    const realm = await seedRealm(server);
    const human = await realm.createUser();
    const response = await server.gql(CreateApiKeyDocument, { userId: human.id }, server.adminKey);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    const robot = await realm.createUser({ kind: 'API' });
    await robot.createApiKey();
    expectCode(
      await server.gql(LoginDetailedDocument, { input: { realmId: realm.id, username: robot.username, password: DEFAULT_PASSWORD } }),
      'INVALID_CREDENTIALS',
    );
  });
});
