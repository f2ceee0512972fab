import { describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode, type GraphQLResponse } from './helpers/server.js';
import { seedRealm, unique, DEFAULT_PASSWORD, type SeededRealm } from './helpers/factories.js';
import { ApiKey, User } from '../src/db/entities/index.js';
import { sha256 } from '../src/auth/opaque-tokens.js';

const server = useTestServer();

const USER = `id kind username email firstName lastName name customAttributes disabled createdAt updatedAt lastLoginAt realm { id }`;
const CREATE_USER = `mutation ($input: CreateUserInput!) { createUser(input: $input) { ${USER} } }`;
const UPDATE_USER = `mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { ${USER} } }`;
const READ_USER = `query ($id: ID!) { user(id: $id) { ${USER} } }`;
const SET_PASSWORD = `mutation ($userId: ID!, $password: String!) { setPassword(userId: $userId, password: $password) { id } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { accessToken session { id } user { id } } }`;
const SEARCH = `query ($realmId: ID!, $query: String) { users(realmId: $realmId, query: $query, first: 100) { edges { node { id username } } } }`;

const ORG = `id realmId name customAttributes createdAt updatedAt memberships { id userId orgId permissions }`;
const CREATE_ORG = `mutation ($input: CreateOrgInput!) { createOrg(input: $input) { ${ORG} } }`;
const UPDATE_ORG = `mutation ($id: ID!, $input: UpdateOrgInput!) { updateOrg(id: $id, input: $input) { ${ORG} } }`;
const READ_ORG = `query ($id: ID!) { org(id: $id) { ${ORG} } }`;
const MEMBERSHIP = `id userId orgId org { id name } permissions customAttributes createdAt updatedAt`;
const CREATE_MEMBERSHIP = `mutation ($input: CreateMembershipInput!) { createMembership(input: $input) { ${MEMBERSHIP} } }`;
const UPDATE_MEMBERSHIP = `mutation ($id: ID!, $input: UpdateMembershipInput!) { updateMembership(id: $id, input: $input) { ${MEMBERSHIP} } }`;
const DELETE_MEMBERSHIP = `mutation ($id: ID!) { deleteMembership(id: $id) }`;
const USER_MEMBERSHIPS = `query ($id: ID!) { user(id: $id) { memberships { ${MEMBERSHIP} } } }`;

const CREATE_API_KEY = `mutation ($userId: ID!) { createApiKey(userId: $userId) { apiKey key { id createdAt lastUsedAt revokedAt } } }`;
const REVOKE_API_KEY = `mutation ($id: ID!) { revokeApiKey(id: $id) }`;
const API_KEYS = `query ($id: ID!) { user(id: $id) { apiKeys { id createdAt lastUsedAt revokedAt } } }`;
const API_LOGIN = `mutation ($input: ApiKeyLoginInput!) { loginWithApiKey(input: $input) { accessToken user { id } } }`;

function expectBadInput(response: GraphQLResponse, field: string) {
  expect(response.errors, JSON.stringify(response)).toHaveLength(1);
  expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(response.data ?? null).toBeNull();
}

const createUser = async (input: Record<string, unknown>) => server.gql(CREATE_USER, { input }, server.adminKey);
const login = (realmId: string, username: string, password: string) => server.gql(LOGIN, { input: { realmId, username, password } });

async function usernames(realmId: string): Promise<string[]> {
  return ok(await server.gql(SEARCH, { realmId }, server.adminKey)).users.edges.map((e: any) => e.node.username);
}

describe('creating users', () => {
  it('creates a HUMAN user with a password and reads it back', async () => {
    const realm = await seedRealm(server);
    const created = ok(
      await createUser({
        realmId: realm.id,
        kind: 'HUMAN',
        username: 'Ada',
        password: DEFAULT_PASSWORD,
        email: 'ada@example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        customAttributes: { plan: 'pro', seats: 3, tags: ['a', 'b'] },
      }),
    ).createUser;
    expect(created).toMatchObject({
      kind: 'HUMAN',
      username: 'Ada',
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      name: 'Ada Lovelace',
      customAttributes: { plan: 'pro', seats: 3, tags: ['a', 'b'] },
      disabled: false,
      lastLoginAt: null,
      realm: { id: realm.id },
    });
    expect(ok(await server.gql(READ_USER, { id: created.id }, server.adminKey)).user).toEqual(created);
    expect(JSON.stringify(created)).not.toContain(DEFAULT_PASSWORD);
    // The password works.
    expect(ok(await login(realm.id, 'Ada', DEFAULT_PASSWORD)).login.user.id).toBe(created.id);
  });

  it('kind defaults to HUMAN; a HUMAN user needs a password of at least 8 characters and at most 1024 bytes', async () => {
    const realm = await seedRealm(server);
    expectBadInput(await createUser({ realmId: realm.id, username: 'nopass' }), 'password');
    expectBadInput(await createUser({ realmId: realm.id, username: 'nopass', kind: 'HUMAN', password: null }), 'password');
    expectBadInput(await createUser({ realmId: realm.id, username: 'short', password: '1234567' }), 'password');
    expectBadInput(await createUser({ realmId: realm.id, username: 'long', password: 'x'.repeat(1025) }), 'password');
    expect(await usernames(realm.id)).toEqual([]);
    const user = ok(await createUser({ realmId: realm.id, username: 'eight', password: 'k7#Qv2pL' })).createUser;
    expect(user.kind).toBe('HUMAN');
  });

  it('an API user has no password: one is refused', async () => {
    const realm = await seedRealm(server);
    expectBadInput(await createUser({ realmId: realm.id, kind: 'API', username: 'bot', password: DEFAULT_PASSWORD }), 'password');
    const bot = ok(await createUser({ realmId: realm.id, kind: 'API', username: 'bot' })).createUser;
    expect(bot).toMatchObject({ kind: 'API', username: 'bot' });
    // An API user cannot log in with a password (not even an empty one).
    expect(errorCode(await login(realm.id, 'bot', ''))).toBe('INVALID_CREDENTIALS');
  });

  it('stores the password only as an argon2id hash with the OWASP parameters', async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser({ password: 'a very good password' });
    const stored = await server.app.deps.orm.em.fork().findOneOrFail(User, { id: alice.id });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored.passwordHash).not.toContain('a very good password');
  });

  it('usernames are unique per realm whatever their case, but free in another realm', async () => {
    const realm = await seedRealm(server);
    const other = await seedRealm(server);
    ok(await createUser({ realmId: realm.id, username: 'Alice', password: DEFAULT_PASSWORD }));
    expectBadInput(await createUser({ realmId: realm.id, username: 'alice', password: DEFAULT_PASSWORD }), 'username');
    expectBadInput(await createUser({ realmId: realm.id, username: 'ALICE', kind: 'API' }), 'username');
    expect(await usernames(realm.id)).toEqual(['Alice']);
    const elsewhere = ok(await createUser({ realmId: other.id, username: 'alice', password: DEFAULT_PASSWORD })).createUser;
    expect(elsewhere.username).toBe('alice');
  });

  it('usernames must be non-empty and without spaces', async () => {
    const realm = await seedRealm(server);
    expectBadInput(await createUser({ realmId: realm.id, username: '', password: DEFAULT_PASSWORD }), 'username');
    expectBadInput(await createUser({ realmId: realm.id, username: '   ', password: DEFAULT_PASSWORD }), 'username');
    expectBadInput(await createUser({ realmId: realm.id, username: 'two words', password: DEFAULT_PASSWORD }), 'username');
    expectBadInput(await createUser({ realmId: realm.id, username: 'x'.repeat(101), password: DEFAULT_PASSWORD }), 'username');
    expectBadInput(await createUser({ realmId: realm.id, username: 'nul\u0000byte', password: DEFAULT_PASSWORD }), 'username');
  });

  it('validates email', async () => {
    const realm = await seedRealm(server);
    for (const email of ['not-an-email', 'a@b', '@example.com', 'a b@example.com', `${'x'.repeat(250)}@example.com`]) {
      expectBadInput(await createUser({ realmId: realm.id, username: unique('u'), password: DEFAULT_PASSWORD, email }), 'email');
    }
    expect(await usernames(realm.id)).toEqual([]);
    const user = ok(await createUser({ realmId: realm.id, username: 'mailer', password: DEFAULT_PASSWORD, email: '  grace@example.org ' })).createUser;
    expect(user.email).toBe('grace@example.org');
  });

  it('customAttributes must be a JSON object of at most 4096 bytes', async () => {
    const realm = await seedRealm(server);
    const base = { realmId: realm.id, password: DEFAULT_PASSWORD };
    expectBadInput(await createUser({ ...base, username: 'arr', customAttributes: [1, 2] }), 'customAttributes');
    expectBadInput(await createUser({ ...base, username: 'str', customAttributes: 'text' }), 'customAttributes');
    expectBadInput(await createUser({ ...base, username: 'num', customAttributes: 7 }), 'customAttributes');
    // 4096 bytes is counted as UTF-8 JSON: 2100 × 'é' is under 4096 characters but over 4096 bytes.
    expectBadInput(await createUser({ ...base, username: 'big', customAttributes: { s: 'é'.repeat(2100) } }), 'customAttributes');
    expectBadInput(await createUser({ ...base, username: 'big2', customAttributes: { s: 'x'.repeat(4096) } }), 'customAttributes');
    expect(await usernames(realm.id)).toEqual([]);

    const fits = { s: 'x'.repeat(4096 - JSON.stringify({ s: '' }).length) };
    expect(Buffer.byteLength(JSON.stringify(fits))).toBe(4096);
    expect(ok(await createUser({ ...base, username: 'fits', customAttributes: fits })).createUser.customAttributes).toEqual(fits);
    expect(ok(await createUser({ ...base, username: 'none' })).createUser.customAttributes).toEqual({});
  });

  it('a NUL character in customAttributes (PostgreSQL JSON cannot store it) is refused naming customAttributes', async () => {
    const realm = await seedRealm(server);
    const base = { realmId: realm.id, password: DEFAULT_PASSWORD };
    expectBadInput(await createUser({ ...base, username: 'nul', customAttributes: { a: 'x\u0000y' } }), 'customAttributes');
    expectBadInput(await createUser({ ...base, username: 'nulkey', customAttributes: { 'k\u0000': 1 } }), 'customAttributes');
    expect(await usernames(realm.id)).toEqual([]);
  });

  it('refuses a realm that does not exist', async () => {
    expect(errorCode(await createUser({ realmId: 'rlm_doesnotexist', username: 'x', password: DEFAULT_PASSWORD }))).toBe('NOT_FOUND');
  });
});

describe('name', () => {
  it('is derived from firstName and lastName', async () => {
    const realm = await seedRealm(server);
    expect((await realm.createUser({ firstName: 'Ada', lastName: 'Lovelace' })).name).toBe('Ada Lovelace');
    expect((await realm.createUser({ firstName: 'Ada' })).name).toBe('Ada');
    expect((await realm.createUser({ lastName: 'Lovelace' })).name).toBe('Lovelace');
    expect((await realm.createUser({})).name).toBeNull();
    expect((await realm.createUser({ firstName: '  ', lastName: '' })).name).toBeNull();
  });
});

describe('searching users', () => {
  it('finds users by username, email, first, last and full name, case-insensitively', async () => {
    const realm = await seedRealm(server);
    const ada = await realm.createUser({ username: 'ada.l', email: 'countess@analytical.example', firstName: 'Ada', lastName: 'Lovelace' });
    const grace = await realm.createUser({ username: 'ghopper', email: 'grace@navy.example', firstName: 'Grace', lastName: 'Hopper' });
    await realm.createUser({ username: 'percent%user' });
    const other = await seedRealm(server);
    await other.createUser({ username: 'ada.elsewhere', firstName: 'Ada' });

    const search = async (query: string | null) =>
      ok(await server.gql(SEARCH, { realmId: realm.id, query }, server.adminKey))
        .users.edges.map((e: any) => e.node.id)
        .sort();
    expect(await search('ADA.L')).toEqual([ada.id]);
    expect(await search('analytical')).toEqual([ada.id]);
    expect(await search('grace')).toEqual([grace.id]);
    expect(await search('hopp')).toEqual([grace.id]);
    expect(await search('Ada Lovelace')).toEqual([ada.id]);
    expect(await search('a lovel')).toEqual([ada.id]);
    expect(await search('.example')).toEqual([ada.id, grace.id].sort());
    expect(await search('nobody-like-this')).toEqual([]);
    // LIKE wildcards are plain characters.
    expect(await search('%')).toHaveLength(1);
    expect(await search('_')).toEqual([]);
    // An empty query lists everyone (of this realm only).
    expect(await search('')).toHaveLength(3);
    expect(await search(null)).toHaveLength(3);
  });
});

describe('updating users', () => {
  it('changes the given fields; name follows first and last name', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser({ username: 'before', firstName: 'Ada', lastName: 'Byron', customAttributes: { a: 1 } });
    const updated = ok(
      await server.gql(
        UPDATE_USER,
        { id: user.id, input: { username: 'After', lastName: 'Lovelace', email: 'ada@example.com', customAttributes: { b: 2 } } },
        server.adminKey,
      ),
    ).updateUser;
    expect(updated).toMatchObject({
      username: 'After',
      firstName: 'Ada',
      lastName: 'Lovelace',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      customAttributes: { b: 2 },
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(user.createdAt));
    const cleared = ok(await server.gql(UPDATE_USER, { id: user.id, input: { firstName: null, email: null } }, server.adminKey)).updateUser;
    expect(cleared).toMatchObject({ firstName: null, lastName: 'Lovelace', name: 'Lovelace', email: null, username: 'After' });
    // Login follows the new username.
    expect(ok(await login(realm.id, 'After', DEFAULT_PASSWORD)).login.user.id).toBe(user.id);
  });

  it('validates like createUser and changes nothing when refused', async () => {
    const realm = await seedRealm(server);
    const taken = await realm.createUser({ username: 'taken' });
    const user = await realm.createUser({ username: 'mine', email: 'mine@example.com' });
    const read = async () => ok(await server.gql(READ_USER, { id: user.id }, server.adminKey)).user;
    const before = await read();
    const refusals: [Record<string, unknown>, string][] = [
      [{ username: 'TAKEN' }, 'username'],
      [{ username: '' }, 'username'],
      [{ username: null }, 'username'],
      [{ email: 'nope' }, 'email'],
      [{ customAttributes: [1] }, 'customAttributes'],
      [{ customAttributes: { s: 'x'.repeat(5000) } }, 'customAttributes'],
      [{ disabled: null }, 'disabled'],
      [{ email: 'ok@example.com', username: 'two words' }, 'username'],
    ];
    for (const [input, field] of refusals) {
      expectBadInput(await server.gql(UPDATE_USER, { id: user.id, input }, server.adminKey), field);
    }
    expect(await read()).toEqual(before);
    expect(taken.username).toBe('taken');
  });

  it('disabling a user stops its logins; enabling lets it back in', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    await user.login();
    expect(ok(await server.gql(UPDATE_USER, { id: user.id, input: { disabled: true } }, server.adminKey)).updateUser.disabled).toBe(true);
    expect(errorCode(await login(realm.id, user.username, DEFAULT_PASSWORD))).toBe('INVALID_CREDENTIALS');
    ok(await server.gql(UPDATE_USER, { id: user.id, input: { disabled: false } }, server.adminKey));
    expect(ok(await login(realm.id, user.username, DEFAULT_PASSWORD)).login.user.id).toBe(user.id);
  });

  it('refuses unknown users with NOT_FOUND', async () => {
    expect(errorCode(await server.gql(UPDATE_USER, { id: 'usr_doesnotexist', input: { firstName: 'x' } }, server.adminKey))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(READ_USER, { id: 'usr_doesnotexist' }, server.adminKey))).toBe('NOT_FOUND');
  });
});

describe('setPassword', () => {
  it('changes the login password: the old one fails, the new one works, open sessions end', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const before = await user.login();
    const hashBefore = (await server.app.deps.orm.em.fork().findOneOrFail(User, { id: user.id })).passwordHash;

    ok(await server.gql(SET_PASSWORD, { userId: user.id, password: 'a brand new password' }, server.adminKey));
    expect(errorCode(await login(realm.id, user.username, DEFAULT_PASSWORD))).toBe('INVALID_CREDENTIALS');
    expect(ok(await login(realm.id, user.username, 'a brand new password')).login.user.id).toBe(user.id);

    const hashAfter = (await server.app.deps.orm.em.fork().findOneOrFail(User, { id: user.id })).passwordHash;
    expect(hashAfter).not.toBe(hashBefore);
    expect(hashAfter).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const session = ok(
      await server.gql(`query ($id: ID!) { session(id: $id) { state terminationReason } }`, { id: before.session!.id }, server.adminKey),
    ).session;
    expect(session).toEqual({ state: 'TERMINATED', terminationReason: 'PASSWORD_CHANGED' });
  });

  it('validates the password and refuses API users', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const bot = await realm.createUser({ kind: 'API' });
    expectBadInput(await server.gql(SET_PASSWORD, { userId: user.id, password: 'short' }, server.adminKey), 'password');
    expectBadInput(await server.gql(SET_PASSWORD, { userId: user.id, password: 'x'.repeat(1025) }, server.adminKey), 'password');
    expectBadInput(await server.gql(SET_PASSWORD, { userId: bot.id, password: DEFAULT_PASSWORD }, server.adminKey), 'userId');
    // The old password still works after refusals.
    expect(ok(await login(realm.id, user.username, DEFAULT_PASSWORD)).login.user.id).toBe(user.id);
    expect(errorCode(await server.gql(SET_PASSWORD, { userId: 'usr_doesnotexist', password: DEFAULT_PASSWORD }, server.adminKey))).toBe('NOT_FOUND');
  });
});

describe('orgs', () => {
  it('creates, reads and updates an org', async () => {
    const realm = await seedRealm(server);
    const org = ok(
      await server.gql(CREATE_ORG, { input: { realmId: realm.id, name: ' Acme ', customAttributes: { tier: 'gold' } } }, server.adminKey),
    ).createOrg;
    expect(org).toMatchObject({ realmId: realm.id, name: 'Acme', customAttributes: { tier: 'gold' }, memberships: [] });
    expect(ok(await server.gql(READ_ORG, { id: org.id }, server.adminKey)).org).toEqual(org);

    const renamed = ok(await server.gql(UPDATE_ORG, { id: org.id, input: { name: 'Acme Corp' } }, server.adminKey)).updateOrg;
    expect(renamed).toMatchObject({ name: 'Acme Corp', customAttributes: { tier: 'gold' } });
    const attrs = ok(await server.gql(UPDATE_ORG, { id: org.id, input: { customAttributes: { tier: 'silver' } } }, server.adminKey)).updateOrg;
    expect(attrs).toMatchObject({ name: 'Acme Corp', customAttributes: { tier: 'silver' } });
    expect(ok(await server.gql(READ_ORG, { id: org.id }, server.adminKey)).org).toMatchObject({ name: 'Acme Corp', customAttributes: { tier: 'silver' } });
  });

  it('validates name and customAttributes and changes nothing when refused', async () => {
    const realm = await seedRealm(server);
    expectBadInput(await server.gql(CREATE_ORG, { input: { realmId: realm.id, name: '' } }, server.adminKey), 'name');
    expectBadInput(await server.gql(CREATE_ORG, { input: { realmId: realm.id, name: 'x'.repeat(201) } }, server.adminKey), 'name');
    expectBadInput(await server.gql(CREATE_ORG, { input: { realmId: realm.id, name: 'ok', customAttributes: ['x'] } }, server.adminKey), 'customAttributes');
    expectBadInput(
      await server.gql(CREATE_ORG, { input: { realmId: realm.id, name: 'ok', customAttributes: { s: 'x'.repeat(5000) } } }, server.adminKey),
      'customAttributes',
    );
    expect(ok(await server.gql(`query ($id: ID!) { orgs(realmId: $id) { edges { node { id } } } }`, { id: realm.id }, server.adminKey)).orgs.edges).toEqual([]);

    const org = await realm.createOrg({ name: 'Keep' });
    expectBadInput(await server.gql(UPDATE_ORG, { id: org.id, input: { name: '  ' } }, server.adminKey), 'name');
    expectBadInput(await server.gql(UPDATE_ORG, { id: org.id, input: { name: null } }, server.adminKey), 'name');
    expectBadInput(
      await server.gql(UPDATE_ORG, { id: org.id, input: { name: 'New', customAttributes: { s: 'x'.repeat(5000) } } }, server.adminKey),
      'customAttributes',
    );
    expect(ok(await server.gql(READ_ORG, { id: org.id }, server.adminKey)).org).toMatchObject({ name: 'Keep', customAttributes: {} });
    expect(errorCode(await server.gql(CREATE_ORG, { input: { realmId: 'rlm_doesnotexist', name: 'x' } }, server.adminKey))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(READ_ORG, { id: 'org_doesnotexist' }, server.adminKey))).toBe('NOT_FOUND');
  });
});

describe('memberships', () => {
  async function setup(): Promise<{ realm: SeededRealm; user: Awaited<ReturnType<SeededRealm['createUser']>>; org: any }> {
    const realm = await seedRealm(server);
    return { realm, user: await realm.createUser(), org: await realm.createOrg({ name: 'Acme' }) };
  }

  it('links a user to an org, or realm-wide (orgId null), visible from both sides', async () => {
    const { realm, user, org } = await setup();
    const inOrg = ok(
      await server.gql(
        CREATE_MEMBERSHIP,
        { input: { userId: user.id, orgId: org.id, permissions: ['billing:read', 'admin', 'admin'], customAttributes: { role: 'owner' } } },
        server.adminKey,
      ),
    ).createMembership;
    expect(inOrg).toMatchObject({
      userId: user.id,
      orgId: org.id,
      org: { id: org.id, name: 'Acme' },
      permissions: ['billing:read', 'admin'],
      customAttributes: { role: 'owner' },
    });
    const realmWide = ok(
      await server.gql(CREATE_MEMBERSHIP, { input: { userId: user.id, orgId: null, permissions: ['support'] } }, server.adminKey),
    ).createMembership;
    expect(realmWide).toMatchObject({ userId: user.id, orgId: null, org: null, permissions: ['support'], customAttributes: {} });
    const omitted = await realm.createUser();
    expect(ok(await server.gql(CREATE_MEMBERSHIP, { input: { userId: omitted.id } }, server.adminKey)).createMembership).toMatchObject({
      orgId: null,
      permissions: [],
    });

    const fromUser = ok(await server.gql(USER_MEMBERSHIPS, { id: user.id }, server.adminKey)).user.memberships;
    expect(fromUser.map((m: any) => m.id)).toEqual([inOrg.id, realmWide.id]);
    const fromOrg = ok(await server.gql(READ_ORG, { id: org.id }, server.adminKey)).org.memberships;
    expect(fromOrg).toEqual([{ id: inOrg.id, userId: user.id, orgId: org.id, permissions: ['billing:read', 'admin'] }]);
  });

  it('refuses a second membership in the same org, and a second realm-wide one', async () => {
    const { user, org } = await setup();
    await user.addMembership({ orgId: org.id });
    await user.addMembership({ orgId: null });
    expectBadInput(await server.gql(CREATE_MEMBERSHIP, { input: { userId: user.id, orgId: org.id } }, server.adminKey), 'orgId');
    expectBadInput(await server.gql(CREATE_MEMBERSHIP, { input: { userId: user.id } }, server.adminKey), 'orgId');
    expect(ok(await server.gql(USER_MEMBERSHIPS, { id: user.id }, server.adminKey)).user.memberships).toHaveLength(2);
  });

  it('refuses an org of another realm, or one that does not exist (BAD_USER_INPUT orgId)', async () => {
    const { user } = await setup();
    const other = await seedRealm(server);
    const foreignOrg = await other.createOrg();
    expectBadInput(await server.gql(CREATE_MEMBERSHIP, { input: { userId: user.id, orgId: foreignOrg.id } }, server.adminKey), 'orgId');
    expectBadInput(await server.gql(CREATE_MEMBERSHIP, { input: { userId: user.id, orgId: 'org_doesnotexist' } }, server.adminKey), 'orgId');
    expectBadInput(await server.gql(CREATE_MEMBERSHIP, { input: { userId: user.id, orgId: 'org\u0000weird' } }, server.adminKey), 'orgId');
    expect(ok(await server.gql(USER_MEMBERSHIPS, { id: user.id }, server.adminKey)).user.memberships).toEqual([]);
    expect(ok(await server.gql(READ_ORG, { id: foreignOrg.id }, server.adminKey)).org.memberships).toEqual([]);
  });

  it('validates permissions and customAttributes', async () => {
    const { user, org } = await setup();
    const bad: [Record<string, unknown>, string][] = [
      [{ permissions: ['has space'] }, 'permissions'],
      [{ permissions: [''] }, 'permissions'],
      [{ permissions: ['   '] }, 'permissions'],
      [{ permissions: ['x'.repeat(101)] }, 'permissions'],
      [{ permissions: Array.from({ length: 101 }, (_, i) => `p${i}`) }, 'permissions'],
      [{ customAttributes: [1] }, 'customAttributes'],
      [{ customAttributes: { s: 'x'.repeat(5000) } }, 'customAttributes'],
    ];
    for (const [input, field] of bad) {
      expectBadInput(await server.gql(CREATE_MEMBERSHIP, { input: { userId: user.id, orgId: org.id, ...input } }, server.adminKey), field);
    }
    expect(ok(await server.gql(USER_MEMBERSHIPS, { id: user.id }, server.adminKey)).user.memberships).toEqual([]);
    const hundred = Array.from({ length: 100 }, (_, i) => `p${i}`);
    expect((await user.addMembership({ orgId: org.id, permissions: hundred })).permissions).toEqual(hundred);
  });

  it('updates permissions and attributes, validated the same way', async () => {
    const { user, org } = await setup();
    const membership = await user.addMembership({ orgId: org.id, permissions: ['read'], customAttributes: { a: 1 } });
    const updated = ok(await server.gql(UPDATE_MEMBERSHIP, { id: membership.id, input: { permissions: ['read', 'write'] } }, server.adminKey)).updateMembership;
    expect(updated).toMatchObject({ permissions: ['read', 'write'], customAttributes: { a: 1 }, orgId: org.id });
    expectBadInput(await server.gql(UPDATE_MEMBERSHIP, { id: membership.id, input: { permissions: ['no good'] } }, server.adminKey), 'permissions');
    expectBadInput(
      await server.gql(UPDATE_MEMBERSHIP, { id: membership.id, input: { customAttributes: { s: 'x'.repeat(5000) } } }, server.adminKey),
      'customAttributes',
    );
    const [stored] = ok(await server.gql(USER_MEMBERSHIPS, { id: user.id }, server.adminKey)).user.memberships;
    expect(stored).toMatchObject({ permissions: ['read', 'write'], customAttributes: { a: 1 } });
    expect(errorCode(await server.gql(UPDATE_MEMBERSHIP, { id: 'mem_doesnotexist', input: { permissions: [] } }, server.adminKey))).toBe('NOT_FOUND');
  });

  it('deleteMembership removes it from user and org, once', async () => {
    const { user, org } = await setup();
    const membership = await user.addMembership({ orgId: org.id });
    const keep = await user.addMembership({ orgId: null });
    expect(ok(await server.gql(DELETE_MEMBERSHIP, { id: membership.id }, server.adminKey)).deleteMembership).toBe(true);
    expect(ok(await server.gql(USER_MEMBERSHIPS, { id: user.id }, server.adminKey)).user.memberships.map((m: any) => m.id)).toEqual([keep.id]);
    expect(ok(await server.gql(READ_ORG, { id: org.id }, server.adminKey)).org.memberships).toEqual([]);
    expect(errorCode(await server.gql(DELETE_MEMBERSHIP, { id: membership.id }, server.adminKey))).toBe('NOT_FOUND');
    // Once deleted, the same membership can be made again.
    await user.addMembership({ orgId: org.id });
  });
});

describe('API keys', () => {
  it('only API users get keys', async () => {
    const realm = await seedRealm(server);
    const human = await realm.createUser();
    expectBadInput(await server.gql(CREATE_API_KEY, { userId: human.id }, server.adminKey), 'userId');
    expect(errorCode(await server.gql(CREATE_API_KEY, { userId: 'usr_doesnotexist' }, server.adminKey))).toBe('NOT_FOUND');
  });

  it('shows the tsk_ key once, stores only its hash, logs in with it, and stops working once revoked', async () => {
    const realm = await seedRealm(server);
    const bot = await realm.createUser({ kind: 'API' });
    const created = ok(await server.gql(CREATE_API_KEY, { userId: bot.id }, server.adminKey)).createApiKey;
    expect(created.apiKey).toMatch(/^tsk_[A-Za-z0-9_-]{43,}$/);
    expect(created.key).toMatchObject({ id: expect.any(String), lastUsedAt: null, revokedAt: null });
    expect(Number.isNaN(Date.parse(created.key.createdAt))).toBe(false);

    // Listed without the key itself; the database holds only a hash.
    const listed = ok(await server.gql(API_KEYS, { id: bot.id }, server.adminKey)).user.apiKeys;
    expect(listed.map((k: any) => k.id)).toEqual([created.key.id]);
    expect(JSON.stringify(listed)).not.toContain(created.apiKey);
    const stored = await server.app.deps.orm.em.fork().findOneOrFail(ApiKey, { id: created.key.id });
    expect(stored.keyHash).toBe(sha256(created.apiKey));
    expect(stored.keyHash).not.toContain(created.apiKey.slice(4));

    // A second key is a different key.
    const second = ok(await server.gql(CREATE_API_KEY, { userId: bot.id }, server.adminKey)).createApiKey;
    expect(second.apiKey).not.toBe(created.apiKey);

    const loggedIn = ok(await server.gql(API_LOGIN, { input: { realmId: realm.id, apiKey: created.apiKey } })).loginWithApiKey;
    expect(loggedIn.user.id).toBe(bot.id);

    expect(ok(await server.gql(REVOKE_API_KEY, { id: created.key.id }, server.adminKey)).revokeApiKey).toBe(true);
    const afterRevoke = ok(await server.gql(API_KEYS, { id: bot.id }, server.adminKey)).user.apiKeys;
    expect(afterRevoke.find((k: any) => k.id === created.key.id).revokedAt).toEqual(expect.any(String));
    expect(afterRevoke.find((k: any) => k.id === second.key.id).revokedAt).toBeNull();
    expect(errorCode(await server.gql(API_LOGIN, { input: { realmId: realm.id, apiKey: created.apiKey } }))).toBe('INVALID_CREDENTIALS');
    // The other key still works; revoking again is harmless.
    expect(ok(await server.gql(API_LOGIN, { input: { realmId: realm.id, apiKey: second.apiKey } })).loginWithApiKey.user.id).toBe(bot.id);
    expect(ok(await server.gql(REVOKE_API_KEY, { id: created.key.id }, server.adminKey)).revokeApiKey).toBe(true);
    expect(errorCode(await server.gql(REVOKE_API_KEY, { id: 'apk_doesnotexist' }, server.adminKey))).toBe('NOT_FOUND');
  });

  it('a human user lists no API keys', async () => {
    const realm = await seedRealm(server);
    const human = await realm.createUser();
    expect(ok(await server.gql(API_KEYS, { id: human.id }, server.adminKey)).user.apiKeys).toEqual([]);
  });
});

describe('pagination', () => {
  async function pageThrough(query: string, realmId: string) {
    const ids: string[] = [];
    const pages: { size: number; hasNextPage: boolean; hasPreviousPage: boolean }[] = [];
    let after: string | null = null;
    for (;;) {
      const connection: any = Object.values(ok(await server.gql(query, { realmId, first: 10, after }, server.adminKey)))[0];
      ids.push(...connection.edges.map((e: any) => e.node.id));
      pages.push({ size: connection.edges.length, hasNextPage: connection.pageInfo.hasNextPage, hasPreviousPage: connection.pageInfo.hasPreviousPage });
      expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)?.cursor ?? null);
      expect(connection.pageInfo.startCursor).toBe(connection.edges[0]?.cursor ?? null);
      if (!connection.pageInfo.hasNextPage) return { ids, pages };
      after = connection.pageInfo.endCursor;
      expect(pages.length).toBeLessThan(10);
    }
  }

  const USERS_PAGE = `query ($realmId: ID!, $first: Int, $after: String) { users(realmId: $realmId, first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
  const ORGS_PAGE = `query ($realmId: ID!, $first: Int, $after: String) { orgs(realmId: $realmId, first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

  it('pages through 25 users 10 at a time: no duplicates, no gaps, newest first', async () => {
    const realm = await seedRealm(server);
    const created: string[] = [];
    for (let i = 0; i < 25; i++) created.push((await realm.createUser({ kind: 'API', username: `user-${i}` })).id);
    await (await seedRealm(server)).createUser({ kind: 'API' }); // another realm's user never shows up

    const { ids, pages } = await pageThrough(USERS_PAGE, realm.id);
    expect(pages).toEqual([
      { size: 10, hasNextPage: true, hasPreviousPage: false },
      { size: 10, hasNextPage: true, hasPreviousPage: true },
      { size: 5, hasNextPage: false, hasPreviousPage: true },
    ]);
    expect(new Set(ids).size).toBe(25);
    expect(ids).toEqual([...created].reverse());
  });

  it('pages through 25 orgs, including orgs created within the same millisecond', async () => {
    const realm = await seedRealm(server);
    const created = await Promise.all(Array.from({ length: 25 }, (_, i) => realm.createOrg({ name: `org-${i}` })));
    const { ids, pages } = await pageThrough(ORGS_PAGE, realm.id);
    expect(pages.map((p) => [p.size, p.hasNextPage])).toEqual([
      [10, true],
      [10, true],
      [5, false],
    ]);
    expect(new Set(ids).size).toBe(25);
    expect([...ids].sort()).toEqual(created.map((o) => o.id).sort());
  });

  it('exactly one full page says there is no next page', async () => {
    const realm = await seedRealm(server);
    for (let i = 0; i < 10; i++) await realm.createOrg();
    const { pages } = await pageThrough(ORGS_PAGE, realm.id);
    expect(pages).toEqual([{ size: 10, hasNextPage: false, hasPreviousPage: false }]);
  });

  it('refuses first outside 1 … 100 (field first) and cursors it did not make (field after)', async () => {
    const realm = await seedRealm(server);
    await realm.createOrg();
    for (const query of [USERS_PAGE, ORGS_PAGE]) {
      for (const first of [0, -1, 101]) expectBadInput(await server.gql(query, { realmId: realm.id, first }, server.adminKey), 'first');
      const forged = [
        'garbage',
        '!!!',
        Buffer.from('{"a":1}').toString('base64url'),
        Buffer.from('null').toString('base64url'),
        Buffer.from(JSON.stringify(['not a date', 'org_x'])).toString('base64url'),
        Buffer.from(JSON.stringify([new Date().toISOString(), 42])).toString('base64url'),
        Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', 'org_x'])).toString('base64url'),
        Buffer.from(JSON.stringify([new Date().toISOString(), 'x\u0000y'])).toString('base64url'),
        Buffer.from(JSON.stringify([new Date().toISOString(), "'; drop table org; --"])).toString('base64url'),
      ];
      for (const after of forged) expectBadInput(await server.gql(query, { realmId: realm.id, first: 10, after }, server.adminKey), 'after');
    }
    expect(ok(await server.gql(ORGS_PAGE, { realmId: realm.id, first: 100 }, server.adminKey)).orgs.edges).toHaveLength(1);
    // Default page size is 20.
    for (let i = 0; i < 21; i++) await realm.createOrg();
    expect(ok(await server.gql(ORGS_PAGE, { realmId: realm.id }, server.adminKey)).orgs.edges).toHaveLength(20);
  });
});

describe('me and profile changes', () => {
  const ME = '{ me { user { id firstName lastLoginAt } } }';

  it('shows a change made through this instance at once: an update, and a new login', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    expect(ok(await server.gql(ME, {}, login.accessToken)).me.user.firstName).toBeNull();
    ok(
      await server.gql(
        'mutation ($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id } }',
        { id: user.id, i: { firstName: 'Renamed' } },
        server.adminKey,
      ),
    );
    expect(ok(await server.gql(ME, {}, login.accessToken)).me.user.firstName).toBe('Renamed');

    const before = ok(await server.gql(ME, {}, login.accessToken)).me.user.lastLoginAt;
    server.clock.advance(5);
    await user.login();
    expect(ok(await server.gql(ME, {}, login.accessToken)).me.user.lastLoginAt).not.toBe(before);
  });

  it('shows a change written elsewhere (another instance, a direct write) within a second', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    ok(await server.gql(ME, {}, login.accessToken));
    await server.app.deps.orm.em.fork().getConnection().execute('update app_user set first_name = ? where id = ?', ['Elsewhere', user.id]);
    server.clock.advance(1_001);
    expect(ok(await server.gql(ME, {}, login.accessToken)).me.user.firstName).toBe('Elsewhere');
  });
});
