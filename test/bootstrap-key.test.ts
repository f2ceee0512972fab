import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import type { Logger } from '../src/logger.js';
import { authenticateAdminKey, revokeAdminKey } from '../src/auth/admin-keys.js';
import { systemClock } from '../src/clock.js';
import { ownDatabase } from './helpers/server.js';

// BOOTSTRAP_ADMIN_KEY (docs/operations.md#secrets): a value that could never authenticate stops the
// start; a bootstrap key once revoked stays revoked across restarts, and the start says so.

const databases: Awaited<ReturnType<typeof ownDatabase>>[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
});

describe('BOOTSTRAP_ADMIN_KEY', () => {
  it('without the tsa_ prefix (or with spaces) is refused at start, naming the variable; with it, accepted', () => {
    for (const value of ['x'.repeat(40), `TSA_${'x'.repeat(40)}`, `tsa_${'x'.repeat(20)} ${'x'.repeat(20)}`]) {
      expect(() => loadConfig({ BOOTSTRAP_ADMIN_KEY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ BOOTSTRAP_ADMIN_KEY: value })).toThrow(/^BOOTSTRAP_ADMIN_KEY: must start with "tsa_"/);
    }
    expect(loadConfig({ BOOTSTRAP_ADMIN_KEY: `tsa_${'x'.repeat(40)}` }).bootstrapAdminKey).toBe(`tsa_${'x'.repeat(40)}`);
  });

  it('once revoked, stays revoked when the server starts again with it, and the start warns naming the variable', async () => {
    const database = await ownDatabase();
    databases.push(database);
    const key = `tsa_bootstrap_${Date.now()}_0123456789abcdefghij`;
    const warnings: string[] = [];
    const logger: Logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (message) => warnings.push(message), enabled: () => true };
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: 'memory://',
      NODE_ENV: 'test',
      SHUTDOWN_DRAIN_SECONDS: '0',
      ...database.env,
      BOOTSTRAP_ADMIN_KEY: key,
    });
    const ask = (url: string) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ realms(first: 1) { edges { cursor } } }' }),
      }).then((r) => r.json() as Promise<{ errors?: { extensions: { code: string } }[] }>);

    const first = await buildApp(config, { logger });
    const firstUrl = await first.start();
    expect((await ask(firstUrl)).errors).toBeUndefined();
    const em = first.deps.orm.em.fork();
    const admin = await authenticateAdminKey(em, key, null);
    expect(await revokeAdminKey(em, systemClock, admin!.keyId)).toBe(true);
    expect((await ask(firstUrl)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    await first.stop();
    // The revoked key's use is a security event (docs/operations.md#logs); nothing else warned yet.
    expect(warnings).toEqual(['admin key refused: unknown or revoked']);

    const again = await buildApp(config, { logger });
    const againUrl = await again.start();
    try {
      expect((await ask(againUrl)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(warnings.some((warning) => warning.includes('BOOTSTRAP_ADMIN_KEY') && warning.includes('revoked'))).toBe(true);
    } finally {
      await again.stop();
    }
  }, 60_000);
});
