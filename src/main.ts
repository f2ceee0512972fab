import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';
import { freePort } from './server/free-port.js';

function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

let config;
try {
  config = loadConfig();
  // PORT=0: any free port, chosen now so that the issuers the app is built with name it.
  if (config.port === 0) config = loadConfig(undefined, { port: await freePort(config.host) });
} catch (error) {
  exitOnConfigError(error);
}

const logger = createLogger(config.logLevel);
// A stray rejection (a dropped connection in some library) must be seen, not take every user's
// sessions down with the process.
process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: String(reason) }));
// Some configuration can only be checked against the database (KEY_ENCRYPTION_KEY).
const app = await buildApp(config, { logger }).catch(exitOnConfigError);
const url = await app.start().catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
  const why = error.code === 'EADDRINUSE' ? 'is in use (another Tessera running?)' : 'may not be opened by this user';
  // The main listener or METRICS_ADDRESS's: the error names the one that failed.
  const { port, address } = error as NodeJS.ErrnoException & { port?: number; address?: string };
  const variable = config.metricsAddress && port === config.metricsAddress.port && port !== config.port ? 'METRICS_ADDRESS' : 'PORT';
  process.stderr.write(`Cannot listen: port ${port ?? config.port} on ${address ?? config.host} ${why}. Set ${variable} to another port.\n`);
  return app.stop().then(() => process.exit(1));
});
logger.info('Tessera listening', {
  graphql: `${url}/graphql`,
  publicUrl: config.publicUrl,
  database: app.database.kind === 'embedded' ? `embedded (${config.dataDir})` : 'postgresql',
  events: config.redisUrl ? 'redis' : 'in-process',
  metrics: `${app.metricsUrl()}${config.metricsToken ? ' (METRICS_TOKEN required)' : ''}`,
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    // The drain window, then up to 5 s for requests in flight, and room for the rest.
    const force = setTimeout(() => process.exit(1), (config.shutdownDrainSeconds + 15) * 1000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  });
}
