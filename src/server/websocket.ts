import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createServices, type AppDeps } from '../services.js';
import { authenticate } from '../auth/authenticate.js';
import type { Caller } from '../auth/caller.js';
import type { GraphQLContext } from '../graphql/context.js';
import { DomainError } from '../errors.js';
import { clientIp } from './client-ip.js';
import type { TesseraMetrics } from './metrics.js';
import type { SessionWatchers } from '../session/session-watchers.js';
import { onWatch, watchSessionEnd } from '../session/session-watch.js';

/** Frame size cap: subscriptions are tiny; a large frame is abuse. */
export const MAX_WS_PAYLOAD_BYTES = 64 * 1024;
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;
/** Close codes (graphql-ws uses 4403 Forbidden and 4408 init timeout itself). */
export const CLOSE_SESSION_ENDED = 4403;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** What an open operation waits on: the connection's own session, something else, or not known yet. */
type OperationWatch = 'pending' | 'own' | 'other';

interface ConnectionState {
  /** The managed session behind the connection's token (null: admin key or unmanaged token). */
  ownSessionId: string | null;
  sessionEnded: boolean;
  stopWatching: (() => void) | null;
  /** Open operations by id. */
  ops: Map<string, OperationWatch>;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * The unit of work a subscription's resolver checked access with (an EntityManager, its identity
 * map, the loaded session), held by the context (the caller's memo closes over it too), would live
 * as long as the subscription — days, for an idle forced-logout subscriber — though its events
 * need none of it. The context keeps the caller it resolved and gets a fresh, lazy unit of work
 * for whatever the events' own resolvers still ask for.
 */
function detachUnitOfWork(context: GraphQLContext, deps: AppDeps): void {
  const caller = context.caller();
  caller.catch(() => undefined); // a refused caller already failed the subscription
  context.caller = () => caller;
  context.services = createServices(deps);
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
  // ALLOWED_ORIGINS may be written with a trailing slash; a browser's Origin header never has one.
  const allowed = new Set(config.allowedOrigins.map((origin) => origin.replace(/\/+$/, '')));
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: MAX_WS_PAYLOAD_BYTES,
    // Browsers always send Origin; when ALLOWED_ORIGINS is set, only those pages may connect.
    verifyClient: ({ origin }: { origin?: string }) => allowed.size === 0 || allowed.has('*') || !origin || allowed.has(origin),
  });
  const states = new WeakMap<object, ConnectionState>();
  metrics.registry.gauge('tessera_live_subscriptions', 'Subscriptions open on this instance (WebSocket and SSE)', () => deps.events.liveStreams);
  metrics.registry.gauge('tessera_websocket_connections', 'WebSocket connections open on this instance', () => wsServer.clients.size);

  /**
   * A socket whose session has ended is closed with 4403 — but only once every operation that
   * watches that session has delivered its event and completed (or an operation whose target is not
   * known yet has resolved it): closing first would drop the very forced-logout event the client
   * subscribed to. Operations on other sessions do not hold it open.
   */
  const closeIfDone = (state: ConnectionState, socket: WebSocket) => {
    if (!state.sessionEnded) return;
    for (const watch of state.ops.values()) if (watch !== 'other') return;
    // After the complete message of the last own-session operation has gone out.
    setTimeout(() => closeSocket(socket, CLOSE_SESSION_ENDED, 'Session terminated'), 0);
  };

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
        } catch (error) {
          // A refused credential is 4403; anything else (the database down) is our fault, and the
          // client should retry: close with 1013 "try again later", not "forbidden".
          if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') return false;
          ctx.extra.socket.close(CLOSE_TRY_AGAIN_LATER, 'Service unavailable, try again later');
          return false;
        }
        if (caller.kind === 'anonymous') return false;
        const ownSessionId = caller.kind === 'user' ? caller.sessionId : null;
        const state: ConnectionState = { ownSessionId, sessionEnded: false, stopWatching: null, ops: new Map() };
        states.set(ctx, state);
        // An admin-key socket lives only as long as its key: re-validated on every re-check pass,
        // so a revoked key stops receiving realm events within one interval.
        if (caller.kind === 'admin') {
          const socket = ctx.extra.socket;
          state.stopWatching = watchers.alsoCheck(async () => {
            try {
              await authenticate(authorization, caller.ip, createServices(deps));
            } catch (error) {
              // Only a refused credential ends the socket; a database hiccup does not.
              if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') closeSocket(socket, CLOSE_SESSION_ENDED, 'Credential revoked');
              else throw error;
            }
          });
        }
        // A socket authenticated by a managed session lives only as long as that session. A session
        // that ended between the authentication above and this point closes the socket at once
        // too: SessionWatchers reads the state of a newly watched session after it listens.
        if (caller.kind === 'user' && ownSessionId) {
          const socket = ctx.extra.socket;
          state.stopWatching = watchSessionEnd(deps.events, watchers, ownSessionId, () => {
            state.sessionEnded = true;
            closeIfDone(state, socket);
            // Guard against an operation that never finishes delivering holding the socket open.
            setTimeout(() => closeSocket(socket, CLOSE_SESSION_ENDED, 'Session terminated'), 2_000).unref();
          });
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = states.get(ctx);
        if (!state || state.sessionEnded) {
          // Answer the operation, then close once the answer is on its way.
          setTimeout(() => closeSocket(ctx.extra.socket, CLOSE_SESSION_ENDED, 'Session terminated'), 0);
          return [createGraphQLError('Session is no longer active', { extensions: { code: 'UNAUTHENTICATED' } })];
        }
        if (state.ops.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [
            createGraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations per connection`, {
              extensions: { code: 'RATE_LIMITED', retryAfter: 1 },
            }),
          ];
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
        // Counted before the first await, so a burst of subscribe messages cannot overshoot the cap.
        state.ops.set(id, 'pending');
        const contextValue = await contextFactory();
        onWatch(contextValue, (sessionId) => {
          if (!state.ops.has(id)) return;
          const watch = sessionId !== null && sessionId === state.ownSessionId ? 'own' : 'other';
          state.ops.set(id, watch);
          if (watch === 'other') closeIfDone(state, ctx.extra.socket);
        });
        return {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
      onNext: () => {
        metrics.eventsDelivered({ transport: 'websocket' });
      },
      onComplete: (ctx, id) => {
        const state = states.get(ctx);
        if (!state || !state.ops.delete(id)) return;
        closeIfDone(state, ctx.extra.socket);
      },
      onClose: (ctx) => {
        const state = states.get(ctx);
        state?.stopWatching?.();
      },
      execute: (args) => (args.rootValue as { execute: (a: unknown) => unknown }).execute(args) as never,
      subscribe: async (args) => {
        const stream = await (args.rootValue as { subscribe: (a: unknown) => unknown }).subscribe(args);
        if (isAsyncIterable(stream)) detachUnitOfWork(args.contextValue as GraphQLContext, deps);
        return stream as never;
      },
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
