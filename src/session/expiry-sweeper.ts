import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { SessionEvents } from '../events/session-events.js';
import type { Logger } from '../logger.js';
import { expireDueSessions } from './session-termination.js';

/**
 * Background job that turns sessions past their absolute or idle expiry into EXPIRED and announces
 * it, so frontends are logged out when their session runs out, not at their next request.
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly deps: { orm: MikroORM; clock: Clock; events: SessionEvents; logger: Logger; intervalSeconds: number },
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
        const events = await expireDueSessions(this.deps.orm.em.fork(), this.deps.clock.now());
        this.deps.events.publish(events);
        if (events.length < 1000) return;
      }
    } catch (error) {
      this.deps.logger.warn('expiry sweep failed; will retry', { error: (error as Error).message });
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.queued;
  }
}
