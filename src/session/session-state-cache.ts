import type { Session } from '../db/entities/index.js';

interface CachedSession {
  realmId: string;
  userId: string;
  expiresAt: number;
  idleExpiresAt: number | null;
  cachedAt: number;
}

/**
 * "Is this managed session still ACTIVE?" is asked on every authenticated request. This cache
 * answers it from memory for sessions recently seen ACTIVE. It is safe because:
 * - every termination, on any instance, reaches every instance on the `terminations` topic, and
 *   the cache hears each batch before the subscribers' waits do (app.ts registers it first), so an
 *   entry is gone before a subscriber on this instance can hear of the termination;
 * - entries live at most `ttlMs`, bounding what a lost invalidation (a Redis outage) can let
 *   through;
 * - only positive answers are cached, and expiry is re-evaluated against the clock on every hit.
 */
export class SessionStateCache {
  private readonly entries = new Map<string, CachedSession>();

  constructor(private readonly options: { ttlMs: number; maxEntries: number }) {}

  /** True when the cache knows the session to be active now; false means "ask the database". */
  isKnownActive(sessionId: string, realmId: string, userId: string, now: number): boolean {
    const entry = this.entries.get(sessionId);
    if (!entry) return false;
    if (now - entry.cachedAt > this.options.ttlMs) {
      this.entries.delete(sessionId);
      return false;
    }
    return (
      entry.realmId === realmId &&
      entry.userId === userId &&
      entry.expiresAt > now &&
      (entry.idleExpiresAt === null || entry.idleExpiresAt > now)
    );
  }

  rememberActive(session: Pick<Session, 'id' | 'realmId' | 'userId' | 'expiresAt' | 'idleExpiresAt'>, now: number): void {
    if (this.entries.size >= this.options.maxEntries) {
      // Drop the oldest tenth (Map keeps insertion order): cheap, and a miss only costs a query.
      let drop = Math.ceil(this.options.maxEntries / 10);
      for (const key of this.entries.keys()) {
        this.entries.delete(key);
        if (--drop === 0) break;
      }
    }
    this.entries.delete(session.id);
    this.entries.set(session.id, {
      realmId: session.realmId,
      userId: session.userId,
      expiresAt: session.expiresAt.getTime(),
      idleExpiresAt: session.idleExpiresAt?.getTime() ?? null,
      cachedAt: now,
    });
  }

  invalidate(sessionId: string): void {
    this.entries.delete(sessionId);
  }

  get size(): number {
    return this.entries.size;
  }
}
