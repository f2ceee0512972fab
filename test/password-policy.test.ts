import { describe, expect, it } from 'vitest';
import { useTestServer, ok, type GraphQLResponse, type TestServer } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm, unique } from './helpers/factories.js';
import { commonPasswords } from '../src/user/password-policy.js';

// What a new password must be (docs/security.md#password-guessing-and-enumeration): not one of the
// most common passwords (the vendored list), not the username or the realm's name, at least
// PASSWORD_MIN_LENGTH characters — on createUser and setPassword, as BAD_USER_INPUT `password`.

const server = useTestServer();
const strict = useTestServer({ env: { PASSWORD_MIN_LENGTH: '12' } });

const CREATE_USER = /* GraphQL */ `
  mutation ($input: CreateUserInput!) {
    createUser(input: $input) {
      id
    }
  }
`;
const SET_PASSWORD = /* GraphQL */ `
  mutation ($userId: ID!, $password: String!) {
    setPassword(userId: $userId, password: $password) {
      id
    }
  }
`;
const LOGIN = /* GraphQL */ `
  mutation ($input: LoginInput!) {
    login(input: $input) {
      accessToken
    }
  }
`;

function expectRefused(response: GraphQLResponse<unknown>, message?: RegExp) {
  expect(response.data ?? null, JSON.stringify(response)).toBeNull();
  expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
  if (message) expect(response.errors![0].message).toMatch(message);
}

const createUser = (target: TestServer, realmId: string, username: string, password: string) =>
  target.gql(CREATE_USER, { input: { realmId, username, password } }, target.adminKey);

// The ten the attack tried, and other well-known ones, in the spellings people use.
const COMMON = ['password', '12345678', '123456789', 'qwertyuiop', 'iloveyou', 'Password1', 'PASSWORD', 'sunshine1', 'football', 'princess'];

describe('the common-password list', () => {
  it('ships with at least 10,000 entries, lower-case, and holds the usual suspects', () => {
    const list = commonPasswords();
    expect(list.size).toBeGreaterThanOrEqual(10_000);
    for (const password of list) expect(password).toBe(password.toLowerCase());
    for (const password of COMMON) expect(list.has(password.toLowerCase()), password).toBe(true);
    expect(list.has(DEFAULT_PASSWORD)).toBe(false);
  });
});

describe('createUser', () => {
  it('refuses the most common passwords, whatever their case, and creates nothing', async () => {
    const realm = await seedRealm(server);
    for (const password of COMMON) expectRefused(await createUser(server, realm.id, unique('common'), password), /common/);
    const { users } = ok(await server.gql(`query ($r: ID!) { users(realmId: $r) { edges { node { id } } } }`, { r: realm.id }, server.adminKey));
    expect(users.edges).toEqual([]);
  });

  it('refuses a password equal to the username or the realm name, case-insensitively', async () => {
    const realm = await seedRealm(server);
    const username = unique('Grace.Hopper');
    expectRefused(await createUser(server, realm.id, username, username), /username/);
    expectRefused(await createUser(server, realm.id, username, username.toUpperCase()), /username/);
    expectRefused(await createUser(server, realm.id, username, realm.name.toUpperCase()), /realm/);
    // Anything else of the kind is fine: it only has to differ.
    ok(await createUser(server, realm.id, username, `${username} and more`));
  });

  it('takes an uncommon password of 8 characters by default, and PASSWORD_MIN_LENGTH raises the floor', async () => {
    const realm = await seedRealm(server);
    ok(await createUser(server, realm.id, unique('eight'), 'k7#Qv2pL'));
    const strictRealm = await seedRealm(strict);
    expectRefused(await createUser(strict, strictRealm.id, unique('eleven'), 'k7#Qv2pLx9z'), /at least 12 characters/);
    ok(await createUser(strict, strictRealm.id, unique('twelve'), 'k7#Qv2pLx9zW'));
  });
});

describe('setPassword', () => {
  it('applies the same rules, changes nothing when it refuses, and ends no session', async () => {
    const realm = await seedRealm(server);
    const ada = await realm.createUser({ username: unique('ada') });
    const before = await ada.login();
    for (const password of ['password', 'Iloveyou1', ada.username.toUpperCase(), realm.name, 'short']) {
      expectRefused(await server.gql(SET_PASSWORD, { userId: ada.id, password }, server.adminKey));
    }
    // The old password still works and the session lives.
    ok(await server.gql(LOGIN, { input: { realmId: realm.id, username: ada.username, password: DEFAULT_PASSWORD } }));
    const { me } = ok(await server.gql(`{ me { user { id } } }`, {}, before.accessToken));
    expect(me.user.id).toBe(ada.id);
    ok(await server.gql(SET_PASSWORD, { userId: ada.id, password: 'a fresh uncommon phrase' }, server.adminKey));
  });
});
