import { createClient, type Client } from 'graphql-ws';
import { backoffDelay, type BackoffOptions } from '../shared/backoff.js';
import { postGraphQL, TesseraError } from '../shared/graphql-http.js';
import { resolveWebSocketImpl } from './websocket-impl.js';

export interface LiveSessionsOptions {
  httpUrl: string;
  wsUrl: string;
  realmId: string;
  /** An admin key with SESSIONS_READ for the realm. */
  adminKey: string;
  /** While the subscription is down, a session `verifyToken` found active is believed this long. */
  fallbackCacheMs: number;
  /** Even with the subscription up, a session is asked about again after this long (a safety net). */
  maxTrustMs: number;
  webSocketImpl?: unknown;
  backoff?: BackoffOptions;
  fetch: typeof fetch;
  now: () => number;
  onError?: (error: unknown) => void;
}

export type SubscriptionState = 'connecting' | 'live' | 'down' | 'closed';

const SESSION_EVENTS = `subscription TesseraVerifierEvents($realmId: ID!, $after: String) {
  sessionEvents(realmId: $realmId, after: $after) { cursor type session { id } }
}`;
const VERIFY_TOKEN = `query TesseraVerifierCheck($token: String!) {
  verifyToken(token: $token) { valid reason session { id state } }
}`;
/** An ended session is remembered this long (its tokens live at most the realm's accessTokenSeconds). */
const ENDED_MEMORY_MS = 24 * 60 * 60 * 1000;
const ENDED_MAX = 100_000;

interface Known {
  checkedAt: number;
  /** The subscription's generation the check ran in, or -1 when it was not live then. */
  generation: number;
}

/**
 * Which managed sessions are active, without a request per check (README.md). A session is asked
 * about once (`verifyToken`) and then believed active for as long as the realm's `sessionEvents`
 * subscription has been up without a break since; its TERMINATED event drops it the moment it
 * arrives. While the subscription is down, answers come from `verifyToken` and are kept only
 * `fallbackCacheMs`. After a reconnection the feed resumes from its last cursor, so an event of the
 * gap is not lost, and sessions are checked again (an event may have been missed before the
 * subscription was registered).
 */
export class LiveSessions {
  private readonly known = new Map<string, Known>();
  private readonly ended = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private generation = 0;
  private state: SubscriptionState = 'connecting';
  private cursor: string | undefined;
  private client: Client | undefined;
  private unsubscribe: (() => void) | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: LiveSessionsOptions) {}

  get subscriptionState(): SubscriptionState {
    return this.state;
  }

  async start(): Promise<void> {
    let webSocketImpl: unknown;
    try {
      webSocketImpl = await resolveWebSocketImpl(this.options.webSocketImpl);
    } catch (error) {
      this.state = 'down';
      this.options.onError?.(error);
      return; // verifyToken alone still answers
    }
    if (this.stopped) return;
    try {
      this.client = this.createClient(webSocketImpl);
    } catch (error) {
      // graphql-ws checks the implementation synchronously ("Invalid WebSocket implementation
      // provided"): the same as one that failed to load, not a rejection nobody awaits.
      this.state = 'down';
      this.options.onError?.(error);
      return;
    }
    this.subscribe();
  }

  private createClient(webSocketImpl: unknown) {
    return createClient({
      url: this.options.wsUrl,
      webSocketImpl,
      lazy: true,
      // Reconnection is ours (below): each new subscription resumes from the latest cursor.
      retryAttempts: 0,
      keepAlive: 10_000,
      connectionParams: { authorization: `Bearer ${this.options.adminKey}` },
      on: {
        connected: () => this.goLive(),
        closed: () => this.goDown(),
        ping: (received) => {
          if (!received) this.expectPong();
        },
        pong: (received) => {
          if (received) this.clearPongTimer();
        },
      },
    });
  }

  /** Is this managed session active? No request when it is known to be. */
  isActive(sessionId: string, token: string): boolean | Promise<boolean> {
    if (this.ended.has(sessionId)) return false;
    const known = this.known.get(sessionId);
    if (known) {
      const age = this.options.now() - known.checkedAt;
      const trusted = this.state === 'live' && known.generation === this.generation && age < this.options.maxTrustMs;
      if (trusted || age < this.options.fallbackCacheMs) return true;
    }
    return this.ask(sessionId, token);
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.state = 'closed';
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.clearPongTimer();
    this.unsubscribe?.();
    try {
      await this.client?.dispose();
    } catch {
      // graphql-ws's dispose() awaits the connection attempt in progress, if any, and rejects with
      // its close event when the server refuses it: a revoked admin key's reconnection is closed
      // 4403 Forbidden. That socket is gone already, nothing is left to close, and close() must
      // not reject with it (unawaited, that is an unhandled rejection in the user's process).
    }
  }

  private ask(sessionId: string, token: string): Promise<boolean> {
    let pending = this.inFlight.get(sessionId);
    if (!pending) {
      pending = this.verifyToken(sessionId, token).finally(() => this.inFlight.delete(sessionId));
      this.inFlight.set(sessionId, pending);
    }
    return pending;
  }

  private async verifyToken(sessionId: string, token: string): Promise<boolean> {
    const checkedAt = this.options.now();
    const generation = this.state === 'live' ? this.generation : -1;
    const { verifyToken } = await postGraphQL<{ verifyToken: { valid: boolean; session: { id: string; state: string } | null } }>(
      this.options.httpUrl,
      VERIFY_TOKEN,
      { token },
      // Anonymous: verifyToken needs no credential, and the fallback must keep working when the
      // admin key (the subscription's) has been revoked.
      null,
      this.options.fetch,
    );
    const active = verifyToken.valid && verifyToken.session?.state === 'ACTIVE';
    // A TERMINATED event that arrived while the question was on its way wins over its answer.
    if (!active || this.ended.has(sessionId)) return false;
    this.known.set(sessionId, { checkedAt, generation });
    return true;
  }

  private subscribe(): void {
    if (this.stopped || !this.client) return;
    this.state = 'connecting';
    this.unsubscribe = this.client.subscribe<{ sessionEvents: { cursor: string; type: string; session: { id: string } } }>(
      { query: SESSION_EVENTS, variables: { realmId: this.options.realmId, after: this.cursor ?? null } },
      {
        next: (result) => {
          const event = result.data?.sessionEvents;
          if (!event) return;
          this.cursor = event.cursor;
          if (event.type === 'TERMINATED') this.forget(event.session.id);
        },
        error: (error) => this.resubscribeLater(error),
        complete: () => this.resubscribeLater(new Error('sessionEvents completed')),
      },
    );
  }

  private resubscribeLater(error: unknown): void {
    this.goDown();
    if (this.stopped) return;
    // A cursor past the retention (or otherwise refused) cannot resume: start at the present.
    if (Array.isArray(error) && error.some((e: { extensions?: { field?: string } }) => e?.extensions?.field === 'after')) this.cursor = undefined;
    this.options.onError?.(error instanceof TesseraError || error instanceof Error ? error : new Error(describe(error)));
    const wait = backoffDelay(this.failures++, this.options.backoff);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.subscribe();
    }, wait);
  }

  private goLive(): void {
    this.failures = 0;
    this.state = 'live';
  }

  private goDown(): void {
    this.clearPongTimer();
    if (this.state === 'closed') return;
    if (this.state === 'live') this.generation++;
    this.state = 'down';
  }

  private forget(sessionId: string): void {
    this.known.delete(sessionId);
    const now = this.options.now();
    if (this.ended.size >= ENDED_MAX) {
      for (const [id, until] of this.ended) {
        if (until > now && this.ended.size < ENDED_MAX) break;
        this.ended.delete(id);
      }
    }
    this.ended.set(sessionId, now + ENDED_MEMORY_MS);
  }

  private expectPong(): void {
    this.clearPongTimer();
    // A socket that stopped answering (a half-open TCP connection) must not pass for live.
    this.pongTimer = setTimeout(() => {
      this.goDown();
      this.client?.terminate();
    }, 5_000);
  }

  private clearPongTimer(): void {
    if (this.pongTimer !== undefined) clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }
}

function describe(error: unknown): string {
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e?.message ?? String(e)).join('; ');
  const event = error as { code?: number; reason?: string };
  if (typeof event?.code === 'number') return `socket closed ${event.code} ${event.reason ?? ''}`.trim();
  return String(error);
}
