import type { Connection, Transport } from './ws-connection.js';

/**
 * Bytes a socket may have waiting to be written before a send makes its operation wait for the
 * socket to drain: a client that stops reading must not make the server buffer a realm stream.
 */
const SEND_HIGH_WATER_BYTES = 64 * 1024;

/**
 * How frames reach the sockets. An operation's frames are written together, corked into one
 * write, when its complete is produced (an event's next and its complete come together); other
 * frames at the end of the turn of the event loop. Not all at the end of the turn: when 10,000
 * subscriptions end at once their executions fill one long turn, and the first sockets would wait
 * for the last. One queue serves every socket of the server.
 */
export class SocketWriteQueue implements Transport {
  private readonly unflushed = new Set<Connection>();
  private flushScheduled = false;
  /** flushAll, made once for setImmediate. */
  private readonly flushAllLater = () => this.flushAll();

  send(connection: Connection, frame: string): Promise<void> | void {
    // Frames produced after a close was asked for still go out first (graphql-ws asks onComplete,
    // which may close, before it sends the complete frame).
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    (connection.outbox ??= []).push(frame);
    connection.outboxBytes += frame.length;
    if (frame.endsWith('"type":"complete"}')) {
      this.flush(connection);
      return;
    }
    this.scheduleFlush(connection);
    if (connection.outboxBytes + connection.socket.bufferedAmount <= SEND_HIGH_WATER_BYTES) return;
    this.flush(connection);
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
  }

  /** Close after the frames of this turn are written; the first close asked for wins. */
  close(connection: Connection, code: number, reason: string): void {
    if (connection.closing) return;
    connection.closing = { code, reason };
    this.scheduleFlush(connection);
  }

  /** Write everything waiting now (at shutdown; otherwise once per turn of the event loop). */
  flushAll(): void {
    this.flushScheduled = false;
    for (const connection of this.unflushed) this.flush(connection);
  }

  /** A socket that closed has nothing more to write. */
  forget(connection: Connection): void {
    this.unflushed.delete(connection);
  }

  private flush(connection: Connection): void {
    this.unflushed.delete(connection);
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
    if (outbox) this.scheduleFlush(connection);
    else socket.close(closing.code, closing.reason);
  }

  private scheduleFlush(connection: Connection): void {
    this.unflushed.add(connection);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushAllLater);
  }
}
