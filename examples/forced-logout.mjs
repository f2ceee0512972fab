// Forced logout in a Node client: subscribe to `sessionTerminated` over WebSocket (graphql-ws)
// and log out the moment Tessera ends the session — logout, admin, eviction, password change,
// refresh-token reuse, expiry or idle timeout.
//
//   TESSERA=http://localhost:4000 node examples/forced-logout.mjs <login token>
//
// Outside this repository: npm install graphql-ws ws. In a browser, drop `ws` and the
// webSocketImpl option: graphql-ws uses the browser's WebSocket.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const token = process.argv[2] ?? process.env.TOKEN;
if (!token) {
  console.error('usage: node examples/forced-logout.mjs <login token>   (or TOKEN=… in the environment)');
  process.exit(2);
}
const url = (process.env.TESSERA ?? 'http://localhost:4000').replace(/^http/, 'ws').replace(/\/+$/, '') + '/graphql';

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  // The credential goes in connectionParams (browsers cannot set headers on a WebSocket).
  connectionParams: { authorization: `Bearer ${token}` },
  // A terminated session will not come back: do not reconnect after the server closes the socket.
  retryAttempts: 0,
  on: { connected: () => console.log(`connected to ${url}, waiting for sessionTerminated…`) },
});

function logOut(event) {
  // In an app: drop the tokens, clear the user's state, send them to the login page.
  console.log(`session ${event.sessionId} ended (${event.reason}) at ${event.terminatedAt}: logging out`);
}

function describe(error) {
  if (typeof error?.code === 'number') return `socket closed ${error.code} ${error.reason ?? ''}`.trim();
  if (Array.isArray(error)) return error.map((e) => e.message).join('; ');
  return error?.message || error?.error?.message || String(error);
}

// No sessionId argument: a user token watches its own current session.
const subscription = client.iterate({
  query: 'subscription { sessionTerminated { sessionId userId realmId reason terminatedAt } }',
});

try {
  for await (const result of subscription) {
    if (result.errors?.length) {
      console.error('subscription error:', result.errors.map((e) => `${e.extensions?.code ?? ''} ${e.message}`).join('; '));
      process.exitCode = 1;
      break;
    }
    logOut(result.data.sessionTerminated);
  }
  // The server completes the subscription after the one event.
} catch (error) {
  // Typically the server closing the socket with 4403 because the token is invalid or its session
  // has already ended (graphql-ws hands over the close event, or the socket's error event).
  console.error(`subscription failed: ${describe(error)}`);
  process.exitCode = 1;
} finally {
  await client.dispose();
}
