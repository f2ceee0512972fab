import type { StoredTokens } from './storage.js';
import type { SessionTermination } from './types.js';

/** The part of the Web Locks API the tabs use (injectable for tests). */
export interface LockManagerLike {
  request(name: string, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

/** The part of BroadcastChannel the tabs use (injectable for tests). */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** What the tabs of one app tell each other. */
export type TabMessage =
  /** A tab that just opened asks whether another one is logged in. */
  | { type: 'hello' }
  /** The current tokens, after a login, a refresh, or in answer to `hello`/`refresh-request`. */
  | { type: 'tokens'; tokens: StoredTokens }
  /** A tab whose token is about to expire asks the leader for a fresh one. */
  | { type: 'refresh-request' }
  /** The session ended: every tab forgets it and calls back. */
  | { type: 'ended'; termination: SessionTermination };

/**
 * Tab election: the tab holding the Web Lock `<name>:leader` is the only one that refreshes; the
 * others get every new token from it over a BroadcastChannel. A refresh token is single-use, so two
 * tabs rotating the same one would be reuse — after the grace window, the theft signal that ends the
 * session (REFRESH_TOKEN_REUSED). The lock is released when its tab closes, crashes or navigates
 * away, and the browser grants it to the next waiting tab at once.
 *
 * Without Web Locks (very old browsers, a worker without it) every tab is its own leader: still one
 * refresh at a time per tab, but tabs sharing a session are not coordinated.
 */
export class TabCoordinator {
  private leader = false;
  private closed = false;
  private releaseLock: (() => void) | undefined;

  constructor(
    private readonly name: string,
    private readonly deps: { locks: LockManagerLike | null; channel: ChannelLike | null },
    private readonly handlers: { message(message: TabMessage): void; leadership(): void },
  ) {}

  start(): void {
    this.deps.channel?.addEventListener('message', (event) => {
      if (!this.closed) this.handlers.message(event.data as TabMessage);
    });
    if (!this.deps.locks) {
      this.leader = true;
      return;
    }
    this.deps.locks
      .request(`${this.name}:leader`, () => {
        if (this.closed) return Promise.resolve();
        this.leader = true;
        this.handlers.leadership();
        // Held until this tab closes (or close() below): the lock *is* the leadership.
        return new Promise<void>((resolve) => (this.releaseLock = resolve));
      })
      .catch(() => {
        // The lock request is aborted when the document goes away; nothing to do then.
      });
  }

  get isLeader(): boolean {
    return this.leader;
  }

  post(message: TabMessage): void {
    if (!this.closed) this.deps.channel?.postMessage(message);
  }

  close(): void {
    this.closed = true;
    this.leader = false;
    this.releaseLock?.();
    this.deps.channel?.close();
  }
}
