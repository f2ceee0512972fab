/**
 * graphql-ws needs a WebSocket class. Browsers, Deno, Bun and Node ≥ 22 have one globally; Node 20
 * has it only behind --experimental-websocket. There, the `ws` package is loaded when the app has
 * it (an optional peer dependency), so managed mode works on Node 20 with no option at all.
 */
export async function resolveWebSocketImpl(given: unknown): Promise<unknown> {
  if (given) return given;
  const global = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (global) return global;
  const name = 'ws'; // not a literal import: the package is optional, and bundlers must not insist on it
  try {
    const module = (await import(name)) as { default?: unknown; WebSocket?: unknown };
    const impl = module.default ?? module.WebSocket;
    if (impl) return impl;
  } catch {
    // fall through to the explanation below
  }
  throw new Error(
    'managed mode needs a WebSocket: this runtime has no global WebSocket (Node 20 without --experimental-websocket). ' +
      'Install the `ws` package (npm install ws) or pass managed.webSocketImpl.',
  );
}
