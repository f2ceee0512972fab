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
