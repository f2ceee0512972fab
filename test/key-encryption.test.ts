import { createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, ownDatabase, startTestServer, type TestServer } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm } from './helpers/factories.js';
import { LoginDocument, VerifyLoginTokenDocument } from './generated/graphql.js';

// Sealing runs over every signing key at start: this file has a database of its own, so that the
// servers of other files sharing PostgreSQL keep reading theirs in clear.
let database: Awaited<ReturnType<typeof ownDatabase>>;
beforeAll(async () => {
  database = await ownDatabase();
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

const K1 = 'first-key-encryption-key-0123456789abcdef';
const K2 = 'second-key-encryption-key-0123456789abcdef';
const REALM_SECRET = 'query ($id: ID!) { realm(id: $id) { jwtSecret jwtPublicKey } }';

const CREATE_WEBHOOK = 'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }';
const ROTATE_WEBHOOK = 'mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }';
// The endpoint is never sent to: only its secrets' storage is looked at.
const WEBHOOK_ENV = { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_POLL_SECONDS: '3600' };

async function storedWebhookSecrets(server: TestServer) {
  return server.app.deps.orm.em
    .fork()
    .getConnection()
    .execute<{ id: string; secret: string; previous_secret: string | null }[]>('select id, secret, previous_secret from webhook_endpoint');
}

async function storedKeys(server: TestServer) {
  return server.app.deps.orm.em
    .fork()
    .getConnection()
    .execute<{ id: string; realm_id: string; secret: string | null; private_key_pem: string | null }[]>(
      'select id, realm_id, secret, private_key_pem from signing_key',
    );
}

/** Log in on this server (the seeded users' own login() stays bound to the server that made them). */
async function login(server: TestServer, realmId: string, username: string) {
  return ok(await server.gql(LoginDocument, { input: { realmId, username, password: DEFAULT_PASSWORD } })).login;
}

async function expectValid(server: TestServer, token: string) {
  const check = ok(await server.gql(VerifyLoginTokenDocument, { token })).verifyToken;
  expect(check.reason ?? null).toBeNull();
  expect(check.valid).toBe(true);
}

describe('signing keys encrypted at rest (KEY_ENCRYPTION_KEY)', () => {
  it('seals keys made before and after it is set, signs and verifies with them, refuses to start without the key, and re-seals on rotation', async () => {
    // 1. Without KEY_ENCRYPTION_KEY keys are stored in clear (as before the feature).
    let server = await startTestServer({ ...database.env, ...WEBHOOK_ENV });
    const hs = await seedRealm(server, { jwtAlgorithm: 'HS256' });
    const created = ok(
      await server.gql(CREATE_WEBHOOK, { input: { realmId: hs.id, url: 'http://127.0.0.1:9/hook', eventTypes: ['SESSION_TERMINATED'] } }, server.adminKey),
    ).createWebhookEndpoint as { secret: string; endpoint: { id: string } };
    const webhookId = created.endpoint.id;
    expect((await storedWebhookSecrets(server))[0].secret).toBe(created.secret);
    const hsSecret = hs.jwtSecret!;
    const hsUser = await hs.createUser();
    const hsLogin = await hsUser.login();
    expect((await storedKeys(server)).map((row) => row.secret)).toContain(hsSecret);
    await server.close();

    // 2. Set: the clear key is sealed at start; a new realm's keys are sealed from the start.
    server = await startTestServer({ ...database.env, ...WEBHOOK_ENV, KEY_ENCRYPTION_KEY: K1 });
    const rs = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    // Webhook secrets too: the clear one was sealed at start, a rotated one is sealed when made, and
    // the previous one keeps its sealing while it signs beside the new.
    const rotatedSecret = (ok(await server.gql(ROTATE_WEBHOOK, { id: webhookId }, server.adminKey)).rotateWebhookSecret as { secret: string }).secret;
    const webhookWithK1 = (await storedWebhookSecrets(server))[0];
    const k1Prefix = webhookWithK1.secret.split(':').slice(0, 3).join(':');
    expect(webhookWithK1.secret).toMatch(/^tessera-sealed:v1:[\w-]{8}:/);
    expect(webhookWithK1.previous_secret!.startsWith(`${k1Prefix}:`)).toBe(true);
    expect(server.app.deps.keys.sealer.open(webhookId, webhookWithK1.secret)).toBe(rotatedSecret);
    expect(server.app.deps.keys.sealer.open(webhookId, webhookWithK1.previous_secret!)).toBe(created.secret);
    const rsUser = await rs.createUser();
    const rsLogin = await rsUser.login();
    const sealedWithK1 = await storedKeys(server);
    expect(sealedWithK1).toHaveLength(2);
    for (const row of sealedWithK1) {
      const stored = row.secret ?? row.private_key_pem!;
      expect(stored).toMatch(/^tessera-sealed:v1:[\w-]{8}:[\w-]+:[\w-]+:[\w-]+$/);
      expect(stored).not.toContain(hsSecret);
      expect(stored).not.toContain('PRIVATE KEY');
    }
    // The realm's HS256 secret is still what admins are given, and still signs the same tokens.
    expect(ok(await server.gql(REALM_SECRET, { id: hs.id }, server.adminKey)).realm.jwtSecret).toBe(hsSecret);
    expect(jwt.verify(hsLogin.accessToken, hsSecret, { algorithms: ['HS256'] })).toMatchObject({ sid: hsLogin.session!.id });
    const newHsLogin = await login(server, hs.id, hsUser.username);
    expect(jwt.verify(newHsLogin.accessToken, hsSecret, { algorithms: ['HS256'] })).toMatchObject({ sid: newHsLogin.session!.id });
    // RS256: signed with the sealed private key, verified by the public key clients fetch.
    expect(jwt.verify(rsLogin.accessToken, createPublicKey(rs.jwtPublicKey!), { algorithms: ['RS256'] })).toMatchObject({ sid: rsLogin.session!.id });
    await expectValid(server, hsLogin.accessToken);
    await expectValid(server, rsLogin.accessToken);
    await server.close();

    // 3. Sealed keys and no KEY_ENCRYPTION_KEY, or one that did not seal them: the start stops with
    // the variable named, instead of failing on every token later.
    await expect(startTestServer(database.env)).rejects.toThrow(/KEY_ENCRYPTION_KEY/);
    await expect(startTestServer({ ...database.env, KEY_ENCRYPTION_KEY: K2 })).rejects.toThrow(/KEY_ENCRYPTION_KEY/);

    // 4. Rotation: the new key first, the old one after it. Keys are re-sealed with the new one at
    // start; tokens issued before still verify and new ones are signed.
    server = await startTestServer({ ...database.env, ...WEBHOOK_ENV, KEY_ENCRYPTION_KEY: `${K2},${K1}` });
    const sealedWithK2 = await storedKeys(server);
    const prefixOf = (row: (typeof sealedWithK2)[number]) => (row.secret ?? row.private_key_pem!).split(':').slice(0, 3).join(':');
    const webhookWithK2 = (await storedWebhookSecrets(server))[0];
    for (const stored of [webhookWithK2.secret, webhookWithK2.previous_secret!]) {
      expect(stored).toMatch(/^tessera-sealed:v1:/);
      expect(stored.startsWith(`${k1Prefix}:`)).toBe(false);
      expect(stored.startsWith(`${prefixOf(sealedWithK2[0])}:`)).toBe(true);
    }
    expect(new Set(sealedWithK2.map(prefixOf)).size).toBe(1);
    expect(prefixOf(sealedWithK2[0])).not.toBe(prefixOf(sealedWithK1[0]));
    await expectValid(server, hsLogin.accessToken);
    await expectValid(server, rsLogin.accessToken);
    await expectValid(server, (await login(server, rs.id, rsUser.username)).accessToken);
    await server.close();

    // 5. Once every instance has started with it, the old key can go.
    server = await startTestServer({ ...database.env, ...WEBHOOK_ENV, KEY_ENCRYPTION_KEY: K2 });
    await expectValid(server, rsLogin.accessToken);
    const webhookNow = (await storedWebhookSecrets(server))[0];
    expect(server.app.deps.keys.sealer.open(webhookId, webhookNow.secret)).toBe(rotatedSecret);
    expect(server.app.deps.keys.sealer.open(webhookId, webhookNow.previous_secret!)).toBe(created.secret);
    expect(ok(await server.gql(REALM_SECRET, { id: hs.id }, server.adminKey)).realm.jwtSecret).toBe(hsSecret);
    await server.close();
  }, 120_000);

  it('refuses a key shorter than 32 characters', async () => {
    await expect(startTestServer({ ...database.env, KEY_ENCRYPTION_KEY: 'too-short' })).rejects.toThrow(
      /KEY_ENCRYPTION_KEY: every key must be at least 32 characters/,
    );
  });
});
