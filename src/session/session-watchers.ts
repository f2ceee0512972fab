import type { MikroORM } from '@mikro-orm/postgresql';
import { Session } from '../db/entities/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { SessionLifecycleEvent } from '../events/session-events.js';
import { effectiveState } from './session-state.js';

interface Waiter {
  realmId: string;
  resolve: (event: SessionLifecycleEvent) => void;
}

/**
 * Every session someone on this instance is waiting on (forced-logout subscribers, sockets of
 * managed tokens). The event bus is at-most-once — Redis pub/sub drops what is published while a
 * subscriber is disconnected — so this registry periodically (and after a bus reconnect) asks the
 * database for the state of all of them in a few batched queries and ends the waits of sessions
 * that have ended or run out. A missed event thus costs at most one re-check interval.
 */
export class SessionWatchers {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly extraChecks = new Set<() => Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly deps: { orm: MikroORM; clock: Clock; logger: Logger; intervalSeconds: number }) {}

  get size(): number {
    let total = 0;
    for (const set of this.waiters.values()) total += set.size;
    return total;
  }

  /**
   * Another check to run on every pass (an admin-key socket re-validating its key, say), so
   * long-lived connections learn of revocations on the same schedule as of ended sessions.
   * Returns the function that removes it.
   */
  alsoCheck(check: () => Promise<void>): () => void {
    this.extraChecks.add(check);
    return () => this.extraChecks.delete(check);
  }

  /** How many waits on this instance are open for one session (introspection for tests and ops). */
  watching(sessionId: string): number {
    return this.waiters.get(sessionId)?.size ?? 0;
  }

  /** Resolves with the session's termination event when a re-check finds it ended. */
  wait(sessionId: string, realmId: string): { ended: Promise<SessionLifecycleEvent>; cancel(): void } {
    let waiter!: Waiter;
    const ended = new Promise<SessionLifecycleEvent>((resolve) => {
      waiter = { realmId, resolve };
    });
    let set = this.waiters.get(sessionId);
    if (!set) this.waiters.set(sessionId, (set = new Set()));
    set.add(waiter);
    return {
      ended,
      cancel: () => {
        const current = this.waiters.get(sessionId);
        current?.delete(waiter);
        if (current?.size === 0) this.waiters.delete(sessionId);
      },
    };
  }

  /** End the local waits of a session (an event arrived through the bus). */
  deliver(event: SessionLifecycleEvent): void {
    if (event.type !== 'TERMINATED') return;
    const set = this.waiters.get(event.sessionId);
    if (!set) return;
    this.waiters.delete(event.sessionId);
    for (const waiter of set) waiter.resolve(event);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.recheck(), this.deps.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
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
    const ids = [...this.waiters.keys()];
    const now = this.deps.clock.now();
    try {
      for (let start = 0; start < ids.length; start += 1000) {
        const batch = ids.slice(start, start + 1000);
        const rows = await this.deps.orm.em.fork().find(
          Session,
          { id: { $in: batch } },
          { fields: ['id', 'realmId', 'userId', 'state', 'expiresAt', 'idleExpiresAt', 'terminationReason', 'terminatedAt'] },
        );
        for (const session of rows) {
          const { state, reason } = effectiveState(session, now);
          if (state === 'ACTIVE' || !reason) continue;
          this.deliver({
            type: 'TERMINATED',
            sessionId: session.id,
            userId: session.userId,
            realmId: session.realmId,
            reason,
            at: (session.terminatedAt ?? now).toISOString(),
          });
        }
      }
    } catch (error) {
      this.deps.logger.warn('subscription re-check failed; will retry', { error: (error as Error).message });
    }
    const failures = (await Promise.allSettled([...this.extraChecks].map((check) => check()))).filter((r) => r.status === 'rejected');
    if (failures.length) this.deps.logger.warn('connection re-checks failed; will retry', { failures: failures.length });
  }
}
