import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { startTestServer, ok, type GraphQLResponse, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { codeOf, eventually, openWs, sleep, within, type WsConnection } from './helpers/ws-client.js';
import { GRAPHQL_LIMITS } from '../src/graphql/limits.js';
import { loadConfig } from '../src/config.js';

// The transport's promises (docs/security.md#abusive-requests, docs/operations.md): what HTTP and
// WebSocket refuse, and how, without taking down what else a client has open.

let dev: TestServer; // NODE_ENV=test
let prod: TestServer; // NODE_ENV=production
const sockets: WsConnection[] = [];

beforeAll(async () => {
  [dev, prod] = await Promise.all([startTestServer(), startTestServer({ NODE_ENV: 'production' })]);
});
afterAll(async () => {
  await Promise.allSettled(sockets.map((socket) => socket.dispose()));
  await Promise.all([dev?.close(), prod?.close()]);
});

function connect(server: TestServer, credential: string | null): WsConnection {
  const socket = openWs(server.wsUrl, credential);
  sockets.push(socket);
  return socket;
}

async function raw(server: TestServer, body: string, headers: Record<string, string>, auth?: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { ...headers, ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const REALM_EVENTS = 'subscription ($realmId: ID!) { sessionEvents(realmId: $realmId) { type session { id } } }';

describe('a refused query over WebSocket', () => {
  it('is an error for that operation alone: the socket and its other subscriptions stay', async () => {
    const realm = await seedRealm(dev);
    const ws = connect(dev, dev.adminKey);
    await ws.connected();
    const live = ws.subscribe<{ sessionEvents: { type: string } }>(REALM_EVENTS, { realmId: realm.id });
    await eventually(() => dev.app.deps.events.liveStreams > 0, 5_000, 'the realm stream');

    let chain = 'id';
    for (let depth = GRAPHQL_LIMITS.depth; depth >= 2; depth--) chain = depth % 2 === 0 ? `memberships { ${chain} }` : `org { ${chain} }`;
    const deep = `{ user(id: "usr_nobody") { ${chain} } }`;
    const aliased = `{ ${Array.from({ length: GRAPHQL_LIMITS.aliases + 1 }, (_, i) => `a${i}: verifyToken(token: "t${i}") { valid }`).join(' ')} }`;
    // Within the other limits, but ten full pages of sessions cost more than GRAPHQL_LIMITS.cost.
    const node = 'id state createdAt lastActiveAt expiresAt idleExpiresAt ip userAgent app terminatedAt terminationReason user { id username }';
    const costly = `{ ${Array.from({ length: 10 }, (_, i) => `s${i}: sessions(realmId: "rlm_none", first: 100) { edges { node { ${node} } } }`).join(' ')} }`;
    for (const [query, why] of [
      [deep, /depth/i],
      [aliased, /alias/i],
      [costly, /cost/i],
    ] as const) {
      const refused = ws.subscribe(query);
      const end = await refused.ended();
      expect(end.kind, query).toBe('error');
      expect(codeOf(end.kind === 'error' ? end.error : null), query).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(end), query).toMatch(why);
    }
    expect(ws.closes).toEqual([]);

    // The first subscription still delivers.
    const user = await realm.createUser();
    await user.login();
    expect((await live.result(0)).data?.sessionEvents.type).toBe('CREATED');
    expect(ws.closes).toEqual([]);
  });
});

describe('CSRF: browser-simple POSTs are refused before anything runs', () => {
  const simple = [
    ['application/x-www-form-urlencoded', 'query=mutation%7Blogout%7D'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\nmutation{logout}\r\n--x--\r\n'],
    ['text/plain', '{"query":"mutation{logout}"}'],
    ['text/plain;charset=UTF-8', '{"query":"mutation{logout}"}'],
  ] as const;

  it('answers 415 on the fast path (no Origin) and on yoga’s (with an Origin), and the session stays', async () => {
    const realm = await seedRealm(dev);
    const user = await realm.createUser();
    const login = await user.login();
    for (const [contentType, body] of simple) {
      for (const origin of [{}, { origin: 'https://evil.example' }] as Record<string, string>[]) {
        const answer = await raw(dev, body, { 'content-type': contentType, ...origin }, login.accessToken);
        expect(answer.status, `${contentType} ${JSON.stringify(origin)}: ${answer.text}`).toBe(415);
        expect(answer.text).not.toContain('"logout":true');
      }
    }
    const me = ok(await dev.gql('{ me { session { state } } }', {}, login.accessToken));
    expect(me.me.session.state).toBe('ACTIVE');
  });

  it('still takes JSON (and application/graphql-response+json answers)', async () => {
    const answer = await raw(dev, '{"query":"{ __typename }"}', { 'content-type': 'application/json', accept: 'application/graphql-response+json' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('malformed JSON', () => {
  it('is a 400 that does not echo the body, in development and production', async () => {
    const secret = 'tsa_secret_looking_body_0123456789';
    for (const server of [dev, prod]) {
      for (const origin of [{}, { origin: 'https://app.example' }] as Record<string, string>[]) {
        const answer = await raw(server, `{"query": "{ __typename }", "x": "${secret}"`, { 'content-type': 'application/json', ...origin });
        expect(answer.status).toBe(400);
        expect(answer.text).not.toContain(secret);
        expect(answer.text).not.toContain('__typename');
        const json = JSON.parse(answer.text) as GraphQLResponse;
        expect(json.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
        expect(json.errors?.[0]?.message).toBe('POST body sent invalid JSON.');
      }
    }
  });
});

describe('no "did you mean" for anyone, in production too', () => {
  const probes = [
    // an enum literal in the document
    { query: 'mutation { createRealm(input: { name: "x", jwtAlgorithm: HS257 }) { id } }' },
    // an enum value in variables
    { query: 'mutation ($input: CreateRealmInput!) { createRealm(input: $input) { id } }', variables: { input: { name: 'x', jwtAlgorithm: 'HS257' } } },
    // an input-object field in variables
    { query: 'mutation ($input: CreateRealmInput!) { createRealm(input: $input) { id } }', variables: { input: { nam: 'x' } } },
    // a field, an argument, a type
    { query: '{ mee { id } }' },
    { query: '{ realms(firs: 1) { id } }' },
    { query: 'query ($x: CreateRealmInpu) { __typename }' },
  ];

  it('over HTTP (fast path and yoga) and WebSocket', async () => {
    for (const server of [prod, dev]) {
      for (const probe of probes) {
        for (const origin of [{}, { origin: 'https://app.example' }] as Record<string, string>[]) {
          const response = await fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...origin },
            body: JSON.stringify(probe),
          });
          const text = await response.text();
          expect(JSON.parse(text).errors?.length, text).toBeGreaterThan(0);
          expect(text, probe.query).not.toMatch(/did you mean/i);
          expect(text, probe.query).not.toMatch(/HS256|"me"|"first"/);
        }
      }
      const ws = connect(server, server.adminKey);
      await ws.connected();
      for (const probe of probes) {
        const sub = ws.subscribe(probe.query, probe.variables);
        const outcome = await within(
          Promise.race([sub.result(0).then((result) => JSON.stringify(result)), sub.ended().then((end) => JSON.stringify(end))]),
          5_000,
          probe.query,
        );
        expect(outcome, probe.query).not.toMatch(/did you mean/i);
      }
    }
  });
});

/**
 * A raw upgrade with the Origin a browser page would send (none: a server or CLI). 101 answers with
 * the socket, which then must speak graphql-transport-ws; a refusal answers with its HTTP status.
 */
function upgrade(server: TestServer, origin: string | null): Promise<{ status: number; socket: WebSocket }> {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', origin === null ? {} : { origin });
  return within(
    new Promise((resolve, reject) => {
      socket.once('upgrade', (res) => resolve({ status: res.statusCode ?? 0, socket }));
      socket.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0, socket });
        res.resume();
      });
      socket.once('error', reject);
    }),
    5_000,
    `the upgrade from ${origin}`,
  );
}

async function acknowledged(server: TestServer, socket: WebSocket): Promise<unknown> {
  if (socket.readyState !== WebSocket.OPEN) await new Promise((resolve) => socket.once('open', resolve));
  const ack = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${server.adminKey}` } }));
  const message = JSON.parse(await within(ack, 5_000, 'connection_ack'));
  socket.close(1000);
  return message;
}

describe('WebSocket origins: a foreign page is refused with 403 before the 101', () => {
  let strict: TestServer;
  let open: TestServer;
  beforeAll(async () => {
    [strict, open] = await Promise.all([
      startTestServer({ ALLOWED_ORIGINS: 'https://app.example', PUBLIC_URL: 'https://auth.example' }),
      startTestServer({ ALLOWED_ORIGINS: '*' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([strict?.close(), open?.close()]);
  });

  const port = (server: TestServer) => new URL(server.url).port;

  it('with ALLOWED_ORIGINS empty: clients without Origin and the server’s own pages connect; other pages do not', async () => {
    expect(dev.config.allowedOrigins).toEqual([]);
    expect(new URL(dev.config.publicUrl).hostname).toBe('localhost'); // the page below is at 127.0.0.1
    const accepted = [null, `http://127.0.0.1:${port(dev)}`];
    for (const origin of accepted) {
      const { status, socket } = await upgrade(dev, origin);
      expect(status, String(origin)).toBe(101);
      expect(await acknowledged(dev, socket)).toEqual({ type: 'connection_ack' });
    }
    const refused = [
      'https://evil.example',
      'null',
      `http://127.0.0.1:${Number(port(dev)) + 1}`,
      `http://localhost.evil.example:${port(dev)}`,
      'not an origin',
    ];
    for (const origin of refused) {
      const { status, socket } = await upgrade(dev, origin);
      expect(status, origin).toBe(403);
      expect(socket.readyState, origin).not.toBe(WebSocket.OPEN);
    }
  });

  it('with ALLOWED_ORIGINS set: those pages and the server’s own connect; other pages do not', async () => {
    for (const origin of [null, 'https://app.example', 'https://auth.example', `http://127.0.0.1:${port(strict)}`]) {
      const { status, socket } = await upgrade(strict, origin);
      expect(status, String(origin)).toBe(101);
      expect(await acknowledged(strict, socket)).toEqual({ type: 'connection_ack' });
    }
    for (const origin of ['https://evil.example', 'https://app.example.evil', 'http://app.example', 'http://auth.example', 'null']) {
      expect((await upgrade(strict, origin)).status, origin).toBe(403);
    }
  });

  it('with ALLOWED_ORIGINS=*: any page connects', async () => {
    for (const origin of ['https://evil.example', 'null']) {
      const { status, socket } = await upgrade(open, origin);
      expect(status, origin).toBe(101);
      expect(await acknowledged(open, socket)).toEqual({ type: 'connection_ack' });
    }
  });
});

describe('sockets per session and per user', () => {
  let capped: TestServer;
  beforeAll(async () => {
    capped = await startTestServer({ WS_MAX_CONNECTIONS_PER_SESSION: '3', WS_MAX_CONNECTIONS_PER_USER: '5' });
  });
  afterAll(async () => {
    await capped?.close();
  });

  async function connected(credential: string, count: number): Promise<WsConnection[]> {
    const opened = Array.from({ length: count }, () => connect(capped, credential));
    await Promise.all(opened.map((socket) => socket.connected()));
    return opened;
  }

  it('default to 20 per session and 100 per user', () => {
    expect([dev.config.wsMaxConnectionsPerSession, dev.config.wsMaxConnectionsPerUser]).toEqual([20, 100]);
  });

  it('a socket over its session’s or its user’s cap closes with 4429; closing one makes room', async () => {
    const realm = await seedRealm(capped, { maxActiveSessions: 5 });
    const user = await realm.createUser();
    const first = await user.login();
    const second = await user.login();

    const ofFirst = await connected(first.accessToken, 3);
    expect(await connect(capped, first.accessToken).closed()).toEqual({ code: 4429, reason: 'Too many connections for this session' });
    // The user's second session has room for two more: five in all.
    const ofSecond = await connected(second.accessToken, 2);
    expect(await connect(capped, second.accessToken).closed()).toEqual({ code: 4429, reason: 'Too many connections for this user' });
    for (const socket of [...ofFirst, ...ofSecond]) expect(socket.closes).toEqual([]);

    // The admitted sockets work, another user is not held to this one's count, and a closed socket frees its place.
    const live = ofFirst[0].subscribe<{ sessionTerminated: { sessionId: string } }>('subscription { sessionTerminated { sessionId } }');
    await (await connected((await (await realm.createUser()).login()).accessToken, 1))[0].dispose();
    await ofSecond[0].dispose();
    await eventually(
      async () => {
        const again = connect(capped, second.accessToken);
        return again.connected().then(
          () => true,
          () => false,
        );
      },
      5_000,
      'room for a socket of the second session',
    );
    ok(await capped.gql('mutation { logout }', {}, first.accessToken));
    expect((await live.result(0)).data?.sessionTerminated.sessionId).toBe(first.session!.id);
  });

  it('an unmanaged token’s sockets count against its user', async () => {
    const realm = await seedRealm(capped, { sessionType: 'UNMANAGED' });
    const user = await realm.createUser();
    const tokens = [(await user.login()).accessToken, (await user.login()).accessToken];
    await connected(tokens[0], 3);
    await connected(tokens[1], 2);
    expect(await connect(capped, tokens[0]).closed()).toEqual({ code: 4429, reason: 'Too many connections for this user' });
  });
});

describe('an unmanaged token’s socket', () => {
  it('closes with 4403 at the token’s exp', async () => {
    const realm = await seedRealm(dev, { sessionType: 'UNMANAGED', sessionMinutes: 1 });
    const user = await realm.createUser();
    const login = await user.login();
    expect(login.session).toBeNull();
    // 58 s into the token's minute (exp is in whole seconds, so 1-2 s are left).
    dev.clock.advance(58_000);
    try {
      const ws = connect(dev, login.accessToken);
      await ws.connected();
      const opened = Date.now();
      expect(await ws.closed(5_000)).toEqual({ code: 4403, reason: 'Token expired' });
      expect(Date.now() - opened).toBeGreaterThan(500);
      expect(Date.now() - opened).toBeLessThan(3_000);
    } finally {
      dev.clock.reset();
    }
  });

  it('of an open-ended session (no exp) stays open', async () => {
    const realm = await seedRealm(dev, { sessionType: 'UNMANAGED', sessionMinutes: null });
    const login = await (await realm.createUser()).login();
    const ws = connect(dev, login.accessToken);
    await ws.connected();
    await sleep(1_500);
    expect(ws.closes).toEqual([]);
  });
});

describe('shutdown drains before it closes', () => {
  /** One request over node:http (fetch hides the Connection header), on a keep-alive agent. */
  function request(base: string, path: string, agent: Agent, body?: string): Promise<{ status: number; connection: string | undefined; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${base}${path}`,
        { agent, method: body ? 'POST' : 'GET', headers: body ? { 'content-type': 'application/json' } : {} },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
        },
      );
      req.once('error', reject);
      req.end(body);
    });
  }

  it('keeps listening through SHUTDOWN_DRAIN_SECONDS: /ready 503, answers with Connection: close, new sockets 503, then closes', async () => {
    expect(dev.config.shutdownDrainSeconds).toBe(0); // the test helper's; the default is 5
    expect(loadConfig({}).shutdownDrainSeconds).toBe(5);
    const draining = await startTestServer({ SHUTDOWN_DRAIN_SECONDS: '2' });
    const agent = new Agent({ keepAlive: true });
    try {
      expect(await request(draining.url, '/ready', agent)).toMatchObject({ status: 200, connection: 'keep-alive' });
      const ws = openWs(draining.wsUrl, draining.adminKey);
      sockets.push(ws);
      await ws.connected();

      const started = Date.now();
      let stoppedAt = 0;
      const stopping = draining.close().then(() => (stoppedAt = Date.now()));
      // Over the connection the agent kept alive, and over new ones, for the whole window.
      expect(await request(draining.url, '/ready', agent)).toMatchObject({ status: 503, connection: 'close', text: '{"status":"unavailable"}' });
      expect(await request(draining.url, '/health', agent)).toMatchObject({ status: 200, connection: 'close' });
      const query = await request(draining.url, '/graphql', agent, '{"query":"{ __typename }"}');
      expect(query).toMatchObject({ status: 200, connection: 'close' });
      expect(JSON.parse(query.text)).toEqual({ data: { __typename: 'Query' } });
      expect((await upgrade(draining, null)).status).toBe(503);
      await sleep(1_000);
      expect(await request(draining.url, '/ready', agent)).toMatchObject({ status: 503, connection: 'close' });
      expect(ws.closes).toEqual([]); // open sockets are closed at the end of the window, not before
      expect(stoppedAt).toBe(0);

      await stopping;
      expect(stoppedAt - started).toBeGreaterThanOrEqual(1_900);
      expect((await ws.closed()).code).toBe(1001);
      await expect(request(draining.url, '/health', agent)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      agent.destroy();
    }
  });
});
