import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, ownDatabase, startTestServer, type TestServer } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm, storedPasswordHash } from './helpers/factories.js';
import { LoginDocument } from './generated/graphql.js';

// An operator changing PASSWORD_HASH_* on a database with users: the server restarted with another
// cost, then back. OWASP's m=7 MiB, t=5 profile is the other cost: as strong as the default and
// cheap enough for a test. (One server at a time: the embedded database is one process's.)
const OTHER_COST = { PASSWORD_HASH_MEMORY_KIB: '7168', PASSWORD_HASH_ITERATIONS: '5' };
let server: TestServer | undefined;
let database: Awaited<ReturnType<typeof ownDatabase>> | undefined;
beforeAll(async () => {
  database = await ownDatabase();
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

async function restart(env: Record<string, string> = {}): Promise<TestServer> {
  await server?.close();
  server = await startTestServer({ ...database!.env, ...env });
  return server;
}

const storedHash = (userId: string) => storedPasswordHash(server!, userId);

describe('the password hashing cost (PASSWORD_HASH_*)', () => {
  it('hashes new passwords at the configured cost, and moves a stored hash to it at the next successful login', async () => {
    const realm = await seedRealm(await restart());
    const user = await realm.createUser();
    const original = await storedHash(user.id);
    expect(original).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const login = (password: string) => server!.gql(LoginDocument, { input: { realmId: realm.id, username: user.username, password } });

    await restart(OTHER_COST);
    // A failed login leaves the hash alone.
    expect((await login('not the password')).errors?.[0]?.extensions?.code).toBe('INVALID_CREDENTIALS');
    expect(await storedHash(user.id)).toBe(original);
    ok(await login(DEFAULT_PASSWORD));
    const moved = await storedHash(user.id);
    expect(moved).toMatch(/^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);
    expect(await argon2.verify(moved, DEFAULT_PASSWORD)).toBe(true);
    // Users created now are hashed at the new cost from the start.
    const created = await seedRealm(server!).then((other) => other.createUser());
    expect(await storedHash(created.id)).toMatch(/^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);

    // Back to the default: hashes of the other cost still verify, and move back at login.
    await restart();
    ok(await login(DEFAULT_PASSWORD));
    expect(await storedHash(user.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  }, 60_000);

  it('refuses to start with a cost weaker than OWASP’s weakest profile, or out of bounds, naming the variable', async () => {
    await expect(startTestServer({ ...database!.env, PASSWORD_HASH_MEMORY_KIB: '19456', PASSWORD_HASH_ITERATIONS: '1' })).rejects.toThrow(
      /^PASSWORD_HASH_ITERATIONS: 1 passes over 19456 KiB is weaker than OWASP's weakest argon2id profile/,
    );
    await expect(startTestServer({ ...database!.env, PASSWORD_HASH_MEMORY_KIB: '4096', PASSWORD_HASH_ITERATIONS: '10' })).rejects.toThrow(
      /^PASSWORD_HASH_MEMORY_KIB: must be between 7168 and 1048576, got 4096/,
    );
    await expect(startTestServer({ ...database!.env, PASSWORD_HASH_PARALLELISM: '0' })).rejects.toThrow(/^PASSWORD_HASH_PARALLELISM: must be between 1 and 16/);
    await expect(startTestServer({ ...database!.env, PASSWORD_HASH_ITERATIONS: 'two' })).rejects.toThrow(/^PASSWORD_HASH_ITERATIONS: must be a whole number/);
  });
});
