import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How long open HTTP connections get to finish their requests before they are cut. */
const HTTP_DRAIN_MS = 5_000;

/** What a running instance stops, in the order `shutdown` stops it. */
export interface RunningParts {
  /** SHUTDOWN_DRAIN_SECONDS, in ms: how long to keep serving after /ready turned 503. */
  drainMs: number;
  readiness: { drain(): void };
  sweeper: { stop(): Promise<void> };
  /** Outbound deliveries: attempts in flight finish (each bounded by its timeout) and are recorded. */
  deliveries: { stop(): Promise<void> };
  watchers: { stop(): Promise<void> };
  record: { stop(): Promise<void> };
  webSockets: { close(): Promise<void> };
  http: HttpConnections;
  bus: { close(): void };
  database: { close(): Promise<void> };
}

/**
 * Graceful stop: read "not ready" at once and keep serving for the drain window — a load balancer
 * notices the failing /ready only at its next probe, and meanwhile sends requests here; refusing
 * them (a closed listener) would answer them ECONNRESET. Every answer of the window says
 * `Connection: close` and new WebSockets are refused with 503, so clients move on to other
 * instances. Then end the background work, close every socket with 1001, let HTTP requests in
 * flight finish, hand pending events to the bus, and close the database.
 */
export async function shutdown(parts: RunningParts): Promise<void> {
  parts.readiness.drain();
  if (parts.drainMs > 0) await new Promise((resolve) => setTimeout(resolve, parts.drainMs));
  await parts.sweeper.stop();
  await parts.deliveries.stop();
  await parts.watchers.stop();
  await parts.record.stop();
  await parts.webSockets.close();
  await parts.http.close();
  parts.bus.close();
  await parts.database.close();
}

/** The HTTP server and its open TCP connections (node's close waits for every one of them). */
export class HttpConnections {
  private readonly sockets = new Set<Socket>();

  constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Stop accepting; idle connections close now, busy ones when done or after HTTP_DRAIN_MS. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, HTTP_DRAIN_MS).unref();
    });
  }
}
