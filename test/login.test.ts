import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { useTestServer, startTestServer, ok, errorCode, type GraphQLResponse, type TestServer } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm, storedPasswordHash } from './helpers/factories.js';
import { LoginDetailedDocument, LogoutDocument, MeDocument, SetUserDisabledDocument, type LoginInput } from './generated/graphql.js';
import { User } from '../src/db/entities/index.js';

const server = useTestServer();

function login(target: TestServer, input: LoginInput, headers: Record<string, string> = {}) {
  return target.gql(LoginDetailedDocument, { input }, null, headers);
}

function expectError(response: GraphQLResponse<unknown>, code: string) {
  expect(response.errors, JSON.stringify(response)).toHaveLength(1);
  expect(errorCode(response)).toBe(code);
  expect(response.data ?? null).toBeNull();
  return response.errors![0];
}

describe('login with username and password', () => {
  it('returns a login token, a refresh token, the new session and the user', async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser({ username: 'alice', firstName: 'Alice', lastName: 'Liddell' });
    expect(alice.lastLoginAt).toBeNull();
    const before = Date.now();

    const result = ok(
      await login(server, {
        realmId: realm.id,
        username: 'alice',
        password: DEFAULT_PASSWORD,
        client: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Test/1.0', app: 'web-dashboard' },
      }),
    ).login;

    expect(result.accessToken.split('.')).toHaveLength(3);
    expect(result.accessTokenBytes).toBe(Buffer.byteLength(result.accessToken));
    expect(result.accessTokenExpiresAt).not.toBeNull();
    expect(result.refreshToken).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(result.user).toMatchObject({ id: alice.id, username: 'alice', kind: 'HUMAN' });
    expect(result.user.lastLoginAt).not.toBeNull();
    expect(new Date(result.user.lastLoginAt!).getTime()).toBeGreaterThanOrEqual(before - 1000);

    const session = result.session!;
    expect(session).toMatchObject({
      state: 'ACTIVE',
      ip: '127.0.0.1',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Test/1.0',
      app: 'web-dashboard',
      terminatedAt: null,
      terminationReason: null,
      user: { id: alice.id },
      realm: { id: realm.id },
    });
    expect(session.id).toMatch(/^ses_/);
    expect(session.createdAt).toBe(session.lastActiveAt);
    // Defaults (docs/concepts.md#realm-settings): 600 minutes of session, 1800 s of idle timeout.
    expect(new Date(session.expiresAt).getTime() - new Date(session.createdAt).getTime()).toBe(600 * 60_000);
    expect(new Date(session.idleExpiresAt!).getTime() - new Date(session.createdAt).getTime()).toBe(1800_000);

    // The token works, and reads back the same user and session.
    const me = ok(await server.gql(MeDocument, {}, result.accessToken)).me!;
    expect(me.user.id).toBe(alice.id);
    expect(me.session).toMatchObject({ id: session.id, current: true, state: 'ACTIVE' });
  });

  it('works while the client still sends a stale login token as Authorization', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const old = await user.login();
    ok(await server.gql(LogoutDocument, {}, old.accessToken));
    const response = await login(
      server,
      { realmId: realm.id, username: user.username, password: DEFAULT_PASSWORD },
      { authorization: `Bearer ${old.accessToken}` },
    );
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data!.login.session).toMatchObject({ state: 'ACTIVE', current: false });
    // A bad credential still gets no anonymous fallback where one is needed.
    const me = await server.gql(MeDocument, {}, old.accessToken);
    expect(errorCode(me)).toBe('UNAUTHENTICATED');
  });

  it('stores lastLoginAt on the user', async () => {
    const realm = await seedRealm(server);
    const bob = await realm.createUser();
    const first = await login(server, { realmId: realm.id, username: bob.username, password: DEFAULT_PASSWORD });
    const firstAt = ok(first).login.user.lastLoginAt!;
    const em = server.app.deps.orm.em.fork();
    const stored = await em.findOneOrFail(User, { id: bob.id });
    expect(stored.lastLoginAt?.toISOString()).toBe(firstAt);

    server.clock.advance(5_000);
    const second = ok(await login(server, { realmId: realm.id, username: bob.username, password: DEFAULT_PASSWORD })).login;
    expect(new Date(second.user.lastLoginAt!).getTime()).toBeGreaterThanOrEqual(new Date(firstAt).getTime() + 5_000);
  });

  it('matches usernames case-insensitively (and ignores surrounding spaces)', async () => {
    const realm = await seedRealm(server);
    const carol = await realm.createUser({ username: 'Carol.Smith' });
    for (const username of ['carol.smith', 'CAROL.SMITH', 'cArOl.SmItH', '  Carol.Smith ']) {
      const result = ok(await login(server, { realmId: realm.id, username, password: DEFAULT_PASSWORD })).login;
      expect(result.user.id).toBe(carol.id);
      expect(result.user.username).toBe('Carol.Smith');
    }
    // The password, unlike the username, is case-sensitive.
    expectError(await login(server, { realmId: realm.id, username: 'carol.smith', password: DEFAULT_PASSWORD.toUpperCase() }), 'INVALID_CREDENTIALS');
  });

  it('answers every kind of bad login with the same INVALID_CREDENTIALS', async () => {
    const realm = await seedRealm(server);
    const other = await seedRealm(server);
    const dave = await realm.createUser({ username: 'dave' });
    const disabled = await realm.createUser({ username: 'erin' });
    ok(await server.gql(SetUserDisabledDocument, { id: disabled.id, disabled: true }, server.adminKey));
    const apiUser = await realm.createUser({ username: 'robot', kind: 'API' });
    await apiUser.createApiKey();

    const attempts: Record<string, LoginInput> = {
      'unknown user': { realmId: realm.id, username: 'nobody', password: DEFAULT_PASSWORD },
      'wrong password': { realmId: realm.id, username: 'dave', password: 'not the password' },
      'disabled user (right password)': { realmId: realm.id, username: 'erin', password: DEFAULT_PASSWORD },
      'unknown realm': { realmId: 'rlm_doesnotexist', username: 'dave', password: DEFAULT_PASSWORD },
      'user of another realm': { realmId: other.id, username: 'dave', password: DEFAULT_PASSWORD },
      'API user with a password': { realmId: realm.id, username: 'robot', password: DEFAULT_PASSWORD },
      'API user with an empty password': { realmId: realm.id, username: 'robot', password: '' },
      'empty password': { realmId: realm.id, username: 'dave', password: '' },
      'password with a NUL character': { realmId: realm.id, username: 'dave', password: `${DEFAULT_PASSWORD}\u0000` },
    };
    const messages = new Set<string>();
    for (const [what, input] of Object.entries(attempts)) {
      const response = await login(server, input);
      expect(errorCode(response), what).toBe('INVALID_CREDENTIALS');
      expect(response.data ?? null, what).toBeNull();
      messages.add(response.errors![0].message);
      // Nothing in the answer tells the cases apart.
      expect(Object.keys(response.errors![0].extensions ?? {}), what).toEqual(['code']);
    }
    expect([...messages]).toHaveLength(1);
    expect([...messages][0]).not.toMatch(/disabled|exist|unknown|realm|API/i);

    // The real user can still log in (the failures did not lock anything they should not have).
    ok(await login(server, { realmId: realm.id, username: dave.username, password: DEFAULT_PASSWORD }));
  });

  it('takes about as long for an unknown user, realm, a disabled user or an API user as for a wrong password', async () => {
    const realm = await seedRealm(server);
    const disabled = await realm.createUser();
    ok(await server.gql(SetUserDisabledDocument, { id: disabled.id, disabled: true }, server.adminKey));
    const robot = await realm.createUser({ kind: 'API' });
    const timed = async (input: LoginInput) => {
      const started = performance.now();
      expect(errorCode(await login(server, input))).toBe('INVALID_CREDENTIALS');
      return performance.now() - started;
    };
    const lowerMedian = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)];
    // Every case runs one argon2 verify with today's parameters (a dummy hash when there is no user):
    // skipping it would answer in a fraction of the time and tell attackers which usernames exist.
    const cases: Record<string, (i: number) => LoginInput> = {
      'unknown user': (i) => ({ realmId: realm.id, username: `nobody-${i}`, password: DEFAULT_PASSWORD }),
      'unknown realm': (i) => ({ realmId: `rlm_nowhere${i}`, username: 'somebody', password: DEFAULT_PASSWORD }),
      'disabled user': () => ({ realmId: realm.id, username: disabled.username, password: DEFAULT_PASSWORD }),
      'API user': () => ({ realmId: realm.id, username: robot.username, password: DEFAULT_PASSWORD }),
    };
    for (const [what, make] of Object.entries(cases)) {
      // Each case against wrong passwords timed in turn with it, so both see the same load on the
      // machine (other test files run meanwhile); a user of its own keeps the throttle out of it.
      const known = await realm.createUser();
      const wrongPassword: number[] = [];
      const other: number[] = [];
      for (let i = 0; i < 4; i++) {
        wrongPassword.push(await timed({ realmId: realm.id, username: known.username, password: `wrong password ${i}` }));
        other.push(await timed(make(i)));
      }
      expect(lowerMedian(other), what).toBeGreaterThan(lowerMedian(wrongPassword) * 0.5);
    }
  });

  it('refuses passwords longer than 1024 bytes before hashing them', async () => {
    const realm = await seedRealm(server);
    const frank = await realm.createUser();

    // 1024 bytes is allowed (and simply wrong).
    expectError(await login(server, { realmId: realm.id, username: frank.username, password: 'x'.repeat(1024) }), 'INVALID_CREDENTIALS');

    for (const password of ['x'.repeat(1025), '€'.repeat(342) /* 1026 bytes, 342 characters */, 'y'.repeat(50_000)]) {
      const started = performance.now();
      const response = await login(server, { realmId: realm.id, username: frank.username, password });
      const elapsed = performance.now() - started;
      const error = expectError(response, 'BAD_USER_INPUT');
      expect(error.extensions?.field).toBe('password');
      // Refused without running argon2 over the input (hashing 50 KB would take far longer).
      expect(elapsed).toBeLessThan(1_000);
    }
  });

  it('takes the IP from the connection and ignores X-Forwarded-For by default', async () => {
    const realm = await seedRealm(server);
    const gina = await realm.createUser();
    const result = ok(
      await login(server, { realmId: realm.id, username: gina.username, password: DEFAULT_PASSWORD }, { 'x-forwarded-for': '203.0.113.9' }),
    ).login;
    expect(result.session!.ip).toBe('127.0.0.1');
  });

  it('honours X-Forwarded-For when started with TRUST_PROXY=true', async () => {
    const proxied = await startTestServer({ TRUST_PROXY: 'true' });
    try {
      const realm = await seedRealm(proxied);
      const hank = await realm.createUser();
      const result = ok(
        await login(proxied, { realmId: realm.id, username: hank.username, password: DEFAULT_PASSWORD }, { 'x-forwarded-for': '203.0.113.9' }),
      ).login;
      expect(result.session!.ip).toBe('203.0.113.9');
      // Only the entry our proxy appended counts: anything the client put further left is ignored.
      const spoofed = ok(
        await login(proxied, { realmId: realm.id, username: hank.username, password: DEFAULT_PASSWORD }, { 'x-forwarded-for': '10.0.0.1, 198.51.100.4' }),
      ).login;
      expect(spoofed.session!.ip).toBe('198.51.100.4');
      // Without the header the socket address is used.
      const direct = ok(await login(proxied, { realmId: realm.id, username: hank.username, password: DEFAULT_PASSWORD })).login;
      expect(direct.session!.ip).toBe('127.0.0.1');
    } finally {
      await proxied.close();
    }
  });

  it('re-hashes a password made with weaker argon2 parameters on the next login', async () => {
    const realm = await seedRealm(server);
    const ivan = await realm.createUser();
    expect(await storedPasswordHash(server, ivan.id)).toContain('$m=19456,t=2,p=1$');

    const weak = await argon2.hash(DEFAULT_PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const em = server.app.deps.orm.em.fork();
    await em.nativeUpdate(User, { id: ivan.id }, { passwordHash: weak });
    expect(await storedPasswordHash(server, ivan.id)).toBe(weak);

    // A failed login must not touch the hash.
    expectError(await login(server, { realmId: realm.id, username: ivan.username, password: 'wrong password!' }), 'INVALID_CREDENTIALS');
    expect(await storedPasswordHash(server, ivan.id)).toBe(weak);

    ok(await login(server, { realmId: realm.id, username: ivan.username, password: DEFAULT_PASSWORD }));
    const upgraded = await storedPasswordHash(server, ivan.id);
    expect(upgraded).not.toBe(weak);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await argon2.verify(upgraded, DEFAULT_PASSWORD)).toBe(true);

    // And the upgraded hash keeps working.
    ok(await login(server, { realmId: realm.id, username: ivan.username, password: DEFAULT_PASSWORD }));
    expect(await storedPasswordHash(server, ivan.id)).toBe(upgraded);
  });

  it('re-hashes argon2i and argon2d hashes into argon2id, even with the same costs', async () => {
    const realm = await seedRealm(server);
    for (const type of [argon2.argon2i, argon2.argon2d]) {
      const user = await realm.createUser();
      const other = await argon2.hash(DEFAULT_PASSWORD, { type, memoryCost: 19456, timeCost: 2, parallelism: 1 });
      expect(other).toMatch(/^\$argon2(i|d)\$v=19\$m=19456,t=2,p=1\$/);
      await server.app.deps.orm.em.fork().nativeUpdate(User, { id: user.id }, { passwordHash: other });
      ok(await login(server, { realmId: realm.id, username: user.username, password: DEFAULT_PASSWORD }));
      expect(await storedPasswordHash(server, user.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    }
  });

  it('re-hashes weaker hashes in unmanaged realms too', async () => {
    const realm = await seedRealm(server, { sessionType: 'UNMANAGED' });
    const judy = await realm.createUser();
    const weak = await argon2.hash(DEFAULT_PASSWORD, { type: argon2.argon2id, memoryCost: 8192, timeCost: 3, parallelism: 1 });
    await server.app.deps.orm.em.fork().nativeUpdate(User, { id: judy.id }, { passwordHash: weak });
    ok(await login(server, { realmId: realm.id, username: judy.username, password: DEFAULT_PASSWORD }));
    expect(await storedPasswordHash(server, judy.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('refuses malformed client info with BAD_USER_INPUT naming the field', async () => {
    const realm = await seedRealm(server);
    const kim = await realm.createUser();
    const response = await login(server, {
      realmId: realm.id,
      username: kim.username,
      password: DEFAULT_PASSWORD,
      client: { userAgent: 'x'.repeat(600) },
    });
    expect(expectError(response, 'BAD_USER_INPUT').extensions?.field).toBe('client.userAgent');
  });
});
