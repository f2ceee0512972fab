import { createHmac, createPublicKey, generateKeyPairSync, sign as rsaSign, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode } from './helpers/server.js';
import { seedRealm, type SeededRealm } from './helpers/factories.js';
import {
  MeDocument,
  RealmSigningKeysDocument,
  RefreshDocument,
  RotateSigningKeyDocument,
  VerifyLoginTokenDocument,
  type JwtField,
} from './generated/graphql.js';

// Login tokens as docs/concepts.md#login-tokens describes them, verified with `jsonwebtoken` — a
// different JWT library than the one that signs them — given only what a relying party gets: the
// HS256 secret, or the public key/JWKS.

const server = useTestServer({ resetClock: true });

type Header = Record<string, unknown>;
type Payload = Record<string, unknown>;

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function decode(token: string): { header: Header; payload: Payload } {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new Error(`not a JWT: ${token}`);
  return { header: decoded.header as unknown as Header, payload: decoded.payload as Payload };
}

/** Sign by hand, so a test can put anything in the header (jsonwebtoken refuses most forgeries). */
function signHs256(header: Header, payload: Payload | string, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function signRs256(header: Header, payload: Payload, privateKey: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const nowSeconds = () => Math.floor(server.clock.now().getTime() / 1000);

async function realmKeys(realmId: string) {
  return ok(await server.gql(RealmSigningKeysDocument, { id: realmId }, server.adminKey)).realm!;
}

async function fetchJwks(realmId: string): Promise<{ keys: (JsonWebKey & { kid: string })[] }> {
  const response = await fetch(`${server.url}/realms/${realmId}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as { keys: (JsonWebKey & { kid: string })[] };
}

function publicKeyFromJwks(jwks: { keys: (JsonWebKey & { kid: string })[] }, kid: string): KeyObject {
  const jwk = jwks.keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error(`kid ${kid} not in JWKS`);
  return createPublicKey({ key: jwk, format: 'jwk' });
}

/** A forged or broken token: refused as a credential, and reported (not thrown) by verifyToken. */
async function expectRejected(token: string, reason?: string) {
  const me = await server.gql(MeDocument, {}, token);
  expect(errorCode(me), `me with ${token.slice(0, 80)}…`).toBe('UNAUTHENTICATED');
  expect(me.data?.me ?? null).toBeNull();

  const verification = await server.gql(VerifyLoginTokenDocument, { token });
  expect(verification.errors, JSON.stringify(verification.errors)).toBeUndefined();
  const result = verification.data!.verifyToken;
  expect(result.valid).toBe(false);
  expect(result.reason).toEqual(expect.any(String));
  expect(result.reason!.length).toBeGreaterThan(0);
  expect(result.claims).toBeNull();
  expect(result.session).toBeNull();
  if (reason) expect(result.reason, token.slice(0, 80)).toBe(reason);
}

async function expectAccepted(token: string, userId: string) {
  const me = ok(await server.gql(MeDocument, {}, token)).me!;
  expect(me.user.id).toBe(userId);
  const verification = ok(await server.gql(VerifyLoginTokenDocument, { token })).verifyToken;
  expect(verification).toMatchObject({ valid: true, reason: null });
}

describe('login token header and standard claims', () => {
  it('HS256: header pinned to the realm, every standard claim, verifiable with the realm secret alone', async () => {
    const realm = await seedRealm(server, { accessTokenSeconds: 120 });
    expect(realm.jwtAlgorithm).toBe('HS256');
    const alice = await realm.createUser({ username: 'alice', firstName: 'Alice', lastName: 'Liddell' });
    const login = await alice.login({ app: 'tokens' });
    const { header, payload } = decode(login.accessToken);
    const keys = await realmKeys(realm.id);

    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: keys.signingKeyId });
    expect(payload).toEqual({
      iss: realm.issuer,
      sub: alice.id,
      uid: alice.id,
      sid: login.session!.id,
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: expect.any(Number),
      un: 'alice',
      fn: 'Alice',
      ln: 'Liddell',
      n: 'Alice Liddell',
    });
    expect(realm.issuer).toBe(`${server.config.publicUrl}/realms/${realm.id}`);
    expect(Math.abs((payload.iat as number) - nowSeconds())).toBeLessThanOrEqual(2);
    // Managed: exp = now + accessTokenSeconds (well inside the 600-minute session).
    expect(payload.exp).toBe((payload.iat as number) + 120);
    expect(new Date(login.accessTokenExpiresAt!).getTime()).toBe((payload.exp as number) * 1000);

    // A stock library with only the secret, the algorithm pinned.
    const verified = jwt.verify(login.accessToken, realm.jwtSecret!, { algorithms: ['HS256'], issuer: realm.issuer });
    expect(verified).toEqual(payload);
    // …and it really checks: another secret or another algorithm fails.
    expect(() => jwt.verify(login.accessToken, 'x'.repeat(43), { algorithms: ['HS256'] })).toThrow(/invalid signature/);
    expect(() => jwt.verify(login.accessToken, realm.jwtSecret!, { algorithms: ['RS256'] })).toThrow();

    // jti is unique per token.
    const again = await alice.login();
    expect(decode(again.accessToken).payload.jti).not.toBe(payload.jti);
    expect(decode(again.accessToken).payload.sid).not.toBe(payload.sid);
  });

  it('RS256: verifiable with only the public key PEM, and with only the JWKS', async () => {
    const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    expect(realm.jwtPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const keys = await realmKeys(realm.id);
    expect(keys.jwtSecret).toBeNull();
    const bob = await realm.createUser({ username: 'bob' });
    const login = await bob.login();
    const { header, payload } = decode(login.accessToken);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: keys.signingKeyId });

    expect(jwt.verify(login.accessToken, realm.jwtPublicKey!, { algorithms: ['RS256'], issuer: realm.issuer })).toEqual(payload);

    const jwks = await fetchJwks(realm.id);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', kid: header.kid, alg: 'RS256', use: 'sig', e: 'AQAB' });
    for (const privateField of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(privateField);
    // Realm.jwksUrl is the JWKS address under PUBLIC_URL.
    expect(realm.jwksUrl).toBe(`${realm.issuer}/.well-known/jwks.json`);

    const key = publicKeyFromJwks(jwks, header.kid as string);
    expect(key.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
    expect(jwt.verify(login.accessToken, key, { algorithms: ['RS256'], issuer: realm.issuer })).toEqual(payload);
    expect(() => jwt.verify(login.accessToken, key, { algorithms: ['HS256'] })).toThrow();
  });

  it('publishes no keys in the JWKS of an HS256 realm (the secret is not public)', async () => {
    const realm = await seedRealm(server);
    const jwks = await fetchJwks(realm.id);
    expect(jwks.keys).toEqual([]);
    expect(JSON.stringify(jwks)).not.toContain(realm.jwtSecret!);
  });

  it('caps exp at the session expiry: min(now + accessTokenSeconds, session expiry)', async () => {
    const realm = await seedRealm(server, { sessionMinutes: 2, accessTokenSeconds: 90, idleTimeoutSeconds: null });
    const carol = await realm.createUser();
    const login = await carol.login();
    const expiresAt = new Date(login.session!.expiresAt).getTime();
    const first = decode(login.accessToken).payload;
    expect(first.exp).toBe((first.iat as number) + 90);

    // 60 s later a fresh token would run to +150 s, past the session's 120 s: it stops at the session.
    server.clock.advance(60_000);
    const refreshed = ok(await server.gql(RefreshDocument, { refreshToken: login.refreshToken! })).refresh;
    const second = decode(refreshed.accessToken).payload;
    expect(second.exp).toBe(Math.floor(expiresAt / 1000));
    expect(new Date(refreshed.accessTokenExpiresAt!).getTime()).toBe((second.exp as number) * 1000);
    expect(new Date(refreshed.accessTokenExpiresAt!).getTime()).toBeLessThanOrEqual(expiresAt);
    expect(second.exp as number).toBeLessThan((second.iat as number) + 90);
  });

  it('reports the token size', async () => {
    const realm = await seedRealm(server, { jwtFields: ['CUSTOM_ATTRIBUTES'] });
    const user = await realm.createUser({ customAttributes: { bio: 'x'.repeat(3000) } });
    const login = await user.login();
    expect(Buffer.byteLength(login.accessToken)).toBeGreaterThan(3000);
  });
});

describe('claims chosen by jwtFields', () => {
  const cases: { fields: JwtField[]; expectCs: boolean; membership: (ids: { orgId: string }) => Payload[] | undefined }[] = [
    { fields: [], expectCs: false, membership: () => undefined },
    { fields: ['MEMBERSHIPS'], expectCs: false, membership: () => [{ p: ['billing:read', 'admin'] }, { p: ['support'] }] },
    {
      fields: ['MEMBERSHIPS', 'ORGS'],
      expectCs: false,
      membership: ({ orgId }) => [{ p: ['billing:read', 'admin'], oid: orgId, o: 'Acme Inc' }, { p: ['support'] }],
    },
    {
      fields: ['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'],
      expectCs: true,
      membership: ({ orgId }) => [
        { p: ['billing:read', 'admin'], cs: { role: 'owner' }, oid: orgId, o: 'Acme Inc', ocs: { plan: 'pro', seats: 25 } },
        { p: ['support'], cs: { shift: 'night' } },
      ],
    },
    {
      fields: ['MEMBERSHIPS', 'CUSTOM_ATTRIBUTES'],
      expectCs: true,
      membership: () => [
        { p: ['billing:read', 'admin'], cs: { role: 'owner' } },
        { p: ['support'], cs: { shift: 'night' } },
      ],
    },
    { fields: ['CUSTOM_ATTRIBUTES'], expectCs: true, membership: () => undefined },
  ];

  const byPermissions = (entries: Payload[]) => [...entries].sort((a, b) => JSON.stringify(a.p).localeCompare(JSON.stringify(b.p)));

  for (const { fields, expectCs, membership } of cases) {
    it(`jwtFields [${fields.join(', ')}]`, async () => {
      const realm = await seedRealm(server, { jwtFields: fields });
      expect(realm.jwtFields).toEqual(fields);
      const org = await realm.createOrg({ name: 'Acme Inc', customAttributes: { plan: 'pro', seats: 25 } });
      const user = await realm.createUser({
        username: 'dora',
        firstName: 'Dora',
        lastName: 'Explorer',
        customAttributes: { tier: 'gold', flags: { beta: true } },
      });
      await user.addMembership({ orgId: org.id, permissions: ['billing:read', 'admin'], customAttributes: { role: 'owner' } });
      await user.addMembership({ permissions: ['support'], customAttributes: { shift: 'night' } });
      const login = await user.login();
      const { payload } = decode(login.accessToken);

      const expected: Payload = {
        iss: realm.issuer,
        sub: user.id,
        uid: user.id,
        sid: login.session!.id,
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: expect.any(Number),
        un: 'dora',
        fn: 'Dora',
        ln: 'Explorer',
        n: 'Dora Explorer',
      };
      if (expectCs) expected.cs = { tier: 'gold', flags: { beta: true } };
      const m = membership({ orgId: org.id });
      if (m) expected.m = expect.any(Array);
      expect(payload).toEqual(expected);
      if (m) expect(byPermissions(payload.m as Payload[])).toEqual(byPermissions(m));

      // The same claims reach a relying party that verifies with the secret.
      expect(jwt.verify(login.accessToken, realm.jwtSecret!, { algorithms: ['HS256'] })).toEqual(payload);
    });
  }

  it('leaves out null and empty values entirely', async () => {
    const realm = await seedRealm(server, { jwtFields: ['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'] });
    const org = await realm.createOrg({ name: 'Plain Org' }); // no custom attributes
    const user = await realm.createUser({ username: 'plain' }); // no names, no attributes
    await user.addMembership({ orgId: org.id, permissions: ['read'] }); // no membership attributes
    await user.addMembership({ permissions: ['write'], customAttributes: {} }); // realm-wide, nothing else
    const login = await user.login();
    const { payload } = decode(login.accessToken);

    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'iss', 'jti', 'm', 'sid', 'sub', 'uid', 'un'].sort());
    expect(byPermissions(payload.m as Payload[])).toEqual([{ p: ['read'], oid: org.id, o: 'Plain Org' }, { p: ['write'] }]);
    const raw = JSON.parse(Buffer.from(login.accessToken.split('.')[1], 'base64url').toString('utf8')) as Payload;
    expect(JSON.stringify(raw)).not.toMatch(/null|\{\}|\[\]|""/);
  });

  it('leaves out m when the user has no memberships', async () => {
    const realm = await seedRealm(server, { jwtFields: ['MEMBERSHIPS', 'ORGS'] });
    const user = await realm.createUser();
    const { payload } = decode((await user.login()).accessToken);
    expect(payload).not.toHaveProperty('m');
  });
});

describe('key rotation', () => {
  it('RS256: old tokens stay valid, new tokens carry the new kid, the JWKS has both keys', async () => {
    const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    const user = await realm.createUser();
    const before = await user.login();
    const oldKid = decode(before.accessToken).header.kid as string;

    const rotated = ok(await server.gql(RotateSigningKeyDocument, { id: realm.id }, server.adminKey)).rotateRealmKey;
    expect(rotated.signingKeyId).not.toBe(oldKid);
    expect(rotated.jwtPublicKey).not.toBe(realm.jwtPublicKey);

    await expectAccepted(before.accessToken, user.id);
    const after = await user.login();
    const newKid = decode(after.accessToken).header.kid;
    expect(newKid).toBe(rotated.signingKeyId);
    await expectAccepted(after.accessToken, user.id);

    const jwks = await fetchJwks(realm.id);
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, rotated.signingKeyId!].sort());
    expect(jwt.verify(before.accessToken, publicKeyFromJwks(jwks, oldKid), { algorithms: ['RS256'] })).toMatchObject({ sub: user.id });
    expect(jwt.verify(after.accessToken, publicKeyFromJwks(jwks, rotated.signingKeyId!), { algorithms: ['RS256'] })).toMatchObject({
      sub: user.id,
    });
    // The new key does not verify the old token: the kid really selects a different key.
    expect(() => jwt.verify(before.accessToken, publicKeyFromJwks(jwks, rotated.signingKeyId!), { algorithms: ['RS256'] })).toThrow();
  });

  it('HS256: old tokens stay valid, new tokens carry the new kid and the new secret', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const before = await user.login();
    const oldKid = decode(before.accessToken).header.kid;

    const rotated = ok(await server.gql(RotateSigningKeyDocument, { id: realm.id }, server.adminKey)).rotateRealmKey;
    const keys = await realmKeys(realm.id);
    expect(keys.signingKeyId).toBe(rotated.signingKeyId);
    expect(keys.signingKeyId).not.toBe(oldKid);
    expect(keys.jwtSecret).not.toBe(realm.jwtSecret);

    await expectAccepted(before.accessToken, user.id);
    const after = await user.login();
    expect(decode(after.accessToken).header.kid).toBe(keys.signingKeyId);
    expect(jwt.verify(after.accessToken, keys.jwtSecret!, { algorithms: ['HS256'] })).toMatchObject({ sub: user.id });
    expect(jwt.verify(before.accessToken, realm.jwtSecret!, { algorithms: ['HS256'] })).toMatchObject({ sub: user.id });
    // Refresh after rotation signs with the new key as well.
    const refreshed = ok(await server.gql(RefreshDocument, { refreshToken: before.refreshToken! })).refresh;
    expect(decode(refreshed.accessToken).header.kid).toBe(keys.signingKeyId);
  });
});

describe('forged and broken tokens', () => {
  let hsRealm: SeededRealm;
  let rsRealm: SeededRealm;
  let otherRealm: SeededRealm;
  let hsUser: { id: string };
  let hsToken: string;
  let hsParts: { header: Header; payload: Payload };
  let rsToken: string;
  let rsParts: { header: Header; payload: Payload };

  beforeAll(async () => {
    hsRealm = await seedRealm(server);
    rsRealm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
    otherRealm = await seedRealm(server);
    const hsAlice = await hsRealm.createUser({ username: 'alice' });
    hsUser = hsAlice;
    hsToken = (await hsAlice.login()).accessToken;
    hsParts = decode(hsToken);
    const rsAlice = await rsRealm.createUser({ username: 'alice' });
    rsToken = (await rsAlice.login()).accessToken;
    rsParts = decode(rsToken);
  });

  it('accepts the genuine tokens (the baseline every forgery is compared with)', async () => {
    await expectAccepted(hsToken, hsUser.id);
    await expectAccepted(signHs256(hsParts.header, hsParts.payload, hsRealm.jwtSecret!), hsUser.id);
    const verification = ok(await server.gql(VerifyLoginTokenDocument, { token: hsToken })).verifyToken;
    expect(verification.claims).toEqual(hsParts.payload);
    expect(verification.session).toEqual({ id: hsParts.payload.sid, state: 'ACTIVE' });
  });

  it('alg none, in any casing, with or without a signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      for (const header of [
        { ...hsParts.header, alg },
        { alg, typ: 'JWT' },
      ]) {
        const unsigned = `${b64(header)}.${b64(hsParts.payload)}.`;
        await expectRejected(unsigned);
        await expectRejected(`${b64(header)}.${b64(hsParts.payload)}`);
        await expectRejected(`${unsigned}${hsToken.split('.')[2]}`);
      }
      await expectRejected(`${b64({ ...rsParts.header, alg })}.${b64(rsParts.payload)}.`, 'ALGORITHM_MISMATCH');
    }
  });

  it('HS256 signed with the RS256 realm public key as the HMAC secret (algorithm confusion)', async () => {
    const pem = rsRealm.jwtPublicKey!;
    const header = { ...rsParts.header, alg: 'HS256' };
    await expectRejected(signHs256(header, rsParts.payload, pem), 'ALGORITHM_MISMATCH');
    await expectRejected(signHs256(header, rsParts.payload, pem.trim()), 'ALGORITHM_MISMATCH');
    const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    await expectRejected(signHs256(header, rsParts.payload, der), 'ALGORITHM_MISMATCH');
    // And RS256 claimed against an HS256 key.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expectRejected(signRs256({ ...hsParts.header, alg: 'RS256' }, hsParts.payload, privateKey), 'ALGORITHM_MISMATCH');
  });

  it('unknown kid, missing kid', async () => {
    await expectRejected(signHs256({ ...hsParts.header, kid: 'key_doesnotexist0000000' }, hsParts.payload, hsRealm.jwtSecret!), 'UNKNOWN_KEY');
    const { kid: _kid, ...withoutKid } = hsParts.header;
    await expectRejected(signHs256(withoutKid, hsParts.payload, hsRealm.jwtSecret!), 'UNKNOWN_KEY');
  });

  it('injected kids', async () => {
    const kids: unknown[] = [
      '../../etc/passwd',
      "x' or 1=1",
      "x' OR '1'='1' --",
      `${hsParts.header.kid as string}' or '1'='1`,
      '%',
      'a\u0000b',
      '\u0000',
      '𝕜𝕖𝕪',
      'k'.repeat(5000),
      '',
      1,
      null,
      { $ne: null },
      [hsParts.header.kid],
    ];
    for (const kid of kids) {
      await expectRejected(signHs256({ ...hsParts.header, kid }, hsParts.payload, hsRealm.jwtSecret!), 'UNKNOWN_KEY');
    }
  });

  it('expired (the clock moved past exp)', async () => {
    const realm = await seedRealm(server, { accessTokenSeconds: 60 });
    const user = await realm.createUser();
    const login = await user.login();
    await expectAccepted(login.accessToken, user.id);
    server.clock.advance(5 * 60_000);
    await expectRejected(login.accessToken, 'EXPIRED');
    // A token re-signed with the secret but an exp in the past is just as expired.
    const { payload, header } = decode(login.accessToken);
    await expectRejected(signHs256(header, { ...payload, exp: nowSeconds() - 3600 }, realm.jwtSecret!), 'EXPIRED');
  });

  it('not yet valid: a future nbf or a future iat', async () => {
    const secret = hsRealm.jwtSecret!;
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, nbf: nowSeconds() + 3600 }, secret), 'NOT_YET_VALID');
    const iat = nowSeconds() + 3600;
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, iat, exp: iat + 300 }, secret), 'NOT_YET_VALID');
  });

  it('wrong or missing issuer', async () => {
    const secret = hsRealm.jwtSecret!;
    for (const iss of ['https://evil.example/realms/' + hsRealm.id, `${hsRealm.issuer}/`, hsRealm.issuer.toUpperCase(), '', 42]) {
      await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, iss }, secret));
    }
    const { iss: _iss, ...withoutIss } = hsParts.payload;
    await expectRejected(signHs256(hsParts.header, withoutIss, secret));
  });

  it("a token of realm A re-signed claiming realm B's issuer", async () => {
    const bKeys = await realmKeys(otherRealm.id);
    const claimsB = { ...hsParts.payload, iss: otherRealm.issuer };
    // A's key, B's issuer: the key decides the realm, and it is not B.
    await expectRejected(signHs256(hsParts.header, claimsB, hsRealm.jwtSecret!), 'WRONG_ISSUER');
    // B's kid, signed with A's secret.
    await expectRejected(signHs256({ ...hsParts.header, kid: bKeys.signingKeyId }, claimsB, hsRealm.jwtSecret!), 'INVALID_SIGNATURE');
    // B's kid and B's issuer on A's genuine signature.
    await expectRejected(`${b64({ ...hsParts.header, kid: bKeys.signingKeyId })}.${b64(claimsB)}.${hsToken.split('.')[2]}`, 'INVALID_SIGNATURE');
  });

  it('tampered payload or header', async () => {
    const [h, , s] = hsToken.split('.');
    const other = await hsRealm.createUser();
    await expectRejected(`${h}.${b64({ ...hsParts.payload, sub: other.id, uid: other.id })}.${s}`, 'INVALID_SIGNATURE');
    await expectRejected(`${h}.${b64({ ...hsParts.payload, exp: (hsParts.payload.exp as number) + 86400 })}.${s}`, 'INVALID_SIGNATURE');
    await expectRejected(`${b64({ ...hsParts.header, typ: 'at+jwt' })}.${hsToken.split('.')[1]}.${s}`, 'INVALID_SIGNATURE');
    // A flipped signature bit.
    const flipped = Buffer.from(s, 'base64url');
    flipped[0] ^= 1;
    await expectRejected(`${h}.${hsToken.split('.')[1]}.${flipped.toString('base64url')}`, 'INVALID_SIGNATURE');
    const [rh, rp, rs] = rsToken.split('.');
    await expectRejected(`${rh}.${b64({ ...rsParts.payload, un: 'admin' })}.${rs}`, 'INVALID_SIGNATURE');
    await expectRejected(`${rh}.${rp}.${rs.slice(0, -4)}AAAA`, 'INVALID_SIGNATURE');
  });

  it('malformed base64 or JSON', async () => {
    const [h, p, s] = hsToken.split('.');
    const secret = hsRealm.jwtSecret!;
    const malformed = [
      'not-a-jwt',
      'a.b.c',
      '...',
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}!.${p}.${s}`,
      `${h}.${p}*.${s}`,
      `${h}.${p}.${s}$`,
      `${b64('{"alg":"HS256",')}.${p}.${s}`,
      `${b64('[]')}.${p}.${s}`,
      `${b64('"HS256"')}.${p}.${s}`,
      signHs256(hsParts.header, '{"sub": "x"', secret),
      signHs256(hsParts.header, '"just a string"', secret),
      signHs256(hsParts.header, '[1,2,3]', secret),
      `${h}.${p}.${s}`.replace(/\./g, ' '),
      `${h}..${s}`,
    ];
    for (const token of malformed) await expectRejected(token);
  });

  it('other spellings of a genuine token: padding bits, padding, whitespace', async () => {
    for (const token of [hsToken, rsToken]) {
      const [h, p, sig] = token.split('.');
      const bytes = Buffer.from(sig, 'base64url');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // Same bytes, other last character: a lenient decoder would accept it as the same signature.
      const aliases = [...alphabet].map((c) => sig.slice(0, -1) + c).filter((alias) => alias !== sig && Buffer.from(alias, 'base64url').equals(bytes));
      expect(aliases.length).toBeGreaterThan(0);
      for (const alias of aliases) await expectRejected(`${h}.${p}.${alias}`, 'MALFORMED');
      await expectRejected(`${h}.${p}.${sig}=`, 'MALFORMED');
      await expectRejected(`${h}=.${p}.${sig}`, 'MALFORMED');
      await expectRejected(`${h}.${p.slice(0, 10)} ${p.slice(10)}.${sig}`, 'MALFORMED');
      await expectRejected(`${h}.${p.slice(0, 10)}\t${p.slice(10)}.${sig}`, 'MALFORMED');
      const withNewline = ok(await server.gql(VerifyLoginTokenDocument, { token: `${h}.${p}\n.${sig}` })).verifyToken;
      expect(withNewline).toMatchObject({ valid: false, reason: 'MALFORMED' });
      await expectRejected(`${h}.${p}.${sig.replace(/-/g, '+').replace(/_/g, '/')}${sig.includes('-') || sig.includes('_') ? '' : '+'}`, 'MALFORMED');
    }
  });

  it('oversized tokens (10 KB) are refused before any crypto', async () => {
    const big = signHs256(hsParts.header, { ...hsParts.payload, pad: 'x'.repeat(10 * 1024) }, hsRealm.jwtSecret!);
    expect(big.length).toBeGreaterThan(10 * 1024);
    await expectRejected(big, 'TOKEN_TOO_LARGE');
    // Multi-byte padding counts in bytes, not characters.
    const wide = signHs256(hsParts.header, { ...hsParts.payload, pad: '€'.repeat(2500) }, hsRealm.jwtSecret!);
    await expectRejected(wide);
  });

  it('headers that point at their own keys: jku, jwk, x5u, x5c', async () => {
    const secret = hsRealm.jwtSecret!;
    for (const extra of [
      { jku: 'https://evil.example/jwks.json' },
      { x5u: 'https://evil.example/cert.pem' },
      { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
      { jwk: { kty: 'oct', k: b64('attacker') } },
    ]) {
      await expectRejected(signHs256({ ...hsParts.header, ...extra }, hsParts.payload, secret), 'UNSUPPORTED_HEADER');
    }
    // An attacker's own RSA key embedded in the header, claiming the RS256 realm's kid.
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    await expectRejected(signRs256({ ...rsParts.header, jwk }, rsParts.payload, attacker.privateKey));
    await expectRejected(signRs256({ ...rsParts.header, jku: 'https://evil.example/jwks.json' }, rsParts.payload, attacker.privateKey));
    // …and with its own kid only: unknown.
    await expectRejected(signRs256({ ...rsParts.header, kid: 'attacker' }, rsParts.payload, attacker.privateKey), 'UNKNOWN_KEY');
  });

  it('a managed token without exp, or with a non-string sid', async () => {
    const secret = hsRealm.jwtSecret!;
    const { exp: _exp, ...withoutExp } = hsParts.payload;
    await expectRejected(signHs256(hsParts.header, withoutExp, secret));
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, sid: 42 }, secret));
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, sid: 'ses_doesnotexist' }, secret));
  });

  it('claims of the wrong type', async () => {
    const secret = hsRealm.jwtSecret!;
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, sub: 12345 }, secret), 'INVALID_CLAIMS');
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, sub: [hsUser.id] }, secret), 'INVALID_CLAIMS');
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, jti: 7 }, secret), 'INVALID_CLAIMS');
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, exp: String(hsParts.payload.exp) }, secret));
    await expectRejected(signHs256(hsParts.header, { ...hsParts.payload, iat: 'now' }, secret));
    const { sub: _sub, ...withoutSub } = hsParts.payload;
    await expectRejected(signHs256(hsParts.header, withoutSub, secret));
  });

  it('verifyToken never errors, even for a token with NUL characters (valid false with a reason, docs/concepts.md#login-tokens)', async () => {
    // A relying party passes on whatever its cookie held; it must get an answer, not an error.
    for (const token of ['\u0000', `${hsToken}\u0000`, `${b64({ ...hsParts.header, kid: 'a\u0000b' })}.${b64(hsParts.payload)}.x`]) {
      const verification = await server.gql(VerifyLoginTokenDocument, { token });
      expect(verification.errors, JSON.stringify({ token, errors: verification.errors })).toBeUndefined();
      expect(verification.data!.verifyToken).toMatchObject({ valid: false, reason: expect.any(String) });
    }
  });

  it('a correctly signed token for a user that does not exist is not a caller', async () => {
    const { sid: _sid, ...unmanaged } = hsParts.payload;
    const token = signHs256(hsParts.header, { ...unmanaged, sub: 'usr_ghost', uid: 'usr_ghost' }, hsRealm.jwtSecret!);
    const me = await server.gql(MeDocument, {}, token);
    expect(errorCode(me)).toBe('UNAUTHENTICATED');
  });

  it('verifyToken never errors, whatever string it gets', async () => {
    for (const token of ['', ' ', 'Bearer x', 'ey', '.'.repeat(100), '😀.😀.😀', '\u0001\u0002.\u007f.\uffff']) {
      const verification = await server.gql(VerifyLoginTokenDocument, { token });
      expect(verification.errors, JSON.stringify({ token, errors: verification.errors })).toBeUndefined();
      expect(verification.data!.verifyToken.valid).toBe(false);
      expect(verification.data!.verifyToken.reason).toEqual(expect.any(String));
    }
  });
});
