import { createPubSub, type PubSub } from 'graphql-yoga';
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

// Topics: one per session (a frontend waiting for its own forced logout hears only its own
// session, so fan-out costs O(subscribers of that session)), one per realm (admin dashboards), and
// `terminations`, which every instance hears, to drop ended sessions from its state cache.
export type SessionTopics = {
  [key: `session:${string}`]: [SessionLifecycleEvent];
  [key: `realm:${string}`]: [SessionLifecycleEvent];
  terminations: [SessionLifecycleEvent];
};

export type SessionPubSub = PubSub<SessionTopics>;

export function createSessionPubSub(eventTarget?: Parameters<typeof createPubSub<SessionTopics>>[0]): SessionPubSub {
  return createPubSub<SessionTopics>(eventTarget);
}

export type EventListener = (event: SessionLifecycleEvent) => void;

/**
 * Publishing side. Services hand their events here only after their transaction committed;
 * publish never throws into the caller (a mutation that committed must report success even
 * when the event bus is down — the subscriber re-check catches up).
 */
export class SessionEvents {
  private readonly listeners = new Set<EventListener>();
  private openStreams = 0;

  constructor(private readonly pubsub: SessionPubSub) {}

  publish(events: SessionLifecycleEvent[]): void {
    for (const event of events) {
      // Local listeners first (this instance's cache), then `terminations` before the per-session
      // topic: one publisher connection keeps Redis order, so every instance drops a session from
      // its cache before its subscribers can learn that the session ended.
      for (const listener of this.listeners) listener(event);
      try {
        if (event.type === 'TERMINATED') this.pubsub.publish('terminations', event);
        this.pubsub.publish(`session:${event.sessionId}`, event);
        this.pubsub.publish(`realm:${event.realmId}`, event);
      } catch {
        // At-most-once bus; the periodic re-check of live subscriptions is the safety net.
      }
    }
  }

  /** Every termination on any instance (for caches). */
  subscribeTerminations(): AsyncIterable<SessionLifecycleEvent> {
    return this.pubsub.subscribe('terminations');
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
    const source = stream[Symbol.asyncIterator]();
    let open = true;
    this.openStreams++;
    const close = () => {
      if (!open) return;
      open = false;
      this.openStreams--;
    };
    return {
      next: async () => {
        try {
          const result = await source.next();
          if (result.done) close();
          return result;
        } catch (error) {
          close();
          throw error;
        }
      },
      return: async (value?: unknown) => {
        close();
        return (await source.return?.(value)) ?? { done: true, value: undefined };
      },
      throw: async (error?: unknown) => {
        close();
        if (source.throw) return source.throw(error);
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  subscribeSession(sessionId: string): AsyncIterable<SessionLifecycleEvent> {
    return this.pubsub.subscribe(`session:${sessionId}`);
  }

  subscribeRealm(realmId: string): AsyncIterable<SessionLifecycleEvent> {
    return this.pubsub.subscribe(`realm:${realmId}`);
  }
}
