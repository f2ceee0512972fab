import { createServer, type Server } from 'node:http';
import type { Config } from './config.js';
import { systemClock, type Clock } from './clock.js';
import { createLogger, type Logger, type LogSink } from './logger.js';
import { openDatabase, type Database } from './db/orm.js';
import { TokenKeys } from './token/jwt.js';
import { createServices, type AppDeps } from './services.js';
import { ensureBootstrapAdminKey } from './auth/admin-keys.js';
import { LocalOperatorCredential } from './auth/local-operator.js';
import { writeInitialAdminKey } from './auth/initial-admin-key.js';
import { removeLocalServer, writeLocalServer } from './db/data-dir-files.js';
import { PasswordHasher } from './auth/password.js';
import { PasswordPolicy } from './user/password-policy.js';
import { serveJwks } from './server/jwks.js';
import { createMetrics, type TesseraMetrics } from './server/metrics.js';
import { MetricsListener, serveMetrics } from './server/metrics-route.js';
import { connectEventBus, type EventBus } from './server/event-bus.js';
import { createTesseraYoga } from './server/yoga.js';
import { createGraphqlFastPath } from './server/graphql-fast-path.js';
import { createRequestListener } from './server/http-routes.js';
import { ReadinessProbe } from './server/readiness.js';
import { HttpConnections, shutdown } from './server/shutdown.js';
import { attachWebSocketServer } from './server/websocket.js';
import { ExpirySweeper } from './session/expiry-sweeper.js';
import { SigningKeySealer, sealSigningKeys } from './realm/signing-key-sealer.js';
import { sealWebhookSecrets } from './webhook/webhook.service.js';
import { SessionWatchers } from './session/session-watchers.js';
import { SessionStateCache } from './session/session-state-cache.js';
import { UserSnapshots } from './user/user-snapshots.js';
import { ClientCredentialCache } from './client/client-credential-cache.js';
import { EventRecord } from './events/event-record.js';
import { SubjectStates } from './user/subject-states.js';
import { DeliveryWorker } from './delivery/deliveries.js';
import { targetRules } from './services.js';

import { consoleRoute } from './server/console.js';
import { oauthRoutes } from './server/oauth-routes.js';

export { MAX_REQUEST_BYTES } from './server/http-routes.js';

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
  /** Where the logger made from LOG_LEVEL writes (stderr by default); tests capture it. */
  logSink?: LogSink;
}

export interface App {
  server: Server;
  deps: AppDeps;
  database: Database;
  metrics: TesseraMetrics;
  sweeper: ExpirySweeper;
  /** Webhook and back-channel logout deliveries (tests call drain() instead of waiting for a poll). */
  deliveries: DeliveryWorker;
  watchers: SessionWatchers;
  /** Listen on config.port (0 = any free port); resolves to the bound URL. */
  start(): Promise<string>;
  /** The URL of /metrics once started: on the listener of METRICS_ADDRESS when set, else on the main port. */
  metricsUrl(): string | null;
  stop(): Promise<void>;
}

/** One Tessera instance: its database, event bus, background work, HTTP and WebSocket servers. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel, options.logSink);
  const sealer = new SigningKeySealer(config.keyEncryptionKeys);
  const database = await openSealedDatabase(config, logger, sealer);
  const bus = await connectEventBus(config, logger);
  const metrics = createMetrics();
  // An embedded database on disk is locked by this process: the CLI beside it comes through the API.
  const embeddedDir = database.kind === 'embedded' && config.dataDir !== 'memory://' ? config.dataDir : null;
  const localOperator = embeddedDir ? new LocalOperatorCredential() : null;
  const deps = sharedDeps(config, clock, logger, database, sealer, bus, metrics, localOperator);
  listenToEvents(deps, metrics, logger);
  await ensureFirstAdminKey(config, database, clock, logger, embeddedDir);

  const watchers = new SessionWatchers({ orm: database.orm, clock, logger, events: bus.events, intervalSeconds: config.subscriptionRecheckSeconds });
  // Redis pub/sub drops what is published while we are disconnected: re-check after every reconnect.
  bus.onReconnect(() => void watchers.recheck());
  // A revoked admin key's sockets and streams end as soon as its instance hears of it.
  deps.invalidations.on((items) => items.forEach((item) => item.kind === 'adminKey' && watchers.adminKeyRevoked(item.adminKeyId)));
  const { sweeper, deliveries } = backgroundWorkers(config, deps, database, logger, metrics);

  const { yoga, maskAndLog, serveGraphiQL } = createTesseraYoga({ deps, metrics, watchers, logger });
  const readiness = new ReadinessProbe(() => database.orm.isConnected());
  const metricsRoute = serveMetrics(metrics.registry, config.metricsToken);
  // METRICS_ADDRESS: a listener of its own (typically on a private interface), and none on the main port.
  const metricsListener = config.metricsAddress ? new MetricsListener(metricsRoute, config.metricsAddress) : null;
  const server = createServer(
    createRequestListener({
      readiness,
      metrics,
      logger,
      serveMetrics: metricsListener ? null : metricsRoute,
      serveJwks: (realmId, res) => serveJwks(realmId, createServices(deps), res),
      serveConsole: consoleRoute(config),
      serveGraphiQL,
      serveOAuth: oauthRoutes(deps, metrics, logger),
      fastPath: createGraphqlFastPath(yoga as never, maskAndLog),
      yoga: (req, res) => yoga.requestListener(req, res),
    }),
  );
  const webSockets = attachWebSocketServer({
    server,
    draining: () => readiness.draining,
    yoga: yoga as never,
    config,
    deps,
    watchers,
    metrics,
    logger,
    maskError: (error) => maskAndLog(error, 'Unexpected error.'),
  });
  const http = new HttpConnections(server);
  let metricsUrl: string | null = null;

  return {
    server,
    deps,
    database,
    metrics,
    sweeper,
    deliveries,
    watchers,
    async start() {
      const url = await listen(server, config, [sweeper, watchers, deps.record, deliveries]);
      if (embeddedDir && localOperator) await writeLocalServer(embeddedDir, { pid: process.pid, url: `${url}/graphql`, key: localOperator.secret });
      metricsUrl = metricsListener ? await metricsListener.start() : `${url}/metrics`;
      return url;
    },
    metricsUrl: () => metricsUrl,
    async stop() {
      if (embeddedDir) await removeLocalServer(embeddedDir).catch(() => undefined);
      await shutdown({
        drainMs: config.shutdownDrainSeconds * 1000,
        readiness,
        sweeper,
        deliveries,
        watchers,
        record: deps.record,
        webSockets,
        http,
        bus,
        database,
      });
      await metricsListener?.close();
    },
  };
}

/** The bootstrap key as configured, or on a first embedded start a key in a file only this user reads. */
async function ensureFirstAdminKey(config: Config, database: Database, clock: Clock, logger: Logger, embeddedDir: string | null): Promise<void> {
  if (config.bootstrapAdminKey) {
    const { revoked } = await ensureBootstrapAdminKey(database.orm.em.fork(), clock, config.bootstrapAdminKey);
    if (revoked) logger.warn('BOOTSTRAP_ADMIN_KEY names an admin key that was revoked: it stays revoked. Unset BOOTSTRAP_ADMIN_KEY or give it a new value.');
  } else if (embeddedDir) {
    const path = await writeInitialAdminKey(database.orm, clock, embeddedDir);
    if (path) logger.info('first start: an all-scopes admin key was written to a file only this user can read', { path });
  }
}

/** The expiry sweeper and the webhook / back-channel delivery worker, started and stopped with the app. */
function backgroundWorkers(config: Config, deps: AppDeps, database: Database, logger: Logger, metrics: TesseraMetrics) {
  const { clock, events } = deps;
  const sweeper = new ExpirySweeper({
    orm: database.orm,
    clock,
    events,
    logger,
    intervalSeconds: config.sweepIntervalSeconds,
    retention: { sessionDays: config.sessionRetentionDays, auditDays: config.auditRetentionDays },
  });

  const deliveries = new DeliveryWorker({
    orm: database.orm,
    clock,
    logger,
    keys: deps.keys,
    sealer: deps.keys.sealer,
    rules: targetRules(config),
    pollSeconds: config.webhookPollSeconds,
    metrics,
  });
  return { sweeper, deliveries };
}

/** The database, migrated, with its signing keys and webhook secrets sealed under the current KEY_ENCRYPTION_KEY. */
async function openSealedDatabase(config: Config, logger: Logger, sealer: SigningKeySealer): Promise<Database> {
  const database = await openDatabase(config);
  await database.migrate(() => logger.info('waiting for another instance to finish migrating'));
  logger.info('database ready', { kind: database.kind });
  try {
    const resealed = await sealSigningKeys(database.orm.em.fork(), sealer);
    if (resealed > 0) logger.info('signing keys sealed with the current KEY_ENCRYPTION_KEY', { count: resealed });
    const webhookSecrets = await sealWebhookSecrets(database.orm.em.fork(), sealer);
    if (webhookSecrets > 0) logger.info('webhook secrets sealed with the current KEY_ENCRYPTION_KEY', { count: webhookSecrets });
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** The long-lived parts every request shares. */
function sharedDeps(
  config: Config,
  clock: Clock,
  logger: Logger,
  database: Database,
  sealer: SigningKeySealer,
  bus: EventBus,
  metrics: TesseraMetrics,
  localOperator: LocalOperatorCredential | null,
): AppDeps {
  // The hash an unknown username is checked against: made now, not by the first such login (whose
  // answer would otherwise take two hashes' time and tell that the user does not exist).
  const passwords = new PasswordHasher(config.passwordHashCost);
  void passwords.dummyHash().catch((error: unknown) => logger.warn('dummy password hash failed', { error: String(error) }));
  return {
    orm: database.orm,
    clock,
    config,
    keys: new TokenKeys(database.orm, clock, config.publicUrl, sealer, logger),
    events: bus.events,
    record: new EventRecord({
      orm: database.orm,
      clock,
      logger,
      events: bus.events,
      catchUpSeconds: config.eventCatchUpSeconds,
      retentionHours: config.eventRetentionHours,
      metrics,
    }),
    sessionCache: new SessionStateCache({ ttlMs: 5_000, maxEntries: 100_000 }),
    userSnapshots: new UserSnapshots({ ttlMs: 1_000, maxEntries: 100_000 }),
    clientCredentials: new ClientCredentialCache({ ttlMs: 1_000, maxEntries: 10_000 }),
    // The same bound as the session cache's for a lost bus message (docs/security.md).
    subjectStates: new SubjectStates({ ttlMs: 5_000, maxEntries: 100_000 }),
    invalidations: bus.invalidations,
    passwords,
    localOperator,
    passwordPolicy: new PasswordPolicy(config.passwordMinLength),
    logger,
  };
}

/**
 * What this instance does with every session event (forget ended sessions, count terminations)
 * and every invalidation (forget changed users, API keys and signing keys).
 */
function listenToEvents({ events, sessionCache, invalidations, subjectStates, userSnapshots, keys }: AppDeps, metrics: TesseraMetrics, logger: Logger): void {
  invalidations.on((items) => {
    for (const item of items) {
      if (item.kind === 'user') {
        subjectStates.forgetUser(item.userId);
        userSnapshots.forget(item.userId);
      } else if (item.kind === 'apiKey') subjectStates.forgetApiKey(item.apiKeyId);
      else if (item.kind === 'realmKeys') keys.forgetRealmKeys(item.realmId);
    }
  });
  // Drop ended sessions from the cache as soon as any instance ends them. Registered before the
  // waits of subscribers (SessionWatchers, made after this): listeners run in order, so the cache
  // forgets a session before anyone on this instance hears that it ended.
  events.onTerminations((ended) => {
    for (const event of ended) sessionCache.invalidate(event.sessionId);
  });
  events.onPublish((event) => {
    metrics.eventsRecorded({ type: event.type });
    if (event.reason === 'REFRESH_TOKEN_REUSED') {
      logger.warn('refresh token reused: its session was ended', { realm: event.realmId, session: event.sessionId, user: event.userId });
    }
    if (event.type === 'TERMINATED') metrics.terminations({ reason: event.reason ?? 'UNKNOWN' });
  });
}

/** Listen on config.port and start the background work; resolves to the URL clients reach. */
function listen(server: Server, config: Config, background: { start(): void }[]): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      for (const part of background) part.start();
      resolve(`http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`);
    });
  });
}
