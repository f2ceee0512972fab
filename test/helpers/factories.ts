import {
  CreateApiKeyDocument,
  CreateMembershipDocument,
  CreateOrgDocument,
  CreateRealmDocument,
  CreateUserDocument,
  LoginDocument,
  type CreateRealmInput,
  type CreateUserInput,
} from '../generated/graphql.js';
import { ok, type TestServer } from './server.js';
import { User } from '../../src/db/entities/index.js';

let counter = 0;
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export const DEFAULT_PASSWORD = 'correct horse battery staple';

/**
 * Chained seed builders: every test makes its own realm, so test files can share one database
 * and run in parallel without truncating anything.
 *
 *   const realm = await seedRealm(server, { jwtAlgorithm: 'RS256' });
 *   const alice = await realm.createUser({ username: 'alice' });
 *   const login = await alice.login();
 */
export async function seedRealm(server: TestServer, settings: Partial<CreateRealmInput> = {}) {
  const { createRealm: realm } = ok(await server.gql(CreateRealmDocument, { input: { name: unique('realm'), ...settings } }, server.adminKey));
  return {
    ...realm,
    async createUser(input: Partial<Omit<CreateUserInput, 'realmId'>> = {}) {
      const kind = input.kind ?? 'HUMAN';
      const password = kind === 'HUMAN' ? (input.password ?? DEFAULT_PASSWORD) : undefined;
      const { createUser: user } = ok(
        await server.gql(CreateUserDocument, { input: { realmId: realm.id, username: unique('user'), ...input, kind, password } }, server.adminKey),
      );
      return {
        ...user,
        password,
        async login(client: { userAgent?: string; app?: string } = {}, headers: Record<string, string> = {}) {
          return ok(await server.gql(LoginDocument, { input: { realmId: realm.id, username: user.username, password: password ?? '', client } }, null, headers))
            .login;
        },
        async createApiKey() {
          return ok(await server.gql(CreateApiKeyDocument, { userId: user.id }, server.adminKey)).createApiKey;
        },
        async addMembership(input: { orgId?: string | null; permissions?: string[]; customAttributes?: Record<string, unknown> } = {}) {
          return ok(await server.gql(CreateMembershipDocument, { input: { userId: user.id, ...input } }, server.adminKey)).createMembership;
        },
      };
    },
    async createOrg(input: { name?: string; customAttributes?: Record<string, unknown> } = {}) {
      return ok(
        await server.gql(
          CreateOrgDocument,
          { input: { realmId: realm.id, name: input.name ?? unique('org'), customAttributes: input.customAttributes } },
          server.adminKey,
        ),
      ).createOrg;
    },
  };
}

export type SeededRealm = Awaited<ReturnType<typeof seedRealm>>;
export type SeededUser = Awaited<ReturnType<SeededRealm['createUser']>>;

/** Create an admin key with chosen scopes / realm limit through the same code path as the CLI. */
export async function createAdminKey(server: TestServer, input: { scopes?: string[]; realmId?: string | null; name?: string }) {
  const { createAdminKey: create } = await import('../../src/auth/admin-keys.js');
  const { secret } = await create(server.app.deps.orm.em.fork(), server.clock, {
    name: input.name ?? unique('key'),
    scopes: input.scopes as never,
    realmId: input.realmId ?? null,
  });
  return secret;
}

/** A user's stored password hash, read from the database (hash costs and upgrades). */
export async function storedPasswordHash(server: TestServer, userId: string): Promise<string> {
  return (await server.app.deps.orm.em.fork().findOneOrFail(User, { id: userId })).passwordHash!;
}
