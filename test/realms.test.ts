import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startTestServer, ok, errorCode, type GraphQLResponse, type TestServer } from './helpers/server.js';
import { createAdminKey, seedRealm, unique } from './helpers/factories.js';

const PUBLIC_URL = 'https://auth.example.test';

let server: TestServer;
beforeAll(async () => {
  // A PUBLIC_URL of its own shows that issuer and JWKS URL come from it, not from the listen address.
  server = await startTestServer({ PUBLIC_URL });
});
afterAll(async () => {
  await server?.close();
});

const SETTINGS = `jwtAlgorithm jwtFields sessionType sessionMinutes apiKeyMinutes accessTokenSeconds idleTimeoutSeconds maxActiveSessions`;
const REALM = `id name ${SETTINGS} issuer jwksUrl jwtPublicKey signingKeyId createdAt updatedAt`;

const CREATE = `mutation ($input: CreateRealmInput!) { createRealm(input: $input) { ${REALM} jwtSecret } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateRealmInput!) { updateRealm(id: $id, input: $input) { ${REALM} } }`;
const READ = `query ($id: ID!) { realm(id: $id) { ${REALM} } }`;
const READ_SECRET = `query ($id: ID!) { realm(id: $id) { id name jwtAlgorithm jwtSecret jwtPublicKey signingKeyId } }`;
const ROTATE = `mutation ($id: ID!) { rotateRealmKey(id: $id) { id jwtAlgorithm signingKeyId jwtPublicKey jwtSecret } }`;

type Realm = Record<string, any>;

async function createRealm(input: Record<string, unknown> = {}): Promise<Realm> {
  return ok(await server.gql(CREATE, { input: { name: unique('realm'), ...input } }, server.adminKey)).createRealm;
}

async function readRealm(id: string, auth = server.adminKey): Promise<Realm> {
  return ok(await server.gql(READ, { id }, auth)).realm;
}

/** Settings and name only: what a rejected update must leave exactly as it was. */
function settingsOf(realm: Realm) {
  const {
    name,
    jwtAlgorithm,
    jwtFields,
    sessionType,
    sessionMinutes,
    apiKeyMinutes,
    accessTokenSeconds,
    idleTimeoutSeconds,
    maxActiveSessions,
    updatedAt,
    signingKeyId,
  } = realm;
  return {
    name,
    jwtAlgorithm,
    jwtFields,
    sessionType,
    sessionMinutes,
    apiKeyMinutes,
    accessTokenSeconds,
    idleTimeoutSeconds,
    maxActiveSessions,
    updatedAt,
    signingKeyId,
  };
}

function expectBadInput(response: GraphQLResponse, field: string) {
  expect(response.errors, JSON.stringify(response)).toHaveLength(1);
  expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(response.data ?? null).toBeNull();
}

async function fetchJwks(realmId: string) {
  const response = await fetch(`${server.url}/realms/${realmId}/.well-known/jwks.json`);
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as { keys: Record<string, any>[] } };
}

/** Every realm the all-scopes key sees, paged through to the end. */
async function allRealms(): Promise<Realm[]> {
  const realms: Realm[] = [];
  let after: string | null = null;
  for (;;) {
    const page: any = ok(
      await server.gql(
        `query ($after: String) { realms(first: 100, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`,
        { after },
        server.adminKey,
      ),
    ).realms;
    realms.push(...page.edges.map((e: any) => e.node));
    if (!page.pageInfo.hasNextPage) return realms;
    after = page.pageInfo.endCursor;
  }
}

describe('creating a realm', () => {
  it('applies the default realm settings (docs/concepts.md#realm-settings) and derives issuer and JWKS URL from PUBLIC_URL', async () => {
    const name = unique('defaults');
    const created = await createRealm({ name });
    expect(created).toMatchObject({
      name,
      jwtAlgorithm: 'HS256',
      jwtFields: [],
      sessionType: 'MANAGED',
      sessionMinutes: 600,
      apiKeyMinutes: 1440,
      accessTokenSeconds: 300,
      idleTimeoutSeconds: 1800,
      maxActiveSessions: 10,
      jwtPublicKey: null,
    });
    expect(created.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(created.issuer).toBe(`${PUBLIC_URL}/realms/${created.id}`);
    expect(created.jwksUrl).toBe(`${PUBLIC_URL}/realms/${created.id}/.well-known/jwks.json`);
    expect(created.signingKeyId).toEqual(expect.any(String));
    // 256 random bits as base64url: 43 characters.
    expect(created.jwtSecret.length).toBeGreaterThanOrEqual(43);
    expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);

    // What was created is what is stored.
    const { jwtSecret: _secret, ...withoutSecret } = created;
    expect(await readRealm(created.id)).toEqual(withoutSecret);
  });

  it('every realm gets its own secret and its own ids', async () => {
    const [a, b] = await Promise.all([createRealm(), createRealm()]);
    expect(a.id).not.toBe(b.id);
    expect(a.signingKeyId).not.toBe(b.signingKeyId);
    expect(a.jwtSecret).not.toBe(b.jwtSecret);
  });

  it('takes every setting from the input', async () => {
    const created = await createRealm({
      jwtAlgorithm: 'RS256',
      jwtFields: ['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'],
      sessionType: 'MANAGED',
      sessionMinutes: 120,
      apiKeyMinutes: 30,
      accessTokenSeconds: 60,
      idleTimeoutSeconds: 900,
      maxActiveSessions: 3,
    });
    expect(created).toMatchObject({
      jwtAlgorithm: 'RS256',
      jwtFields: ['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'],
      sessionMinutes: 120,
      apiKeyMinutes: 30,
      accessTokenSeconds: 60,
      idleTimeoutSeconds: 900,
      maxActiveSessions: 3,
      jwtSecret: null,
    });
  });

  it('a short session shrinks the default token lifespan and idle timeout instead of failing on them', async () => {
    const created = await createRealm({ sessionMinutes: 1 });
    expect(created).toMatchObject({ sessionMinutes: 1, accessTokenSeconds: 60, idleTimeoutSeconds: 60 });
    const five = await createRealm({ sessionMinutes: 5, accessTokenSeconds: 30 });
    expect(five).toMatchObject({ sessionMinutes: 5, accessTokenSeconds: 30, idleTimeoutSeconds: 300 });
  });

  it('open-ended UNMANAGED sessions (sessionMinutes: null) and open-ended API keys are accepted', async () => {
    const open = await createRealm({ sessionType: 'UNMANAGED', sessionMinutes: null, apiKeyMinutes: null, idleTimeoutSeconds: null });
    expect(open).toMatchObject({ sessionType: 'UNMANAGED', sessionMinutes: null, apiKeyMinutes: null, idleTimeoutSeconds: null });
    expect(await readRealm(open.id)).toMatchObject({ sessionMinutes: null, apiKeyMinutes: null, idleTimeoutSeconds: null });

    const longest = await createRealm({ sessionType: 'UNMANAGED', sessionMinutes: 1_051_200, apiKeyMinutes: 1_051_200 });
    expect(longest).toMatchObject({ sessionMinutes: 1_051_200, apiKeyMinutes: 1_051_200 });
    const managedYear = await createRealm({ sessionMinutes: 525_600 });
    expect(managedYear.sessionMinutes).toBe(525_600);
  });
});

// [input, field] — each is refused on create, and on update of an existing default realm.
const INVALID: [string, Record<string, unknown>, string][] = [
  ['sessionMinutes 0 (MANAGED)', { sessionMinutes: 0 }, 'sessionMinutes'],
  ['sessionMinutes 525601 (MANAGED)', { sessionMinutes: 525_601 }, 'sessionMinutes'],
  ['sessionMinutes null (MANAGED)', { sessionMinutes: null }, 'sessionMinutes'],
  ['sessionMinutes 1051201 (UNMANAGED)', { sessionType: 'UNMANAGED', sessionMinutes: 1_051_201 }, 'sessionMinutes'],
  ['sessionMinutes 0 (UNMANAGED)', { sessionType: 'UNMANAGED', sessionMinutes: 0 }, 'sessionMinutes'],
  ['accessTokenSeconds 29', { accessTokenSeconds: 29 }, 'accessTokenSeconds'],
  ['accessTokenSeconds > sessionMinutes × 60', { sessionMinutes: 10, accessTokenSeconds: 601, idleTimeoutSeconds: 600 }, 'accessTokenSeconds'],
  ['accessTokenSeconds null', { accessTokenSeconds: null }, 'accessTokenSeconds'],
  ['idleTimeoutSeconds 59', { idleTimeoutSeconds: 59 }, 'idleTimeoutSeconds'],
  ['idleTimeoutSeconds > sessionMinutes × 60', { sessionMinutes: 10, accessTokenSeconds: 60, idleTimeoutSeconds: 601 }, 'idleTimeoutSeconds'],
  ['maxActiveSessions 0', { maxActiveSessions: 0 }, 'maxActiveSessions'],
  ['maxActiveSessions 101', { maxActiveSessions: 101 }, 'maxActiveSessions'],
  ['apiKeyMinutes 0', { apiKeyMinutes: 0 }, 'apiKeyMinutes'],
  ['apiKeyMinutes 1051201', { apiKeyMinutes: 1_051_201 }, 'apiKeyMinutes'],
  ['jwtFields [ORGS] without MEMBERSHIPS', { jwtFields: ['ORGS'] }, 'jwtFields'],
  ['jwtAlgorithm not in the enum', { jwtAlgorithm: 'none' }, 'jwtAlgorithm'],
  ['sessionMinutes beyond a 32-bit Int', { sessionMinutes: 2 ** 31 }, 'sessionMinutes'],
  ['empty name', { name: '' }, 'name'],
  ['blank name', { name: '   ' }, 'name'],
  ['name with a NUL byte', { name: 'bad\u0000name' }, 'name'],
];

describe('invalid settings', () => {
  it.each(INVALID)('updateRealm refuses %s, names the field and changes nothing', async (_label, input, field) => {
    const realm = await createRealm();
    const before = settingsOf(await readRealm(realm.id));
    expectBadInput(await server.gql(UPDATE, { id: realm.id, input }, server.adminKey), field);
    expect(settingsOf(await readRealm(realm.id))).toEqual(before);
  });

  it.each(INVALID)('createRealm refuses %s and creates nothing', async (_label, input, field) => {
    const name = unique('refused');
    expectBadInput(await server.gql(CREATE, { input: { name, ...input } }, server.adminKey), field);
    const names = (await allRealms()).map((r) => r.name);
    expect(names).not.toContain(name);
    expect(names).not.toContain(input.name);
  });

  it('a rejected update leaves the signing key alone too (no half-applied algorithm change)', async () => {
    const realm = await createRealm();
    expectBadInput(await server.gql(UPDATE, { id: realm.id, input: { jwtAlgorithm: 'RS256', maxActiveSessions: 0 } }, server.adminKey), 'maxActiveSessions');
    const after = ok(await server.gql(READ_SECRET, { id: realm.id }, server.adminKey)).realm;
    expect(after).toMatchObject({ jwtAlgorithm: 'HS256', signingKeyId: realm.signingKeyId, jwtSecret: realm.jwtSecret, jwtPublicKey: null });
    expect((await fetchJwks(realm.id)).body.keys).toEqual([]);
  });
});

describe('updating a realm', () => {
  it('changes only what is given', async () => {
    const realm = await createRealm();
    const updated = ok(await server.gql(UPDATE, { id: realm.id, input: { maxActiveSessions: 2, name: 'Renamed' } }, server.adminKey)).updateRealm;
    expect(settingsOf(updated)).toEqual({ ...settingsOf(realm), name: 'Renamed', maxActiveSessions: 2, updatedAt: updated.updatedAt });
    expect(await readRealm(realm.id)).toMatchObject({ name: 'Renamed', maxActiveSessions: 2, sessionMinutes: 600 });
  });

  it('an explicit null makes an UNMANAGED realm open-ended; leaving the field out keeps it open-ended', async () => {
    const realm = await createRealm({ sessionType: 'UNMANAGED', sessionMinutes: 60 });
    const open = ok(
      await server.gql(UPDATE, { id: realm.id, input: { sessionMinutes: null, apiKeyMinutes: null, idleTimeoutSeconds: null } }, server.adminKey),
    ).updateRealm;
    expect(open).toMatchObject({ sessionMinutes: null, apiKeyMinutes: null, idleTimeoutSeconds: null });
    const renamed = ok(await server.gql(UPDATE, { id: realm.id, input: { name: 'still open' } }, server.adminKey)).updateRealm;
    expect(renamed).toMatchObject({ sessionMinutes: null, apiKeyMinutes: null, name: 'still open' });
    const longest = ok(await server.gql(UPDATE, { id: realm.id, input: { sessionMinutes: 1_051_200 } }, server.adminKey)).updateRealm;
    expect(longest.sessionMinutes).toBe(1_051_200);
  });

  it('switching an open-ended realm to MANAGED needs a session length', async () => {
    const realm = await createRealm({ sessionType: 'UNMANAGED', sessionMinutes: null });
    expectBadInput(await server.gql(UPDATE, { id: realm.id, input: { sessionType: 'MANAGED' } }, server.adminKey), 'sessionMinutes');
    expect(await readRealm(realm.id)).toMatchObject({ sessionType: 'UNMANAGED', sessionMinutes: null });
    const managed = ok(await server.gql(UPDATE, { id: realm.id, input: { sessionType: 'MANAGED', sessionMinutes: 600 } }, server.adminKey)).updateRealm;
    expect(managed).toMatchObject({ sessionType: 'MANAGED', sessionMinutes: 600 });
  });

  it('refuses an unknown realm with NOT_FOUND', async () => {
    const response = await server.gql(UPDATE, { id: 'rlm_doesnotexist', input: { name: 'x' } }, server.adminKey);
    expect(errorCode(response)).toBe('NOT_FOUND');
  });

  it('records who changed what in the audit trail', async () => {
    const realm = await createRealm();
    ok(await server.gql(UPDATE, { id: realm.id, input: { maxActiveSessions: 4 } }, server.adminKey));
    const events = ok(
      await server.gql(
        `query ($id: ID!) { auditEvents(realmId: $id, type: "REALM_UPDATED") { edges { node { type actor data } } } }`,
        { id: realm.id },
        server.adminKey,
      ),
    ).auditEvents.edges.map((e: any) => e.node);
    expect(events).toHaveLength(1);
    expect(events[0].actor).toMatch(/^admin:/);
    expect(events[0].data.after.maxActiveSessions).toBe(4);
    expect(events[0].data.before.maxActiveSessions).toBe(10);
    expect(JSON.stringify(events[0].data)).not.toContain(realm.jwtSecret);
  });
});

describe('signing keys', () => {
  it('jwtSecret is readable with REALMS_MANAGE and FORBIDDEN with REALMS_READ only', async () => {
    const realm = await createRealm();
    const manage = ok(await server.gql(READ_SECRET, { id: realm.id }, server.adminKey)).realm;
    expect(manage.jwtSecret).toBe(realm.jwtSecret);
    expect(manage.jwtSecret.length).toBeGreaterThanOrEqual(43);

    const readOnly = await createAdminKey(server, { scopes: ['REALMS_READ'] });
    const response = await server.gql(READ_SECRET, { id: realm.id }, readOnly);
    // The rest of the realm is readable; only the secret is refused.
    expect(response.data?.realm).toMatchObject({ id: realm.id, name: realm.name, jwtSecret: null });
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].path).toEqual(['realm', 'jwtSecret']);
    expect(response.errors![0].extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(response)).not.toContain(realm.jwtSecret);

    // Same through the list.
    const listed = await server.gql(`{ realms(first: 100) { edges { node { id jwtSecret } } } }`, {}, readOnly);
    expect(listed.errors?.length).toBeGreaterThan(0);
    expect(listed.errors!.every((e) => e.extensions?.code === 'FORBIDDEN')).toBe(true);
    expect(JSON.stringify(listed)).not.toContain(realm.jwtSecret);
  });

  it('a user of the realm reads its realm but not its secret', async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser();
    const { accessToken } = await alice.login();
    const response = await server.gql(READ_SECRET, { id: realm.id }, accessToken);
    expect(response.data?.realm).toMatchObject({ id: realm.id, jwtSecret: null });
    expect(response.errors?.[0]).toMatchObject({ path: ['realm', 'jwtSecret'], extensions: { code: 'FORBIDDEN' } });
    expect(JSON.stringify(response)).not.toContain(realm.jwtSecret!);
  });

  it('the HS256 secret is the key that signs the realm’s tokens', async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser();
    const { accessToken } = await alice.login();
    const claims = jwt.verify(accessToken, realm.jwtSecret!, { algorithms: ['HS256'], issuer: realm.issuer }) as jwt.JwtPayload;
    expect(claims.sub).toBe(alice.id);
    expect(jwt.decode(accessToken, { complete: true })?.header.kid).toBe((await readRealm(realm.id)).signingKeyId);
  });

  it('RS256 realms publish a PEM public key and a JWKS; the secret is null and nothing private leaks', async () => {
    const realm = await createRealm({ jwtAlgorithm: 'RS256' });
    expect(realm.jwtSecret).toBeNull();
    expect(realm.jwtPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/);
    const publicKey = createPublicKey(realm.jwtPublicKey);
    expect(publicKey.asymmetricKeyType).toBe('rsa');
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);

    const jwks = await fetchJwks(realm.id);
    expect(jwks.status).toBe(200);
    expect(jwks.contentType).toMatch(/application\/json/);
    expect(jwks.body.keys).toHaveLength(1);
    const [key] = jwks.body.keys;
    expect(key).toMatchObject({ kid: realm.signingKeyId, alg: 'RS256', use: 'sig', kty: 'RSA', e: 'AQAB' });
    expect(Buffer.from(key.n, 'base64url').length).toBeGreaterThanOrEqual(256);
    for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(privatePart);
    // The JWK and the PEM are the same key.
    expect(createPublicKey({ key: key as any, format: 'jwk' }).export({ type: 'spki', format: 'pem' })).toBe(publicKey.export({ type: 'spki', format: 'pem' }));

    // Public data: readable with no credential at all.
    expect((await fetch(realm.jwksUrl.replace(PUBLIC_URL, server.url))).status).toBe(200);
  });

  it('an HS256 realm publishes an empty key set (the secret is never public)', async () => {
    const realm = await createRealm();
    const jwks = await fetchJwks(realm.id);
    expect(jwks.status).toBe(200);
    expect(jwks.body).toEqual({ keys: [] });
    expect(JSON.stringify(jwks.body)).not.toContain(realm.jwtSecret);
  });

  it('the JWKS of an unknown realm is a 404', async () => {
    const missing = await fetch(`${server.url}/realms/rlm_doesnotexist/.well-known/jwks.json`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).not.toHaveProperty('keys');
  });

  it('rotateRealmKey (RS256) makes a new kid and the JWKS keeps the old key for tokens already out', async () => {
    const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    const before = await readRealm(realm.id);
    const alice = await realm.createUser();
    const { accessToken: oldToken } = await alice.login();

    const rotated = ok(await server.gql(ROTATE, { id: realm.id }, server.adminKey)).rotateRealmKey;
    expect(rotated.signingKeyId).toEqual(expect.any(String));
    expect(rotated.signingKeyId).not.toBe(before.signingKeyId);
    expect(rotated.jwtPublicKey).not.toBe(before.jwtPublicKey);
    expect(rotated.jwtPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    const kids = (await fetchJwks(realm.id)).body.keys.map((k) => k.kid);
    expect(kids).toHaveLength(2);
    expect(new Set(kids)).toEqual(new Set([before.signingKeyId, rotated.signingKeyId]));

    // New tokens carry the new kid; the old one still verifies.
    const { accessToken: newToken } = await alice.login();
    expect(jwt.decode(newToken, { complete: true })?.header.kid).toBe(rotated.signingKeyId);
    expect(jwt.decode(oldToken, { complete: true })?.header.kid).toBe(before.signingKeyId);
    const verify = `query ($token: String!) { verifyToken(token: $token) { valid reason } }`;
    expect(ok(await server.gql(verify, { token: oldToken })).verifyToken).toMatchObject({ valid: true });
    expect(ok(await server.gql(verify, { token: newToken })).verifyToken).toMatchObject({ valid: true });
  });

  it('rotateRealmKey (HS256) makes a new secret and kid', async () => {
    const realm = await createRealm();
    const rotated = ok(await server.gql(ROTATE, { id: realm.id }, server.adminKey)).rotateRealmKey;
    expect(rotated.signingKeyId).not.toBe(realm.signingKeyId);
    expect(rotated.jwtSecret).not.toBe(realm.jwtSecret);
    expect(rotated.jwtSecret.length).toBeGreaterThanOrEqual(43);
    expect(ok(await server.gql(READ_SECRET, { id: realm.id }, server.adminKey)).realm.jwtSecret).toBe(rotated.jwtSecret);
  });

  it('changing jwtAlgorithm HS256 → RS256 → HS256 creates a key of the new kind each time', async () => {
    const realm = await createRealm();
    const toRsa = ok(await server.gql(UPDATE, { id: realm.id, input: { jwtAlgorithm: 'RS256' } }, server.adminKey)).updateRealm;
    expect(toRsa.jwtAlgorithm).toBe('RS256');
    expect(toRsa.signingKeyId).not.toBe(realm.signingKeyId);
    expect(toRsa.jwtPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const rsaRead = ok(await server.gql(READ_SECRET, { id: realm.id }, server.adminKey)).realm;
    expect(rsaRead.jwtSecret).toBeNull();
    const jwks = (await fetchJwks(realm.id)).body.keys;
    expect(jwks).toHaveLength(1);
    expect(jwks[0]).toMatchObject({ kid: toRsa.signingKeyId, alg: 'RS256', kty: 'RSA', use: 'sig' });

    // The same algorithm again is not a change: no new key.
    const same = ok(await server.gql(UPDATE, { id: realm.id, input: { jwtAlgorithm: 'RS256' } }, server.adminKey)).updateRealm;
    expect(same.signingKeyId).toBe(toRsa.signingKeyId);

    const back = ok(await server.gql(UPDATE, { id: realm.id, input: { jwtAlgorithm: 'HS256' } }, server.adminKey)).updateRealm;
    expect(back.jwtPublicKey).toBeNull();
    expect(back.signingKeyId).not.toBe(toRsa.signingKeyId);
    const hsRead = ok(await server.gql(READ_SECRET, { id: realm.id }, server.adminKey)).realm;
    expect(hsRead.jwtSecret.length).toBeGreaterThanOrEqual(43);
    expect(hsRead.jwtSecret).not.toBe(realm.jwtSecret);
  });
});

describe('listing realms', () => {
  it('pages through every realm once, newest first', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 5; i++) mine.add((await createRealm()).id);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: any = ok(
        await server.gql(
          `query ($after: String) { realms(first: 2, after: $after) { edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }`,
          { after },
          server.adminKey,
        ),
      ).realms;
      pages++;
      expect(page.edges.length).toBeLessThanOrEqual(2);
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      expect(page.edges).toHaveLength(2);
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of mine) expect(seen).toContain(id);
    // Newest first: the five made above come out in reverse order of creation.
    expect(seen.filter((id) => mine.has(id))).toEqual([...mine].reverse());
  });
});
