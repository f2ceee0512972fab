import type { MikroORM } from '@mikro-orm/postgresql';
import { Repeater } from '@repeaterjs/repeater';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { pageOf, pageSize, type Connection } from '../db/pagination.js';
import { EventStore, type RecordedEvent } from './event-store.js';
import type { SessionEvents, SessionLifecycleEvent } from './session-events.js';

/** A session event as feeds hand it out: the bus's shape, with its place in the durable record. */
export interface FeedEvent extends SessionLifecycleEvent {
  id: string;
  cursor: string;
}

/** Events per read of the record: a replay of 100,000 events is 200 reads. */
const READ_BATCH = 500;
const HOUR_MS = 3_600_000;

export function feedEvent(event: RecordedEvent): FeedEvent {
  const { id, cursor, type, sessionId, userId, realmId, reason, at } = event;
  return { id, cursor, type, sessionId, userId, realmId, reason, at: at.toISOString() };
}

export interface EventRecordDeps {
  orm: MikroORM;
  clock: Clock;
  logger: Logger;
  events: SessionEvents;
  /** EVENT_CATCHUP_SECONDS: how often the record is read for what the bus did not bring. */
  catchUpSeconds: number;
  /** EVENT_RETENTION_HOURS: how far back a cursor may resume. */
  retentionHours: number;
  metrics?: { catchUpReads(labels: { outcome: 'ok' | 'failed' }): void; catchUpEvents(labels?: Record<string, string>, by?: number): void };
}

/**
 * The durable event record (docs/events.md) as this instance uses it.
 *
 * - Catch-up: every EVENT_CATCHUP_SECONDS it reads what was recorded since its last read, across
 *   realms, and hands the terminations to the same listeners the bus feeds (the session cache,
 *   the forced-logout waits): with Redis down, paused or dropping a message, every instance still
 *   learns every termination within that interval. Hearing one twice is harmless: a wait ends once.
 * - Realm feeds (`sessionEvents`, `realmEvents`) are read from the record, never from the bus: a
 *   bus message, or the catch-up tick, only wakes a feed to read on after its cursor. A replay
 *   then turns into the live feed with nothing lost or repeated at the seam.
 */
export class EventRecord {
  private cursor: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private starting: Promise<unknown> | null = null;
  private readonly tickListeners = new Set<() => void>();

  constructor(private readonly deps: EventRecordDeps) {}

  private store(): EventStore {
    return new EventStore(this.deps.orm.em.fork());
  }

  /** The earliest time an event may have been recorded for a cursor to resume after it. */
  keptSince(): Date {
    return new Date(this.deps.clock.now().getTime() - this.deps.retentionHours * HOUR_MS);
  }

  /** BAD_USER_INPUT on `after` unless a feed of this realm can resume after the cursor. */
  checkResumable(realmId: string, after: string): Promise<void> {
    return this.store().checkCursor(after, realmId, this.keptSince());
  }

  /** A page of the realm's events, oldest first (`realmEvents`). */
  async page(realmId: string, args: { after?: string | null; first?: number | null }): Promise<Connection<FeedEvent>> {
    const limit = pageSize(args.first);
    if (args.after) await this.checkResumable(realmId, args.after);
    const rows = await this.store().readAfter(args.after ?? null, { realmId, limit: limit + 1 });
    return pageOf(rows.map(feedEvent), limit, args, (event) => event.cursor);
  }

  /**
   * Every event of the realm after `after` (checked by the caller), or from now on without one:
   * the replay first, then live. Reads run one at a time; wakes that arrive meanwhile make one more.
   */
  feed(realmId: string, after: string | null): AsyncIterable<FeedEvent> {
    return new Repeater<FeedEvent>(async (push, stop) => {
      let cursor = after ?? (await this.store().head());
      let again = false;
      let running: Promise<void> | null = null;
      const readOn = async () => {
        do {
          again = false;
          for (;;) {
            const rows = await this.store().readAfter(cursor, { realmId, limit: READ_BATCH });
            for (const row of rows) await push(feedEvent(row));
            if (rows.length > 0) cursor = rows[rows.length - 1].cursor;
            if (rows.length < READ_BATCH) break;
          }
        } while (again);
      };
      const wake = () => {
        if (running) {
          again = true;
          return;
        }
        running = readOn()
          .catch((error: unknown) => this.deps.logger.warn('realm feed read failed; the next wake retries', { error: String(error) }))
          .finally(() => (running = null));
      };
      const bus = this.deps.events.subscribeRealm(realmId)[Symbol.asyncIterator]();
      void (async () => {
        for (let next = await bus.next(); !next.done; next = await bus.next()) wake();
      })();
      this.tickListeners.add(wake);
      wake();
      await stop;
      this.tickListeners.delete(wake);
      await bus.return?.();
    });
  }

  start(): void {
    if (this.timer) return;
    this.starting = this.store()
      .head()
      .then((head) => (this.cursor ??= head))
      .catch((error: unknown) => this.deps.logger.warn('event record not readable; catch-up starts at the next tick', { error: String(error) }));
    this.timer = setInterval(() => void this.catchUp(), this.deps.catchUpSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tickListeners.clear();
    await this.starting;
    await this.reading;
  }

  /** One catch-up pass (the timer's; tests call it to skip the wait). */
  catchUp(): Promise<void> {
    this.reading ??= this.readNew().finally(() => (this.reading = null));
    return this.reading;
  }

  private async readNew(): Promise<void> {
    const { metrics, events } = this.deps;
    try {
      this.cursor ??= await this.store().head();
      for (;;) {
        const rows = await this.store().readAfter(this.cursor, { limit: READ_BATCH });
        metrics?.catchUpReads({ outcome: 'ok' });
        if (rows.length === 0) break;
        metrics?.catchUpEvents({}, rows.length);
        this.cursor = rows[rows.length - 1].cursor;
        const terminations = rows.filter((row) => row.type === 'TERMINATED').map(feedEvent);
        if (terminations.length > 0) events.learnTerminations(terminations);
        if (rows.length < READ_BATCH) break;
      }
    } catch (error) {
      metrics?.catchUpReads({ outcome: 'failed' });
      this.deps.logger.warn('event catch-up read failed; will retry', { error: String(error) });
    }
    for (const wake of this.tickListeners) wake();
  }
}
