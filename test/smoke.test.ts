import { describe, expect, it } from 'vitest';
import { useTestServer, ok } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { MeDocument } from './generated/graphql.js';

const server = useTestServer();

describe('a running Tessera', () => {
  it('serves health, readiness and GraphQL', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const realm = await seedRealm(server);
    const alice = await realm.createUser({ username: 'alice' });
    const login = await alice.login({ app: 'smoke' });
    const me = ok(await server.gql(MeDocument, {}, login.accessToken)).me;
    expect(me?.user.username).toBe('alice');
    expect(me?.session?.current).toBe(true);
  });
});

describe('a database connection replaced by the pool', () => {
  // The pool closes a connection idle for 30 s and opens another on demand. PGlite keeps one
  // session for every connection, with the statements hot paths prepared on the old one: the new
  // connection must not trip over them ("prepared statement … already exists").
  it('serves the hot paths again on the new connection', async () => {
    const realm = await seedRealm(server); // an admin request: the admin-key statement is prepared
    const alice = await realm.createUser();
    const login = await alice.login(); // the login statements too

    const knex = server.app.deps.orm.em.getConnection().getKnex().client as unknown as {
      acquireConnection(): Promise<{ end(): Promise<void> }>;
      releaseConnection(connection: unknown): Promise<void>;
    };
    const connection = await knex.acquireConnection();
    await connection.end(); // the pool finds it dead when it is next asked, and opens another
    await knex.releaseConnection(connection);

    await seedRealm(server);
    expect((await alice.login()).session!.id).not.toBe(login.session!.id);
    expect(ok(await server.gql(MeDocument, {}, login.accessToken)).me?.user.id).toBe(alice.id);
  });
});
