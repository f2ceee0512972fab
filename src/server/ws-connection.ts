import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { CloseCode } from 'graphql-ws';
import type { SocketCallerFacts } from './request-log.js';

/** Close codes (graphql-ws uses 4403 Forbidden and 4408 init timeout itself). */
export const CLOSE_SESSION_ENDED = 4403;
/** Over the cap of sockets per session or per user (ws-socket-caps.ts): 4000 + HTTP's 429. */
export const CLOSE_TOO_MANY_CONNECTIONS = 4429;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** What an open operation waits on: the connection's own session, something else, or not known yet. */
export type OperationWatch = 'pending' | 'own' | 'other';

/** Writing and closing, the same for every connection (see ws-write-queue.ts). */
export interface Transport {
  send(connection: Connection, frame: string): Promise<void> | void;
  close(connection: Connection, code: number, reason: string): void;
}

/**
 * One WebSocket and what Tessera knows of it; graphql-ws's `ctx.extra`. An idle forced-logout
 * subscriber is the most common object of a busy instance, so this holds only what is used after
 * the upgrade: the client's address (resolved once, not the upgrade request with all its headers),
 * the keep-alive flag swept by one timer for every socket, and the frames waiting to be written
 * together (see ws-write-queue.ts).
 */
export class Connection {
  alive = true;
  /** The managed session behind the connection's token (null: admin key or unmanaged token). */
  ownSessionId: string | null = null;
  sessionEnded = false;
  /** Opened with a token of a session that had already ended: only its sessionTerminated may run. */
  endedSessionOnly = false;
  stopWatching: (() => void) | null = null;
  /** What the socket is counted under by the per-session and per-user caps, while it is. */
  counted: { userId: string; sessionId: string | null } | null = null;
  /** Who the socket's operations run as, for their debug lines; null when debug is off. */
  callerFacts: SocketCallerFacts | null = null;
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

/**
 * ws's socket, knowing its connection: its listeners are functions shared by every socket rather
 * than closures made for each.
 */
export class ConnectionSocket extends WebSocket {
  connection: Connection | null = null;
}
