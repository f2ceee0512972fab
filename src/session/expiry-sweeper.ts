import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { SessionEvents } from '../events/session-events.js';
import type { Logger } from '../logger.js';
import { SessionStore } from './session-store.js';
import { pruneExpiredRecords, type PruneResult, type RetentionPolicy } from './retention.js';
import { pruneThrottleCounters } from '../auth/throttle.js';

/** Sessions examined per statement of a pass. */
const SWEEP_BATCH = 1000;
/** Pruning old rows is slow work with nothing waiting on it: once an hour is plenty. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Background job that turns sessions past their absolute or idle expiry into EXPIRED and announces
 * it, so frontends are logged out when their session runs out, not at their next request. Every
 * pass also drops idle login-throttle counters; once an hour it deletes what the retention policy
 * no longer keeps (retention.ts).
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** When pruning last started, done or failed: a failure waits for the next hour like a success. */
  private lastPruneStartedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: {
      orm: MikroORM;
      clock: Clock;
      events: SessionEvents;
      logger: Logger;
      intervalSeconds: number;
      retention: RetentionPolicy;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweepNow(), this.deps.intervalSeconds * 1000);
    this.timer.unref();
  }

  /**
   * One pass (batches until nothing is due) that starts after this call: a pass already in flight
   * decided what is due before the caller asked, so the caller gets one more after it (shared by
   * every caller that arrives meanwhile). Passes never overlap.
   */
  sweepNow(): Promise<void> {
    if (this.running) {
      this.queued ??= this.running.then(() => {
        this.queued = null;
        return this.sweepNow();
      });
      return this.queued;
    }
    this.running = this.sweep().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async sweep(): Promise<void> {
    try {
      for (;;) {
        const { events, examined } = await new SessionStore(this.deps.orm.em.fork()).expireDue(this.deps.clock.now(), SWEEP_BATCH);
        this.deps.events.publish(events);
        if (examined < SWEEP_BATCH) break;
      }
    } catch (error) {
      this.deps.logger.warn('expiry sweep failed; will retry', { error: (error as Error).message });
      return;
    }
    try {
      await pruneThrottleCounters(this.deps.orm.em.fork());
    } catch (error) {
      this.deps.logger.warn('pruning idle login-throttle counters failed; will retry', { error: (error as Error).message });
    }
    if (this.deps.clock.now().getTime() - this.lastPruneStartedAt < PRUNE_EVERY_MS) return;
    try {
      await this.pruneNow();
    } catch (error) {
      this.deps.logger.warn('pruning old sessions and audit events failed; will retry in an hour', { error: (error as Error).message });
    }
  }

  /** Delete ended sessions and audit events older than the retention policy keeps them, now. */
  async pruneNow(): Promise<PruneResult> {
    const now = this.deps.clock.now();
    this.lastPruneStartedAt = now.getTime();
    const pruned = await pruneExpiredRecords(this.deps.orm.em.fork(), now, this.deps.retention);
    if (pruned.sessions > 0 || pruned.auditEvents > 0 || pruned.deliveries > 0) this.deps.logger.info('pruned old records', { ...pruned });
    return pruned;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.queued;
  }
}
