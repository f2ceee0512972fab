import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { createRedisEventTarget } from './events/redis-event-target.js';
import type { Config } from './config.js';
import { systemClock, type Clock } from './clock.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, type Database } from './db/orm.js';
import { TokenKeys } from './token/jwt.js';
import { SessionEvents, createSessionPubSub } from './events/session-events.js';
import { createServices, type AppDeps } from './services.js';
import { authenticate } from './auth/authenticate.js';
import { ensureBootstrapAdminKey } from './auth/admin-keys.js';
import type { Caller } from './auth/caller.js';
import { schema } from './graphql/schema.js';
import { maskError } from './graphql/errors.js';
import { useLeanSubscriptions } from './graphql/event-streams.js';
import { securityPlugins } from './graphql/limits.js';
import type { GraphQLContext } from './graphql/context.js';
import { clientIp } from './server/client-ip.js';
import { matchJwksPath, serveJwks } from './server/jwks.js';
import { createMetrics, type TesseraMetrics } from './server/metrics.js';
import { ExpirySweeper } from './session/expiry-sweeper.js';
import { SigningKeySealer, sealSigningKeys } from './realm/signing-key-sealer.js';
import { SessionWatchers } from './session/session-watchers.js';
import { SessionStateCache } from './session/session-state-cache.js';
import { UserSnapshots } from './user/user-snapshots.js';
import { attachWebSocketServer } from './server/websocket.js';
import { createGraphqlFastPath } from './server/graphql-fast-path.js';
import { PasswordHasher } from './auth/password.js';
import { consoleRoute } from './server/console.js';

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
}

export interface App {
  server: Server;
  deps: AppDeps;
  database: Database;
  metrics: TesseraMetrics;
  sweeper: ExpirySweeper;
  watchers: SessionWatchers;
  /** Listen on config.port (0 = any free port); resolves to the bound URL. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** The error behind GraphQL's wrappers (by shape: graphql may be loaded twice, CJS and ESM). */
function originalOf(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 8 && current instanceof Error && current.name === 'GraphQLError'; i++) {
    const inner = (current as GraphQLError).originalError;
    if (!inner) break;
    current = inner;
  }
  return current;
}

/** How long /ready waits for the database before it answers 503. */
const READINESS_TIMEOUT_MS = 2_000;

/** GraphQL requests are small; anything larger is refused before parsing. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * The body of a request, read up to `limit` bytes: 'too-large' as soon as it passes the limit
 * (whatever Content-Length said, or without one — a chunked body is only measured by reading it),
 * 'aborted' when the client went away first.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | 'too-large' | 'aborted') => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        settle('too-large');
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => settle(Buffer.concat(chunks, size)));
    req.once('error', () => settle('aborted'));
    req.once('close', () => settle(req.complete ? Buffer.concat(chunks, size) : 'aborted'));
  });
}

/**
 * Hands an already-read body to yoga: the node adapter takes a request's `body` property, when
 * present, instead of reading the (now drained) stream. An async iterable rather than the Buffer
 * itself, because the adapter enumerates the keys of a `body` object (one per byte of a Buffer).
 */
function replayBody(req: IncomingMessage, body: Buffer): void {
  (req as IncomingMessage & { body?: unknown }).body = {
    byteLength: body.length,
    async *[Symbol.asyncIterator]() {
      yield body;
    },
  };
}

function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
  // Close the connection: the rest of an oversized body is not worth reading to keep it alive.
  res.once('finish', () => req.destroy());
  res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"request body too large"}');
}

/**
 * CORS answers only the origins of ALLOWED_ORIGINS, echoing the one that asked; any other origin
 * gets no CORS headers at all. (yoga's own handling of an origin list answers a stranger with the
 * single configured origin, or with `null` — which a sandboxed iframe or a data: URL *is*, so that
 * would grant them access.)
 */
function corsFor(allowedOrigins: string[]) {
  if (allowedOrigins.length === 0) return false as const;
  const anyOrigin = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins.map((origin) => origin.replace(/\/$/, '')));
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || (!anyOrigin && !allowed.has(origin))) return false as const;
    // Two entries: yoga then echoes the request's origin and adds Vary: Origin. Never credentials
    // for "any origin" — that pairing would hand every site a user's cookies, if there ever were any.
    return { origin: [origin, origin], credentials: !anyOrigin, maxAge: 600 };
  };
}

/** HTTP requests carry node's request; WebSocket operations the connection's params and its client address. */
type ServerContext =
  { req: IncomingMessage; res?: ServerResponse; connectionParams?: undefined } | { connectionParams: Record<string, unknown>; ip: string | null };

export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const database = await openDatabase(config);
  await database.migrate(() => logger.info('waiting for another instance to finish migrating'));
  logger.info('database ready', { kind: database.kind });
  const sealer = new SigningKeySealer(config.keyEncryptionKeys);
  try {
    const resealed = await sealSigningKeys(database.orm.em.fork(), sealer);
    if (resealed > 0) logger.info('signing keys sealed with the current KEY_ENCRYPTION_KEY', { count: resealed });
  } catch (error) {
    await database.close();
    throw error;
  }

  let redis: { publish: Redis; subscribe: Redis } | null = null;
  if (config.redisUrl) {
    // Publishing fails fast while Redis is down (logged and dropped: a mutation never waits on
    // Redis, and the subscriber re-check catches up). Subscribing queues until Redis is back, and
    // ioredis restores subscriptions on reconnect; we re-check live sessions then (below).
    const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2_000);
    redis = {
      publish: new Redis(config.redisUrl!, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy }),
      // No ready check on the subscriber: INFO is not allowed in subscriber mode after a reconnect.
      subscribe: new Redis(config.redisUrl!, { maxRetriesPerRequest: null, enableOfflineQueue: true, enableReadyCheck: false, retryStrategy }),
    };
    await Promise.race([new Promise((resolve) => redis!.publish.once('ready', resolve)), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    for (const client of [redis.publish, redis.subscribe]) {
      client.on('error', (error) => logger.warn('redis error', { error: error.message }));
    }
  }
  const pubsub = createSessionPubSub(
    redis ? { eventTarget: createRedisEventTarget({ publishClient: redis.publish, subscribeClient: redis.subscribe, logger }) as never } : undefined,
  );
  const events = new SessionEvents(pubsub);
  // The hash an unknown username is checked against: made now, not by the first such login (whose
  // answer would otherwise take two hashes' time and tell that the user does not exist).
  const passwords = new PasswordHasher(config.passwordHashCost);
  void passwords.dummyHash().catch((error: unknown) => logger.warn('dummy password hash failed', { error: String(error) }));
  const keys = new TokenKeys(database.orm, clock, config.publicUrl, sealer);
  const sessionCache = new SessionStateCache({ ttlMs: 5_000, maxEntries: 100_000 });
  const userSnapshots = new UserSnapshots({ ttlMs: 1_000, maxEntries: 100_000 });
  const deps: AppDeps = { orm: database.orm, clock, config, keys, events, sessionCache, userSnapshots, passwords };
  // Drop ended sessions from the cache as soon as any instance ends them. Registered before the
  // waits of subscribers (SessionWatchers, below): listeners run in order, so the cache forgets a
  // session before anyone on this instance hears that it ended.
  events.onTerminations((ended) => {
    for (const event of ended) sessionCache.invalidate(event.sessionId);
  });
  const metrics = createMetrics();
  events.onPublish((event) => {
    if (event.type === 'TERMINATED') metrics.terminations({ reason: event.reason ?? 'UNKNOWN' });
  });

  if (config.bootstrapAdminKey) {
    await ensureBootstrapAdminKey(database.orm.em.fork(), clock, config.bootstrapAdminKey);
  }

  const watchers = new SessionWatchers({ orm: database.orm, clock, logger, events, intervalSeconds: config.subscriptionRecheckSeconds });
  // Redis pub/sub drops what is published while we are disconnected: re-check after every reconnect.
  redis?.subscribe.on('ready', () => void watchers.recheck());
  const sweeper = new ExpirySweeper({
    orm: database.orm,
    clock,
    events,
    logger,
    intervalSeconds: config.sweepIntervalSeconds,
    retention: { sessionDays: config.sessionRetentionDays, auditDays: config.auditRetentionDays },
  });

  // Errors are masked (src/graphql/errors.ts) and logged here, where the original is still at hand
  // (a plugin looking at the result afterwards only sees the masked copies). A database that is
  // down, hung or overloaded is told apart first: SERVICE_UNAVAILABLE, not a server bug.
  const maskAndLog = (error: unknown, message: string): Error => {
    const original = originalOf(error);
    const masked = maskError(error, message);
    const code = (masked as GraphQLError).extensions?.code;
    if (code === 'SERVICE_UNAVAILABLE') logger.warn('database unavailable', { error: String((original as Error)?.message ?? original) });
    else if (code === 'INTERNAL_SERVER_ERROR') logger.error('unexpected error', { error: String((original as Error)?.stack ?? original) });
    return masked;
  };

  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: !config.production,
    landingPage: false,
    batching: false,
    logging: false, // our own logger reports unexpected errors (maskAndLog above)
    cors: corsFor(config.allowedOrigins),
    maskedErrors: { maskError: maskAndLog },
    plugins: [...securityPlugins({ production: config.production }), useLeanSubscriptions()],
    // From node's request (not yoga's Fetch-API one: the fast path below has none) or, for a
    // WebSocket operation, from its connection.
    context: (serverContext) => {
      const { ip, authorization } =
        'ip' in serverContext
          ? {
              ip: serverContext.ip,
              authorization: typeof serverContext.connectionParams.authorization === 'string' ? serverContext.connectionParams.authorization : null,
            }
          : { ip: clientIp(serverContext.req, config.trustProxyHops), authorization: serverContext.req.headers.authorization ?? null };
      const services = createServices(deps);
      let caller: Promise<Caller> | null = null;
      return {
        ip,
        services,
        clock,
        events,
        publicUrl: config.publicUrl,
        metrics,
        watchers,
        caller: () => (caller ??= authenticate(authorization, ip, services)),
      };
    },
  });

  const fastPath = createGraphqlFastPath(yoga as never, maskAndLog);

  let ready = true;
  // Readiness asks the database, but never waits on it for long: a hung database (not just a
  // refused connection) must read as "not ready" within seconds. One check at a time, its answer
  // shared by the probes that arrive meanwhile, so a prober cannot pile up hung queries that
  // would take the pool's connections from real requests.
  let readinessCheck: Promise<boolean> | null = null;
  const databaseReachable = (): Promise<boolean> => {
    readinessCheck ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), READINESS_TIMEOUT_MS);
      });
      const check = database.orm.isConnected().catch(() => false);
      try {
        return await Promise.race([check, timeout]);
      } finally {
        clearTimeout(timer);
        // A hung check keeps its place until it settles (the pool's own timeouts end it).
        void check.finally(() => {
          readinessCheck = null;
        });
      }
    })();
    return readinessCheck;
  };
  const serveConsole = consoleRoute(config);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      if (url.pathname === '/ready') {
        const ok = ready && (await databaseReachable());
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'unavailable' }));
        return;
      }
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.registry.render());
        return;
      }
      if (serveConsole(req, res, url.pathname)) return;
      if (Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
        refuseTooLarge(req, res);
        return;
      }
      const jwksRealm = matchJwksPath(url.pathname);
      if (jwksRealm && req.method === 'GET') {
        await serveJwks(jwksRealm, createServices(deps), res);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
        const body = await readBody(req, MAX_REQUEST_BYTES);
        if (body === 'aborted') return;
        if (body === 'too-large') {
          refuseTooLarge(req, res);
          return;
        }
        if (url.pathname === '/graphql' && (await fastPath(req, res, body))) {
          metrics.graphqlRequests({ handler: 'fast-path' });
          return;
        }
        replayBody(req, body);
      }
      if (url.pathname === '/graphql') metrics.graphqlRequests({ handler: 'yoga' });
      await yoga.requestListener(req, res);
    } catch (error) {
      logger.error('request failed', { error: String(error) });
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
    }
  });

  const webSockets = attachWebSocketServer({
    server,
    yoga: yoga as never,
    config,
    deps,
    watchers,
    metrics,
    logger,
    maskError: (error) => maskAndLog(error, 'Unexpected error.'),
  });

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return {
    server,
    deps,
    database,
    metrics,
    sweeper,
    watchers,
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const address = server.address();
          const port = typeof address === 'object' && address ? address.port : config.port;
          sweeper.start();
          watchers.start();
          resolve(`http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`);
        });
      }),
    async stop() {
      ready = false;
      await sweeper.stop();
      await watchers.stop();
      await webSockets.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 5_000).unref();
      });
      events.flush();
      redis?.publish.disconnect();
      redis?.subscribe.disconnect();
      await database.close();
    },
  };
}
