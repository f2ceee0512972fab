import { describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestServer, useTestServer, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';

// JSON POSTs without an Origin header are answered by src/server/graphql-fast-path.ts, everything
// else by yoga's own HTTP layer. The same request with an Origin header (no ALLOWED_ORIGINS here,
// so yoga adds no CORS headers) is yoga's answer: both must match byte for byte.

const server = useTestServer();

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

async function post(body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

async function handledBy(): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, handler, value] of text.matchAll(/^tessera_graphql_http_requests_total\{handler="([^"]+)"\} (\d+)$/gm)) counts[handler] = Number(value);
  return counts;
}

/** The fast path's answer and yoga's to the same request, and whether the fast path took it. */
async function bothWays(body: unknown, headers: Record<string, string> = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const withType = { 'content-type': 'application/json', ...headers };
  const before = await handledBy();
  const fast = await post(raw, withType);
  const after = await handledBy();
  const yoga = await post(raw, { ...withType, origin: 'http://elsewhere.example' });
  const tookFastPath = (after['fast-path'] ?? 0) - (before['fast-path'] ?? 0) === 1;
  return { fast, yoga, tookFastPath };
}

describe('GraphQL fast path', () => {
  it('answers exactly as yoga does: successes, errors, status codes and media types', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const me = '{ me { user { id username } } }';
    const cases: { body: unknown; headers?: Record<string, string> }[] = [
      { body: { query: '{ __typename }' } },
      { body: { query: '{ __typename }' }, headers: { accept: 'application/json' } },
      { body: { query: '{ __typename }' }, headers: { accept: '*/*' } },
      { body: { query: '{ __typename }' }, headers: { accept: 'application/graphql-response+json' } },
      { body: { query: '{ __typename }' }, headers: { accept: 'application/graphql-response+json, application/json;charset=utf-8' } },
      { body: { query: '{ __typename }' }, headers: { 'content-type': 'application/json; charset=utf-8' } },
      { body: { query: '{ __typename }', variables: null, operationName: null, extensions: {} } },
      { body: { query: me }, headers: { authorization: `Bearer ${login.accessToken}` } },
      { body: { query: me }, headers: { authorization: `Bearer ${login.accessToken}`, accept: 'application/graphql-response+json' } },
      { body: { query: me } },
      { body: { query: me }, headers: { accept: 'application/graphql-response+json' } },
      { body: { query: me }, headers: { authorization: 'Bearer not-a-token' } },
      { body: { query: me }, headers: { authorization: 'Basic abc' } },
      { body: { query: 'query V($t: String!) { verifyToken(token: $t) { valid reason claims } }', variables: { t: login.accessToken } } },
      { body: { query: 'query V($t: String!) { verifyToken(token: $t) { valid reason } }', variables: { t: 'a.b.c' } } },
      {
        body: { query: 'query A { __typename } query B { me { user { id } } }', operationName: 'B' },
        headers: { authorization: `Bearer ${login.accessToken}` },
      },
      {
        body: { query: 'query ($id: ID!) { realm(id: $id) { id name } }', variables: { id: realm.id } },
        headers: { authorization: `Bearer ${server.adminKey}` },
      },
      {
        body: { query: 'query ($id: ID!) { realm(id: $id) { id } }', variables: { id: 'rlm_missing' } },
        headers: { authorization: `Bearer ${server.adminKey}` },
      },
      { body: { query: 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }', variables: { t: 'not-a-refresh-token' } } },
      {
        body: { query: 'query ($id: ID!) { session(id: $id) { id } }', variables: { id: 'ses_\u0000' } },
        headers: { authorization: `Bearer ${server.adminKey}` },
      },
    ];
    for (const { body, headers } of cases) {
      const { fast, yoga, tookFastPath } = await bothWays(body, headers);
      const label = `${JSON.stringify(body).slice(0, 120)} ${JSON.stringify(headers ?? {})}`;
      expect(tookFastPath, label).toBe(true);
      expect(fast, label).toEqual(yoga);
    }
  });

  it('leaves to yoga what only yoga can answer, and yoga answers it', async () => {
    const cases: { body: unknown; headers?: Record<string, string>; status: number }[] = [
      { body: '{"query": "{ __typename ', status: 400 }, // not JSON
      { body: [{ query: '{ __typename }' }], status: 400 }, // a batch (batching is off)
      { body: { query: '{ __typename }', unexpected: 1 }, status: 400 },
      { body: { query: '' }, status: 200 }, // yoga answers GraphQL errors in application/json with 200
      { body: { query: '{ __typename }', variables: 'x' }, status: 400 },
      { body: { query: '{ nope }' }, status: 200 }, // fails validation
      { body: { query: '{ __typename ' }, status: 200 }, // fails to parse
      {
        body: { query: `{ ${'a: __typename '.repeat(3)} me { user { id } } ${Array.from({ length: 11 }, (_, i) => `x${i}: me { user { id } }`).join(' ')} }` },
        status: 200,
      }, // graphql-armor's rule throws
      { body: { query: 'subscription { sessionTerminated { reason } }' }, headers: { accept: 'text/event-stream' }, status: 200 },
      { body: { query: '{ __typename }' }, headers: { accept: 'text/html' }, status: 406 },
      { body: { query: '{ __typename }' }, headers: { 'content-type': 'application/graphql+json' }, status: 200 },
    ];
    for (const { body, headers, status } of cases) {
      const label = `${JSON.stringify(body).slice(0, 120)} ${JSON.stringify(headers ?? {})}`;
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const before = await handledBy();
      const controller = new AbortController();
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: raw,
        signal: controller.signal,
      });
      expect(response.status, label).toBe(status);
      controller.abort(); // the SSE stream would stay open
      const after = await handledBy();
      expect((after['fast-path'] ?? 0) - (before['fast-path'] ?? 0), label).toBe(0);
      expect((after.yoga ?? 0) - (before.yoga ?? 0), label).toBe(1);
    }
  });
});

describe('in production', () => {
  it('refuses introspection on the fast path, through yoga and over WebSocket alike', async () => {
    const prod: TestServer = await startTestServer({ NODE_ENV: 'production' });
    try {
      const query = '{ __schema { types { name } } }';
      for (const headers of [{}, { origin: 'http://elsewhere.example' }] as Record<string, string>[]) {
        const response = await fetch(`${prod.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query }),
        });
        const json = (await response.json()) as { data?: unknown; errors?: { message: string }[] };
        expect(json.data ?? null, JSON.stringify(headers)).toBeNull();
        expect(json.errors?.[0]?.message, JSON.stringify(headers)).toMatch(/introspection/i);
      }
      const client = createClient({
        url: prod.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: { authorization: `Bearer ${prod.adminKey}` },
      });
      try {
        const result = await new Promise<{ data?: unknown; errors?: unknown }>((resolve, reject) => {
          let settled: { data?: unknown; errors?: unknown } | undefined;
          client.subscribe(
            { query },
            {
              next: (value) => (settled = value as never),
              error: (error) => resolve({ errors: error }),
              complete: () => (settled ? resolve(settled) : reject(new Error('no result'))),
            },
          );
        });
        expect(result.data ?? null).toBeNull();
        expect(JSON.stringify(result.errors)).toMatch(/introspection/i);
      } finally {
        await client.dispose();
      }
    } finally {
      await prod.close();
    }
  });
});
