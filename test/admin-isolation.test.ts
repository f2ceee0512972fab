import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer, ok, type GraphQLResponse } from './helpers/server.js';
import { createAdminKey, seedRealm, unique, DEFAULT_PASSWORD, type SeededRealm, type SeededUser } from './helpers/factories.js';
import { createAdminKey as createAdminKeyRow, revokeAdminKey } from '../src/auth/admin-keys.js';

const server = useTestServer();

/** Everything a realm holds, made through the API: the targets of the isolation checks. */
interface World {
  realm: SeededRealm;
  human: SeededUser;
  other: SeededUser;
  bot: SeededUser;
  org: { id: string; name: string };
  membership: { id: string };
  apiKey: { apiKey: string; key: { id: string } };
  sessionId: string;
}

async function makeWorld(): Promise<World> {
  const realm = await seedRealm(server, { name: unique('world') });
  const human = await realm.createUser({ username: unique('human') });
  const other = await realm.createUser({ username: unique('other') });
  const bot = await realm.createUser({ kind: 'API', username: unique('bot') });
  const org = await realm.createOrg({ name: unique('org') });
  const membership = await human.addMembership({ orgId: org.id, permissions: ['admin'] });
  const apiKey = await bot.createApiKey();
  const login = await human.login();
  return { realm, human, other, bot, org, membership, apiKey, sessionId: login.session!.id };
}

interface Operation {
  name: string;
  query: string;
  /** Variables aimed at the objects of a world. */
  vars: (w: World) => Record<string, unknown>;
}

// Every query and mutation that takes an id of a realm or of something in it.
const OPERATIONS: Operation[] = [
  { name: 'realm', query: `query ($id: ID!) { realm(id: $id) { id name } }`, vars: (w) => ({ id: w.realm.id }) },
  { name: 'updateRealm', query: `mutation ($id: ID!) { updateRealm(id: $id, input: { maxActiveSessions: 7 }) { id } }`, vars: (w) => ({ id: w.realm.id }) },
  { name: 'rotateRealmKey', query: `mutation ($id: ID!) { rotateRealmKey(id: $id) { id } }`, vars: (w) => ({ id: w.realm.id }) },
  { name: 'users', query: `query ($id: ID!) { users(realmId: $id) { edges { node { id username } } } }`, vars: (w) => ({ id: w.realm.id }) },
  { name: 'user', query: `query ($id: ID!) { user(id: $id) { id username } }`, vars: (w) => ({ id: w.human.id }) },
  {
    name: 'createUser',
    query: `mutation ($id: ID!, $username: String!) { createUser(input: { realmId: $id, username: $username, password: "${DEFAULT_PASSWORD}" }) { id } }`,
    vars: (w) => ({ id: w.realm.id, username: unique('new') }),
  },
  { name: 'updateUser', query: `mutation ($id: ID!) { updateUser(id: $id, input: { firstName: "Changed" }) { id } }`, vars: (w) => ({ id: w.other.id }) },
  { name: 'setPassword', query: `mutation ($id: ID!) { setPassword(userId: $id, password: "changed password 1") { id } }`, vars: (w) => ({ id: w.other.id }) },
  { name: 'createApiKey', query: `mutation ($id: ID!) { createApiKey(userId: $id) { apiKey } }`, vars: (w) => ({ id: w.bot.id }) },
  { name: 'orgs', query: `query ($id: ID!) { orgs(realmId: $id) { edges { node { id name } } } }`, vars: (w) => ({ id: w.realm.id }) },
  { name: 'org', query: `query ($id: ID!) { org(id: $id) { id name } }`, vars: (w) => ({ id: w.org.id }) },
  { name: 'createOrg', query: `mutation ($id: ID!) { createOrg(input: { realmId: $id, name: "Intruder" }) { id } }`, vars: (w) => ({ id: w.realm.id }) },
  { name: 'updateOrg', query: `mutation ($id: ID!) { updateOrg(id: $id, input: { name: "Renamed" }) { id } }`, vars: (w) => ({ id: w.org.id }) },
  {
    name: 'createMembership',
    query: `mutation ($id: ID!) { createMembership(input: { userId: $id, permissions: ["owner"] }) { id } }`,
    vars: (w) => ({ id: w.other.id }),
  },
  {
    name: 'updateMembership',
    query: `mutation ($id: ID!) { updateMembership(id: $id, input: { permissions: ["x"] }) { id } }`,
    vars: (w) => ({ id: w.membership.id }),
  },
  { name: 'session', query: `query ($id: ID!) { session(id: $id) { id state } }`, vars: (w) => ({ id: w.sessionId }) },
  { name: 'sessions', query: `query ($id: ID!) { sessions(realmId: $id) { edges { node { id } } } }`, vars: (w) => ({ id: w.realm.id }) },
  { name: 'auditEvents', query: `query ($id: ID!) { auditEvents(realmId: $id) { edges { node { id type } } } }`, vars: (w) => ({ id: w.realm.id }) },
  // Destructive ones last: the positive control runs them against the own realm in this order.
  { name: 'deleteMembership', query: `mutation ($id: ID!) { deleteMembership(id: $id) }`, vars: (w) => ({ id: w.membership.id }) },
  { name: 'revokeApiKey', query: `mutation ($id: ID!) { revokeApiKey(id: $id) }`, vars: (w) => ({ id: w.apiKey.key.id }) },
  { name: 'terminateSession', query: `mutation ($id: ID!) { terminateSession(id: $id) { id state } }`, vars: (w) => ({ id: w.sessionId }) },
  { name: 'terminateAllSessions', query: `mutation ($id: ID!) { terminateAllSessions(userId: $id) }`, vars: (w) => ({ id: w.human.id }) },
  { name: 'terminateRealmSessions', query: `mutation ($id: ID!) { terminateRealmSessions(realmId: $id) }`, vars: (w) => ({ id: w.realm.id }) },
];

const codes = (response: GraphQLResponse) => (response.errors ?? []).map((e) => e.extensions?.code);

/** What a realm looks like from the all-scopes key: compared before and after the attacks. */
async function snapshot(w: World): Promise<Record<string, any>> {
  const data: Record<string, any> = ok(
    await server.gql(
      `query ($realm: ID!, $user: ID!, $bot: ID!, $org: ID!, $session: ID!) {
        realm(id: $realm) { id name maxActiveSessions signingKeyId jwtSecret updatedAt }
        users(realmId: $realm, first: 100) { edges { node { id username firstName updatedAt } } }
        user(id: $user) { memberships { id permissions } }
        bot: user(id: $bot) { apiKeys { id revokedAt } }
        org(id: $org) { name updatedAt memberships { id } }
        orgs(realmId: $realm) { edges { node { id } } }
        session(id: $session) { state terminationReason }
      }`,
      { realm: w.realm.id, user: w.human.id, bot: w.bot.id, org: w.org.id, session: w.sessionId },
      server.adminKey,
    ),
  );
  const audit = ok(
    await server.gql(`query ($id: ID!) { auditEvents(realmId: $id, first: 100) { edges { node { id } } } }`, { id: w.realm.id }, server.adminKey),
  );
  return { ...data, auditCount: audit.auditEvents.edges.length };
}

describe('a realm-limited admin key', () => {
  let home: World;
  let foreign: World;
  let key: string;
  beforeAll(async () => {
    [home, foreign] = [await makeWorld(), await makeWorld()];
    key = await createAdminKey(server, { realmId: home.realm.id });
  });

  it('gets NOT_FOUND for every operation on another realm, learns nothing and changes nothing', async () => {
    const before = await snapshot(foreign);
    const secrets = [foreign.realm.name, foreign.human.username, foreign.other.username, foreign.bot.username, foreign.org.name];
    for (const op of OPERATIONS) {
      const response = await server.gql(op.query, op.vars(foreign), key);
      expect(codes(response), `${op.name}: ${JSON.stringify(response)}`).toEqual(['NOT_FOUND']);
      const data = response.data ? Object.values(response.data) : [];
      expect(
        data.every((value) => value === null),
        op.name,
      ).toBe(true);
      for (const secret of secrets) expect(JSON.stringify(response), op.name).not.toContain(secret);
    }
    expect(await snapshot(foreign)).toEqual(before);
    // The other realm's credentials keep working.
    expect((await foreign.other.login()).user.id).toBe(foreign.other.id);
    const apiLogin = ok(
      await server.gql(`mutation ($input: ApiKeyLoginInput!) { loginWithApiKey(input: $input) { user { id } } }`, {
        input: { realmId: foreign.realm.id, apiKey: foreign.apiKey.apiKey },
      }),
    );
    expect(apiLogin.loginWithApiKey.user.id).toBe(foreign.bot.id);
  });

  it('cannot cross realms through input either: an org of another realm is refused, a foreign user not found', async () => {
    const crossOrg = await server.gql(
      `mutation ($u: ID!, $o: ID!) { createMembership(input: { userId: $u, orgId: $o }) { id } }`,
      { u: home.other.id, o: foreign.org.id },
      key,
    );
    expect(crossOrg.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'orgId' });
    const crossUser = await server.gql(
      `mutation ($u: ID!, $o: ID!) { createMembership(input: { userId: $u, orgId: $o }) { id } }`,
      { u: foreign.other.id, o: home.org.id },
      key,
    );
    expect(codes(crossUser)).toEqual(['NOT_FOUND']);
    const foreignSearch = await server.gql(
      `query ($id: ID!, $q: String) { users(realmId: $id, query: $q) { edges { node { id } } } }`,
      { id: foreign.realm.id, q: foreign.human.username },
      key,
    );
    expect(codes(foreignSearch)).toEqual(['NOT_FOUND']);
  });

  it('does all of it in its own realm (the checks above are not vacuous)', async () => {
    for (const op of OPERATIONS) {
      const response = await server.gql(op.query, op.vars(home), key);
      expect(response.errors, `${op.name}: ${JSON.stringify(response.errors)}`).toBeUndefined();
      expect(
        Object.values(response.data ?? {}).every((value) => value !== null),
        op.name,
      ).toBe(true);
    }
    const after = await snapshot(home);
    expect(after.realm.maxActiveSessions).toBe(7);
    expect(after.org.name).toBe('Renamed');
    expect(after.user.memberships).toEqual([]);
    expect(after.session.state).toBe('TERMINATED');
  });

  it('lists only its own realm and cannot create realms', async () => {
    const listed = ok(await server.gql(`{ realms(first: 100) { edges { node { id } } } }`, {}, key)).realms.edges.map((e: any) => e.node.id);
    expect(listed).toEqual([home.realm.id]);
    const created = await server.gql(`mutation { createRealm(input: { name: "escape" }) { id } }`, {}, key);
    expect(codes(created)).toEqual(['FORBIDDEN']);
  });
});

describe('a key missing a scope', () => {
  let home: World;
  beforeAll(async () => {
    home = await makeWorld();
  });

  const run = (name: string, key: string) =>
    server.gql(OPERATIONS.find((op) => op.name === name)!.query, OPERATIONS.find((op) => op.name === name)!.vars(home), key);

  it('is FORBIDDEN in its own realm for what its scopes do not cover, and allowed the rest', async () => {
    const cases: { scopes: string[]; allowed: string[] }[] = [
      { scopes: ['USERS_READ'], allowed: ['users', 'user', 'orgs', 'org'] },
      { scopes: ['REALMS_READ'], allowed: ['realm', 'auditEvents'] },
      { scopes: ['SESSIONS_READ'], allowed: ['session', 'sessions'] },
      { scopes: ['SESSIONS_TERMINATE'], allowed: [] },
      { scopes: ['USERS_MANAGE'], allowed: ['users', 'user', 'orgs', 'org'] },
      { scopes: ['REALMS_MANAGE'], allowed: ['realm', 'auditEvents'] },
    ];
    // Read-only operations and the ones each scope allows are checked; writes only ever as refusals,
    // so the realm must come out unchanged.
    const reads = ['realm', 'users', 'user', 'orgs', 'org', 'session', 'sessions', 'auditEvents'];
    // The keys first: making one is itself in the realm's audit log (ADMIN_KEY_CREATED).
    const keys = new Map<string, string>();
    for (const { scopes } of cases) {
      for (const realmLimited of [true, false]) {
        keys.set(`${scopes.join(',')}:${realmLimited}`, await createAdminKey(server, { scopes, realmId: realmLimited ? home.realm.id : null }));
      }
    }
    const before = await snapshot(home);
    for (const { scopes, allowed } of cases) {
      for (const realmLimited of [true, false]) {
        const key = keys.get(`${scopes.join(',')}:${realmLimited}`)!;
        for (const op of OPERATIONS) {
          const writes = !reads.includes(op.name);
          const scopeCoversWrite =
            (scopes.includes('USERS_MANAGE') &&
              [
                'createUser',
                'updateUser',
                'setPassword',
                'createApiKey',
                'createOrg',
                'updateOrg',
                'createMembership',
                'updateMembership',
                'deleteMembership',
                'revokeApiKey',
              ].includes(op.name)) ||
            (scopes.includes('REALMS_MANAGE') && ['updateRealm', 'rotateRealmKey'].includes(op.name)) ||
            (scopes.includes('SESSIONS_TERMINATE') && op.name.startsWith('terminate'));
          if (writes && scopeCoversWrite) continue; // would change the realm
          const response = await run(op.name, key);
          const label = `${scopes.join(',')} (${realmLimited ? 'limited' : 'global'}) ${op.name}: ${JSON.stringify(response.errors)}`;
          if (allowed.includes(op.name)) expect(response.errors, label).toBeUndefined();
          else expect(codes(response), label).toEqual(['FORBIDDEN']);
        }
      }
    }
    expect(await snapshot(home)).toEqual(before);
  });

  it('REALMS_READ reads the realm but not its secret; REALMS_MANAGE reads both', async () => {
    const query = `query ($id: ID!) { realm(id: $id) { id jwtSecret } }`;
    const reader = await createAdminKey(server, { scopes: ['REALMS_READ'], realmId: home.realm.id });
    const read = await server.gql(query, { id: home.realm.id }, reader);
    expect(read.data?.realm).toEqual({ id: home.realm.id, jwtSecret: null });
    expect(codes(read)).toEqual(['FORBIDDEN']);
    const manager = await createAdminKey(server, { scopes: ['REALMS_MANAGE'], realmId: home.realm.id });
    const managed = ok(await server.gql(query, { id: home.realm.id }, manager));
    expect(managed.realm.jwtSecret).toBe(home.realm.jwtSecret);
  });

  it('a realm-limited key without a scope still cannot tell other realms exist', async () => {
    const key = await createAdminKey(server, { scopes: ['USERS_READ'], realmId: home.realm.id });
    const foreign = await seedRealm(server);
    expect(codes(await server.gql(`query ($id: ID!) { users(realmId: $id) { edges { cursor } } }`, { id: foreign.id }, key))).toEqual(['NOT_FOUND']);
    // Without REALMS_READ, a real and a made-up realm get the same answer.
    const real = await server.gql(`query ($id: ID!) { realm(id: $id) { id } }`, { id: foreign.id }, key);
    const fake = await server.gql(`query ($id: ID!) { realm(id: $id) { id } }`, { id: 'rlm_doesnotexist' }, key);
    expect(codes(real)).toEqual(codes(fake));
  });
});

describe('callers without an admin key', () => {
  let home: World;
  beforeAll(async () => {
    home = await makeWorld();
  });

  const ADMIN_ONLY = [
    ...OPERATIONS,
    { name: 'realms', query: `{ realms { edges { node { id } } } }`, vars: () => ({}) },
    { name: 'createRealm', query: `mutation { createRealm(input: { name: "anon" }) { id } }`, vars: () => ({}) },
  ];

  it('anonymous callers get UNAUTHENTICATED on every admin field', async () => {
    const before = await snapshot(home);
    for (const op of ADMIN_ONLY) {
      const response = await server.gql(op.query, op.vars(home), null);
      expect(codes(response), `${op.name}: ${JSON.stringify(response)}`).toEqual(['UNAUTHENTICATED']);
    }
    expect(await snapshot(home)).toEqual(before);
  });

  it('an invalid, malformed or revoked admin key gets UNAUTHENTICATED, never a silent downgrade to anonymous', async () => {
    const { key, secret } = await createAdminKeyRow(server.app.deps.orm.em.fork(), server.clock, { name: unique('revoked') });
    expect(ok(await server.gql(`{ realms(first: 1) { edges { cursor } } }`, {}, secret)).realms.edges).toHaveLength(1);
    expect(await revokeAdminKey(server.app.deps.orm.em.fork(), server.clock, key.id)).toBe(true);

    const credentials = [`tsa_${'A'.repeat(43)}`, 'tsa_', 'not-a-token-at-all', `${server.adminKey}x`, secret];
    for (const credential of credentials) {
      for (const op of ADMIN_ONLY.filter((o) => ['realms', 'realm', 'users', 'createRealm'].includes(o.name))) {
        const response = await server.gql(op.query, op.vars(home), credential);
        expect(codes(response), `${credential} ${op.name}`).toEqual(['UNAUTHENTICATED']);
      }
    }
    // A header that is not "Bearer <token>" is refused as well, even for public fields.
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', `Bearer ${server.adminKey} extra`]) {
      const response = await server.gql(`{ realms { edges { cursor } } }`, {}, null, { authorization });
      expect(codes(response), authorization).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('a user login token is FORBIDDEN on admin operations of its realm, and other users and realms are NOT_FOUND', async () => {
    const before = await snapshot(home);
    const foreign = await makeWorld();
    const { accessToken } = await home.other.login();

    // Itself: readable.
    expect(ok(await server.gql(`query ($id: ID!) { user(id: $id) { id username } }`, { id: home.other.id }, accessToken)).user.id).toBe(home.other.id);
    // Another user of the same realm, or of another realm: not found, never forbidden.
    for (const id of [home.human.id, foreign.human.id, 'usr_doesnotexist']) {
      for (const query of [
        `query ($id: ID!) { user(id: $id) { id } }`,
        `mutation ($id: ID!) { updateUser(id: $id, input: { firstName: "x" }) { id } }`,
        `mutation ($id: ID!) { setPassword(userId: $id, password: "hijacked password") { id } }`,
      ]) {
        expect(codes(await server.gql(query, { id }, accessToken)), `${query} ${id}`).toEqual(['NOT_FOUND']);
      }
    }
    expect(codes(await server.gql(`query ($id: ID!) { realm(id: $id) { id } }`, { id: foreign.realm.id }, accessToken))).toEqual(['NOT_FOUND']);

    // Admin operations in its own realm are refused.
    for (const op of OPERATIONS.filter((o) => !['realm', 'user', 'session', 'sessions', 'terminateSession', 'terminateAllSessions'].includes(o.name))) {
      const response = await server.gql(op.query, op.vars(home), accessToken);
      expect(codes(response), `${op.name}: ${JSON.stringify(response.errors)}`).toEqual([expect.stringMatching(/^(FORBIDDEN|NOT_FOUND)$/)]);
    }
    for (const name of ['users', 'createUser', 'orgs', 'createOrg', 'updateRealm', 'rotateRealmKey', 'auditEvents', 'terminateRealmSessions']) {
      const op = OPERATIONS.find((o) => o.name === name)!;
      expect(codes(await server.gql(op.query, op.vars(home), accessToken)), name).toEqual(['FORBIDDEN']);
    }
    // Updating itself is an admin operation too.
    expect(
      codes(await server.gql(`mutation ($id: ID!) { updateUser(id: $id, input: { disabled: false }) { id } }`, { id: home.other.id }, accessToken)),
    ).toEqual(['FORBIDDEN']);
    expect(codes(await server.gql(`{ realms { edges { cursor } } }`, {}, accessToken))).toEqual(['FORBIDDEN']);
    expect(codes(await server.gql(`mutation { createRealm(input: { name: "mine" }) { id } }`, {}, accessToken))).toEqual(['FORBIDDEN']);

    const after = await snapshot(home);
    // Logging in added a session and audit rows; nothing an admin owns changed.
    expect({ ...after, auditCount: 0 }).toEqual({ ...before, auditCount: 0 });
  });
});

describe('masked errors', () => {
  const WEIRD_IDS = ['a\u0000b', "'; drop table realm; --", 'x'.repeat(10_000), '../../etc/passwd', 'rlm_😀', '', ' ', '%', '\\'];
  const LEAKS = /stack|trace|select |insert |update "|delete from|from "|relation|syntax|postgres|pglite|mikro|knex|driver|\.ts:\d|node_modules|\bsql\b/i;
  const ALLOWED_MESSAGES = /not found|must|required|requires|cannot|no such|invalid|already|only/i;

  async function expectClean(response: GraphQLResponse, label: string, allowedCodes: string[]) {
    const text = JSON.stringify(response);
    expect(text, label).not.toMatch(LEAKS);
    expect(response.errors?.length, label).toBeGreaterThan(0);
    for (const error of response.errors ?? []) {
      expect(Object.keys(error.extensions ?? {}).sort(), label).toEqual(expect.arrayContaining(['code']));
      expect(error.extensions, label).not.toHaveProperty('stacktrace');
      expect(error.extensions, label).not.toHaveProperty('originalError');
      expect(allowedCodes, `${label}: ${text}`).toContain(error.extensions?.code);
      expect(error.message, label).toMatch(ALLOWED_MESSAGES);
    }
  }

  it('ids with odd bytes are simply not found: no stack, no SQL, only our codes', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const byId = [
      `query ($id: ID!) { realm(id: $id) { id } }`,
      `query ($id: ID!) { user(id: $id) { id } }`,
      `query ($id: ID!) { org(id: $id) { id } }`,
      `query ($id: ID!) { users(realmId: $id) { edges { cursor } } }`,
      `query ($id: ID!) { orgs(realmId: $id) { edges { cursor } } }`,
      `query ($id: ID!) { sessions(realmId: $id) { edges { cursor } } }`,
      `query ($id: ID!) { auditEvents(realmId: $id) { edges { cursor } } }`,
      `mutation ($id: ID!) { updateRealm(id: $id, input: { name: "x" }) { id } }`,
      `mutation ($id: ID!) { rotateRealmKey(id: $id) { id } }`,
      `mutation ($id: ID!) { updateUser(id: $id, input: { firstName: "x" }) { id } }`,
      `mutation ($id: ID!) { setPassword(userId: $id, password: "long enough password") { id } }`,
      `mutation ($id: ID!) { createApiKey(userId: $id) { apiKey } }`,
      `mutation ($id: ID!) { revokeApiKey(id: $id) }`,
      `mutation ($id: ID!) { createUser(input: { realmId: $id, username: "u", password: "long enough password" }) { id } }`,
      `mutation ($id: ID!) { createOrg(input: { realmId: $id, name: "o" }) { id } }`,
      `mutation ($id: ID!) { updateOrg(id: $id, input: { name: "o" }) { id } }`,
      `mutation ($id: ID!) { createMembership(input: { userId: $id }) { id } }`,
      `mutation ($id: ID!) { updateMembership(id: $id, input: { permissions: [] }) { id } }`,
      `mutation ($id: ID!) { deleteMembership(id: $id) }`,
      `mutation ($id: ID!) { terminateRealmSessions(realmId: $id) }`,
    ];
    for (const query of byId) {
      for (const id of WEIRD_IDS) {
        const response = await server.gql(query, { id }, server.adminKey);
        // A NUL byte is refused for every argument before execution (src/graphql/limits.ts); any
        // other id that cannot exist is simply not found.
        const label = `${query} ${JSON.stringify(id.slice(0, 20))}`;
        if (id.includes('\u0000')) {
          await expectClean(response, label, ['BAD_USER_INPUT']);
          expect(response.errors![0].extensions?.field, label).toEqual(expect.any(String));
        } else {
          await expectClean(response, label, ['NOT_FOUND']);
        }
      }
    }
    // An odd org id next to a real user is bad input, not a fault.
    // "" included: only an absent or null orgId means a realm-wide membership.
    for (const orgId of WEIRD_IDS) {
      const response = await server.gql(
        `mutation ($u: ID!, $o: ID!) { createMembership(input: { userId: $u, orgId: $o }) { id } }`,
        { u: user.id, o: orgId },
        server.adminKey,
      );
      await expectClean(response, `membership org ${JSON.stringify(orgId.slice(0, 20))}`, ['BAD_USER_INPUT']);
      if (!orgId.includes('\u0000')) expect(response.errors![0].extensions?.field).toBe('orgId');
      else expect(response.errors![0].extensions?.field).toEqual(expect.any(String));
    }
  });

  it('text with bytes PostgreSQL cannot store is bad input, not a server error', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const org = await realm.createOrg();
    const cases: [string, Record<string, unknown>][] = [
      [`mutation ($v: String!) { createRealm(input: { name: $v }) { id } }`, { v: 'a\u0000b' }],
      [`mutation ($id: ID!, $v: String!) { updateRealm(id: $id, input: { name: $v }) { id } }`, { id: realm.id, v: 'a\u0000b' }],
      [
        `mutation ($id: ID!, $v: String!) { createUser(input: { realmId: $id, username: $v, password: "long enough password" }) { id } }`,
        { id: realm.id, v: 'a\u0000b' },
      ],
      [
        `mutation ($id: ID!, $v: String!) { createUser(input: { realmId: $id, username: "nul-mail", email: $v, password: "long enough password" }) { id } }`,
        { id: realm.id, v: 'a\u0000b@example.com' },
      ],
      [`mutation ($id: ID!, $v: String!) { updateUser(id: $id, input: { firstName: $v }) { id } }`, { id: user.id, v: 'a\u0000b' }],
      [`mutation ($id: ID!, $v: JSONObject!) { updateUser(id: $id, input: { customAttributes: $v }) { id } }`, { id: user.id, v: { 'k\u0000': 1 } }],
      [
        `mutation ($id: ID!, $v: JSONObject!) { updateUser(id: $id, input: { customAttributes: $v }) { id } }`,
        { id: user.id, v: { deep: [{ x: 'a\u0000' }] } },
      ],
      [`mutation ($id: ID!, $v: String!) { createOrg(input: { realmId: $id, name: $v }) { id } }`, { id: realm.id, v: 'a\u0000b' }],
      [`mutation ($id: ID!, $v: String!) { updateOrg(id: $id, input: { name: $v }) { id } }`, { id: org.id, v: 'a\u0000b' }],
      [`mutation ($id: ID!, $v: String!) { createMembership(input: { userId: $id, permissions: [$v] }) { id } }`, { id: user.id, v: 'a\u0000b' }],
      [`mutation ($id: ID!, $v: JSONObject!) { createMembership(input: { userId: $id, customAttributes: $v }) { id } }`, { id: user.id, v: { a: '\u0000' } }],
      [`query ($id: ID!, $v: String!) { users(realmId: $id, query: $v) { edges { cursor } } }`, { id: realm.id, v: 'a\u0000b' }],
      [`mutation ($id: ID!, $v: String!) { setPassword(userId: $id, password: $v) { id } }`, { id: user.id, v: 'x'.repeat(2000) }],
    ];
    for (const [query, variables] of cases) {
      await expectClean(await server.gql(query, variables, server.adminKey), query, ['BAD_USER_INPUT']);
    }
    // Nothing was written by any of them.
    const after = ok(
      await server.gql(
        `query ($id: ID!, $u: ID!, $o: ID!) { realm(id: $id) { name } user(id: $u) { firstName customAttributes memberships { id } } org(id: $o) { name } users(realmId: $id) { edges { cursor } } }`,
        { id: realm.id, u: user.id, o: org.id },
        server.adminKey,
      ),
    );
    expect(after).toMatchObject({ realm: { name: realm.name }, user: { firstName: null, customAttributes: {}, memberships: [] }, org: { name: org.name } });
    expect(after.users.edges).toHaveLength(1);
  });

  it('values GraphQL itself refuses are BAD_USER_INPUT naming the field, not internal errors', async () => {
    const realm = await seedRealm(server);
    const cases: [string, Record<string, unknown>, string][] = [
      [
        `mutation ($id: ID!, $input: UpdateRealmInput!) { updateRealm(id: $id, input: $input) { id } }`,
        { id: realm.id, input: { jwtAlgorithm: 'none' } },
        'jwtAlgorithm',
      ],
      [
        `mutation ($id: ID!, $input: UpdateRealmInput!) { updateRealm(id: $id, input: $input) { id } }`,
        { id: realm.id, input: { maxActiveSessions: 1.5 } },
        'maxActiveSessions',
      ],
      [
        `mutation ($id: ID!, $input: UpdateRealmInput!) { updateRealm(id: $id, input: $input) { id } }`,
        { id: realm.id, input: { jwtFields: ['EMAIL'] } },
        'jwtFields',
      ],
      [`mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { realmId: realm.id, username: 'u', kind: 'ROBOT' } }, 'kind'],
      [
        `mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`,
        { input: { realmId: realm.id, username: 'u', customAttributes: [1] } },
        'customAttributes',
      ],
    ];
    for (const [query, variables, field] of cases) {
      const response = await server.gql(query, variables, server.adminKey);
      expect(response.errors?.[0]?.extensions, JSON.stringify(response)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(JSON.stringify(response)).not.toMatch(LEAKS);
    }
  });
});
