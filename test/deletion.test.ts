import { afterAll, describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode } from './helpers/server.js';
import { DEFAULT_PASSWORD, createAdminKey, seedRealm, type SeededRealm } from './helpers/factories.js';
import { eventually, openWs, type WsConnection } from './helpers/ws-client.js';

// Deletion (docs/concepts.md#deleting): users, orgs and whole realms, their sessions ended first
// (USER_DELETED) with their events, through the real server; realm isolation; audit rows kept.

// Webhook endpoints on a loopback address; no delivery worker polling (none is meant to be sent).
const server = useTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_POLL_SECONDS: '3600' } });
const connections: WsConnection[] = [];
afterAll(async () => {
  await Promise.allSettled(connections.map((c) => c.dispose()));
});

const DELETE_USER = 'mutation ($id: ID!) { deleteUser(id: $id) }';
const DELETE_ORG = 'mutation ($id: ID!) { deleteOrg(id: $id) }';
const DELETE_REALM = 'mutation ($id: ID!, $name: String!) { deleteRealm(id: $id, confirmName: $name) }';
const SESSION = 'query ($id: ID!) { session(id: $id) { id state terminationReason } }';
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
const REALM_EVENTS = 'subscription ($realmId: ID!) { sessionEvents(realmId: $realmId) { type reason } }';

/** Rows of the realm in every table that has a realm_id, read from the database itself. */
async function rowsOf(realmId: string): Promise<Record<string, number>> {
  const connection = server.app.deps.orm.em.fork().getConnection();
  const tables = [
    'signing_key',
    'app_user',
    'api_key',
    'org',
    'membership',
    'session',
    'refresh_token',
    'admin_key',
    'oauth_client',
    'webhook_endpoint',
    'delivery',
  ];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await connection.execute<{ n: number }[]>(`select count(*)::int as n from ${table} where realm_id = ?`, [realmId]);
    counts[table] = row.n;
  }
  const [audit] = await connection.execute<{ n: number }[]>(`select count(*)::int as n from audit_event where realm_id = ?`, [realmId]);
  counts.audit_event = audit.n;
  return counts;
}

async function auditTypes(realmId: string, userId: string): Promise<string[]> {
  const connection = server.app.deps.orm.em.fork().getConnection();
  const rows = await connection.execute<{ type: string; reason: string | null }[]>(
    'select type, reason from audit_event where realm_id = ? and user_id = ? order by id',
    [realmId, userId],
  );
  return rows.map((r) => (r.reason ? `${r.type}:${r.reason}` : r.type));
}

/** The audit rows of one type that name `key` = `value` in their data, read from the database. */
async function auditRowsWith(type: string, key: string, value: string) {
  const connection = server.app.deps.orm.em.fork().getConnection();
  return connection.execute<{ realm_id: string | null; actor: string; data: Record<string, unknown> }[]>(
    'select realm_id, actor, data from audit_event where type = ? and data ->> ? = ?',
    [type, key, value],
  );
}

/**
 * A real fault in the middle of a deletion: a trigger that refuses the DELETE of one row of
 * `table`, so the transaction fails after the sessions were ended and the audit row written.
 */
async function withDeleteRefused<T>(table: 'app_user' | 'org' | 'realm', id: string, run: () => Promise<T>): Promise<T> {
  const connection = server.app.deps.orm.em.fork().getConnection();
  const trigger = `deletion_test_refuse_${table}`;
  await connection.execute(
    `create or replace function deletion_test_refuse() returns trigger language plpgsql as $fn$ begin raise exception 'deletion test: delete refused'; end $fn$`,
  );
  await connection.execute(`create trigger ${trigger} before delete on ${table} for each row when (old.id = '${id}') execute function deletion_test_refuse()`);
  try {
    return await run();
  } finally {
    await connection.execute(`drop trigger ${trigger} on ${table}`);
  }
}

/** The realm's durable session-event record, as the API tells it. */
async function recordedTypes(realmId: string): Promise<string[]> {
  const { realmEvents } = ok(
    await server.gql<{ realmEvents: { edges: { node: { type: string } }[] } }>(
      'query ($r: ID!) { realmEvents(realmId: $r, first: 100) { edges { node { type } } } }',
      { r: realmId },
      server.adminKey,
    ),
  );
  return realmEvents.edges.map((edge) => edge.node.type);
}

async function watchOwn(token: string, sessionId: string) {
  const ws = openWs(server.wsUrl, token);
  connections.push(ws);
  await ws.connected();
  const sub = ws.subscribe<{ sessionTerminated: { sessionId: string; reason: string } }>('subscription { sessionTerminated { sessionId reason } }');
  await eventually(() => server.app.watchers.watching(sessionId) >= 2, 5_000, 'the subscription is live');
  return sub;
}

async function realmEvents(realmId: string) {
  const ws = openWs(server.wsUrl, server.adminKey);
  connections.push(ws);
  await ws.connected();
  return ws.subscribe<{ sessionEvents: { type: string; reason: string | null } }>(REALM_EVENTS, { realmId });
}

/** A realm with a user in an org, logged in twice, with an API user and key, a client and a webhook endpoint. */
async function populated(): Promise<{
  realm: SeededRealm;
  user: Awaited<ReturnType<SeededRealm['createUser']>>;
  orgId: string;
  logins: Awaited<ReturnType<Awaited<ReturnType<SeededRealm['createUser']>>['login']>>[];
}> {
  const realm = await seedRealm(server);
  const user = await realm.createUser();
  const org = await realm.createOrg();
  await user.addMembership({ orgId: org.id, permissions: ['read'] });
  const logins = [await user.login(), await user.login()];
  const robot = await realm.createUser({ kind: 'API' });
  await robot.createApiKey();
  ok(await server.gql('mutation ($r: ID!) { createClient(input: { realmId: $r, name: "app" }) { client { id } } }', { r: realm.id }, server.adminKey));
  ok(
    await server.gql(
      'mutation ($r: ID!) { createWebhookEndpoint(input: { realmId: $r, url: "http://127.0.0.1:9/hook", eventTypes: [SESSION_TERMINATED] }) { endpoint { id } } }',
      { r: realm.id },
      server.adminKey,
    ),
  );
  return { realm, user, orgId: org.id, logins };
}

describe('deleteUser', () => {
  it('ends its sessions with USER_DELETED first (a subscriber hears it), then the user, its memberships and API keys go; audit rows stay', async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser();
    const org = await realm.createOrg();
    await alice.addMembership({ orgId: org.id });
    const [first, second] = [await alice.login(), await alice.login()];
    const bystander = await realm.createUser();
    const theirs = await bystander.login();
    const sub = await watchOwn(first.accessToken, first.session!.id);
    const feed = await realmEvents(realm.id);

    expect(ok(await server.gql<{ deleteUser: boolean }>(DELETE_USER, { id: alice.id }, server.adminKey)).deleteUser).toBe(true);

    expect((await sub.result(0)).data?.sessionTerminated).toEqual({ sessionId: first.session!.id, reason: 'USER_DELETED' });
    // The realm's durable feed carries both terminations.
    const events = [await feed.result(0), await feed.result(1)].map((r) => r.data?.sessionEvents);
    expect(events.every((e) => e?.type === 'TERMINATED' && e.reason === 'USER_DELETED')).toBe(true);

    // The record keeps what it tells of the deleted sessions: their ids, and a null session.
    const recorded = ok(
      await server.gql<{ realmEvents: { edges: { node: { type: string; sessionId: string; userId: string; session: { id: string } | null } }[] } }>(
        'query ($r: ID!) { realmEvents(realmId: $r, first: 100) { edges { node { type sessionId userId session { id } } } } }',
        { r: realm.id },
        server.adminKey,
      ),
    ).realmEvents.edges.map((edge) => edge.node);
    const ofAlice = recorded.filter((event) => event.userId === alice.id);
    expect(ofAlice.length).toBeGreaterThanOrEqual(4); // two logins, two terminations
    expect(ofAlice.every((event) => event.session === null)).toBe(true);
    expect(new Set(ofAlice.map((event) => event.sessionId))).toEqual(new Set([first.session!.id, second.session!.id]));
    expect(recorded.find((event) => event.userId === bystander.id)?.session).toEqual({ id: theirs.session!.id });

    // Gone: the user, its sessions, its memberships; the old password logs in to nothing.
    expect(errorCode(await server.gql('query ($id: ID!) { user(id: $id) { id } }', { id: alice.id }, server.adminKey))).toBe('NOT_FOUND');
    for (const login of [first, second]) expect(errorCode(await server.gql(SESSION, { id: login.session!.id }, server.adminKey))).toBe('NOT_FOUND');
    expect(
      ok(await server.gql<{ org: { memberships: unknown[] } }>('query ($id: ID!) { org(id: $id) { memberships { id } } }', { id: org.id }, server.adminKey)).org
        .memberships,
    ).toEqual([]);
    expect(errorCode(await server.gql(LOGIN, { input: { realmId: realm.id, username: alice.username, password: DEFAULT_PASSWORD } }))).toBe(
      'INVALID_CREDENTIALS',
    );
    expect(errorCode(await server.gql('query { me { user { id } } }', {}, second.accessToken))).toBe('UNAUTHENTICATED');

    // The audit trail of the deleted user stays, its sessions' endings in it, before the deletion.
    const trail = await auditTypes(realm.id, alice.id);
    expect(trail.filter((t) => t === 'SESSION_TERMINATED:USER_DELETED')).toHaveLength(2);
    expect(trail.at(-1)).toBe('USER_DELETED');

    // Others in the realm are untouched.
    expect(ok(await server.gql<{ session: { state: string } }>(SESSION, { id: theirs.session!.id }, server.adminKey)).session.state).toBe('ACTIVE');
  });

  it('is one transaction: a fault at the final DELETE leaves the sessions ACTIVE, no termination or USER_DELETED recorded, every row there', async () => {
    const { realm, user, logins } = await populated();
    const before = await rowsOf(realm.id);
    const recordedBefore = await recordedTypes(realm.id);
    expect(recordedBefore).not.toContain('TERMINATED');

    const response = await withDeleteRefused('app_user', user.id, () => server.gql(DELETE_USER, { id: user.id }, server.adminKey));
    expect(response.errors, JSON.stringify(response)).toHaveLength(1);
    expect(response.data?.deleteUser ?? null).toBeNull();

    expect(await rowsOf(realm.id)).toEqual(before);
    expect(await auditTypes(realm.id, user.id)).not.toEqual(expect.arrayContaining(['USER_DELETED']));
    expect((await auditTypes(realm.id, user.id)).some((t) => t.startsWith('SESSION_TERMINATED'))).toBe(false);
    expect(await recordedTypes(realm.id)).toEqual(recordedBefore);
    for (const login of logins) {
      expect(ok(await server.gql<{ session: { state: string } }>(SESSION, { id: login.session!.id }, server.adminKey)).session.state).toBe('ACTIVE');
      ok(await server.gql('query { me { user { id } } }', {}, login.accessToken));
    }

    // Without the fault the same deletion goes through. Rows of one transaction made in the same
    // millisecond sort by their random bits (newTimeOrderedId), so no order among them is asserted.
    ok(await server.gql(DELETE_USER, { id: user.id }, server.adminKey));
    expect(await auditTypes(realm.id, user.id)).toContain('USER_DELETED');
    expect((await auditTypes(realm.id, user.id)).filter((t) => t === 'SESSION_TERMINATED:USER_DELETED')).toHaveLength(logins.length);
    expect((await rowsOf(realm.id)).app_user).toBe(before.app_user - 1);
  });

  it("an API user's keys go with it: its key logs in no more", async () => {
    const realm = await seedRealm(server);
    const robot = await realm.createUser({ kind: 'API' });
    const { apiKey } = await robot.createApiKey();
    const keyLogin = 'mutation ($input: ApiKeyLoginInput!) { loginWithApiKey(input: $input) { accessToken } }';
    const { loginWithApiKey } = ok(await server.gql<{ loginWithApiKey: { accessToken: string } }>(keyLogin, { input: { realmId: realm.id, apiKey } }));
    ok(await server.gql(DELETE_USER, { id: robot.id }, server.adminKey));
    expect(errorCode(await server.gql(keyLogin, { input: { realmId: realm.id, apiKey } }))).toBe('INVALID_CREDENTIALS');
    // Its unmanaged token is refused at once (the user is gone).
    expect(errorCode(await server.gql('query { me { user { id } } }', {}, loginWithApiKey.accessToken))).toBe('UNAUTHENTICATED');
    expect((await rowsOf(realm.id)).api_key).toBe(0);
  });

  it("a realm-limited key cannot delete another realm's user (NOT_FOUND), nor without USERS_MANAGE", async () => {
    const mine = await seedRealm(server);
    const theirs = await seedRealm(server);
    const victim = await theirs.createUser();
    const limited = await createAdminKey(server, { realmId: mine.id, scopes: ['USERS_MANAGE', 'USERS_READ', 'REALMS_MANAGE'] });
    expect(errorCode(await server.gql(DELETE_USER, { id: victim.id }, limited))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(DELETE_REALM, { id: theirs.id, name: theirs.name }, limited))).toBe('NOT_FOUND');
    const reader = await createAdminKey(server, { scopes: ['USERS_READ'] });
    expect(errorCode(await server.gql(DELETE_USER, { id: victim.id }, reader))).toBe('FORBIDDEN');
    // A user token reaches no other user.
    const other = await theirs.createUser();
    expect(errorCode(await server.gql(DELETE_USER, { id: victim.id }, (await other.login()).accessToken))).toBe('NOT_FOUND');
    expect(ok(await server.gql<{ user: { id: string } }>('query ($id: ID!) { user(id: $id) { id } }', { id: victim.id }, server.adminKey)).user.id).toBe(
      victim.id,
    );
  });
});

describe('deleteOrg', () => {
  it('deletes the org and its memberships, leaves its members and their sessions', async () => {
    const realm = await seedRealm(server);
    const bob = await realm.createUser();
    const org = await realm.createOrg();
    const keep = await realm.createOrg();
    await bob.addMembership({ orgId: org.id });
    await bob.addMembership({ orgId: keep.id });
    const login = await bob.login();
    expect(ok(await server.gql<{ deleteOrg: boolean }>(DELETE_ORG, { id: org.id }, server.adminKey)).deleteOrg).toBe(true);
    expect(errorCode(await server.gql('query ($id: ID!) { org(id: $id) { id } }', { id: org.id }, server.adminKey))).toBe('NOT_FOUND');
    // Its audit row, in the realm, names the org, its name and how many members it had.
    const [deleted, ...more] = await auditRowsWith('ORG_DELETED', 'orgId', org.id);
    expect(more).toEqual([]);
    expect(deleted).toMatchObject({ realm_id: realm.id, actor: expect.stringMatching(/^admin:/), data: { orgId: org.id, name: org.name, members: 1 } });
    const { user } = ok(
      await server.gql<{ user: { memberships: { org: { id: string } | null }[] } }>(
        'query ($id: ID!) { user(id: $id) { memberships { org { id } } } }',
        { id: bob.id },
        server.adminKey,
      ),
    );
    expect(user.memberships.map((m) => m.org?.id)).toEqual([keep.id]);
    expect(ok(await server.gql<{ session: { state: string } }>(SESSION, { id: login.session!.id }, server.adminKey)).session.state).toBe('ACTIVE');
    const other = await seedRealm(server);
    const limited = await createAdminKey(server, { realmId: other.id, scopes: ['USERS_MANAGE'] });
    expect(errorCode(await server.gql(DELETE_ORG, { id: keep.id }, limited))).toBe('NOT_FOUND');
  });
  it('is one transaction: a fault at the DELETE leaves the org, its memberships and no ORG_DELETED row', async () => {
    const realm = await seedRealm(server);
    const carol = await realm.createUser();
    const org = await realm.createOrg();
    await carol.addMembership({ orgId: org.id });
    const before = await rowsOf(realm.id);
    const response = await withDeleteRefused('org', org.id, () => server.gql(DELETE_ORG, { id: org.id }, server.adminKey));
    expect(response.errors, JSON.stringify(response)).toHaveLength(1);
    expect(await rowsOf(realm.id)).toEqual(before);
    expect(await auditRowsWith('ORG_DELETED', 'orgId', org.id)).toEqual([]);
    ok(await server.gql('query ($id: ID!) { org(id: $id) { id } }', { id: org.id }, server.adminKey));
  });
});

describe('deleteRealm', () => {
  it('with the wrong confirmName is BAD_USER_INPUT on confirmName and changes nothing', async () => {
    const { realm, logins } = await populated();
    const before = await rowsOf(realm.id);
    for (const name of ['', realm.name.toUpperCase(), `${realm.name} `, 'another realm']) {
      const response = await server.gql(DELETE_REALM, { id: realm.id, name }, server.adminKey);
      expect(errorCode(response), name).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0].extensions?.field).toBe('confirmName');
    }
    expect(await rowsOf(realm.id)).toEqual(before);
    for (const login of logins)
      expect(ok(await server.gql<{ session: { state: string } }>(SESSION, { id: login.session!.id }, server.adminKey)).session.state).toBe('ACTIVE');
  });

  it('with its name ends every session (USER_DELETED, heard by subscribers), then removes everything of the realm; another realm is intact', async () => {
    const { realm, user, logins } = await populated();
    const limitedKey = await createAdminKey(server, { realmId: realm.id, scopes: ['USERS_READ'] });
    const other = await populated();
    const otherBefore = await rowsOf(other.realm.id);
    const sub = await watchOwn(logins[0].accessToken, logins[0].session!.id);

    expect(ok(await server.gql<{ deleteRealm: boolean }>(DELETE_REALM, { id: realm.id, name: realm.name }, server.adminKey)).deleteRealm).toBe(true);
    expect((await sub.result(0)).data?.sessionTerminated).toEqual({ sessionId: logins[0].session!.id, reason: 'USER_DELETED' });

    const after = await rowsOf(realm.id);
    const { audit_event: auditRows, ...rest } = after;
    expect(
      Object.values(rest).every((n) => n === 0),
      JSON.stringify(after),
    ).toBe(true);
    // The audit rows stay (until retention), the sessions' endings among them.
    expect(auditRows).toBeGreaterThan(0);
    expect((await auditTypes(realm.id, user.id)).filter((t) => t === 'SESSION_TERMINATED:USER_DELETED')).toHaveLength(2);
    // The deletion itself is recorded under no realm (admin-key events' place), naming the realm.
    const [deleted, ...more] = await auditRowsWith('REALM_DELETED', 'realmId', realm.id);
    expect(more).toEqual([]);
    expect(deleted).toMatchObject({ realm_id: null, actor: expect.stringMatching(/^admin:/), data: { realmId: realm.id, name: realm.name } });

    expect(errorCode(await server.gql('query ($id: ID!) { realm(id: $id) { id } }', { id: realm.id }, server.adminKey))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(LOGIN, { input: { realmId: realm.id, username: user.username, password: DEFAULT_PASSWORD } }))).toBe(
      'INVALID_CREDENTIALS',
    );
    expect(errorCode(await server.gql('query { me { user { id } } }', {}, logins[1].accessToken))).toBe('UNAUTHENTICATED');
    // The admin key limited to the realm went with it.
    expect(errorCode(await server.gql('query { realms { edges { node { id } } } }', {}, limitedKey))).toBe('UNAUTHENTICATED');
    expect((await fetch(`${server.url}/realms/${realm.id}/.well-known/jwks.json`)).status).toBe(404);

    // The other realm: every row still there, its sessions live, its users log in.
    expect(await rowsOf(other.realm.id)).toEqual(otherBefore);
    for (const login of other.logins)
      expect(ok(await server.gql<{ session: { state: string } }>(SESSION, { id: login.session!.id }, server.adminKey)).session.state).toBe('ACTIVE');
    ok(await server.gql(LOGIN, { input: { realmId: other.realm.id, username: other.user.username, password: DEFAULT_PASSWORD } }));
  });

  it('is one transaction: a fault at the final DELETE leaves every row, the sessions ACTIVE, no termination and no REALM_DELETED recorded', async () => {
    const { realm, user, logins } = await populated();
    const before = await rowsOf(realm.id);
    const recordedBefore = await recordedTypes(realm.id);

    const response = await withDeleteRefused('realm', realm.id, () => server.gql(DELETE_REALM, { id: realm.id, name: realm.name }, server.adminKey));
    expect(response.errors, JSON.stringify(response)).toHaveLength(1);

    expect(await rowsOf(realm.id)).toEqual(before);
    expect(await auditRowsWith('REALM_DELETED', 'realmId', realm.id)).toEqual([]);
    expect((await auditTypes(realm.id, user.id)).some((t) => t.startsWith('SESSION_TERMINATED'))).toBe(false);
    expect(await recordedTypes(realm.id)).toEqual(recordedBefore);
    for (const login of logins) {
      expect(ok(await server.gql<{ session: { state: string } }>(SESSION, { id: login.session!.id }, server.adminKey)).session.state).toBe('ACTIVE');
      ok(await server.gql('query { me { user { id } } }', {}, login.accessToken));
    }
    expect((await fetch(`${server.url}/realms/${realm.id}/.well-known/jwks.json`)).status).toBe(200);
  });

  it('needs REALMS_MANAGE', async () => {
    const realm = await seedRealm(server);
    const reader = await createAdminKey(server, { scopes: ['REALMS_READ', 'USERS_MANAGE'] });
    expect(errorCode(await server.gql(DELETE_REALM, { id: realm.id, name: realm.name }, reader))).toBe('FORBIDDEN');
    expect(ok(await server.gql<{ realm: { id: string } }>('query ($id: ID!) { realm(id: $id) { id } }', { id: realm.id }, server.adminKey)).realm.id).toBe(
      realm.id,
    );
  });
});
