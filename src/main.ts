import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
// A stray rejection (a dropped connection in some library) must be seen, not take every user's
// sessions down with the process.
process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: String(reason) }));
const app = await buildApp(config, { logger });
const url = await app.start();
logger.info('Tessera listening', {
  graphql: `${url}/graphql`,
  publicUrl: config.publicUrl,
  database: app.database.kind === 'embedded' ? `embedded (${config.dataDir})` : 'postgresql',
  events: config.redisUrl ? 'redis' : 'in-process',
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
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
