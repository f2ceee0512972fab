import { randomUUID } from 'node:crypto';
import { Repeater } from '@repeaterjs/repeater';
import { createPubSub, type PubSub, type PubSubEventTarget } from './typed-pubsub.js';
import type { TerminationReason } from '../db/entities/index.js';

/** What every instance learns when a session is created, refreshed or ends. JSON-safe. */
export interface SessionLifecycleEvent {
  type: 'CREATED' | 'REFRESHED' | 'TERMINATED';
  sessionId: string;
  userId: string;
  realmId: string;
  reason: TerminationReason | null;
  /** ISO time */
  at: string;
}

/** Terminations published together, tagged with the instance that published them. */
export interface TerminationBatch {
  origin: string;
  events: SessionLifecycleEvent[];
}

// Topics carry batches: `terminateRealmSessions` may end 10,000 sessions at once, and one message
// per session would cost 10,000 publishes, Redis round trips and parses on every instance.
// `terminations` is heard by every instance: it drops ended sessions from the state cache and ends
// the local waits for them (SessionWatchers), which dispatch by session id in memory — so a
// waiting subscriber costs a map entry, not a pub/sub subscription of its own.
// `realm:<id>` carries every lifecycle event of a realm (admin dashboards).
export type SessionTopics = {
  [key: `realm:${string}`]: SessionLifecycleEvent[];
  terminations: TerminationBatch;
};

export type SessionPubSub = PubSub<SessionTopics>;

/** The bus of one instance: in-process without `eventTarget`, between instances over Redis with one. */
export function createSessionPubSub(config?: { eventTarget?: PubSubEventTarget }): SessionPubSub {
  return createPubSub<SessionTopics>(config?.eventTarget);
}

export type EventListener = (event: SessionLifecycleEvent) => void;
export type TerminationsListener = (events: SessionLifecycleEvent[]) => void;

/** Events per bus message: bounds a message (~200 bytes an event) and the work one parse does. */
export const EVENTS_PER_MESSAGE = 1000;

function inChunks<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Publishing side. Services hand their events here only after their transaction committed;
 * publish never throws into the caller (a mutation that committed must report success even
 * when the event bus is down — the subscriber re-check catches up).
 */
export class SessionEvents {
  private readonly listeners = new Set<EventListener>();
  private readonly terminationListeners = new Set<TerminationsListener>();
  /** Tells this instance's own batches apart when the bus hands them back. */
  private readonly origin = randomUUID();
  private openStreams = 0;
  private pending: SessionLifecycleEvent[] = [];
  private flushing: NodeJS.Immediate | null = null;

  constructor(private readonly pubsub: SessionPubSub) {
    const batches = pubsub.subscribe('terminations')[Symbol.asyncIterator]();
    void (async () => {
      for (let next = await batches.next(); !next.done; next = await batches.next()) {
        // This instance's own terminations were handed to its listeners when it published them.
        if (next.value.origin === this.origin) continue;
        for (const listener of this.terminationListeners) listener(next.value.events);
      }
    })();
  }

  publish(events: SessionLifecycleEvent[]): void {
    if (events.length === 0) return;
    // Local listeners first (this instance's cache), then this instance's waits, then the bus:
    // an ended session is out of the cache before anyone here can learn that it ended. On other
    // instances both learn from the same `terminations` message, before any later request of
    // theirs is read.
    for (const event of events) for (const listener of this.listeners) listener(event);
    const terminations = events.filter((event) => event.type === 'TERMINATED');
    if (terminations.length > 0) for (const listener of this.terminationListeners) listener(terminations);
    // The bus gets everything published during one turn of the event loop in one message per
    // topic: under load that is one Redis write for many refreshes, not one each.
    this.pending.push(...events);
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Hand what was published to the bus now (at shutdown; otherwise once per event-loop turn). */
  flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = null;
    const events = this.pending;
    this.pending = [];
    const terminations = events.filter((event) => event.type === 'TERMINATED');
    const byRealm = new Map<string, SessionLifecycleEvent[]>();
    for (const event of events) {
      const realmEvents = byRealm.get(event.realmId);
      if (realmEvents) realmEvents.push(event);
      else byRealm.set(event.realmId, [event]);
    }
    try {
      for (const chunk of inChunks(terminations, EVENTS_PER_MESSAGE)) this.pubsub.publish('terminations', { origin: this.origin, events: chunk });
      for (const [realmId, realmEvents] of byRealm) {
        for (const chunk of inChunks(realmEvents, EVENTS_PER_MESSAGE)) this.pubsub.publish(`realm:${realmId}`, chunk);
      }
    } catch {
      // At-most-once bus; the periodic re-check of live subscriptions is the safety net.
    }
  }

  /**
   * Every termination, from any instance, in batches: this instance's own as it publishes them,
   * other instances' as the bus delivers them. Returns the function that stops listening.
   */
  onTerminations(listener: TerminationsListener): () => void {
    this.terminationListeners.add(listener);
    return () => this.terminationListeners.delete(listener);
  }

  /**
   * Terminations read from the durable record (events/event-record.ts), for the listeners the bus
   * feeds: what the bus lost reaches them this way. Some were heard already; a wait ends once.
   */
  learnTerminations(events: SessionLifecycleEvent[]): void {
    for (const listener of this.terminationListeners) listener(events);
  }

  /** Local listeners (metrics, caches) that need every event this instance publishes. */
  onPublish(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscription streams open on this instance, over every transport (the live-subscriptions gauge). */
  get liveStreams(): number {
    return this.openStreams;
  }

  /**
   * Count a subscription stream as live from now until it ends, errors or is closed by its client.
   * Counted here, at the resolver, so WebSocket and SSE subscriptions are both seen.
   */
  track<T>(stream: AsyncIterable<T>): AsyncIterableIterator<T> {
    this.openStreams++;
    return new TrackedStream(stream[Symbol.asyncIterator](), () => this.openStreams--);
  }

  subscribeRealm(realmId: string): AsyncIterable<SessionLifecycleEvent> {
    return this.flatten(this.pubsub.subscribe(`realm:${realmId}`), (events) => events);
  }

  /**
   * One event at a time out of a stream of batches. A Repeater, not an async generator: a client
   * that unsubscribes must release the bus subscription at once, not after the next batch.
   */
  private flatten<B>(batches: AsyncIterable<B>, eventsOf: (batch: B) => SessionLifecycleEvent[]): AsyncIterable<SessionLifecycleEvent> {
    return new Repeater<SessionLifecycleEvent>(async (push, stop) => {
      const source = batches[Symbol.asyncIterator]();
      void stop.then(() => source.return?.());
      for (let next = await source.next(); !next.done; next = await source.next()) {
        // Awaiting each push holds the rest of a batch until the consumer asks for it (a Repeater
        // refuses more than 1,024 pushes it has not handed out).
        for (const event of eventsOf(next.value)) await push(event);
      }
      stop();
    });
  }
}

/** A stream that runs `onClose` once, however it ends: done, error, or closed by its consumer. */
class TrackedStream<T> implements AsyncIterableIterator<T> {
  private open = true;

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly onClose: () => void,
  ) {}

  private close(): void {
    if (!this.open) return;
    this.open = false;
    this.onClose();
  }

  async next(): Promise<IteratorResult<T>> {
    try {
      const result = await this.source.next();
      if (result.done) this.close();
      return result;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.close();
    return (await this.source.return?.(value)) ?? { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.close();
    if (this.source.throw) return this.source.throw(error);
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
