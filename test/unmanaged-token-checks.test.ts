import { describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';

// Issue 16 items 3 and 13, as docs/security.md#unmanaged-and-api-tokens promises them: a token
// without a session (unmanaged, or an API key's) is refused by every server-side check — `me`,
// `verifyToken` and introspection — once its user is disabled or deleted, or the API key it names
// is revoked, even when it has no `exp`; and a retired signing key ends open-ended API tokens too.
// Each token is checked once while still valid, so the refusal also proves the remembered state
// (SubjectStates) is dropped at once, not after its cache lifetime.

const server = useTestServer({ resetClock: true });

const YEAR_MS = 365 * 24 * 3600_000;
const VERIFY = 'query ($t: String!) { verifyToken(token: $t) { valid reason } }';
const ME = '{ me { user { id } } }';
const API_LOGIN = 'mutation ($i: ApiKeyLoginInput!) { loginWithApiKey(input: $i) { accessToken accessTokenExpiresAt } }';
const DISABLE = 'mutation ($id: ID!, $d: Boolean!) { updateUser(id: $id, input: { disabled: $d }) { id } }';

async function introspector(realmId: string) {
  const created = ok(
    await server.gql(
      'mutation ($i: CreateClientInput!) { createClient(input: $i) { client { id } clientSecret } }',
      { i: { realmId, name: 'rp' } },
      server.adminKey,
    ),
  ).createClient;
  const authorization = `Basic ${Buffer.from(`${created.client.id}:${created.clientSecret}`).toString('base64')}`;
  return async (token: string) => {
    const response = await fetch(`${server.url}/realms/${realmId}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { active: boolean };
  };
}

type Introspect = Awaited<ReturnType<typeof introspector>>;

async function expectAccepted(token: string, introspect: Introspect) {
  expect(ok(await server.gql(VERIFY, { t: token })).verifyToken).toEqual({ valid: true, reason: null });
  expect(errorCode(await server.gql(ME, {}, token))).toBeUndefined();
  expect((await introspect(token)).active).toBe(true);
}

async function expectRefused(token: string, reason: string, introspect: Introspect) {
  expect(ok(await server.gql(VERIFY, { t: token })).verifyToken).toEqual({ valid: false, reason });
  expect(errorCode(await server.gql(ME, {}, token))).toBe('UNAUTHENTICATED');
  expect(await introspect(token)).toEqual({ active: false });
}

describe("an unmanaged human user's token", () => {
  it('is refused at once once the user is disabled (verifyToken says why), and accepted again once re-enabled', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED', sessionMinutes: null });
    const user = await realm.createUser();
    const introspect = await introspector(realm.id);
    const { accessToken } = await user.login();
    await expectAccepted(accessToken, introspect);

    ok(await server.gql(DISABLE, { id: user.id, d: true }, server.adminKey));
    await expectRefused(accessToken, 'USER_DISABLED', introspect);
    ok(await server.gql(DISABLE, { id: user.id, d: false }, server.adminKey));
    await expectAccepted(accessToken, introspect);
  });

  it('is refused once the user is deleted', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED' });
    const user = await realm.createUser();
    const introspect = await introspector(realm.id);
    const { accessToken } = await user.login();
    await expectAccepted(accessToken, introspect);
    expect(ok(await server.gql('mutation ($id: ID!) { deleteUser(id: $id) }', { id: user.id }, server.adminKey)).deleteUser).toBe(true);
    await expectRefused(accessToken, 'USER_NOT_FOUND', introspect);
  });
});

describe("an API user's open-ended token (apiKeyMinutes: null)", () => {
  async function openEnded() {
    const realm = await seedRealm(server, { apiKeyMinutes: null });
    const robot = await realm.createUser({ kind: 'API' });
    const created = await robot.createApiKey();
    const spare = await robot.createApiKey();
    const introspect = await introspector(realm.id);
    const login = ok(await server.gql(API_LOGIN, { i: { realmId: realm.id, apiKey: created.apiKey } })).loginWithApiKey;
    expect(login.accessTokenExpiresAt).toBeNull();
    server.clock.advance(2 * YEAR_MS);
    await expectAccepted(login.accessToken, introspect);
    return { realm, robot, created, spare, introspect, token: login.accessToken as string };
  }

  it('is refused once the key it came from is revoked; a token of another key of the user is not', async () => {
    const { realm, created, spare, introspect, token } = await openEnded();
    const other = ok(await server.gql(API_LOGIN, { i: { realmId: realm.id, apiKey: spare.apiKey } })).loginWithApiKey.accessToken as string;
    expect(ok(await server.gql('mutation ($id: ID!) { revokeApiKey(id: $id) }', { id: created.key.id }, server.adminKey)).revokeApiKey).toBe(true);
    await expectRefused(token, 'API_KEY_REVOKED', introspect);
    await expectAccepted(other, introspect);
  });

  it('is refused once its user is disabled', async () => {
    const { robot, introspect, token } = await openEnded();
    ok(await server.gql(DISABLE, { id: robot.id, d: true }, server.adminKey));
    await expectRefused(token, 'USER_DISABLED', introspect);
  });

  it('is refused once its user is deleted (the user is checked before the key, which went with it)', async () => {
    const { robot, introspect, token } = await openEnded();
    expect(ok(await server.gql('mutation ($id: ID!) { deleteUser(id: $id) }', { id: robot.id }, server.adminKey)).deleteUser).toBe(true);
    await expectRefused(token, 'USER_NOT_FOUND', introspect);
  });

  it('outlives a rotation of the signing key, and is refused once retireRealmKey retires that key', async () => {
    const { realm, introspect, token } = await openEnded();
    ok(await server.gql('mutation ($id: ID!) { rotateRealmKey(id: $id) { id } }', { id: realm.id }, server.adminKey));
    server.clock.advance(YEAR_MS);
    await expectAccepted(token, introspect);
    ok(
      await server.gql(
        'mutation ($id: ID!, $kid: ID!) { retireRealmKey(id: $id, kid: $kid) { id } }',
        { id: realm.id, kid: realm.signingKeyId },
        server.adminKey,
      ),
    );
    await expectRefused(token, 'KEY_RETIRED', introspect);
  });
});
