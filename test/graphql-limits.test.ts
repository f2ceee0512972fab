import argon2 from 'argon2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, errorCode, type GraphQLResponse, type TestServer } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm } from './helpers/factories.js';
import { GRAPHQL_LIMITS } from '../src/graphql/limits.js';

// Request-shape limits, CSRF and CORS, production hardening, and error masking
// (docs/security.md#abusive-requests): every refusal happens before any resolver runs, and no
// answer carries internals.

let dev: TestServer; // NODE_ENV=test: GraphiQL and introspection on
let prod: TestServer; // NODE_ENV=production, with a CORS allow-list
const APP = 'https://app.example';
const ADMIN = 'https://admin.example';
beforeAll(async () => {
  [dev, prod] = await Promise.all([startTestServer(), startTestServer({ NODE_ENV: 'production', ALLOWED_ORIGINS: `${APP},${ADMIN}` })]);
});
afterAll(async () => {
  await Promise.all([dev?.close(), prod?.close()]);
});

let verifySpy: ReturnType<typeof vi.spyOn> | null = null;
afterEach(() => {
  verifySpy?.mockRestore();
  verifySpy = null;
});
function countHashing(): () => number {
  const verify = vi.spyOn(argon2, 'verify');
  const hash = vi.spyOn(argon2, 'hash');
  verifySpy = verify;
  const restoreHash = () => hash.mockRestore();
  const original = verify.mockRestore.bind(verify);
  verify.mockRestore = () => {
    restoreHash();
    return original();
  };
  return () => verify.mock.calls.length + hash.mock.calls.length;
}

async function post(server: TestServer, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: GraphQLResponse | null = null;
  try {
    json = JSON.parse(text) as GraphQLResponse;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The answer refuses the operation: errors, no data, and nothing that looks like internals. */
function expectRefused(answer: { status: number; text: string; json: GraphQLResponse | null }, pattern?: RegExp) {
  expect(answer.json, answer.text).not.toBeNull();
  expect(answer.json!.errors?.length ?? 0, answer.text).toBeGreaterThan(0);
  expect(answer.json!.data ?? null, answer.text).toBeNull();
  if (pattern) expect(answer.json!.errors!.map((e) => e.message).join(' | ')).toMatch(pattern);
  expectNoInternals(answer.text);
}

function expectNoInternals(text: string) {
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|stack|select |insert |update |violates|syntax error at|relation "|PostgreSQL|knex|mikro/i);
}

/** user → memberships → org → memberships → … : the schema's own recursion, `levels` fields deep. */
function membershipChain(levels: number): string {
  let selection = 'id';
  // Innermost first: …org { memberships { id } } — the field right under user is memberships.
  for (let depth = levels - 1; depth >= 2; depth--) selection = depth % 2 === 0 ? `memberships { ${selection} }` : `org { ${selection} }`;
  return `{ user(id: "usr_nobody") { ${selection} } }`;
}

describe('request shape limits', () => {
  it(`refuses a query deeper than ${GRAPHQL_LIMITS.depth}`, async () => {
    const auth = { authorization: `Bearer ${dev.adminKey}` };
    const atLimit = await post(dev, { query: membershipChain(GRAPHQL_LIMITS.depth) }, auth);
    // Runs (the user does not exist: null or NOT_FOUND), no limit in the way.
    expect(atLimit.text).not.toMatch(/depth/i);
    expect(atLimit.json!.errors?.map((e) => e.extensions?.code) ?? [], atLimit.text).not.toContain('GRAPHQL_VALIDATION_FAILED');
    expect(atLimit.json!.data, atLimit.text).toEqual({ user: null });
    const tooDeep = await post(dev, { query: membershipChain(GRAPHQL_LIMITS.depth + 1) }, auth);
    expectRefused(tooDeep, /depth/i);
    expect(tooDeep.json!.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // A fragment bomb (each fragment spreading the next twice) is refused as fast, not expanded.
    const bomb = Array.from({ length: 30 }, (_, i) => `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`).join(' ') + ' fragment F30 on User { id }';
    const started = performance.now();
    expectRefused(await post(dev, { query: `{ me { user { ...F0 } } } ${bomb}` }));
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it(`refuses more than ${GRAPHQL_LIMITS.aliases} aliases`, async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: verifyToken(token: "t${i}") { valid }`).join(' ')} }`;
    const ok = await post(dev, { query: aliases(GRAPHQL_LIMITS.aliases) });
    expect(ok.json?.errors, ok.text).toBeUndefined();
    const refused = await post(dev, { query: aliases(GRAPHQL_LIMITS.aliases + 1) });
    expectRefused(refused, /alias/i);
    expect(refused.json!.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses login aliased 50 times without hashing once, and login twice in one operation', async () => {
    const realm = await seedRealm(dev);
    const victim = await realm.createUser();
    const hashing = countHashing();
    const field = (i: number, password: string) =>
      `l${i}: login(input: { realmId: "${realm.id}", username: "${victim.username}", password: "${password}" }) { accessToken }`;
    const started = performance.now();
    const fifty = await post(dev, { query: `mutation { ${Array.from({ length: 50 }, (_, i) => field(i, `guess-${i}-xxxx`)).join(' ')} }` });
    const fiftyMs = performance.now() - started;
    expectRefused(fifty);
    const twice = await post(dev, { query: `mutation { ${field(0, 'guess-a-xxxx')} ${field(1, DEFAULT_PASSWORD)} }` });
    expectRefused(twice, /login/);
    expect(twice.json!.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    // Through fragments too.
    const viaFragments = await post(dev, {
      query: `mutation { ...A ...B } fragment A on Mutation { ${field(0, DEFAULT_PASSWORD)} } fragment B on Mutation { ${field(1, DEFAULT_PASSWORD)} }`,
    });
    expectRefused(viaFragments, /login/);
    // Also with setPassword / createUser mixed in.
    const mixed = await post(
      dev,
      { query: `mutation { ${field(0, DEFAULT_PASSWORD)} setPassword(userId: "${victim.id}", password: "another password 1") { id } }` },
      { authorization: `Bearer ${dev.adminKey}` },
    );
    expectRefused(mixed, /login/);
    expect(hashing(), 'argon2 ran for a refused operation').toBe(0);
    console.log(`50 aliased logins refused in ${fiftyMs.toFixed(1)} ms`);
    // Nothing logged in: no session exists for the user, and the password is unchanged.
    const sessions = await dev.gql(
      `query ($realmId: ID!, $userId: ID) { sessions(realmId: $realmId, userId: $userId) { edges { node { id } } } }`,
      { realmId: realm.id, userId: victim.id },
      dev.adminKey,
    );
    expect(sessions.data?.sessions.edges).toEqual([]);
    const stillWorks = await victim.login();
    expect(stillWorks.accessToken).toBeTruthy();
  });

  it(`refuses more than ${GRAPHQL_LIMITS.directives} directives`, async () => {
    const directives = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `__typename ${i % 2 ? '@skip(if: false)' : '@include(if: true)'}`).join(' ')} }`;
    const ok = await post(dev, { query: directives(GRAPHQL_LIMITS.directives) });
    expect(ok.json?.errors, ok.text).toBeUndefined();
    const refused = await post(dev, { query: directives(GRAPHQL_LIMITS.directives + 1) });
    expectRefused(refused, /directive/i);
    expect(refused.json!.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it(`refuses more than ${GRAPHQL_LIMITS.tokens} tokens`, async () => {
    const query = `{ ${'__typename '.repeat(GRAPHQL_LIMITS.tokens + 10)}}`;
    expect(query.length).toBeLessThan(64 * 1024);
    const refused = await post(dev, { query });
    expectRefused(refused, /token/i);
    expect(refused.json!.errors![0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it(`refuses a query whose cost is above ${GRAPHQL_LIMITS.cost}`, async () => {
    // Within the depth, alias and token limits, but every spread of F costs its ten fields again.
    const fields = 'id username email firstName lastName name customAttributes disabled createdAt lastLoginAt';
    const query = (spreads: number) => `{ me { user { ${'...F '.repeat(spreads)}} } } fragment F on User { ${fields} }`;
    const cheap = await post(dev, { query: query(2) });
    expect(cheap.text).not.toMatch(/cost/i);
    const refused = await post(dev, { query: query(600) });
    expectRefused(refused, /cost/i);
    expect(refused.json!.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  describe('pages cost their edges times the page size', () => {
    const auth = () => ({ authorization: `Bearer ${dev.adminKey}` });
    const FIELDS = 'id state createdAt lastActiveAt expiresAt idleExpiresAt ip userAgent app terminatedAt terminationReason user { id username }';
    const costRefusal = (answer: { json: GraphQLResponse | null }) =>
      (answer.json?.errors ?? []).some((e) => /cost/i.test(e.message) && e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED');
    const pages = (first: string, selection = `edges { node { ${FIELDS} } }`) =>
      Array.from({ length: 10 }, (_, i) => `s${i}: sessions(realmId: "rlm_none", first: ${first}) { ${selection} }`).join(' ');

    it("accepts the console's full page of sessions (first: 100 as a variable, and as a literal)", async () => {
      const list = `query ($realmId: ID!, $first: Int) { sessions(realmId: $realmId, first: $first) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
      const variable = await post(dev, { query: list, variables: { realmId: 'rlm_none', first: 100 } }, auth());
      expect(costRefusal(variable), variable.text).toBe(false);
      expect(variable.json!.errors?.[0]?.extensions?.code, variable.text).toBe('NOT_FOUND');
      const literal = await post(dev, { query: `{ sessions(realmId: "rlm_none", first: 100) { edges { node { ${FIELDS} } } } }` }, auth());
      expect(costRefusal(literal), literal.text).toBe(false);
    });

    it('refuses ten full pages in one operation, with first as a literal, a variable (counted as the largest page) or through a fragment', async () => {
      expect(costRefusal(await post(dev, { query: `{ ${pages('100')} }` }, auth()))).toBe(true);
      const variable = await post(dev, { query: `query ($n: Int) { ${pages('$n')} }`, variables: { n: 100 } }, auth());
      expectRefused(variable, /cost/i);
      expect(costRefusal(variable)).toBe(true);
      const fragment = await post(dev, { query: `{ ${pages('100', '...Page')} } fragment Page on SessionConnection { edges { node { ${FIELDS} } } }` }, auth());
      expect(costRefusal(fragment), fragment.text).toBe(true);
      // The same ten lists of five sessions each are cheap.
      const small = await post(dev, { query: `{ ${pages('5')} }` }, auth());
      expect(costRefusal(small), small.text).toBe(false);
    });
  });

  it('refuses batching (a JSON array of operations)', async () => {
    const hashing = countHashing();
    const answer = await post(dev, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.text).not.toContain('"__typename":"Query"');
    const realm = await seedRealm(dev);
    const login = (password: string) => ({
      query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }',
      variables: { i: { realmId: realm.id, username: 'nobody-at-all', password } },
    });
    const batchOfLogins = await post(
      dev,
      Array.from({ length: 20 }, (_, i) => login(`guess number ${i}`)),
    );
    expect(batchOfLogins.status).toBeGreaterThanOrEqual(400);
    expect(hashing()).toBe(0);
  });

  it('answers 413 to a body over 64 KiB, with or without a Content-Length', async () => {
    const big = JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(70 * 1024) } });
    const declared = await fetch(`${dev.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    await declared.arrayBuffer();
    // Chunked: no Content-Length to look at, the size is only known by reading.
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 8192) controller.enqueue(bytes.subarray(offset, offset + 8192));
        controller.close();
      },
    });
    const chunked = await fetch(`${dev.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    await chunked.arrayBuffer().catch(() => null);
    // A body just under the cap is served.
    const small = JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(60 * 1024) } });
    const smallStream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(small));
        controller.close();
      },
    });
    const served = await fetch(`${dev.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: smallStream,
      duplex: 'half',
    } as RequestInit);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual({ data: { __typename: 'Query' } });
    // And the server is fine afterwards.
    expect((await fetch(`${dev.url}/health`)).status).toBe(200);
  });
});

describe('schema privacy', () => {
  it('gives anonymous callers no field suggestions', async () => {
    for (const server of [dev, prod]) {
      const answer = await post(server, { query: '{ verifyTokn(token: "x") { valid } }' });
      expectRefused(answer);
      expect(answer.text).not.toMatch(/did you mean/i);
      const arg = await post(server, { query: '{ verifyToken(tokn: "x") { valid } }' });
      expectRefused(arg);
      expect(arg.text).not.toMatch(/did you mean/i);
    }
  });

  it('in production: no introspection, no GraphiQL', async () => {
    const introspection = await post(prod, { query: '{ __schema { types { name } } }' });
    expectRefused(introspection);
    expect(introspection.text).not.toContain('"types"');
    const typeQuery = await post(prod, { query: '{ __type(name: "Session") { fields { name } } }' });
    expectRefused(typeQuery);
    const page = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(html.toLowerCase()).not.toContain('graphiql');
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    // __typename is not introspection and still works.
    const typename = await post(prod, { query: '{ __typename }' });
    expect(typename.json).toEqual({ data: { __typename: 'Query' } });
  });

  it('in development: introspection and GraphiQL work', async () => {
    const introspection = await post(dev, { query: '{ __schema { types { name } } }' });
    expect(introspection.json?.errors, introspection.text.slice(0, 300)).toBeUndefined();
    expect(introspection.json!.data!.__schema.types.map((t: { name: string }) => t.name)).toContain('Session');
    const page = await fetch(`${dev.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect((await page.text()).toLowerCase()).toContain('graphiql');
  });
});

describe('CSRF and CORS', () => {
  it('refuses a GET without a preflight-forcing header, accepts one with x-graphql-yoga-csrf', async () => {
    const url = `${dev.url}/graphql?query=${encodeURIComponent('{ __typename }')}`;
    const plain = await fetch(url);
    expect(plain.status).toBeGreaterThanOrEqual(400);
    expect(await plain.text()).not.toContain('"__typename":"Query"');
    const withHeader = await fetch(url, { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(withHeader.status).toBe(200);
    expect(await withHeader.json()).toEqual({ data: { __typename: 'Query' } });
    // A form-encoded POST (what a cross-site <form> can send) is refused as well.
    const form = await fetch(`${dev.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent('{ __typename }')}`,
    });
    expect(form.status).toBeGreaterThanOrEqual(400);
    expect(await form.text()).not.toContain('"__typename":"Query"');
    // A GET mutation is never run, header or not.
    const mutation = await fetch(`${dev.url}/graphql?query=${encodeURIComponent('mutation { logout }')}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(mutation.status).toBeGreaterThanOrEqual(400);
  });

  async function preflight(server: TestServer, origin: string) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    await response.arrayBuffer();
    return response;
  }

  it('allows the configured origins and nobody else', async () => {
    for (const origin of [APP, ADMIN]) {
      const allowed = await preflight(prod, origin);
      expect(allowed.status).toBeLessThan(300);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
      expect(allowed.headers.get('access-control-allow-methods') ?? '').toMatch(/POST/);
    }
    for (const origin of ['https://evil.example', 'null', 'https://app.example.evil.example', 'http://app.example']) {
      const refused = await preflight(prod, origin);
      expect(refused.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(refused.headers.get('access-control-allow-credentials'), origin).toBeNull();
    }
    // Actual requests carry the same answer.
    const fromEvil = await fetch(`${prod.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
    const fromApp = await fetch(`${prod.url}/graphql`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(fromApp.headers.get('access-control-allow-origin')).toBe(APP);
    expect(fromApp.headers.get('vary') ?? '').toMatch(/origin/i);
  });

  it('with one allowed origin, does not answer other origins with it', async () => {
    const single = await startTestServer({ ALLOWED_ORIGINS: APP });
    try {
      expect((await preflight(single, APP)).headers.get('access-control-allow-origin')).toBe(APP);
      expect((await preflight(single, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await single.close();
    }
  }, 60_000);

  it('sends no CORS headers at all when ALLOWED_ORIGINS is unset', async () => {
    const response = await preflight(dev, 'https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('error masking', () => {
  // Ours (docs/concepts.md#errors), and GraphQL's own for a document that is refused before it runs.
  const OUR_CODES = [
    'GRAPHQL_VALIDATION_FAILED',
    'GRAPHQL_PARSE_FAILED',
    'INVALID_CREDENTIALS',
    'INVALID_REFRESH_TOKEN',
    'UNAUTHENTICATED',
    'FORBIDDEN',
    'NOT_FOUND',
    'BAD_USER_INPUT',
    'RATE_LIMITED',
    'SERVICE_UNAVAILABLE',
  ];

  it('answers absurd input with one of our codes, never a stack or SQL', async () => {
    const huge = 'r'.repeat(10_000);
    const cases: { query: string; variables: Record<string, unknown>; auth?: string }[] = [
      {
        query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }',
        variables: { i: { realmId: huge, username: 'alice', password: 'whatever-whatever' } },
      },
      {
        query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }',
        variables: { i: { realmId: 'x', username: huge, password: 'whatever-whatever' } },
      },
      {
        query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }',
        variables: { i: { realmId: 'x', username: 'alice', password: 'p'.repeat(5000) } },
      },
      { query: 'query ($r: ID!) { users(realmId: $r) { edges { node { id } } } }', variables: { r: huge }, auth: dev.adminKey },
      {
        query: 'query ($r: ID!) { users(realmId: $r, query: "%\' or 1=1 --", first: 5) { edges { node { id } } } }',
        variables: { r: huge },
        auth: dev.adminKey,
      },
      { query: 'query ($r: ID!) { realm(id: $r) { id } }', variables: { r: huge }, auth: dev.adminKey },
      {
        query: 'query ($r: ID!) { sessions(realmId: $r, after: "not-a-cursor\\u0000") { edges { node { id } } } }',
        variables: { r: huge },
        auth: dev.adminKey,
      },
      { query: 'query ($r: ID!) { users(realmId: $r, first: 100000, after: "////") { edges { node { id } } } }', variables: { r: 'x' }, auth: dev.adminKey },
      { query: 'query ($r: ID!) { users(realmId: $r, first: 5, after: "////") { edges { node { id } } } }', variables: { r: 'x' }, auth: dev.adminKey },
      {
        query: 'query ($r: ID!) { sessions(realmId: $r, first: -1, after: "eyJpZCI6MX0") { edges { node { id } } } }',
        variables: { r: 'x' },
        auth: dev.adminKey,
      },
      { query: 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }', variables: { t: huge } },
      { query: 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }', variables: { t: '\u0000' } },
      { query: 'query ($t: String!) { verifyToken(token: $t) { valid reason } }', variables: { t: 'a.b.c'.repeat(3000) } },
      { query: 'mutation ($i: ApiKeyLoginInput!) { loginWithApiKey(input: $i) { accessToken } }', variables: { i: { realmId: huge, apiKey: huge } } },
      { query: 'query ($id: ID!) { session(id: $id) { id } }', variables: { id: '\u0000\u0001' }, auth: dev.adminKey },
    ];
    for (const { query, variables, auth } of cases) {
      const answer = await post(dev, { query, variables }, auth ? { authorization: `Bearer ${auth}` } : {});
      expectNoInternals(answer.text);
      const json = answer.json!;
      if (json.errors) {
        for (const error of json.errors) expect(OUR_CODES, `${query} → ${answer.text.slice(0, 400)}`).toContain(error.extensions?.code);
      } else {
        // Only verifyToken answers without an error (valid: false, with a reason).
        expect(json.data?.verifyToken).toMatchObject({ valid: false });
      }
    }
  });

  it('refuses NUL characters (PostgreSQL cannot store them) as BAD_USER_INPUT naming the field', async () => {
    const realm = await seedRealm(dev);
    const auth = { authorization: `Bearer ${dev.adminKey}` };
    const cases: { body: unknown; field: string }[] = [
      { body: { query: 'query ($id: ID!) { session(id: $id) { id } }', variables: { id: 'ses_\u0000' } }, field: 'id' },
      { body: { query: '{ session(id: "ses_\\u0000") { id } }' }, field: 'id' },
      {
        body: {
          query: 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }',
          variables: { i: { realmId: realm.id, username: 'a\u0000b', password: 'whatever-whatever' } },
        },
        field: 'username',
      },
      {
        body: {
          query: 'mutation ($i: CreateUserInput!) { createUser(input: $i) { id } }',
          variables: { i: { realmId: realm.id, username: 'nul-attrs', password: 'long enough pw', customAttributes: { 'k\u0000': 1 } } },
        },
        field: 'customAttributes',
      },
      {
        body: {
          query: 'mutation ($i: CreateUserInput!) { createUser(input: $i) { id } }',
          variables: { i: { realmId: realm.id, username: 'nul-attrs2', password: 'long enough pw', customAttributes: { list: ['ok', 'bad\u0000'] } } },
        },
        field: 'customAttributes',
      },
      {
        body: {
          query: `mutation { createUser(input: { realmId: "${realm.id}", username: "nul-lit", password: "long enough pw", customAttributes: { k: "a\\u0000" } }) { id } }`,
        },
        field: 'customAttributes',
      },
      {
        body: { query: `mutation { createUser(input: { realmId: "${realm.id}", username: "nul\\u0000lit", password: "long enough pw" }) { id } }` },
        field: 'username',
      },
    ];
    for (const { body, field } of cases) {
      const answer = await post(dev, body, auth);
      expectNoInternals(answer.text);
      expect(answer.json?.errors?.[0]?.extensions, answer.text).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    // Nothing was created.
    const users = await dev.gql('query ($r: ID!) { users(realmId: $r, query: "nul") { edges { node { id } } } }', { r: realm.id }, dev.adminKey);
    expect(users.data?.users.edges).toEqual([]);
  });

  it('rejects a bad credential with UNAUTHENTICATED, not a server error', async () => {
    for (const authorization of [
      'Bearer',
      'Basic abc',
      `Bearer ${'x'.repeat(9_000)}`,
      'Bearer a.b.c',
      'Bearer tsa_not-a-real-admin-key',
      'Bearer eyJhbGciOiJub25lIn0.e30.',
    ]) {
      const answer = await post(dev, { query: '{ realms { edges { node { id } } } }' }, { authorization });
      expectNoInternals(answer.text);
      expect(errorCode(answer.json!), `${authorization.slice(0, 30)} → ${answer.text.slice(0, 200)}`).toBe('UNAUTHENTICATED');
    }
    // Headers beyond Node's limit are refused by the HTTP layer itself.
    const huge = await post(dev, { query: '{ __typename }' }, { authorization: `Bearer ${'x'.repeat(20_000)}` });
    expect(huge.status).toBe(431);
  });
});
