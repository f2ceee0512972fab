import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { startTestServer, ok, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('sessionTerminated over WebSocket', () => {
  it('delivers the logout of the own session, completes, and closes the socket with 4403', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    let closeCode: number | undefined;
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${login.accessToken}` },
      retryAttempts: 0,
      on: { closed: (event) => (closeCode = (event as { code: number }).code) },
    });
    const received: unknown[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: 'subscription { sessionTerminated { sessionId userId realmId reason terminatedAt } }' },
        { next: (value) => received.push(value), error: reject, complete: resolve },
      );
    });
    await new Promise((r) => setTimeout(r, 300));
    ok(await server.gql('mutation { logout }', {}, login.accessToken));
    await done;
    expect(received).toHaveLength(1);
    expect((received[0] as any).data.sessionTerminated).toMatchObject({ sessionId: login.session!.id, reason: 'LOGOUT', userId: user.id, realmId: realm.id });
    await new Promise((r) => setTimeout(r, 200));
    expect(closeCode).toBe(4403);
    await client.dispose();
  });
});
