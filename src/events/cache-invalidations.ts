import { randomUUID } from 'node:crypto';
import { createPubSub, type PubSubEventTarget } from './typed-pubsub.js';

/**
 * Something cached by every instance changed: a user (disabled, enabled, deleted), an API key
 * (revoked), the signing keys of a realm (rotated, retired, their lifetimes widened), an admin key
 * (revoked).
 */
export type Invalidation =
  | { kind: 'user'; userId: string }
  | { kind: 'apiKey'; apiKeyId: string }
  | { kind: 'realmKeys'; realmId: string }
  /** Revoked: the sockets and streams it opened end (session/session-watchers.ts). */
  | { kind: 'adminKey'; adminKeyId: string };

type InvalidationTopics = { invalidations: { origin: string; items: Invalidation[] } };

export type InvalidationListener = (items: Invalidation[]) => void;

/**
 * Tells every instance to drop what it cached about a changed user, API key or signing key — the
 * caches that let a token check answer without a query (user/subject-states.ts, token/jwt.ts).
 * Like session terminations (session-events.ts) it rides the bus, which is at most once: each of
 * those caches also forgets on its own within a few seconds (docs/security.md#how-fast-a-change-applies).
 * Publish only after the change committed.
 */
export class CacheInvalidations {
  private readonly listeners = new Set<InvalidationListener>();
  private readonly origin = randomUUID();
  private readonly pubsub;

  constructor(eventTarget?: PubSubEventTarget) {
    this.pubsub = createPubSub<InvalidationTopics>(eventTarget);
    const messages = this.pubsub.subscribe('invalidations')[Symbol.asyncIterator]();
    void (async () => {
      for (let next = await messages.next(); !next.done; next = await messages.next()) {
        // This instance's own were handed to its listeners when it published them.
        if (next.value.origin === this.origin) continue;
        this.notify(next.value.items);
      }
    })();
  }

  /** Here at once, then on every other instance; never throws into the caller (the change committed). */
  publish(items: Invalidation[]): void {
    if (items.length === 0) return;
    this.notify(items);
    try {
      this.pubsub.publish('invalidations', { origin: this.origin, items });
    } catch {
      // At-most-once bus: the caches' own expiry is the safety net.
    }
  }

  on(listener: InvalidationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(items: Invalidation[]): void {
    for (const listener of this.listeners) listener(items);
  }
}
