import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { createGraphQLError, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createServices, type AppDeps, type Services } from '../services.js';
import { authenticate } from '../auth/authenticate.js';
import type { Caller } from '../auth/caller.js';
import type { GraphQLContext } from '../graphql/context.js';
import { DomainError } from '../errors.js';
import { clientIp } from './client-ip.js';
import type { TesseraMetrics } from './metrics.js';
import type { SessionWatchers } from '../session/session-watchers.js';
import { onWatch } from '../session/session-watch.js';
import { EventResults, SourceEventStream, wantsSourceStream } from '../graphql/event-streams.js';

/** Frame size cap: subscriptions are tiny; a large frame is abuse. */
export const MAX_WS_PAYLOAD_BYTES = 64 * 1024;
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;
/** Close codes (graphql-ws uses 4403 Forbidden and 4408 init timeout itself). */
export const CLOSE_SESSION_ENDED = 4403;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TRY_AGAIN_LATER = 1013;
/**
 * Bytes a socket may have waiting to be written before a send makes its operation wait for the
 * socket to drain: a client that stops reading must not make the server buffer a realm stream.
 */
const SEND_HIGH_WATER_BYTES = 64 * 1024;
/** Sockets pinged per turn of the event loop by the keep-alive sweep. */
const KEEP_ALIVE_SLICE = 1000;

/** What an open operation waits on: the connection's own session, something else, or not known yet. */
type OperationWatch = 'pending' | 'own' | 'other';

/**
 * One WebSocket and what Tessera knows of it; graphql-ws's `ctx.extra`. An idle forced-logout
 * subscriber is the most common object of a busy instance, so this holds only what is used after
 * the upgrade: the client's address (resolved once, not the upgrade request with all its headers),
 * the keep-alive flag swept by one timer for every socket, and the frames waiting to be written
 * together (see `send`).
 */
class Connection {
  alive = true;
  /** The managed session behind the connection's token (null: admin key or unmanaged token). */
  ownSessionId: string | null = null;
  sessionEnded = false;
  stopWatching: (() => void) | null = null;
  /** Open operations by id. */
  readonly ops = new Map<string, OperationWatch>();
  /** Frames produced and not yet written. */
  outbox: string[] | null = null;
  outboxBytes = 0;
  /** A close asked for: done once the frames produced before it are written. */
  closing: { code: number; reason: string } | null = null;
  /** Hands a received frame to graphql-ws. */
  receive: ((data: string) => Promise<void>) | null = null;
  /** Tells graphql-ws the socket closed, which ends its operations. */
  closed: ((code?: number, reason?: string) => Promise<void>) | null = null;

  constructor(
    readonly socket: ConnectionSocket,
    /** The TCP socket under `socket`, corked while the frames of one turn are written. */
    readonly tcp: Socket,
    readonly ip: string | null,
    private readonly transport: Transport,
  ) {}

  // The socket as graphql-ws sees it, in methods rather than closures made for each socket.
  get protocol(): string {
    return this.socket.protocol;
  }

  send(frame: string): Promise<void> | void {
    return this.transport.send(this, frame);
  }

  close(code?: number, reason?: string): void {
    this.transport.close(this, code ?? CloseCode.InternalServerError, reason ?? '');
  }

  onMessage(receive: (data: string) => Promise<void>): void {
    this.receive = receive;
  }
}

/** Writing and closing, the same for every connection. */
interface Transport {
  send(connection: Connection, frame: string): Promise<void> | void;
  close(connection: Connection, code: number, reason: string): void;
}

/**
 * ws's socket, knowing its connection: its listeners are functions shared by every socket rather
 * than closures made for each.
 */
class ConnectionSocket extends WebSocket {
  connection: Connection | null = null;
}

/**
 * What a subscription's events execute with. The context its resolver checked access with (an
 * EntityManager with its identity map and the loaded session; the operation's initial context; the
 * envelop plumbing) would live as long as the subscription — days, for an idle forced-logout
 * subscriber — though its events need none of it. This keeps the caller it resolved, and makes a
 * fresh unit of work only if an event's resolvers ask for one.
 */
class EventContext implements GraphQLContext {
  readonly ip: string | null;
  readonly clock: GraphQLContext['clock'];
  readonly events: GraphQLContext['events'];
  readonly metrics: GraphQLContext['metrics'];
  readonly watchers: GraphQLContext['watchers'];
  readonly publicUrl: string;
  private readonly resolvedCaller: Promise<Caller>;
  private unitOfWork: Services | null = null;

  constructor(
    context: GraphQLContext,
    private readonly deps: AppDeps,
  ) {
    ({ ip: this.ip, clock: this.clock, events: this.events, metrics: this.metrics, watchers: this.watchers, publicUrl: this.publicUrl } = context);
    this.resolvedCaller = context.caller();
    this.resolvedCaller.catch(() => undefined); // a refused caller already failed the subscription
  }

  caller(): Promise<Caller> {
    return this.resolvedCaller;
  }

  get services(): Services {
    return (this.unitOfWork ??= createServices(this.deps));
  }
}

type EnvelopedOperations = Pick<ReturnType<YogaServerInstance<Record<string, unknown>, Record<string, unknown>>['getEnveloped']>, 'execute' | 'subscribe'>;

/**
 * graphql-ws on the HTTP server's /graphql path, wired through yoga's envelop so WebSocket
 * operations share the schema, plugins, context and limits of HTTP ones.
 *
 * The transport is our own, over graphql-ws's `makeServer`, rather than its `use/ws` adapter: that
 * one keeps the upgrade request, two timers and a pong listener per socket, and writes every frame
 * on its own — when one `terminateRealmSessions` ends 10,000 subscriptions, the next and complete
 * frames of each socket are 20,000 writes instead of 10,000.
 */
export function attachWebSocketServer(opts: {
  server: Server;
  yoga: YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;
  config: Config;
  deps: AppDeps;
  watchers: SessionWatchers;
  metrics: TesseraMetrics;
  logger: Logger;
  /** Masks (and logs) what an operation's failure becomes, as yoga's masked errors do. */
  maskError: (error: unknown) => unknown;
}) {
  const { server, yoga, config, deps, watchers, metrics, logger, maskError } = opts;
  // ALLOWED_ORIGINS may be written with a trailing slash; a browser's Origin header never has one.
  const allowed = new Set(config.allowedOrigins.map((origin) => origin.replace(/\/+$/, '')));
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: MAX_WS_PAYLOAD_BYTES,
    WebSocket: ConnectionSocket,
    // Only graphql-transport-ws; a socket that offers nothing else is closed with 4406 by graphql-ws.
    handleProtocols,
    // Browsers always send Origin; when ALLOWED_ORIGINS is set, only those pages may connect.
    verifyClient: ({ origin }: { origin?: string }) => allowed.size === 0 || allowed.has('*') || !origin || allowed.has(origin),
  });
  const connections = new Set<Connection>();
  metrics.registry.gauge('tessera_live_subscriptions', 'Subscriptions open on this instance (WebSocket and SSE)', () => deps.events.liveStreams);
  metrics.registry.gauge('tessera_websocket_connections', 'WebSocket connections open on this instance', () => connections.size);

  // ── writing ────────────────────────────────────────────────────────────────────────────────
  // An operation's frames are written together, corked into one write, when its complete is
  // produced (an event's next and its complete come together); other frames at the end of the
  // turn of the event loop. Not all at the end of the turn: when 10,000 subscriptions end at once
  // their executions fill one long turn, and the first sockets would wait for the last.
  const unflushed = new Set<Connection>();
  let flushScheduled = false;

  const flush = (connection: Connection) => {
    unflushed.delete(connection);
    const { socket, tcp, outbox, closing } = connection;
    connection.outbox = null;
    connection.outboxBytes = 0;
    if (socket.readyState !== socket.OPEN) return;
    if (outbox) {
      tcp.cork();
      for (const frame of outbox) socket.send(frame);
      tcp.uncork();
    }
    if (!closing) return;
    // The close goes in a write of its own, after every other socket's frames of this pass: a
    // graphql-ws client that reads the close in the same chunk as the complete reports the end of
    // the socket as a connection error.
    if (outbox) scheduleFlush(connection);
    else socket.close(closing.code, closing.reason);
  };
  const flushAll = () => {
    flushScheduled = false;
    for (const connection of unflushed) flush(connection);
  };
  const scheduleFlush = (connection: Connection) => {
    unflushed.add(connection);
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flushAll);
  };

  const send = (connection: Connection, frame: string): Promise<void> | void => {
    // Frames produced after a close was asked for still go out first (graphql-ws asks onComplete,
    // which may close, before it sends the complete frame).
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    (connection.outbox ??= []).push(frame);
    connection.outboxBytes += frame.length;
    if (frame.endsWith('"type":"complete"}')) {
      flush(connection);
      return;
    }
    scheduleFlush(connection);
    if (connection.outboxBytes + connection.socket.bufferedAmount <= SEND_HIGH_WATER_BYTES) return;
    flush(connection);
    const { tcp } = connection;
    return new Promise((resolve) => {
      const done = () => {
        tcp.off('drain', done);
        tcp.off('close', done);
        resolve();
      };
      tcp.on('drain', done);
      tcp.on('close', done);
    });
  };

  /** Close after the frames of this turn are written; the first close asked for wins. */
  const close = (connection: Connection, code: number, reason: string) => {
    if (connection.closing) return;
    connection.closing = { code, reason };
    scheduleFlush(connection);
  };

  // ── keep-alive ─────────────────────────────────────────────────────────────────────────────
  // One sweep for every socket: a socket that has not answered the previous sweep's ping is dead
  // (a peer that vanished without a FIN would otherwise hold its subscriptions for hours).
  // A sweep goes in slices, a turn of the event loop each: 10,000 pings at once would stall
  // everything else for a tenth of a second.
  const sweep = (sockets: Connection[], from: number) => {
    for (const connection of sockets.slice(from, from + KEEP_ALIVE_SLICE)) {
      if (connection.socket.readyState !== connection.socket.OPEN) continue;
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
    if (from + KEEP_ALIVE_SLICE < sockets.length) setImmediate(sweep, sockets, from + KEEP_ALIVE_SLICE);
  };
  const keepAlive = setInterval(() => sweep([...connections], 0), config.wsKeepAliveSeconds * 1000);
  keepAlive.unref();

  /**
   * A socket whose session has ended is closed with 4403 — but only once every operation that
   * watches that session has delivered its event and completed (or an operation whose target is not
   * known yet has resolved it): closing first would drop the very forced-logout event the client
   * subscribed to. Operations on other sessions do not hold it open.
   */
  const closeIfDone = (connection: Connection) => {
    if (!connection.sessionEnded) return;
    for (const watch of connection.ops.values()) if (watch !== 'other') return;
    close(connection, CLOSE_SESSION_ENDED, 'Session terminated');
  };

  /**
   * An admin-key socket lives only as long as its key: re-checked on every pass of the watchers, so
   * a revoked key stops receiving realm events within one interval.
   */
  const watchAdminKey = (connection: Connection, keyId: string) =>
    watchers.watchAdminKey(keyId, () => close(connection, CLOSE_SESSION_ENDED, 'Credential revoked'));

  /**
   * A socket authenticated by a managed session lives only as long as that session. A session that
   * ended between the authentication and this point closes the socket at once too: SessionWatchers
   * reads the state of a newly watched session after it listens.
   */
  const watchOwnSession = (connection: Connection, sessionId: string) =>
    watchers.watch(sessionId, () => {
      connection.sessionEnded = true;
      closeIfDone(connection);
      // Guard against an operation that never finishes delivering holding the socket open.
      setTimeout(() => close(connection, CLOSE_SESSION_ENDED, 'Session terminated'), 2_000).unref();
    });

  const graphqlWs = makeServer<Record<string, unknown>, Connection>({
    connectionInitWaitTimeout: 5_000,
    // A socket without valid credentials is closed with 4403 before it can subscribe.
    onConnect: async (ctx) => {
      const connection = ctx.extra;
      const authorization = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : null;
      if (!authorization) return false;
      let caller: Caller;
      try {
        caller = await authenticate(authorization, connection.ip, createServices(deps));
      } catch (error) {
        // A refused credential is 4403; anything else (the database down) is our fault, and the
        // client should retry: close with 1013 "try again later", not "forbidden".
        if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') return false;
        close(connection, CLOSE_TRY_AGAIN_LATER, 'Service unavailable, try again later');
        return false;
      }
      if (caller.kind === 'anonymous') return false;
      // Each watch is set up by a function of its own: a closure made here would keep every
      // variable of this function that any closure here uses (the token among them) alive for
      // the socket's life.
      if (caller.kind === 'admin') connection.stopWatching = watchAdminKey(connection, caller.keyId);
      if (caller.kind === 'user' && caller.sessionId) {
        connection.ownSessionId = caller.sessionId;
        connection.stopWatching = watchOwnSession(connection, caller.sessionId);
      }
      return true;
    },
    onSubscribe: async (ctx, id, payload) => {
      const connection = ctx.extra;
      if (connection.sessionEnded) {
        // Answer the operation, then close once the answer is on its way.
        close(connection, CLOSE_SESSION_ENDED, 'Session terminated');
        return [createGraphQLError('Session is no longer active', { extensions: { code: 'UNAUTHENTICATED' } })];
      }
      if (connection.ops.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return [
          createGraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations per connection`, {
            extensions: { code: 'RATE_LIMITED', retryAfter: 1 },
          }),
        ];
      }
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(
        wantsSourceStream({
          ...ctx,
          ip: connection.ip,
          socket: connection.socket,
          params: payload,
          connectionParams: ctx.connectionParams ?? {},
        }),
      );
      let document;
      try {
        document = parse(payload.query);
      } catch (error) {
        return [error as never];
      }
      const errors = validate(schema, document);
      if (errors.length) return errors;
      // Counted before the first await, so a burst of subscribe messages cannot overshoot the cap.
      connection.ops.set(id, 'pending');
      const contextValue = await contextFactory();
      onWatch(contextValue, (sessionId) => {
        if (!connection.ops.has(id)) return;
        const watch = sessionId !== null && sessionId === connection.ownSessionId ? 'own' : 'other';
        connection.ops.set(id, watch);
        if (watch === 'other') closeIfDone(connection);
      });
      return {
        schema,
        operationName: payload.operationName,
        document,
        variableValues: payload.variables,
        contextValue,
        rootValue: { execute, subscribe } satisfies EnvelopedOperations,
      };
    },
    onNext: () => {
      metrics.eventsDelivered({ transport: 'websocket' });
    },
    onComplete: (ctx, id) => {
      if (ctx.extra.ops.delete(id)) closeIfDone(ctx.extra);
    },
    onClose: (ctx) => {
      ctx.extra.stopWatching?.();
    },
    execute: (args) => (args.rootValue as EnvelopedOperations).execute(args) as never,
    subscribe: async (args) => {
      const stream = await (args.rootValue as EnvelopedOperations).subscribe(args);
      if (!(stream instanceof SourceEventStream)) return stream as never; // refused: masked errors
      // graphql-ws holds `args` for as long as the subscription runs; so do its events.
      args.contextValue = new EventContext(args.contextValue as GraphQLContext, deps);
      args.rootValue = undefined;
      return new EventResults(stream.events, args, { maskError });
    },
  });

  // Failures of our own code or of the socket: logged, and the client is told with 1011 (never
  // the error itself: it may carry internals).
  const failed = (connection: Connection, what: string, error: unknown) => {
    logger.error(what, { error: error instanceof Error ? error.message : String(error) });
    close(connection, CloseCode.InternalServerError, 'Internal server error');
  };

  const transport: Transport = { send, close };
  const connectionOf = (socket: WebSocket) => (socket as ConnectionSocket).connection!;
  // The frame becomes a string at once: graphql-ws holds what it is handed for as long as the
  // operation it starts runs.
  function received(this: WebSocket, data: RawData) {
    const connection = connectionOf(this);
    connection.receive?.(String(data)).catch((error: unknown) => failed(connection, 'WebSocket message failed', error));
  }
  function ponged(this: WebSocket) {
    connectionOf(this).alive = true;
  }
  function errored(this: WebSocket, error: Error) {
    failed(connectionOf(this), 'WebSocket failed', error);
  }
  function socketClosed(this: WebSocket, code: number, reason: Buffer) {
    const connection = connectionOf(this);
    connections.delete(connection);
    unflushed.delete(connection);
    void connection.closed?.(code, String(reason));
  }
  wsServer.on('connection', (socket: ConnectionSocket, request) => {
    const connection = new Connection(socket, request.socket, clientIp(request, config.trustProxyHops), transport);
    socket.connection = connection;
    connections.add(connection);
    connection.closed = graphqlWs.opened(connection, connection);
    socket.on('message', received);
    socket.on('pong', ponged);
    socket.on('error', errored);
    socket.on('close', socketClosed);
  });
  wsServer.once('error', (error) => {
    logger.error('WebSocket server failed', { error: error.message });
    for (const connection of connections) close(connection, CloseCode.InternalServerError, 'Internal server error');
  });

  return {
    wsServer,
    /** Close every socket with 1001 (going away) and stop accepting. */
    async close(): Promise<void> {
      clearInterval(keepAlive);
      for (const connection of connections) close(connection, CLOSE_GOING_AWAY, 'Server shutting down');
      flushAll();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
