import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print, type DocumentNode } from 'graphql';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { AdjustableClock } from '../../src/clock.js';
import type { LogSink } from '../../src/logger.js';
import { openDatabase } from '../../src/db/orm.js';

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface TestServer {
  url: string;
  /** ws://…/graphql */
  wsUrl: string;
  app: App;
  config: Config;
  /** Move time with clock.advance(ms): idle timeout, expiry and grace windows without sleeping. */
  clock: AdjustableClock;
  /** An all-scopes admin key (BOOTSTRAP_ADMIN_KEY of this server). */
  adminKey: string;
  /** POST a GraphQL operation; `auth` is the bearer credential (admin key or login token), if any. */
  gql<T = Record<string, any>, V = Record<string, unknown>>(
    query: string | DocumentNode | TypedDocumentNode<T, V>,
    variables?: V,
    auth?: string | null,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * A real Tessera on an ephemeral port: yoga over HTTP, graphql-ws on the same port, against the
 * embedded PGlite (in memory) by default, or the PostgreSQL / Redis of DATABASE_URL / REDIS_URL.
 */
export async function startTestServer(env: Record<string, string> = {}, options: { logSink?: LogSink } = {}): Promise<TestServer> {
  const adminKey = `tsa_test_${randomBytes(24).toString('base64url')}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: 'memory://',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    SWEEP_INTERVAL_SECONDS: '3600',
    // No drain window at stop: test files stop servers often (test/transport.test.ts tests the window).
    SHUTDOWN_DRAIN_SECONDS: '0',
    // Test files share one database under DATABASE_URL: another file's delivery worker would claim
    // this file's webhook deliveries (with its own target rules and clock). The files that test
    // deliveries drain them explicitly (test/webhooks.test.ts).
    WEBHOOK_POLL_SECONDS: '3600',
    DATABASE_URL: process.env.DATABASE_URL ?? '',
    REDIS_URL: process.env.REDIS_URL ?? '',
    BOOTSTRAP_ADMIN_KEY: adminKey,
    ...env,
  });
  const clock = new AdjustableClock();
  const app = await buildApp(config, { clock, logSink: options.logSink });
  const url = await app.start();
  const gql: TestServer['gql'] = async (query, variables, auth, headers = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query: typeof query === 'string' ? query : print(query), variables }),
    });
    return (await response.json()) as GraphQLResponse<any>;
  };
  return { url, wsUrl: url.replace(/^http/, 'ws') + '/graphql', app, config, clock, adminKey, gql, close: () => app.stop() };
}

/** The data of a response that must have succeeded; throws with the errors otherwise. */
export function ok<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

/** The extensions.code of the first error (undefined when none). */
export function errorCode(response: GraphQLResponse<unknown>): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}

/**
 * One real server for the test file: started before its tests, stopped after them. Returns a
 * stand-in that forwards to the running server, so it can be declared at the top of the file.
 * With `resetClock`, time moved by a test (clock.advance) is put back after each test.
 */
export function useTestServer(options: { env?: Record<string, string>; resetClock?: boolean } = {}): TestServer {
  let current: TestServer | undefined;
  beforeAll(async () => {
    current = await startTestServer(options.env);
  });
  afterAll(async () => {
    await current?.close();
  });
  if (options.resetClock) afterEach(() => current?.clock.reset());
  return new Proxy({} as TestServer, {
    get(_target, property) {
      if (!current) throw new Error('the test server is not started yet (use it inside a test or hook)');
      return Reflect.get(current, property);
    },
  });
}

/**
 * A database of a test file's own, kept across server restarts: a new database on the PostgreSQL
 * server of DATABASE_URL, or an embedded one in a temp directory. For tests that act on every row
 * (pruning by age, sealing keys at start), which must not touch the rows of files sharing a server.
 * Pass `env` to startTestServer.
 */
export async function ownDatabase(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (!process.env.DATABASE_URL) {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-test-db-'));
    return { env: { DATABASE_URL: '', DATA_DIR: dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  const server = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: '' });
  await server.orm.em.getConnection().execute(`create database ${name}`);
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    async drop() {
      await server.orm.em.getConnection().execute(`drop database if exists ${name} with (force)`);
      await server.close();
    },
  };
}
