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

// Two topics: one per session (a frontend waiting for its own forced logout hears only its own
// session, so fan-out costs O(subscribers of that session)) and one per realm (admin dashboards).
export type SessionTopics = {
  [key: `session:${string}`]: [SessionLifecycleEvent];
  [key: `realm:${string}`]: [SessionLifecycleEvent];
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

  constructor(private readonly pubsub: SessionPubSub) {}

  publish(events: SessionLifecycleEvent[]): void {
    for (const event of events) {
      try {
        this.pubsub.publish(`session:${event.sessionId}`, event);
        this.pubsub.publish(`realm:${event.realmId}`, event);
      } catch {
        // At-most-once bus; the periodic re-check of live subscriptions is the safety net.
      }
      for (const listener of this.listeners) listener(event);
    }
  }

  /** Local listeners (metrics, caches) that need every event this instance publishes. */
  onPublish(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeSession(sessionId: string): AsyncIterable<SessionLifecycleEvent> {
    return this.pubsub.subscribe(`session:${sessionId}`);
  }

  subscribeRealm(realmId: string): AsyncIterable<SessionLifecycleEvent> {
    return this.pubsub.subscribe(`realm:${realmId}`);
  }
}
