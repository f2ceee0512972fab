import { createClient, type Client } from 'graphql-ws';
import { backoffDelay, type BackoffOptions } from '../shared/backoff.js';
import type { SessionTermination } from './types.js';

const SESSION_TERMINATED = 'subscription { sessionTerminated { sessionId userId realmId reason terminatedAt } }';
/** The server closes a socket whose credential it refuses (or whose token just expired) with 4403. */
const FORBIDDEN = 4403;
const OFFLINE_RECHECK_MS = 30_000;

/** The browser knows it has no network (false when the runtime cannot tell). */
export function isOffline(): boolean {
  return (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false;
}

export interface TerminationWatchOptions {
  wsUrl: string;
  /** The bearer token for each (re)connection: a fresh one, or the last one of an ended session. */
  credential(): Promise<string | null>;
  onTerminated(termination: SessionTermination): void;
  /** The server refused the credential several times in a row without saying the session ended. */
  onRefused(): void;
  webSocketImpl?: unknown;
  backoff?: BackoffOptions;
  /** Ping interval (ms): a socket that died during sleep or a network change is noticed this fast. */
  keepAliveMs?: number;
  pongTimeoutMs?: number;
}

/**
 * One `sessionTerminated` subscription for this tab's session, kept alive: graphql-ws reconnects
 * with backoff and jitter (woken early when the network comes back), a ping without pong marks a
 * socket as dead, and every reconnection presents the current token. A session that ended while
 * the tab was away still delivers its event: the server lets the ended session's token watch its
 * own `sessionTerminated` and answers with the stored reason.
 */
export class TerminationWatch {
  private client: Client | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
  private refusedInARow = 0;
  private subscribeFailures = 0;

  constructor(private readonly options: TerminationWatchOptions) {}

  start(): void {
    const { options } = this;
    this.client = createClient({
      url: options.wsUrl,
      lazy: true,
      keepAlive: options.keepAliveMs ?? 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => !this.stopped,
      retryWait: (retries) => this.sleep(backoffDelay(retries, options.backoff)),
      connectionParams: async () => {
        const token = await options.credential().catch(() => null);
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      webSocketImpl: options.webSocketImpl,
      on: {
        connected: () => {
          this.refusedInARow = 0;
        },
        ping: (received) => {
          if (!received) this.expectPong();
        },
        pong: (received) => {
          if (received) this.clearPongTimer();
        },
        closed: (event) => {
          this.clearPongTimer();
          const code = (event as { code?: number } | undefined)?.code;
          if (code === FORBIDDEN && !this.stopped && ++this.refusedInARow >= 3) options.onRefused();
        },
      },
    });
    this.subscribe();
  }

  /** The network is back or the tab woke up: reconnect now instead of at the end of the backoff. */
  reconnectNow(): void {
    if (this.stopped) return;
    // The socket may look open after a sleep or a network change while its TCP connection is gone.
    this.client?.terminate();
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    this.clearPongTimer();
    if (this.resubscribeTimer !== undefined) clearTimeout(this.resubscribeTimer);
    this.wakeUp?.();
    this.unsubscribe?.();
    // graphql-ws's dispose() may reject with the socket's CloseEvent while it is mid-connection or
    // retrying; nothing is left to handle then, and the tab must not see an unhandled rejection.
    Promise.resolve(this.client?.dispose()).catch(() => {});
  }

  private subscribe(): void {
    let delivered = false;
    this.unsubscribe = this.client!.subscribe<{ sessionTerminated: SessionTermination }>(
      { query: SESSION_TERMINATED },
      {
        next: (result) => {
          const event = result.data?.sessionTerminated;
          if (!event || this.stopped) return;
          delivered = true;
          this.options.onTerminated(event);
        },
        error: () => this.resubscribeLater(delivered),
        complete: () => this.resubscribeLater(delivered),
      },
    );
  }

  /** A refused or completed subscription (not a dropped socket, which graphql-ws retries itself). */
  private resubscribeLater(delivered: boolean): void {
    if (this.stopped || delivered) return;
    const delay = backoffDelay(this.subscribeFailures++, this.options.backoff);
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      if (!this.stopped) this.subscribe();
    }, delay);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      // Offline, a connection attempt can only fail (and the browser logs each failure): wait
      // for the 'online' event (reconnectNow), checking now and then in case it never comes.
      const wait = this.stopped ? 0 : isOffline() ? OFFLINE_RECHECK_MS : ms;
      const timer = setTimeout(done, wait);
      this.wakeUp = done;
    });
  }

  private expectPong(): void {
    this.clearPongTimer();
    this.pongTimer = setTimeout(() => this.client?.terminate(), this.options.pongTimeoutMs ?? 5_000);
  }

  private clearPongTimer(): void {
    if (this.pongTimer !== undefined) clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }
}
