import argon2 from 'argon2';
import { EntityManager } from '@mikro-orm/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useTestServer, ok, errorCode, type GraphQLResponse } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm, type SeededRealm } from './helpers/factories.js';
import { User } from '../src/db/entities/index.js';
import { sha256 } from '../src/auth/opaque-tokens.js';

// A login whose user is deleted or disabled while it runs (docs/concepts.md#errors): the password
// is checked between the statement that reads the user and the one that opens the session, so an
// admin's deleteUser or updateUser(disabled: true) can land in between. Such a login ends like a
// login of an unknown or disabled user — INVALID_CREDENTIALS — and writes nothing of a success:
// no session, no refresh token, no LOGIN_SUCCEEDED, no address made known to the throttle.
//
// Timing: the test holds argon2's verify (the library, as test/throttling.test.ts spies on it) on
// a promise it releases once the admin's mutation has committed through the real API.

const server = useTestServer();

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken refreshToken session { id } } }';
const API_KEY_LOGIN = 'mutation ($input: ApiKeyLoginInput!) { loginWithApiKey(input: $input) { accessToken } }';
const CHANGE_PASSWORD = 'mutation ($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) { accessToken } }';
const DELETE_USER = 'mutation ($id: ID!) { deleteUser(id: $id) }';
const DISABLE_USER = 'mutation ($id: ID!) { updateUser(id: $id, input: { disabled: true }) { id disabled } }';

let restore: (() => void) | null = null;
afterEach(() => {
  restore?.();
  restore = null;
});

/** Hold the next argon2 verify until `release()`; `entered` resolves once it is being held. */
function holdNextVerify(): { entered: Promise<void>; release(): void } {
  const original = argon2.verify.bind(argon2);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let enter!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  let armed = true;
  const spy = vi.spyOn(argon2, 'verify').mockImplementation(async (...args: Parameters<typeof argon2.verify>) => {
    if (armed) {
      armed = false;
      enter();
      await released;
    }
    return original(...args);
  });
  restore = () => spy.mockRestore();
  return { entered, release };
}

/**
 * Hold the API-key login's read of its user (the ORM's findOne, the library's method: the login
 * hashes nothing, so there is no verify to hold) until `release()`, after the row was read.
 */
function holdUserRead(userId: string): { entered: Promise<void>; release(): void } {
  const original = EntityManager.prototype.findOne;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let enter!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  let armed = true;
  const spy = vi.spyOn(EntityManager.prototype, 'findOne').mockImplementation(async function (this: EntityManager, ...args: unknown[]) {
    const found = await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    const [entity, where] = args as [unknown, { id?: unknown } | undefined];
    if (armed && (entity === User || entity === 'User') && where?.id === userId) {
      armed = false;
      enter();
      await released;
    }
    return found;
  } as typeof original);
  restore = () => spy.mockRestore();
  return { entered, release };
}

async function rows<T>(query: string, params: unknown[]): Promise<T[]> {
  return server.app.deps.orm.em.fork().getConnection().execute<T[]>(query, params);
}

/** What a login leaves behind for one user: sessions, refresh tokens, audit types. */
async function traces(realmId: string, userId: string) {
  const [sessions] = await rows<{ n: number }>('select count(*)::int as n from session where realm_id = ? and user_id = ?', [realmId, userId]);
  const [active] = await rows<{ n: number }>("select count(*)::int as n from session where realm_id = ? and user_id = ? and state = 'ACTIVE'", [
    realmId,
    userId,
  ]);
  // A refresh token of a deleted user's session would be an orphan: count every token of the realm.
  const [tokens] = await rows<{ n: number }>('select count(*)::int as n from refresh_token where realm_id = ?', [realmId]);
  const audit = await rows<{ type: string }>('select type from audit_event where realm_id = ? and user_id = ? order by created_at, id', [realmId, userId]);
  return { sessions: sessions.n, active: active.n, refreshTokens: tokens.n, audit: audit.map((row) => row.type) };
}

/**
 * The attempt's account+address counter (throttle.ts): still charged with the failure, and no
 * success made the address known to the account.
 */
async function accountAddressCounter(realmId: string, username: string) {
  const key = sha256(`account-ip:${realmId}:${username.toLowerCase()}:127.0.0.1`);
  const [row] = await rows<{ failures: number; last_success_at: string | null }>('select failures, last_success_at from login_throttle where key = ?', [key]);
  return row ? { failures: row.failures, knownSince: row.last_success_at } : null;
}

function expectInvalidCredentials(response: GraphQLResponse<unknown>) {
  expect(errorCode(response), JSON.stringify(response)).toBe('INVALID_CREDENTIALS');
  expect(response.data ?? null).toBeNull();
}

/** A login of `user` whose password check is held while `meanwhile` runs through the API. */
async function loginRacing(realm: SeededRealm, username: string, meanwhile: () => Promise<void>) {
  const hold = holdNextVerify();
  const pending = server.gql(LOGIN, { input: { realmId: realm.id, username, password: DEFAULT_PASSWORD } });
  await hold.entered;
  await meanwhile();
  hold.release();
  return pending;
}

describe.each(['MANAGED', 'UNMANAGED'] as const)('a password login in a %s realm', (sessionType) => {
  it('of a user deleted while its password was checked is INVALID_CREDENTIALS, and opens nothing', async () => {
    const realm = await seedRealm(server, { sessionType });
    const user = await realm.createUser();
    const response = await loginRacing(realm, user.username, async () => {
      expect(ok(await server.gql(DELETE_USER, { id: user.id }, server.adminKey)).deleteUser).toBe(true);
    });
    expectInvalidCredentials(response);
    expect(await traces(realm.id, user.id)).toEqual({ sessions: 0, active: 0, refreshTokens: 0, audit: ['USER_CREATED', 'USER_DELETED', 'LOGIN_FAILED'] });
    expect(await accountAddressCounter(realm.id, user.username)).toEqual({ failures: 1, knownSince: null });
    // The same answer as for a username that never existed.
    expectInvalidCredentials(await server.gql(LOGIN, { input: { realmId: realm.id, username: user.username, password: DEFAULT_PASSWORD } }));
  });

  it('of a user disabled while its password was checked is INVALID_CREDENTIALS, and opens nothing', async () => {
    const realm = await seedRealm(server, { sessionType });
    const user = await realm.createUser();
    const response = await loginRacing(realm, user.username, async () => {
      expect(ok(await server.gql(DISABLE_USER, { id: user.id }, server.adminKey)).updateUser).toEqual({ id: user.id, disabled: true });
    });
    expectInvalidCredentials(response);
    expect(await traces(realm.id, user.id)).toEqual({ sessions: 0, active: 0, refreshTokens: 0, audit: ['USER_CREATED', 'USER_UPDATED', 'LOGIN_FAILED'] });
    expect(await accountAddressCounter(realm.id, user.username)).toEqual({ failures: 1, knownSince: null });
  });
});

describe('a password login that loses no race', () => {
  it('still opens its session, and a user deleted right after has none left', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    expect(login.session?.id).toBeTruthy();
    expect(await traces(realm.id, user.id)).toMatchObject({ sessions: 1, active: 1, refreshTokens: 1 });
    ok(await server.gql(DELETE_USER, { id: user.id }, server.adminKey));
    expect(await traces(realm.id, user.id)).toMatchObject({ sessions: 0, refreshTokens: 0 });
  });
});

describe('changePassword', () => {
  it('of a user deleted while its current password was checked ends like one whose user is gone, and changes nothing', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const { accessToken } = await user.login();
    const hold = holdNextVerify();
    const pending = server.gql(CHANGE_PASSWORD, { current: DEFAULT_PASSWORD, next: 'a brand new passphrase' }, accessToken);
    await hold.entered;
    ok(await server.gql(DELETE_USER, { id: user.id }, server.adminKey));
    hold.release();
    const response = await pending;
    expect(errorCode(response), JSON.stringify(response)).toBe('UNAUTHENTICATED');
    expect(response.data ?? null).toBeNull();
    const after = await traces(realm.id, user.id);
    expect(after).toMatchObject({ sessions: 0, refreshTokens: 0 });
    expect(after.audit).not.toContain('PASSWORD_CHANGED');
  });
});

describe('loginWithApiKey', () => {
  it.each([
    ['deleted', DELETE_USER, ['USER_CREATED', 'API_KEY_CREATED', 'USER_DELETED', 'LOGIN_FAILED']],
    ['disabled', DISABLE_USER, ['USER_CREATED', 'API_KEY_CREATED', 'USER_UPDATED', 'LOGIN_FAILED']],
  ] as const)('of an API user %s while the login ran is INVALID_CREDENTIALS, and records no success', async (_what, mutation, audit) => {
    const realm = await seedRealm(server);
    const apiUser = await realm.createUser({ kind: 'API' });
    const { apiKey } = await apiUser.createApiKey();
    const hold = holdUserRead(apiUser.id);
    const pending = server.gql(API_KEY_LOGIN, { input: { realmId: realm.id, apiKey } });
    await hold.entered;
    restore?.(); // the admin's mutation reads the user too: only the login's read is held
    restore = null;
    ok(await server.gql(mutation, { id: apiUser.id }, server.adminKey));
    hold.release();
    expectInvalidCredentials(await pending);
    expect((await traces(realm.id, apiUser.id)).audit).toEqual(audit);
    const [key] = await rows<{ last_used_at: string | null }>('select last_used_at from api_key where realm_id = ?', [realm.id]);
    expect(key?.last_used_at ?? null).toBeNull();
  });
});
