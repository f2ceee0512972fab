import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { useTestServer, ok } from './helpers/server.js';
import { seedRealm, type SeededRealm } from './helpers/factories.js';
import { CreateClientDocument, RefreshDocument, SessionByIdDocument, TerminateSessionDocument } from './generated/graphql.js';

// The issuer must be the URL the server is reached at (openid-client checks `issuer` exactly), so
// the port is chosen before the server starts.
const env: Record<string, string> = {};
beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  Object.assign(env, { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
});
const server = useTestServer({ env, resetClock: true });

async function registerClient(realm: { id: string }) {
  const created = ok(await server.gql(CreateClientDocument, { input: { realmId: realm.id, name: 'app' } }, server.adminKey)).createClient;
  return { clientId: created.client.id, clientSecret: created.clientSecret };
}

function discover(realm: SeededRealm, credentials: { clientId: string; clientSecret: string }, auth: 'basic' | 'post' = 'basic') {
  const authentication = auth === 'basic' ? client.ClientSecretBasic(credentials.clientSecret) : client.ClientSecretPost(credentials.clientSecret);
  return client.discovery(new URL(realm.issuer), credentials.clientId, undefined, authentication, { execute: [client.allowInsecureRequests] });
}

async function sessionState(id: string) {
  return ok(await server.gql(SessionByIdDocument, { id }, server.adminKey)).session!;
}

describe('a stock OpenID client (openid-client) against a realm', () => {
  it('discovers the realm from its issuer, refreshes, introspects (active, then inactive after terminateSession) and revokes', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const credentials = await registerClient(realm);
    const config = await discover(realm, credentials);
    expect(config.serverMetadata().issuer).toBe(realm.issuer);
    expect(config.serverMetadata().token_endpoint).toBe(`${realm.issuer}/oauth/token`);

    const login = await user.login();
    const tokens = await client.refreshTokenGrant(config, login.refreshToken!);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.access_token).not.toBe(login.accessToken);
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.expires_in).toBeGreaterThan(0);

    const active = await client.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({
      active: true,
      sub: user.id,
      sid: login.session!.id,
      iss: realm.issuer,
      username: user.username,
      token_type: 'Bearer',
    });
    expect(typeof active.exp).toBe('number');
    expect(typeof active.iat).toBe('number');
    expect(typeof active.jti).toBe('string');
    const refreshActive = await client.tokenIntrospection(config, tokens.refresh_token!);
    expect(refreshActive).toMatchObject({ active: true, sub: user.id, sid: login.session!.id, token_type: 'refresh_token' });
    // The spent refresh token (rotated by the grant above) is no longer usable.
    expect(await client.tokenIntrospection(config, login.refreshToken!)).toEqual({ active: false });

    ok(await server.gql(TerminateSessionDocument, { id: login.session!.id }, server.adminKey));
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });

    // Revocation: a second session, ended by revoking its refresh token (reason LOGOUT).
    const second = await user.login();
    await client.tokenRevocation(config, second.refreshToken!);
    expect(await sessionState(second.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'LOGOUT' });
    expect(await client.tokenIntrospection(config, second.accessToken)).toEqual({ active: false });
    // And a third, by revoking its access token.
    const third = await user.login();
    await client.tokenRevocation(config, third.accessToken, { token_type_hint: 'access_token' });
    expect(await sessionState(third.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'LOGOUT' });
    // An unknown token is revoked without complaint (RFC 7009 §2.2).
    await client.tokenRevocation(config, 'not-a-token-we-ever-issued');
  });

  it('authenticates with client_secret_post as well', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const config = await discover(realm, await registerClient(realm), 'post');
    const login = await user.login();
    expect(await client.tokenIntrospection(config, login.accessToken)).toMatchObject({ active: true, sub: user.id });
    const tokens = await client.refreshTokenGrant(config, login.refreshToken!);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true });
  });

  it('answers inactive for a session that ran out (idle timeout), before any sweeper wrote it down', async () => {
    const realm = await seedRealm(server, { idleTimeoutSeconds: 60, accessTokenSeconds: 30 });
    const user = await realm.createUser();
    const config = await discover(realm, await registerClient(realm));
    const login = await user.login();
    expect(await client.tokenIntrospection(config, login.refreshToken!)).toMatchObject({ active: true });
    server.clock.advance(61_000);
    expect(await client.tokenIntrospection(config, login.refreshToken!)).toEqual({ active: false });
    expect(await client.tokenIntrospection(config, login.accessToken)).toEqual({ active: false });
  });

  it('introspects an unmanaged login token as active, without sid', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED' });
    const user = await realm.createUser();
    const config = await discover(realm, await registerClient(realm));
    const login = await user.login();
    const answer = await client.tokenIntrospection(config, login.accessToken);
    expect(answer).toMatchObject({ active: true, sub: user.id, username: user.username });
    expect(answer.sid).toBeUndefined();
  });
});

describe('the metadata', () => {
  it('has the endpoints of the realm and only what is true', async () => {
    const realm = await seedRealm(server);
    const response = await fetch(`${realm.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('max-age');
    expect(await response.json()).toEqual({
      issuer: realm.issuer,
      jwks_uri: realm.jwksUrl,
      token_endpoint: `${realm.issuer}/oauth/token`,
      introspection_endpoint: `${realm.issuer}/oauth/introspect`,
      revocation_endpoint: `${realm.issuer}/oauth/revoke`,
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
    const jwks = await fetch(realm.jwksUrl);
    expect(jwks.status).toBe(200);
  });

  it('is 404 for a realm that does not exist, and 405 for other methods', async () => {
    expect((await fetch(`${server.url}/realms/rlm_nope/.well-known/openid-configuration`)).status).toBe(404);
    const realm = await seedRealm(server);
    const post = await fetch(`${realm.issuer}/.well-known/openid-configuration`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
  });
});

describe('the token endpoint is the refresh mutation', () => {
  it('shares rotation, the grace window and reuse detection with it', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const config = await discover(realm, await registerClient(realm));
    const login = await user.login();
    const first = await client.refreshTokenGrant(config, login.refreshToken!);
    // The same spent token inside the grace window, through the mutation: the same successor.
    const again = ok(await server.gql(RefreshDocument, { refreshToken: login.refreshToken! })).refresh;
    expect(again.refreshToken).toBe(first.refresh_token);
    // A mutation-issued token works at the endpoint, and the other way round.
    const next = await client.refreshTokenGrant(config, again.refreshToken!);
    ok(await server.gql(RefreshDocument, { refreshToken: next.refresh_token! }));
    // After the grace window, the first spent token is theft: the session ends for everyone.
    server.clock.advance(60_000);
    await expect(client.refreshTokenGrant(config, login.refreshToken!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await sessionState(login.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'REFRESH_TOKEN_REUSED' });
  });
});
