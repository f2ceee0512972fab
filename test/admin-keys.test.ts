import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, useTestServer, ok, errorCode, type TestServer, type GraphQLResponse } from './helpers/server.js';
import { createAdminKey, seedRealm, unique } from './helpers/factories.js';
import { openWs, within, type WsConnection } from './helpers/ws-client.js';

// Admin keys over the API (docs/operations.md#admin-keys): ADMIN_KEYS_MANAGE, no escalation beyond
// the creating key's scopes and realm, names unique among live keys, revocation at once — for
// requests and for open sockets, on every instance — and lastUsedAt at most once a minute.

// Re-checks far apart: a socket that closes within seconds was closed by the revocation itself.
const server = useTestServer({ env: { SUBSCRIPTION_RECHECK_SECONDS: '3600' }, resetClock: true });
const sockets: WsConnection[] = [];
afterAll(async () => {
  await Promise.allSettled(sockets.map((s) => s.dispose()));
});

const KEY_FIELDS = 'id name scopes realmId createdAt lastUsedAt revokedAt';
const CREATE = `mutation ($input: CreateAdminKeyInput!) { createAdminKey(input: $input) { key adminKey { ${KEY_FIELDS} } } }`;
const LIST = `{ adminKeys { ${KEY_FIELDS} } }`;
const REVOKE = 'mutation ($id: ID!) { revokeAdminKey(id: $id) }';
// A query that needs the caller (a bare __typename never authenticates).
const REALMS = '{ realms { edges { node { id } } } }';

interface KeyView {
  id: string;
  name: string;
  scopes: string[];
  realmId: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function create(at: TestServer, auth: string | null, input: { name?: string; scopes: string[]; realmId?: string | null }) {
  return at.gql<{ createAdminKey: { key: string; adminKey: KeyView } }>(CREATE, { input: { name: unique('api-key'), ...input } }, auth);
}
const list = (auth: string, at: TestServer = server) => at.gql<{ adminKeys: KeyView[] }>(LIST, {}, auth);
const revoke = (auth: string, id: string, at: TestServer = server) => at.gql<{ revokeAdminKey: boolean }>(REVOKE, { id }, auth);
const field = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.field;

describe('admin keys over the API', () => {
  it('creates a key shown once, which then works, and lists keys without their secret', async () => {
    const name = unique('ops');
    const created = ok(await create(server, server.adminKey, { name, scopes: ['REALMS_READ', 'SESSIONS_READ'] })).createAdminKey;
    expect(created.key).toMatch(/^tsa_/);
    expect(created.adminKey).toMatchObject({ name, scopes: ['REALMS_READ', 'SESSIONS_READ'], realmId: null, lastUsedAt: null, revokedAt: null });

    expect(ok(await server.gql(REALMS, {}, created.key)).realms.edges).toBeInstanceOf(Array);
    const listed = ok(await list(server.adminKey)).adminKeys;
    expect(listed.find((k) => k.id === created.adminKey.id)).toMatchObject({ name });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    // The bootstrap key has the new scope (it made this key), and the CLI's all-scopes keys too.
    const all = await createAdminKey(server, { name: unique('cli-like') });
    expect(ok(await list(all)).adminKeys.length).toBeGreaterThan(0);
  });

  it('needs ADMIN_KEYS_MANAGE: anonymous UNAUTHENTICATED; a user token or a key without the scope FORBIDDEN; nothing created', async () => {
    const realm = await seedRealm(server);
    const login = await (await realm.createUser()).login();
    const without = await createAdminKey(server, { scopes: ['REALMS_MANAGE', 'USERS_MANAGE', 'SESSIONS_READ', 'SESSIONS_TERMINATE'] });
    const name = unique('refused');
    expect(errorCode(await create(server, null, { name, scopes: ['REALMS_READ'] }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await create(server, login.accessToken, { name, scopes: ['REALMS_READ'] }))).toBe('FORBIDDEN');
    expect(errorCode(await create(server, without, { name, scopes: ['REALMS_READ'] }))).toBe('FORBIDDEN');
    expect(errorCode(await list(without))).toBe('FORBIDDEN');
    expect(errorCode(await list(login.accessToken))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(LIST, {}, null))).toBe('UNAUTHENTICATED');
    expect(ok(await list(server.adminKey)).adminKeys.some((k) => k.name === name)).toBe(false);
  });

  it('never grants a scope the creating key lacks (a MANAGE scope grants its READ scope)', async () => {
    const manager = await createAdminKey(server, { scopes: ['ADMIN_KEYS_MANAGE', 'USERS_MANAGE'] });
    const name = unique('escalation');
    const refused = await create(server, manager, { name, scopes: ['USERS_MANAGE', 'SESSIONS_TERMINATE'] });
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(refused.errors?.[0]?.message).toContain('SESSIONS_TERMINATE');
    expect(ok(await list(server.adminKey)).adminKeys.some((k) => k.name === name)).toBe(false);

    const granted = ok(await create(server, manager, { scopes: ['USERS_READ', 'ADMIN_KEYS_MANAGE'] })).createAdminKey;
    expect(granted.adminKey.scopes).toEqual(['USERS_READ', 'ADMIN_KEYS_MANAGE']);
    // And the new key cannot climb back to what its maker had.
    expect(errorCode(await create(server, granted.key, { scopes: ['USERS_MANAGE'] }))).toBe('FORBIDDEN');
  });

  it('a realm-limited key creates, sees and revokes only keys limited to its own realm', async () => {
    const [mine, other] = [await seedRealm(server), await seedRealm(server)];
    const limited = await createAdminKey(server, { scopes: ['ADMIN_KEYS_MANAGE', 'SESSIONS_READ'], realmId: mine.id });
    const global = ok(await create(server, server.adminKey, { scopes: ['SESSIONS_READ'] })).createAdminKey.adminKey;
    const otherKey = ok(await create(server, server.adminKey, { scopes: ['SESSIONS_READ'], realmId: other.id })).createAdminKey.adminKey;

    expect(errorCode(await create(server, limited, { scopes: ['SESSIONS_READ'] }))).toBe('FORBIDDEN'); // no realm: every realm
    expect(errorCode(await create(server, limited, { scopes: ['SESSIONS_READ'], realmId: other.id }))).toBe('NOT_FOUND');
    const made = ok(await create(server, limited, { scopes: ['SESSIONS_READ'], realmId: mine.id })).createAdminKey.adminKey;
    expect(made.realmId).toBe(mine.id);

    const seen = ok(await list(limited)).adminKeys;
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((k) => k.realmId === mine.id)).toBe(true);
    expect(errorCode(await revoke(limited, global.id))).toBe('NOT_FOUND');
    expect(errorCode(await revoke(limited, otherKey.id))).toBe('NOT_FOUND');
    expect(ok(await list(server.adminKey)).adminKeys.filter((k) => [global.id, otherKey.id].includes(k.id) && k.revokedAt)).toHaveLength(0);
    expect(ok(await revoke(limited, made.id)).revokeAdminKey).toBe(true);
  });

  it('refuses bad input with BAD_USER_INPUT naming the field: a live duplicate name, an empty name, no scope; a revoked name is free again', async () => {
    const name = unique('twice');
    const first = ok(await create(server, server.adminKey, { name, scopes: ['REALMS_READ'] })).createAdminKey.adminKey;
    const duplicate = await create(server, server.adminKey, { name, scopes: ['REALMS_READ'] });
    expect(errorCode(duplicate)).toBe('BAD_USER_INPUT');
    expect(field(duplicate)).toBe('name');
    expect(duplicate.errors?.[0]?.message).toContain(name);
    const blank = await create(server, server.adminKey, { name: '  ', scopes: ['REALMS_READ'] });
    expect([errorCode(blank), field(blank)]).toEqual(['BAD_USER_INPUT', 'name']);
    const none = await create(server, server.adminKey, { scopes: [] });
    expect([errorCode(none), field(none)]).toEqual(['BAD_USER_INPUT', 'scopes']);
    expect(errorCode(await create(server, server.adminKey, { scopes: ['users_read'] }))).toBe('BAD_USER_INPUT'); // the enum

    ok(await revoke(server.adminKey, first.id));
    expect(ok(await create(server, server.adminKey, { name, scopes: ['REALMS_READ'] })).createAdminKey.adminKey.name).toBe(name);
  });

  it('revocation takes effect at once: the next request is refused and an open socket closes without waiting for a re-check', async () => {
    const realm = await seedRealm(server);
    const { key, adminKey } = ok(await create(server, server.adminKey, { scopes: ['REALMS_READ'], realmId: realm.id })).createAdminKey;
    const query = REALMS;
    ok(await server.gql(query, {}, key));
    const socket = openWs(server.wsUrl, key);
    sockets.push(socket);
    await socket.connected();

    expect(ok(await revoke(server.adminKey, adminKey.id)).revokeAdminKey).toBe(true);
    expect(errorCode(await server.gql(query, {}, key))).toBe('UNAUTHENTICATED');
    expect((await within(socket.closed(), 3_000, 'the socket of the revoked key to close')).code).toBe(4403);
    expect(ok(await revoke(server.adminKey, adminKey.id)).revokeAdminKey).toBe(false); // already
    expect(errorCode(await revoke(server.adminKey, 'adm_doesnotexist'))).toBe('NOT_FOUND');
    const listed = ok(await list(server.adminKey)).adminKeys.find((k) => k.id === adminKey.id);
    expect(Date.parse(listed!.revokedAt!)).toBeLessThanOrEqual(server.clock.now().getTime());
  });

  it('records lastUsedAt, written at most once a minute per key', async () => {
    const { key, adminKey } = ok(await create(server, server.adminKey, { scopes: ['REALMS_READ'] })).createAdminKey;
    const lastUsed = async () => ok(await list(server.adminKey)).adminKeys.find((k) => k.id === adminKey.id)!.lastUsedAt;
    // The test clock runs on with real time: a use is stamped between the moments around it.
    const use = async () => {
      const before = server.clock.now().getTime();
      ok(await server.gql(REALMS, {}, key));
      return [before, server.clock.now().getTime()] as const;
    };
    expect(await lastUsed()).toBeNull();
    const [from, to] = await use();
    const first = Date.parse((await lastUsed())!);
    expect(first).toBeGreaterThanOrEqual(from);
    expect(first).toBeLessThanOrEqual(to);
    server.clock.advance(30_000);
    await use();
    expect(Date.parse((await lastUsed())!)).toBe(first); // not a write per request
    server.clock.advance(31_000);
    const [later] = await use();
    expect(Date.parse((await lastUsed())!)).toBeGreaterThanOrEqual(later);
  });
});

// Two instances on one PostgreSQL (and one Redis when REDIS_URL is set, as CI runs it).
describe.skipIf(!process.env.DATABASE_URL)('revocation on every instance [real PostgreSQL: skipped when DATABASE_URL is not set]', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const env = { SUBSCRIPTION_RECHECK_SECONDS: '3600', PUBLIC_URL: 'http://tessera.admin-keys.test' };
    a = await startTestServer(env);
    b = await startTestServer(env);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a key revoked on A is refused by B at once, and its socket on B closes when Redis carries the revocation', async () => {
    const { key, adminKey } = ok(await create(a, a.adminKey, { scopes: ['REALMS_READ'] })).createAdminKey;
    ok(await b.gql(REALMS, {}, key));
    const socket = openWs(b.wsUrl, key);
    sockets.push(socket);
    await socket.connected();

    expect(ok(await revoke(a.adminKey, adminKey.id, a)).revokeAdminKey).toBe(true);
    expect(errorCode(await b.gql(REALMS, {}, key))).toBe('UNAUTHENTICATED');
    if (process.env.REDIS_URL) {
      expect((await within(socket.closed(), 3_000, 'the socket on B to close')).code).toBe(4403);
    } else {
      // Without a shared bus, B's socket ends at its next re-check.
      await b.app.watchers.recheck();
      expect((await within(socket.closed(), 3_000, 'the socket on B to close')).code).toBe(4403);
    }
  });
});
