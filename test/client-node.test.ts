import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createVerifier, createAuthenticator, TokenRejectedError, type Verifier } from '../client/src/node.js';
import { createTesseraClient, type StoredTokens } from '../client/src/index.js';
import { ok, useTestServer } from './helpers/server.js';
import { createAdminKey, seedRealm, unique } from './helpers/factories.js';
import { eventually, sleep } from './helpers/ws-client.js';

// @tessera/client/node against a real server: offline verification (RS256 from the JWKS across a
// key rotation, HS256 with the secret, the algorithm and issuer pinned) and managed mode (no
// request while a session is known active, false the moment its TERMINATED event arrives, and
// verifyToken with a short cache while the subscription is down). Also the browser entry's refresh,
// which needs no browser with tab coordination off.

// The issuer (PUBLIC_URL/realms/<id>) is where the verifier fetches keys and finds the GraphQL
// endpoint: it must be the address the server listens on, so the port is chosen first.
const env: Record<string, string> = {};
beforeAll(async () => {
  const port = await freePort();
  // No grace window: a refresh token presented twice ends the session at once (REFRESH_TOKEN_REUSED).
  Object.assign(env, { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, REFRESH_GRACE_SECONDS: '0' });
});
const server = useTestServer({ env });
const verifiers: Verifier[] = [];
afterAll(async () => {
  // Before the server stops (hooks run in reverse): no socket left to be refused afterwards.
  await Promise.all(verifiers.map((verifier) => verifier.close()));
});

function track(verifier: Verifier): Verifier {
  verifiers.push(verifier);
  return verifier;
}

/** fetch that counts Tessera's verifyToken queries (the requests managed mode should not make). */
function countingFetch() {
  const counts = { verifyToken: 0, jwks: 0 };
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/jwks.json')) counts.jwks++;
    if (typeof init?.body === 'string' && init.body.includes('verifyToken')) counts.verifyToken++;
    return fetch(input, init);
  };
  return { counts, fetchImpl };
}

async function rejection(promise: Promise<unknown>): Promise<TokenRejectedError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenRejectedError);
  return error as TokenRejectedError;
}

const TERMINATE = 'mutation($id: ID!) { terminateSession(id: $id) { id state } }';

describe('offline verification', () => {
  it('RS256: keys from the JWKS, a rotated-in kid fetched when it appears, older tokens still valid', async () => {
    const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    const user = await realm.createUser();
    const before = await user.login();
    const verifier = track(createVerifier({ issuer: realm.issuer }));
    const claims = await verifier.verify(before.accessToken);
    expect(claims.sub).toBe(user.id);
    expect(claims.iss).toBe(realm.issuer);

    const rotated = ok(
      await server.gql<{ rotateRealmKey: { signingKeyId: string } }>(
        'mutation($id: ID!) { rotateRealmKey(id: $id) { signingKeyId } }',
        { id: realm.id },
        server.adminKey,
      ),
    );
    expect(rotated.rotateRealmKey.signingKeyId).not.toBe(realm.signingKeyId);
    const after = await user.login();
    expect(JSON.parse(Buffer.from(after.accessToken.split('.')[0], 'base64url').toString()).kid).toBe(rotated.rotateRealmKey.signingKeyId);
    expect((await verifier.verify(after.accessToken)).sub).toBe(user.id);
    expect((await verifier.verify(before.accessToken)).sub).toBe(user.id);
  });

  it('RS256: the JWKS is fetched once for any number of tokens of one kid, and once more for a rotated-in kid', async () => {
    const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    const user = await realm.createUser();
    const tokens = [(await user.login()).accessToken, (await user.login()).accessToken];
    const { counts, fetchImpl } = countingFetch();
    // No verified-token cache: every verification needs the key, from the JWKS or jose's cache of it.
    const verifier = track(createVerifier({ issuer: realm.issuer, fetch: fetchImpl, tokenCacheSize: 0, jwksCooldownMs: 200 }));
    await Promise.all(tokens.map((token) => verifier.verify(token))); // concurrent first uses share the fetch
    for (let i = 0; i < 50; i++) await verifier.verify(tokens[i % tokens.length]);
    expect(counts.jwks).toBe(1);

    ok(await server.gql('mutation($id: ID!) { rotateRealmKey(id: $id) { signingKeyId } }', { id: realm.id }, server.adminKey));
    const rotated = (await user.login()).accessToken;
    const kid = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;
    expect(kid(rotated)).not.toBe(kid(tokens[0]));
    expect((await verifier.verify(rotated)).sub).toBe(user.id);
    expect(counts.jwks).toBe(2);
    for (let i = 0; i < 50; i++) await verifier.verify([rotated, ...tokens][i % 3]);
    expect(counts.jwks).toBe(2);
  });

  it('HS256 with the secret; the wrong secret, the wrong issuer, an expired token and alg swaps are refused', async () => {
    const realm = await seedRealm(server, { jwtAlgorithm: 'HS256' });
    const { realm: withSecret } = ok(
      await server.gql<{ realm: { jwtSecret: string } }>('query($id: ID!) { realm(id: $id) { jwtSecret } }', { id: realm.id }, server.adminKey),
    );
    const user = await realm.createUser();
    const { accessToken } = await user.login();
    const verifier = track(createVerifier({ issuer: realm.issuer, secret: withSecret.jwtSecret, tokenCacheSize: 0 }));
    expect((await verifier.verify(accessToken)).sub).toBe(user.id);

    expect((await rejection(createVerifier({ issuer: realm.issuer, secret: 'x'.repeat(64) }).verify(accessToken))).code).toBe('INVALID_TOKEN');
    expect((await rejection(createVerifier({ issuer: `${realm.issuer}x`, secret: withSecret.jwtSecret }).verify(accessToken))).code).toBe('INVALID_TOKEN');
    const later = createVerifier({ issuer: realm.issuer, secret: withSecret.jwtSecret, now: () => Date.now() + 3_600_000 });
    expect((await rejection(later.verify(accessToken))).code).toBe('EXPIRED');
    // The RS256 verifier of the same realm never accepts an HS256 token (the algorithm is pinned).
    expect((await rejection(createVerifier({ issuer: realm.issuer }).verify(accessToken))).code).toBe('INVALID_TOKEN');
    const [header, payload] = accessToken.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect((await rejection(verifier.verify(none))).code).toBe('INVALID_TOKEN');
    expect((await rejection(verifier.verify(`${header}.${payload}.${'A'.repeat(43)}`))).code).toBe('INVALID_TOKEN');
    expect((await rejection(verifier.verify('x'.repeat(9000)))).code).toBe('INVALID_TOKEN');
  });
});

describe('managed mode', () => {
  it('on Node 20 the ws package is found by itself; an active session costs one verifyToken, then none', async () => {
    expect((globalThis as { WebSocket?: unknown }).WebSocket).toBeUndefined(); // Node 20 without --experimental-websocket
    const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    const user = await realm.createUser();
    const { counts, fetchImpl } = countingFetch();
    const verifier = track(createVerifier({ issuer: realm.issuer, managed: { adminKey: server.adminKey }, fetch: fetchImpl }));
    await eventually(() => verifier.subscriptionState === 'live', 5_000, 'the sessionEvents subscription');
    const { accessToken } = await user.login();
    for (let i = 0; i < 1_000; i++) await verifier.verify(accessToken);
    expect(counts.verifyToken).toBe(1);
  });

  it('a terminated session is refused within 100 ms of its event; a fresh one of the same user still passes', async () => {
    const realm = await seedRealm(server);
    const key = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realm.id });
    const user = await realm.createUser();
    const verifier = track(createVerifier({ issuer: realm.issuer, secret: await secretOf(realm.id), managed: { adminKey: key, webSocketImpl: WebSocket } }));
    await eventually(() => verifier.subscriptionState === 'live', 5_000, 'the sessionEvents subscription');
    const ending = await user.login();
    const staying = await user.login();
    await verifier.verify(ending.accessToken);
    await verifier.verify(staying.accessToken);

    ok(await server.gql(TERMINATE, { id: ending.session!.id }, server.adminKey));
    const ended = Date.now();
    const refused = await eventually(
      () =>
        verifier.verify(ending.accessToken).then(
          () => null,
          (error: TokenRejectedError) => error,
        ),
      2_000,
      'the terminated session to be refused',
      // Polled finely: at the default 50 ms the figure below carried up to 50 ms of polling.
      2,
    );
    expect(Date.now() - ended).toBeLessThan(100);
    expect(refused.code).toBe('SESSION_ENDED');
    expect((await verifier.verify(staying.accessToken)).sid).toBe(staying.session!.id);
  });

  it('the authenticator answers 401 with a Bearer challenge, and the claims for a live session', async () => {
    const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    const user = await realm.createUser();
    const verifier = track(createVerifier({ issuer: realm.issuer, managed: { adminKey: server.adminKey } }));
    const authenticate = createAuthenticator(verifier);
    const { accessToken, session } = await user.login();
    const passed = await authenticate(new Request('http://app.test/', { headers: { authorization: `Bearer ${accessToken}` } }));
    expect(passed.ok && passed.claims.sub).toBe(user.id);
    const missing = await authenticate({ headers: {} });
    expect(missing).toMatchObject({ ok: false, status: 401, headers: { 'www-authenticate': 'Bearer realm="tessera"' } });
    ok(await server.gql(TERMINATE, { id: session!.id }, server.adminKey));
    const ended = await eventually(
      async () => {
        const result = await authenticate({ headers: { authorization: `Bearer ${accessToken}` } });
        return result.ok ? null : result;
      },
      2_000,
      'a 401',
    );
    expect(ended.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(ended.body.error_description).toBe('session ended');
  });

  it('with the subscription down (its admin key revoked), verifyToken answers, kept only the fallback time', async () => {
    const realm = await seedRealm(server);
    const name = unique('verifier-key');
    const key = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realm.id, name });
    const user = await realm.createUser();
    const { counts, fetchImpl } = countingFetch();
    const errors: unknown[] = [];
    const verifier = track(
      createVerifier({
        issuer: realm.issuer,
        secret: await secretOf(realm.id),
        fetch: fetchImpl,
        managed: { adminKey: key, fallbackCacheMs: 300, onError: (error) => errors.push(error), backoff: { baseMs: 200, maxMs: 1_000 } },
      }),
    );
    await eventually(() => verifier.subscriptionState === 'live', 5_000, 'the sessionEvents subscription');
    const { accessToken, session } = await user.login();
    await verifier.verify(accessToken);
    expect(counts.verifyToken).toBe(1);

    const { adminKeys } = ok(await server.gql<{ adminKeys: { id: string; name: string }[] }>('{ adminKeys { id name } }', {}, server.adminKey));
    ok(await server.gql('mutation($id: ID!) { revokeAdminKey(id: $id) }', { id: adminKeys.find((k) => k.name === name)!.id }, server.adminKey));
    await eventually(() => verifier.subscriptionState !== 'live', 5_000, 'the subscription to go down');
    await sleep(400); // past the fallback time of the check made while live

    await verifier.verify(accessToken); // not trusted any more: asked again…
    expect(counts.verifyToken).toBe(2);
    await verifier.verify(accessToken); // …and kept for the fallback time
    expect(counts.verifyToken).toBe(2);
    await sleep(400);
    await verifier.verify(accessToken);
    expect(counts.verifyToken).toBe(3);

    ok(await server.gql(TERMINATE, { id: session!.id }, server.adminKey));
    const ended = Date.now();
    await eventually(
      () =>
        verifier.verify(accessToken).then(
          () => false,
          () => true,
        ),
      2_000,
      'the ended session to be refused',
    );
    expect(Date.now() - ended).toBeLessThan(300 + 200);
    expect(verifier.subscriptionState).not.toBe('live');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('close() during a reconnection its revoked admin key is refused (4403) resolves, and leaves no rejection behind', async () => {
    const realm = await seedRealm(server);
    const name = unique('verifier-key');
    const key = await createAdminKey(server, { scopes: ['SESSIONS_READ'], realmId: realm.id, name });
    // A socket's construction is the start of a connection attempt: the verifier is closed right
    // then (a microtask later, once graphql-ws holds the attempt), before the server can refuse
    // the key. Without the hook the window is the server's authentication time, a few ms.
    let closing: Promise<void> | undefined;
    let stateAtReconnection: string | undefined;
    let onSocket: (() => void) | undefined;
    class RecordingWebSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        onSocket?.();
      }
    }
    const errors: unknown[] = [];
    const verifier = createVerifier({
      issuer: realm.issuer,
      secret: await secretOf(realm.id),
      managed: { adminKey: key, webSocketImpl: RecordingWebSocket, onError: (error) => errors.push(error), backoff: { baseMs: 50, maxMs: 50 } },
    });
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      await eventually(() => verifier.subscriptionState === 'live', 5_000, 'the sessionEvents subscription');
      const { adminKeys } = ok(await server.gql<{ adminKeys: { id: string; name: string }[] }>('{ adminKeys { id name } }', {}, server.adminKey));
      const reconnecting = new Promise<void>((resolve) => {
        onSocket = () => {
          onSocket = undefined;
          queueMicrotask(() => {
            stateAtReconnection = verifier.subscriptionState;
            closing = verifier.close();
            resolve();
          });
        };
      });
      ok(await server.gql('mutation($id: ID!) { revokeAdminKey(id: $id) }', { id: adminKeys.find((k) => k.name === name)!.id }, server.adminKey));
      await reconnecting;
      // Not live (verifyToken answers) while it reconnects, and the revocation was reported.
      expect(stateAtReconnection).toBe('connecting');
      expect(errors.map(String).join('\n')).toMatch(/Credential revoked/);
      // graphql-ws's dispose() waits for the attempt in progress, which the server refuses with 4403.
      await expect(closing).resolves.toBeUndefined();
      expect(verifier.subscriptionState).toBe('closed');
      await sleep(300); // room for a stray rejection (or another attempt) to show
      expect(unhandled).toEqual([]);
      expect(verifier.subscriptionState).toBe('closed');
    } finally {
      process.off('unhandledRejection', listener);
      await verifier.close().catch(() => {});
    }
  });

  it('a webSocketImpl graphql-ws refuses is reported to onError, leaves the subscription down and verifyToken answering, and rejects nothing', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const errors: unknown[] = [];
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      // Not a constructor with the WebSocket constants: graphql-ws throws as it creates its client.
      const verifier = track(
        createVerifier({
          issuer: realm.issuer,
          secret: await secretOf(realm.id),
          managed: { adminKey: server.adminKey, webSocketImpl: {}, onError: (error) => errors.push(error) },
        }),
      );
      await eventually(() => errors.length > 0, 2_000, 'the error reported');
      expect(String(errors[0])).toMatch(/Invalid WebSocket implementation/);
      expect(verifier.subscriptionState).toBe('down');
      const { accessToken, session } = await user.login();
      await expect(verifier.verify(accessToken)).resolves.toMatchObject({ sid: session!.id });
      await sleep(100);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});

describe('the browser client, in one tab', () => {
  it('concurrent getAccessToken() calls while the token is due share one refresh request', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const refreshes: string[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string' && init.body.includes('TesseraClientRefresh')) refreshes.push(init.body);
      return fetch(input, init);
    };
    // A stored pair two seconds from its (client-side) expiry: due for a refresh when handed out.
    const stored: StoredTokens = {
      accessToken: login.accessToken,
      refreshToken: login.refreshToken!,
      expiresAt: Date.now() + 2_000,
      receivedAt: Date.now(),
      sessionId: login.session!.id,
      userId: user.id,
    };
    const saved: (StoredTokens | null)[] = [];
    const tessera = createTesseraClient({
      url: server.url,
      realmId: realm.id,
      tabs: false,
      fetch: fetchImpl,
      webSocketImpl: WebSocket,
      storage: { load: () => stored, save: (tokens) => void saved.push(tokens) },
    });
    try {
      const tokens = await Promise.all(Array.from({ length: 8 }, () => tessera.getAccessToken()));
      expect(refreshes).toHaveLength(1);
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).not.toBe(login.accessToken);
      expect(saved).toHaveLength(1);
      expect(saved[0]!.refreshToken).not.toBe(login.refreshToken);
      // The new token is good for a while: more calls cost nothing, and the session is still active.
      expect(await Promise.all([tessera.getAccessToken(), tessera.getAccessToken()])).toEqual([tokens[0], tokens[0]]);
      expect(refreshes).toHaveLength(1);
      const { session } = ok(
        await server.gql<{ session: { state: string } }>('query($id: ID!) { session(id: $id) { state } }', { id: login.session!.id }, server.adminKey),
      );
      expect(session.state).toBe('ACTIVE');
    } finally {
      tessera.close();
    }
  });
});

async function secretOf(realmId: string): Promise<string> {
  return ok(await server.gql<{ realm: { jwtSecret: string } }>('query($id: ID!) { realm(id: $id) { jwtSecret } }', { id: realmId }, server.adminKey)).realm
    .jwtSecret;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
