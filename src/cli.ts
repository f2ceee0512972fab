// Operator commands: admin keys, migrations. Uses the same config (env) as the server.
// With the embedded database, a server running on DATA_DIR holds it locked: the CLI then talks to
// that server's API with the credential it left in DATA_DIR (db/data-dir-files.ts); otherwise it
// opens the database itself.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/orm.js';
import { systemClock } from './clock.js';
import { ADMIN_SCOPES } from './db/entities/index.js';
import { AdminKeyService, operatorCaller } from './auth/admin-keys.js';
import { readLocalServer, type LocalServer } from './db/data-dir-files.js';
import { DomainError } from './errors.js';

const USAGE = `Usage:
  npm run cli -- admin-key create --name <name> [--realm <realmId>] [--scope <SCOPE>]...
  npm run cli -- admin-key list
  npm run cli -- admin-key revoke <keyId>
  npm run cli -- migrate

Scopes: ${ADMIN_SCOPES.join(', ')} (all of them when no --scope is given).
'admin-key create' prints the key alone on the last line; it is shown only this once.
With the embedded database and a server running on DATA_DIR, the commands go through that server.`;

/** A usage error: the usage on stderr, exit code 2. */
class UsageError extends Error {}

/** An admin key as both paths give it. */
interface KeyView {
  id: string;
  name: string;
  scopes: string[];
  realmId: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Backend {
  create(input: { name: string; scopes: string[]; realmId: string | null }): Promise<{ key: KeyView; secret: string }>;
  list(): Promise<KeyView[]>;
  revoke(id: string): Promise<boolean>;
  migrate(): Promise<string>;
  close(): Promise<void>;
}

type Command =
  { kind: 'create'; name: string; scopes: string[]; realmId: string | null } | { kind: 'list' } | { kind: 'revoke'; id: string } | { kind: 'migrate' };

function parseCommand(argv: string[]): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        realm: { type: 'string' },
        scope: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return 'help';
  const [group, action, ...rest] = positionals;
  if (group === 'migrate' && positionals.length === 1) return { kind: 'migrate' };
  if (group !== 'admin-key') throw new UsageError(group ? `unknown command '${positionals.join(' ')}'` : 'no command given');
  if (action === 'create' && rest.length === 0) {
    if (!values.name?.trim()) throw new UsageError('admin-key create needs --name <name>');
    // All scopes when none is given, exactly as spelled otherwise: the service refuses 'users_read'.
    const scopes = values.scope?.length ? values.scope.map((scope) => scope.trim()) : [...ADMIN_SCOPES];
    return { kind: 'create', name: values.name, scopes, realmId: values.realm ?? null };
  }
  if (action === 'list' && rest.length === 0) return { kind: 'list' };
  if (action === 'revoke' && rest.length === 1) return { kind: 'revoke', id: rest[0] };
  throw new UsageError(action ? `unknown command 'admin-key ${[action, ...rest].join(' ')}'` : 'admin-key needs create, list or revoke');
}

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command === 'help') {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const backend = await openBackend(config);
  try {
    switch (command.kind) {
      case 'migrate':
        console.log(await backend.migrate());
        return 0;
      case 'create': {
        const { key, secret } = await backend.create({ name: command.name, scopes: command.scopes, realmId: command.realmId });
        console.log(`Created admin key ${key.id} "${key.name}" with scopes ${key.scopes.join(',')}${key.realmId ? ` limited to realm ${key.realmId}` : ''}.`);
        console.log('Store it now: it is shown only once.');
        console.log(secret);
        return 0;
      }
      case 'list':
        printTable(await backend.list());
        return 0;
      case 'revoke': {
        const revoked = await backend.revoke(command.id);
        console.log(revoked ? `revoked ${command.id}` : `${command.id} was already revoked`);
        return revoked ? 0 : 1;
      }
    }
  } finally {
    await backend.close();
  }
}

function printTable(keys: KeyView[]): void {
  const rows = [
    ['ID', 'NAME', 'SCOPES', 'REALM', 'STATUS', 'CREATED', 'LAST USED'],
    ...keys.map((key) => [
      key.id,
      key.name,
      key.scopes.join(','),
      key.realmId ?? '*',
      key.revokedAt ? `revoked ${key.revokedAt}` : 'active',
      key.createdAt,
      key.lastUsedAt ?? '-',
    ]),
  ];
  for (const row of rows) console.log(row.join('\t'));
}

async function openBackend(config: Config): Promise<Backend> {
  if (!config.databaseUrl && config.dataDir !== 'memory://') {
    const server = await readLocalServer(config.dataDir);
    if (server) return throughServer(server);
  }
  return throughDatabase(config);
}

/** The database opened by this process (no embedded server running, or DATABASE_URL). */
async function throughDatabase(config: Config): Promise<Backend> {
  const database = await openDatabase(config);
  try {
    await database.migrate(() => console.error('waiting for another instance to finish migrating'));
  } catch (error) {
    await database.close();
    throw error;
  }
  const service = () => new AdminKeyService({ em: database.orm.em.fork(), clock: systemClock });
  const view = (key: {
    id: string;
    name: string;
    scopes: string[];
    realmId?: string | null;
    createdAt: Date;
    lastUsedAt?: Date | null;
    revokedAt?: Date | null;
  }) => ({
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    realmId: key.realmId ?? null,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  });
  return {
    async create(input) {
      const { key, secret } = await service().createAdminKey(operatorCaller(), input);
      return { key: view(key), secret };
    },
    list: async () => (await service().listAdminKeys(operatorCaller())).map(view),
    revoke: (id) => service().revokeAdminKey(operatorCaller(), id),
    migrate: async () => 'migrations applied',
    close: () => database.close(),
  };
}

const KEY_FIELDS = 'id name scopes realmId createdAt lastUsedAt revokedAt';

/** The running embedded server's API, with the credential it wrote for this CLI. */
function throughServer(server: LocalServer): Backend {
  const call = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.key}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new CliError(`the Tessera server running on this DATA_DIR (pid ${server.pid}) does not answer at ${server.url}: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    const failure = body.errors?.[0];
    if (failure) throw new CliError(`${failure.message}${failure.extensions?.code ? ` (${failure.extensions.code})` : ''}`);
    if (!body.data) throw new CliError(`unexpected answer from ${server.url} (HTTP ${response.status})`);
    return body.data;
  };
  return {
    async create(input) {
      const data = await call<{ createAdminKey: { adminKey: KeyView; key: string } }>(
        `mutation ($input: CreateAdminKeyInput!) { createAdminKey(input: $input) { key adminKey { ${KEY_FIELDS} } } }`,
        { input },
      );
      return { key: data.createAdminKey.adminKey, secret: data.createAdminKey.key };
    },
    list: async () => (await call<{ adminKeys: KeyView[] }>(`{ adminKeys { ${KEY_FIELDS} } }`)).adminKeys,
    revoke: async (id) => (await call<{ revokeAdminKey: boolean }>('mutation ($id: ID!) { revokeAdminKey(id: $id) }', { id })).revokeAdminKey,
    migrate: async () => `the server running on this DATA_DIR (pid ${server.pid}) applied the migrations at its start`,
    close: async () => {},
  };
}

/** A failure to report in one line (no stack). */
class CliError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (
      error instanceof CliError ||
      error instanceof ConfigError ||
      error instanceof DomainError ||
      (error instanceof Error && /is in use by process/.test(error.message))
    ) {
      console.error(`error: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  },
);
