import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { SessionEvents, SessionLifecycleEvent } from '../events/session-events.js';
import { AdminKeyStore } from '../auth/admin-key-store.js';
import { SessionStore } from './session-store.js';
import { effectiveState } from './session-state.js';

export type SessionEndListener = (event: SessionLifecycleEvent) => void;

/** Sessions read per re-check query. */
const CHECK_BATCH = 1000;

/**
 * Every session someone on this instance is waiting on (forced-logout subscribers, sockets of
 * managed tokens), by session id, so that one termination — or 10,000 in one batch — reaches its
 * waiters through a map lookup: a waiting subscriber holds a listener here and nothing else.
 *
 * Waits end in three ways:
 * - a termination heard on the event bus, from this instance or another;
 * - the first check, which reads the state of newly watched sessions (batched, on the next turn of
 *   the event loop) *after* they are registered, so a session that ended before anyone listened —
 *   or while the watch was being set up — ends its wait at once;
 * - the periodic re-check: the bus is at-most-once (Redis pub/sub drops what is published while a
 *   subscriber is disconnected), so every interval (and after a bus reconnect) the state of every
 *   watched session is read in a few batched queries. A missed event costs at most one interval.
 */
export class SessionWatchers {
  private readonly waiters = new Map<string, Set<SessionEndListener>>();
  /** Admin-key streams (sockets, SSE realm streams) by key id, ended when their key is revoked. */
  private readonly keyWaiters = new Map<string, Set<() => void>>();
  /** Watched sessions whose state has not been read since they were first watched. */
  private readonly unchecked = new Set<string>();
  private firstCheck: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly deps: { orm: MikroORM; clock: Clock; logger: Logger; events: SessionEvents; intervalSeconds: number }) {
    // Every termination the bus reports, from this instance or another, ends its local waits.
    deps.events.onTerminations((terminations) => {
      for (const event of terminations) this.deliver(event);
    });
  }

  get size(): number {
    let total = 0;
    for (const set of this.waiters.values()) total += set.size;
    return total;
  }

  /**
   * Call `onRevoked` once when a pass finds the admin key revoked (or gone), so long-lived admin
   * streams — a socket, an SSE realm stream — end with their key on the same schedule as waits on
   * ended sessions; all the keys watched are read in one query per pass. A failed read ends nothing
   * (the next pass tries again). Returns the function that cancels the wait.
   */
  watchAdminKey(keyId: string, onRevoked: () => void): () => void {
    let set = this.keyWaiters.get(keyId);
    if (!set) this.keyWaiters.set(keyId, (set = new Set()));
    set.add(onRevoked);
    return () => {
      const current = this.keyWaiters.get(keyId);
      if (!current?.delete(onRevoked)) return;
      if (current.size === 0) this.keyWaiters.delete(keyId);
    };
  }

  /** End the streams of a key revoked just now (heard as an invalidation), without waiting for a pass. */
  adminKeyRevoked(keyId: string): void {
    const listeners = this.keyWaiters.get(keyId);
    this.keyWaiters.delete(keyId);
    for (const onRevoked of listeners ?? []) onRevoked();
  }

  /** How many waits on this instance are open for one session (introspection for tests and ops). */
  watching(sessionId: string): number {
    return this.waiters.get(sessionId)?.size ?? 0;
  }

  /**
   * Call `onEnded` once with the session's termination event, however this instance learns of it
   * (one wait per listener: the same function twice is one wait). Returns the function that
   * cancels the wait.
   */
  watch(sessionId: string, onEnded: SessionEndListener): () => void {
    let set = this.waiters.get(sessionId);
    if (!set) this.waiters.set(sessionId, (set = new Set()));
    set.add(onEnded);
    this.unchecked.add(sessionId);
    this.firstCheck ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const ids = [...this.unchecked];
      this.unchecked.clear();
      this.firstCheck = null;
      return this.checkSessions(ids);
    });
    return () => {
      const current = this.waiters.get(sessionId);
      if (!current?.delete(onEnded)) return;
      if (current.size === 0) this.waiters.delete(sessionId);
    };
  }

  /** End the local waits of a session. */
  deliver(event: SessionLifecycleEvent): void {
    if (event.type !== 'TERMINATED') return;
    const set = this.waiters.get(event.sessionId);
    if (!set) return;
    this.waiters.delete(event.sessionId);
    for (const listener of set) listener(event);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.recheck(), this.deps.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.firstCheck;
    await this.running;
    await this.queued;
  }

  /**
   * One pass over every watched session that starts after this call. A pass already in flight may
   * have read before the change the caller knows of (a Redis reconnect, a repair), so the caller
   * gets one more pass after it — shared by every caller that arrives meanwhile.
   */
  recheck(): Promise<void> {
    if (this.running) {
      this.queued ??= this.running.then(() => {
        this.queued = null;
        return this.recheck();
      });
      return this.queued;
    }
    this.running = this.check().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async check(): Promise<void> {
    await this.checkSessions([...this.waiters.keys()]);
    await this.checkAdminKeys([...this.keyWaiters.keys()]);
  }

  /** End the streams of the admin keys among these that are revoked or gone. */
  private async checkAdminKeys(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      const live = await new AdminKeyStore(this.deps.orm.em.fork()).liveIds(ids);
      for (const id of ids) {
        if (live.has(id)) continue;
        const listeners = this.keyWaiters.get(id);
        this.keyWaiters.delete(id);
        for (const onRevoked of listeners ?? []) onRevoked();
      }
    } catch (error) {
      this.deps.logger.warn('admin key re-check failed; will retry', { error: (error as Error).message });
    }
  }

  /** Read the state of these sessions and end the waits of those that have ended or run out. */
  private async checkSessions(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      const store = new SessionStore(this.deps.orm.em.fork());
      for (let start = 0; start < ids.length; start += CHECK_BATCH) {
        // Plain rows, not entities: a pass reads every watched session, 10,000s on a busy instance.
        const rows = await store.statesOf(ids.slice(start, start + CHECK_BATCH));
        const now = this.deps.clock.now();
        for (const row of rows) {
          const session = {
            state: row.state,
            expiresAt: new Date(row.expires_at),
            idleExpiresAt: row.idle_expires_at ? new Date(row.idle_expires_at) : null,
            terminationReason: row.termination_reason,
          };
          const { state, reason } = effectiveState(session, now);
          if (state === 'ACTIVE' || !reason) continue;
          this.deliver({
            type: 'TERMINATED',
            sessionId: row.id,
            userId: row.user_id,
            realmId: row.realm_id,
            reason,
            at: (row.terminated_at ? new Date(row.terminated_at) : now).toISOString(),
          });
        }
      }
    } catch (error) {
      this.deps.logger.warn('subscription re-check failed; will retry', { error: (error as Error).message });
    }
  }
}
