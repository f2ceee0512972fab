import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createServices, type AppDeps } from '../services.js';
import { authenticate } from '../auth/authenticate.js';
import type { Caller } from '../auth/caller.js';
import { clientIp } from './client-ip.js';
import type { TesseraMetrics } from './metrics.js';
import type { SessionWatchers } from '../session/session-watchers.js';
import { watchTermination } from '../session/session-watch.js';

/** Frame size cap: subscriptions are tiny; a large frame is abuse. */
export const MAX_WS_PAYLOAD_BYTES = 64 * 1024;
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;
/** Close codes (graphql-ws uses 4403 Forbidden and 4408 init timeout itself). */
export const CLOSE_SESSION_ENDED = 4403;
export const CLOSE_GOING_AWAY = 1001;

interface ConnectionState {
  caller: Caller | null;
  operations: number;
  /** Operations that wait for the connection's own session to end. */
  ownSessionWatches: number;
  sessionEnded: boolean;
  stopWatching: (() => void) | null;
  /** Open operation ids → whether the operation watches the connection's own session. */
  ops: Map<string, boolean>;
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
}

/**
 * graphql-ws on the HTTP server's /graphql path, wired through yoga's envelop so WebSocket
 * operations share the schema, plugins, context and limits of HTTP ones.
 */
export function attachWebSocketServer(opts: {
  server: Server;
  yoga: YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;
  config: Config;
  deps: AppDeps;
  watchers: SessionWatchers;
  metrics: TesseraMetrics;
  logger: Logger;
}) {
  const { server, yoga, config, deps, watchers, metrics } = opts;
  const allowed = new Set(config.allowedOrigins);
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: MAX_WS_PAYLOAD_BYTES,
    // Browsers always send Origin; when ALLOWED_ORIGINS is set, only those pages may connect.
    verifyClient: ({ origin }: { origin?: string }) => allowed.size === 0 || allowed.has('*') || !origin || allowed.has(origin),
  });
  const states = new WeakMap<object, ConnectionState>();
  let liveOperations = 0;
  metrics.registry.gauge('tessera_live_subscriptions', 'GraphQL operations open over WebSocket on this instance', () => liveOperations);
  metrics.registry.gauge('tessera_websocket_connections', 'WebSocket connections open on this instance', () => wsServer.clients.size);

  const disposable = useServer(
    {
      connectionInitWaitTimeout: 5_000,
      // A socket without valid credentials is closed with 4403 before it can subscribe.
      onConnect: async (ctx) => {
        const authorization = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : null;
        if (!authorization) return false;
        let caller: Caller;
        try {
          caller = await authenticate(authorization, clientIp(ctx.extra.request, config.trustProxyHops), createServices(deps));
        } catch {
          return false;
        }
        const state: ConnectionState = { caller, operations: 0, ownSessionWatches: 0, sessionEnded: false, stopWatching: null, ops: new Map() };
        states.set(ctx, state);
        // A socket authenticated by a managed session lives only as long as that session.
        if (caller.kind === 'user' && caller.sessionId) {
          const ending = watchTermination(deps.events, watchers, { id: caller.sessionId, realmId: caller.realmId }, async () => null);
          state.stopWatching = () => void ending.return();
          void (async () => {
            for await (const _event of ending) {
              state.sessionEnded = true;
              if (state.ownSessionWatches === 0) closeSocket(ctx.extra.socket, CLOSE_SESSION_ENDED, 'Session terminated');
              // Otherwise the sessionTerminated subscription delivers first and closes in onComplete;
              // this timer only guards against a watcher of some other session holding it open.
              else setTimeout(() => closeSocket(ctx.extra.socket, CLOSE_SESSION_ENDED, 'Session terminated'), 2_000).unref();
            }
          })();
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = states.get(ctx);
        if (!state || state.sessionEnded) {
          closeSocket(ctx.extra.socket, CLOSE_SESSION_ENDED, 'Session terminated');
          return [];
        }
        if (state.operations >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [new GraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations per connection`, { extensions: { code: 'RATE_LIMITED', retryAfter: 1 } })];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          connectionParams: ctx.connectionParams ?? {},
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as never];
        }
        const errors = validate(schema, document);
        if (errors.length) return errors;
        state.operations++;
        liveOperations++;
        const watchesOwnSession = /\bsessionTerminated\b/.test(payload.query) && !payload.variables?.sessionId;
        if (watchesOwnSession) state.ownSessionWatches++;
        state.ops.set(id, watchesOwnSession);
        return {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      onNext: () => {
        metrics.eventsDelivered({ transport: 'websocket' });
      },
      onComplete: (ctx, id) => {
        const state = states.get(ctx);
        if (!state || !state.ops.has(id)) return;
        const watchedOwn = state.ops.get(id);
        state.ops.delete(id);
        state.operations--;
        liveOperations--;
        if (watchedOwn) state.ownSessionWatches--;
        // After the forced-logout event of its own session the socket is done: close it once the
        // complete message has gone out.
        if (state.sessionEnded && state.ownSessionWatches === 0) {
          setTimeout(() => closeSocket(ctx.extra.socket, CLOSE_SESSION_ENDED, 'Session terminated'), 0);
        }
      },
      onClose: (ctx) => {
        const state = states.get(ctx);
        state?.stopWatching?.();
      },
      execute: (args) => (args.rootValue as { execute: (a: unknown) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: unknown) => unknown }).subscribe(args) as never,
    },
    wsServer,
  );

  return {
    wsServer,
    /** Close every socket with 1001 (going away) and stop accepting. */
    async close(): Promise<void> {
      for (const client of wsServer.clients) closeSocket(client, CLOSE_GOING_AWAY, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
