import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CloseCode, handleProtocols } from 'graphql-ws';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { clientIp } from './client-ip.js';
import { CLOSE_GOING_AWAY, Connection, ConnectionSocket } from './ws-connection.js';
import { SocketWriteQueue } from './ws-write-queue.js';
import { webSocketOriginPolicy } from './ws-origin.js';
import { startKeepAlive } from './ws-keep-alive.js';
import { createGraphqlWs, type GraphqlWsOptions } from './graphql-ws.js';

export { CLOSE_GOING_AWAY, CLOSE_SESSION_ENDED, CLOSE_TRY_AGAIN_LATER } from './ws-connection.js';
export { MAX_SUBSCRIPTIONS_PER_CONNECTION } from './graphql-ws.js';

/** Frame size cap: subscriptions are tiny; a large frame is abuse. */
export const MAX_WS_PAYLOAD_BYTES = 64 * 1024;

/**
 * graphql-ws on the HTTP server's /graphql path (graphql-ws.ts), over a transport of our own:
 * graphql-ws's `makeServer` with our socket write queue (ws-write-queue.ts) and one keep-alive
 * sweep for every socket (ws-keep-alive.ts), rather than its `use/ws` adapter: that one keeps the
 * upgrade request, two timers and a pong listener per socket, and writes every frame on its own —
 * when one `terminateRealmSessions` ends 10,000 subscriptions, the next and complete frames of
 * each socket are 20,000 writes instead of 10,000.
 */
export function attachWebSocketServer(opts: GraphqlWsOptions & { server: Server; config: Config; logger: Logger; draining: () => boolean }) {
  const { server, yoga, config, deps, metrics, logger, draining } = opts;
  const originAllowed = webSocketOriginPolicy(config);
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: MAX_WS_PAYLOAD_BYTES,
    WebSocket: ConnectionSocket,
    // Only graphql-transport-ws; a socket that offers nothing else is closed with 4406 by graphql-ws.
    handleProtocols,
    // A foreign page is refused before the 101 (ws-origin.ts), with 403 rather than ws's default 401:
    // no credential would change the answer.
    verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }, accept: (ok: boolean, status?: number, message?: string) => void) => {
      if (!originAllowed(origin, req)) accept(false, 403, 'Forbidden');
      // Shutting down (shutdown.ts): the client's retry should reach another instance.
      else if (draining()) accept(false, 503, 'Service Unavailable');
      else accept(true);
    },
  });
  const connections = new Set<Connection>();
  metrics.registry.gauge('tessera_live_subscriptions', 'Subscriptions open on this instance (WebSocket and SSE)', () => deps.events.liveStreams);
  metrics.registry.gauge('tessera_websocket_connections', 'WebSocket connections open on this instance', () => connections.size);

  const queue = new SocketWriteQueue();
  const stopKeepAlive = startKeepAlive(connections, config.wsKeepAliveSeconds);
  const graphqlWs = createGraphqlWs({ ...opts, transport: queue });
  const listeners = socketListeners(connections, queue, logger);
  wsServer.on('connection', (socket: ConnectionSocket, request) => {
    const connection = new Connection(socket, request.socket, clientIp(request, config.trustProxyHops), queue);
    socket.connection = connection;
    connections.add(connection);
    connection.closed = graphqlWs.opened(connection, connection);
    socket.on('message', listeners.received);
    socket.on('pong', listeners.ponged);
    socket.on('error', listeners.errored);
    socket.on('close', listeners.socketClosed);
  });
  wsServer.once('error', (error: NodeJS.ErrnoException) => {
    // ws passes on the HTTP server's errors: a port that cannot be opened is main.ts's to report.
    if (error.syscall === 'listen') return;
    logger.error('WebSocket server failed', { error: error.message });
    for (const connection of connections) queue.close(connection, CloseCode.InternalServerError, 'Internal server error');
  });

  return {
    wsServer,
    /** Close every socket with 1001 (going away) and stop accepting. */
    async close(): Promise<void> {
      stopKeepAlive();
      for (const connection of connections) queue.close(connection, CLOSE_GOING_AWAY, 'Server shutting down');
      queue.flushAll();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}

/**
 * The listeners of every socket: functions shared by all of them (each finds its connection on
 * the socket), not closures made for each.
 */
function socketListeners(connections: Set<Connection>, queue: SocketWriteQueue, logger: Logger) {
  // Failures of our own code or of the socket: logged, and the client is told with 1011 (never
  // the error itself: it may carry internals).
  const failed = (connection: Connection, what: string, error: unknown) => {
    logger.error(what, { error: error instanceof Error ? error.message : String(error) });
    queue.close(connection, CloseCode.InternalServerError, 'Internal server error');
  };
  const connectionOf = (socket: WebSocket) => (socket as ConnectionSocket).connection!;
  return {
    // The frame becomes a string at once: graphql-ws holds what it is handed for as long as the
    // operation it starts runs.
    received(this: WebSocket, data: RawData) {
      const connection = connectionOf(this);
      connection.receive?.(String(data)).catch((error: unknown) => failed(connection, 'WebSocket message failed', error));
    },
    ponged(this: WebSocket) {
      connectionOf(this).alive = true;
    },
    errored(this: WebSocket, error: Error) {
      failed(connectionOf(this), 'WebSocket failed', error);
    },
    socketClosed(this: WebSocket, code: number, reason: Buffer) {
      const connection = connectionOf(this);
      connections.delete(connection);
      queue.forget(connection);
      void connection.closed?.(code, String(reason));
    },
  };
}
