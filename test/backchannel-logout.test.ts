import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { ok, useTestServer } from './helpers/server.js';
import { seedRealm, type SeededRealm } from './helpers/factories.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

// Polls are driven by the tests (app.deliveries.drain()), retries and expiry by moving the clock.
const server = useTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_POLL_SECONDS: '3600' }, resetClock: true });
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
let pathCounter = 0;

async function createClient(realmId: string) {
  const path = `/logout-${pathCounter++}`;
  const created = ok(
    await server.gql(
      `mutation ($input: CreateClientInput!) { createClient(input: $input) { client { id } } }`,
      { input: { realmId, name: 'rp', backchannelLogoutUri: `${receiver.url}${path}` } },
      server.adminKey,
    ),
  );
  return { id: created.createClient.client.id as string, path };
}

/** The realm's verification key as a relying party holds it: the HS256 secret, or the RS256 public key. */
async function keyOf(realm: SeededRealm): Promise<{ key: string; algorithm: 'HS256' | 'RS256' }> {
  const { realm: read } = ok(
    await server.gql(`query ($id: ID!) { realm(id: $id) { jwtAlgorithm jwtSecret jwtPublicKey } }`, { id: realm.id }, server.adminKey),
  );
  return read.jwtAlgorithm === 'HS256' ? { key: read.jwtSecret, algorithm: 'HS256' } : { key: read.jwtPublicKey, algorithm: 'RS256' };
}

/**
 * The logout tokens POSTed to `path`, each validated as OpenID Connect Back-Channel Logout 1.0 §2.6
 * tells a relying party to, with jsonwebtoken (not our own code).
 */
async function logoutTokens(realm: SeededRealm, client: { id: string; path: string }) {
  const { key, algorithm } = await keyOf(realm);
  return receiver.requests
    .filter((request) => request.path === client.path)
    .map((request) => {
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(request.body);
      expect([...form.keys()]).toEqual(['logout_token']);
      const { header, payload } = jwt.verify(form.get('logout_token')!, key, {
        algorithms: [algorithm],
        issuer: realm.issuer,
        audience: client.id,
        clockTimestamp: Math.floor(server.clock.now().getTime() / 1000),
        complete: true,
      }) as jwt.Jwt & { payload: jwt.JwtPayload };
      expect(header.typ).toBe('logout+jwt');
      expect(typeof payload.iat).toBe('number');
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload.events).toEqual({ [BACKCHANNEL_EVENT]: {} });
      expect(payload).not.toHaveProperty('nonce');
      expect(payload.sid).toEqual(expect.any(String));
      expect(payload.sub).toEqual(expect.any(String));
      return payload;
    });
}

const terminate = (id: string) => server.gql(`mutation ($id: ID!) { terminateSession(id: $id) { id } }`, { id }, server.adminKey);

describe('back-channel logout', () => {
  it('posts one valid logout token per session end to every client of the realm with a URI (logout, admin termination)', async () => {
    const realm = await seedRealm(server);
    const first = await createClient(realm.id);
    const second = await createClient(realm.id);
    ok(
      await server.gql(
        `mutation ($input: CreateClientInput!) { createClient(input: $input) { client { id } } }`,
        { input: { realmId: realm.id, name: 'no uri' } },
        server.adminKey,
      ),
    );
    const other = await seedRealm(server);
    const otherClient = await createClient(other.id);
    const user = await realm.createUser();
    const loggedOut = await user.login();
    const terminated = await user.login();
    ok(await server.gql(`mutation { logout }`, {}, loggedOut.accessToken));
    ok(await terminate(terminated.session!.id));
    await server.app.deliveries.drain();
    await server.app.deliveries.drain();

    for (const client of [first, second]) {
      const tokens = await logoutTokens(realm, client);
      expect(tokens.map((t) => t.sid).sort()).toEqual([loggedOut.session!.id, terminated.session!.id].sort());
      expect(tokens.every((t) => t.sub === user.id)).toBe(true);
      expect(new Set(tokens.map((t) => t.jti)).size).toBe(2);
    }
    expect(await logoutTokens(other, otherClient)).toEqual([]);
  });

  it('signs with the realm’s RS256 key too', async () => {
    const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    const client = await createClient(realm.id);
    const login = await (await realm.createUser()).login();
    ok(await terminate(login.session!.id));
    await server.app.deliveries.drain();
    expect((await logoutTokens(realm, client)).map((t) => t.sid)).toEqual([login.session!.id]);
  });

  it('covers idle and absolute expiry and terminateRealmSessions', async () => {
    const idleRealm = await seedRealm(server, { idleTimeoutSeconds: 60 });
    const shortRealm = await seedRealm(server, { sessionMinutes: 1, accessTokenSeconds: 30 });
    const bulkRealm = await seedRealm(server);
    const [idleClient, shortClient, bulkClient] = await Promise.all([createClient(idleRealm.id), createClient(shortRealm.id), createClient(bulkRealm.id)]);
    const idle = await (await idleRealm.createUser()).login();
    const short = await (await shortRealm.createUser()).login();
    const bulkUser = await bulkRealm.createUser();
    const bulk = [await bulkUser.login(), await bulkUser.login(), await bulkUser.login()];
    expect(
      ok(await server.gql(`mutation ($r: ID!) { terminateRealmSessions(realmId: $r) }`, { r: bulkRealm.id }, server.adminKey)).terminateRealmSessions,
    ).toBe(3);
    server.clock.advance(61_000);
    await server.app.sweeper.sweepNow();
    await server.app.deliveries.drain();
    expect((await logoutTokens(idleRealm, idleClient)).map((t) => t.sid)).toEqual([idle.session!.id]);
    expect((await logoutTokens(shortRealm, shortClient)).map((t) => t.sid)).toEqual([short.session!.id]);
    expect((await logoutTokens(bulkRealm, bulkClient)).map((t) => t.sid).sort()).toEqual(bulk.map((l) => l.session!.id).sort());
  });

  it('retries after a 503 with a freshly signed token', async () => {
    const realm = await seedRealm(server);
    const client = await createClient(realm.id);
    const login = await (await realm.createUser()).login();
    receiver.answer([503]);
    ok(await terminate(login.session!.id));
    await server.app.deliveries.drain();
    expect(await logoutTokens(realm, client)).toHaveLength(1);
    server.clock.advance(6_000);
    await server.app.deliveries.drain();
    const tokens = await logoutTokens(realm, client);
    expect(tokens).toHaveLength(2);
    expect(tokens.map((t) => t.sid)).toEqual([login.session!.id, login.session!.id]);
    expect(tokens[1].jti).not.toBe(tokens[0].jti);
    expect(tokens[1].iat).toBeGreaterThan(tokens[0].iat!);
    server.clock.advance(3_600_000);
    await server.app.deliveries.drain();
    expect(receiver.requests.filter((request) => request.path === client.path)).toHaveLength(2);
  });

  it('is advertised in the realm’s metadata', async () => {
    const realm = await seedRealm(server);
    const metadata = await (await fetch(`${server.url}/realms/${realm.id}/.well-known/openid-configuration`)).json();
    expect(metadata).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });
});
