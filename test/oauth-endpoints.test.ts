import { describe, expect, it } from 'vitest';
import { useTestServer, ok } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { CreateClientDocument, DeleteClientDocument, RefreshDocument, RotateClientSecretDocument, SessionByIdDocument } from './generated/graphql.js';

// The endpoints' edges by hand-written HTTP: cross-realm use, bad input, limits, throttling.
// (test/oauth.test.ts drives the happy paths with a stock OpenID client.)

const server = useTestServer({ resetClock: true });

async function seeded() {
  const realm = await seedRealm(server);
  const user = await realm.createUser();
  const created = ok(await server.gql(CreateClientDocument, { input: { realmId: realm.id, name: 'app' } }, server.adminKey)).createClient;
  const issuer = `${server.url}/realms/${realm.id}`;
  return { realm, user, issuer, clientId: created.client.id, clientSecret: created.clientSecret };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

async function sessionState(id: string) {
  return ok(await server.gql(SessionByIdDocument, { id }, server.adminKey)).session!;
}

describe('cross-realm', () => {
  it("realm A's client cannot introspect, revoke or refresh realm B's tokens, nor authenticate at realm B's endpoints", async () => {
    const a = await seeded();
    const b = await seeded();
    const loginB = await b.user.login();
    const authA = { authorization: basic(a.clientId, a.clientSecret) };

    for (const token of [loginB.accessToken, loginB.refreshToken!]) {
      expect((await post(`${a.issuer}/oauth/introspect`, form({ token }), authA)).json).toEqual({ active: false });
      expect((await post(`${a.issuer}/oauth/revoke`, form({ token }), authA)).status).toBe(200);
    }
    const refreshed = await post(`${a.issuer}/oauth/token`, form({ grant_type: 'refresh_token', refresh_token: loginB.refreshToken! }), authA);
    expect(refreshed).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    // Realm B's session is untouched, and its refresh token still unspent.
    expect(await sessionState(loginB.session!.id)).toMatchObject({ state: 'ACTIVE' });
    ok(await server.gql(RefreshDocument, { refreshToken: loginB.refreshToken! }));

    for (const endpoint of ['introspect', 'revoke', 'token']) {
      const params: Record<string, string> = endpoint === 'token' ? { grant_type: 'refresh_token', refresh_token: 'x' } : { token: loginB.accessToken };
      const response = await post(`${b.issuer}/oauth/${endpoint}`, form(params), authA);
      expect(response, endpoint).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });
});

describe('client authentication', () => {
  it('wrong or missing credentials are 401 invalid_client; introspection and revocation need a client', async () => {
    const { issuer, clientId, clientSecret, user } = await seeded();
    const login = await user.login();
    const token = form({ token: login.accessToken });
    expect(await post(`${issuer}/oauth/introspect`, token)).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    expect(await post(`${issuer}/oauth/revoke`, token)).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    expect(await post(`${issuer}/oauth/introspect`, token, { authorization: basic(clientId, `${clientSecret}x`) })).toMatchObject({ status: 401 });
    expect(await post(`${issuer}/oauth/introspect`, token, { authorization: basic('cli_unknown', clientSecret) })).toMatchObject({ status: 401 });
    expect(await post(`${issuer}/oauth/introspect`, token, { authorization: `Bearer ${login.accessToken}` })).toMatchObject({ status: 401 });
    expect(await post(`${issuer}/oauth/introspect`, `${token}&client_id=${clientId}`)).toMatchObject({ status: 401 });
    expect(await post(`${issuer}/oauth/introspect`, `${token}&client_id=${clientId}&client_secret=nope`)).toMatchObject({ status: 401 });
    // The revocation was refused: the session lives.
    expect(await sessionState(login.session!.id)).toMatchObject({ state: 'ACTIVE' });
  });

  it('a rotated secret stops working at once, the new one works; a deleted client is gone at once', async () => {
    const { issuer, clientId, clientSecret, user } = await seeded();
    const login = await user.login();
    const body = form({ token: login.accessToken });
    // Authenticated once, so that its credentials are remembered (ClientCredentialCache).
    expect((await post(`${issuer}/oauth/introspect`, body, { authorization: basic(clientId, clientSecret) })).json).toMatchObject({ active: true });
    const rotated = ok(await server.gql(RotateClientSecretDocument, { id: clientId }, server.adminKey)).rotateClientSecret;
    expect((await post(`${issuer}/oauth/introspect`, body, { authorization: basic(clientId, clientSecret) })).status).toBe(401);
    expect((await post(`${issuer}/oauth/introspect`, body, { authorization: basic(clientId, rotated.clientSecret) })).json).toMatchObject({ active: true });
    ok(await server.gql(DeleteClientDocument, { id: clientId }, server.adminKey));
    expect((await post(`${issuer}/oauth/introspect`, body, { authorization: basic(clientId, rotated.clientSecret) })).status).toBe(401);
  });

  it('two methods at once, or a secret without an id, are invalid_request', async () => {
    const { issuer, clientId, clientSecret, user } = await seeded();
    const login = await user.login();
    const both = await post(`${issuer}/oauth/introspect`, form({ token: login.accessToken, client_id: clientId, client_secret: clientSecret }), {
      authorization: basic(clientId, clientSecret),
    });
    expect(both).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    const secretOnly = await post(`${issuer}/oauth/introspect`, form({ token: login.accessToken, client_secret: clientSecret }));
    expect(secretOnly).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    const otherId = await post(`${issuer}/oauth/introspect`, form({ token: login.accessToken, client_id: 'cli_other' }), {
      authorization: basic(clientId, clientSecret),
    });
    expect(otherId).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
  });

  it('the token endpoint serves public clients without credentials (RFC 6749 §6), but checks credentials that are given', async () => {
    const { issuer, clientId, user } = await seeded();
    const login = await user.login();
    const wrong = await post(`${issuer}/oauth/token`, form({ grant_type: 'refresh_token', refresh_token: login.refreshToken! }), {
      authorization: basic(clientId, 'wrong'),
    });
    expect(wrong).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    const idOnly = await post(`${issuer}/oauth/token`, form({ grant_type: 'refresh_token', refresh_token: login.refreshToken!, client_id: clientId }));
    expect(idOnly).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    // None of that spent the token.
    const publicRefresh = await post(`${issuer}/oauth/token`, form({ grant_type: 'refresh_token', refresh_token: login.refreshToken! }));
    expect(publicRefresh.status).toBe(200);
    expect(publicRefresh.json).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    // accessTokenSeconds 300, less the part of a second since `exp` was rounded down.
    expect(publicRefresh.json.expires_in).toBeGreaterThanOrEqual(298);
    expect(publicRefresh.json.expires_in).toBeLessThanOrEqual(300);
    expect(publicRefresh.headers.get('cache-control')).toBe('no-store');
  });

  it('throttles failed client authentication per client and address; the right secret still works', async () => {
    const { issuer, clientId, clientSecret, user } = await seeded();
    const login = await user.login();
    const body = form({ token: login.accessToken });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await post(`${issuer}/oauth/introspect`, body, { authorization: basic(clientId, `wrong-${i}`) })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    const blocked = await post(`${issuer}/oauth/introspect`, body, { authorization: basic(clientId, 'wrong-again') });
    expect(blocked).toMatchObject({ status: 429, json: { error: 'invalid_client' } });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await post(`${issuer}/oauth/introspect`, body, { authorization: basic(clientId, clientSecret) })).json).toMatchObject({ active: true });
    // Once the block runs out, a wrong secret is a plain 401 again.
    server.clock.advance(3_600_000);
    expect((await post(`${issuer}/oauth/introspect`, body, { authorization: basic(clientId, 'wrong') })).status).toBe(401);
  });
});

describe('bad input: the RFCs’ errors, never a 500', () => {
  it('token endpoint: missing, duplicate and unknown parameters', async () => {
    const { issuer, user } = await seeded();
    const login = await user.login();
    const token = (body: string) => post(`${issuer}/oauth/token`, body);
    expect(await token('')).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await token(form({ refresh_token: login.refreshToken! }))).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await token(form({ grant_type: 'refresh_token' }))).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await token(form({ grant_type: 'password', username: 'x', password: 'y' }))).toMatchObject({
      status: 400,
      json: { error: 'unsupported_grant_type' },
    });
    expect(await token(form({ grant_type: 'authorization_code', code: 'x' }))).toMatchObject({ status: 400, json: { error: 'unsupported_grant_type' } });
    expect(await token(`grant_type=refresh_token&refresh_token=${login.refreshToken}&refresh_token=other`)).toMatchObject({
      status: 400,
      json: { error: 'invalid_request' },
    });
    expect(await token(`grant_type=refresh_token&grant_type=refresh_token&refresh_token=${login.refreshToken}`)).toMatchObject({ status: 400 });
    expect(await token(form({ grant_type: 'refresh_token', refresh_token: login.refreshToken!, scope: 'admin' }))).toMatchObject({
      status: 400,
      json: { error: 'invalid_scope' },
    });
    expect(await token(form({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(9000) }))).toMatchObject({
      status: 400,
      json: { error: 'invalid_grant' },
    });
    expect(await token(form({ grant_type: 'refresh_token', refresh_token: 'nul\u0000byte' }))).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    // Every refusal left the refresh token unspent.
    expect((await token(form({ grant_type: 'refresh_token', refresh_token: login.refreshToken! }))).status).toBe(200);
  });

  it('wrong content types, non-UTF-8 bodies and other methods', async () => {
    const { issuer, clientId, clientSecret, user } = await seeded();
    const login = await user.login();
    const auth = { authorization: basic(clientId, clientSecret) };
    for (const endpoint of ['token', 'introspect', 'revoke']) {
      const url = `${issuer}/oauth/${endpoint}`;
      const json = await post(url, JSON.stringify({ token: login.accessToken, grant_type: 'refresh_token' }), { ...auth, 'content-type': 'application/json' });
      expect(json, endpoint).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
      const none = await fetch(url, { method: 'POST', headers: auth, body: new Uint8Array(Buffer.from('token=x')) });
      expect(none.status, endpoint).toBe(400);
      expect(await post(url, Buffer.from([0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x3d, 0xff, 0xfe]), auth)).toMatchObject({
        status: 400,
        json: { error: 'invalid_request' },
      });
      const get = await fetch(`${url}?token=${login.accessToken}`, { headers: auth });
      expect(get.status, endpoint).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    }
    expect(await sessionState(login.session!.id)).toMatchObject({ state: 'ACTIVE' });
  });

  it('bodies over 64 KiB are refused (413 invalid_request), with or without a Content-Length', async () => {
    const { issuer, clientId, clientSecret } = await seeded();
    const auth = { authorization: basic(clientId, clientSecret) };
    const huge = form({ token: 'x'.repeat(70 * 1024) });
    expect(await post(`${issuer}/oauth/introspect`, huge, auth)).toMatchObject({ status: 413, json: { error: 'invalid_request' } });
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new TextEncoder().encode(i === 0 ? 'token=' : 'x'.repeat(1024)));
        controller.close();
      },
    });
    const response = await fetch(`${issuer}/oauth/introspect`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('introspection and revocation: a missing token is invalid_request; tokens over 8 KiB and garbage are inactive; hints may lie', async () => {
    const { issuer, clientId, clientSecret, user } = await seeded();
    const login = await user.login();
    const auth = { authorization: basic(clientId, clientSecret) };
    const introspect = (params: Record<string, string>) => post(`${issuer}/oauth/introspect`, form(params), auth);
    expect(await introspect({})).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await post(`${issuer}/oauth/revoke`, form({}), auth)).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect((await introspect({ token: `${login.accessToken}.${'a'.repeat(9000)}` })).json).toEqual({ active: false });
    expect((await introspect({ token: 'a.b.c' })).json).toEqual({ active: false });
    expect((await introspect({ token: '\u0000' })).json).toEqual({ active: false });
    // token_type_hint is a hint: a lie (or nonsense) changes nothing.
    expect((await introspect({ token: login.refreshToken!, token_type_hint: 'access_token' })).json).toMatchObject({
      active: true,
      token_type: 'refresh_token',
    });
    expect((await introspect({ token: login.accessToken, token_type_hint: 'refresh_token' })).json).toMatchObject({ active: true, token_type: 'Bearer' });
    expect((await introspect({ token: login.accessToken, token_type_hint: 'bogus' })).json).toMatchObject({ active: true });
    const introspected = await introspect({ token: login.accessToken });
    expect(introspected.headers.get('cache-control')).toBe('no-store');
    const revoked = await post(`${issuer}/oauth/revoke`, form({ token: login.accessToken, token_type_hint: 'refresh_token' }), auth);
    expect(revoked.status).toBe(200);
    expect(await sessionState(login.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'LOGOUT' });
  });
});
