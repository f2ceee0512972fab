// Operator commands: admin keys, migrations. Uses the same config (env) as the server.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/orm.js';
import { systemClock } from './clock.js';
import { ADMIN_SCOPES, type AdminScope } from './db/entities/index.js';
import { createAdminKey, listAdminKeys, revokeAdminKey } from './auth/admin-keys.js';
import { DomainError } from './errors.js';

const USAGE = `Usage:
  npm run cli -- admin-key create --name <name> [--realm <realmId>] [--scope <SCOPE>]...
  npm run cli -- admin-key list
  npm run cli -- admin-key revoke <keyId>
  npm run cli -- migrate

Scopes: ${ADMIN_SCOPES.join(', ')} (all of them when no --scope is given).
'admin-key create' prints the key alone on the last line; it is shown only this once.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      realm: { type: 'string' },
      scope: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, action, ...rest] = positionals;
  if (values.help || !group) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    await database.migrate(() => console.log('waiting for another instance to finish migrating'));
    const em = database.orm.em.fork();
    if (group === 'migrate') {
      console.log('migrations applied');
      return 0;
    }
    if (group === 'admin-key' && action === 'create') {
      if (!values.name) throw new DomainError('BAD_USER_INPUT', '--name is required', { field: 'name' });
      const scopes = (values.scope ?? []).map((s) => s.trim().toUpperCase()) as AdminScope[];
      const { key, secret } = await createAdminKey(em, systemClock, { name: values.name, scopes, realmId: values.realm ?? null });
      console.log(`Created admin key ${key.id} "${key.name}" with scopes ${key.scopes.join(',')}${key.realmId ? ` limited to realm ${key.realmId}` : ''}.`);
      console.log('Store it now: it is shown only once.');
      console.log(secret);
      return 0;
    }
    if (group === 'admin-key' && action === 'list') {
      for (const key of await listAdminKeys(em)) {
        console.log([key.id, key.name, key.scopes.join(','), key.realmId ?? '*', key.revokedAt ? 'revoked' : 'active'].join('\t'));
      }
      return 0;
    }
    if (group === 'admin-key' && action === 'revoke' && rest[0]) {
      const revoked = await revokeAdminKey(em, systemClock, rest[0]);
      console.log(revoked ? `revoked ${rest[0]}` : `no active key ${rest[0]}`);
      return revoked ? 0 : 1;
    }
    console.error(USAGE);
    return 1;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof DomainError || (error instanceof Error && /is in use by process/.test(error.message))) {
      console.error(`error: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  },
);
