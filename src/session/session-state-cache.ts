import type { Session } from '../db/entities/index.js';
import { TtlCache } from '../ttl-cache.js';
import { sessionEnd } from './session-state.js';

interface CachedSession {
  realmId: string;
  userId: string;
  /** When it runs out (session-state.ts sessionEnd), in ms. */
  endsAt: number;
}

/**
 * "Is this managed session still ACTIVE?" is asked on every authenticated request. This cache
 * answers it from memory for sessions recently seen ACTIVE. It is safe because:
 * - every termination, on any instance, reaches every instance on the `terminations` topic, and
 *   the cache hears each batch before the subscribers' waits do (app.ts registers it first), so an
 *   entry is gone before a subscriber on this instance can hear of the termination;
 * - entries live at most `ttlMs`, bounding what a lost invalidation (a Redis outage) can let
 *   through;
 * - only positive answers are cached, and the session's deadline is checked against the clock on every hit.
 */
export class SessionStateCache {
  private readonly entries: TtlCache<CachedSession>;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.entries = new TtlCache(options);
  }

  /** True when the cache knows the session to be active now; false means "ask the database". */
  isKnownActive(sessionId: string, realmId: string, userId: string, now: number): boolean {
    const entry = this.entries.get(sessionId, now);
    return entry !== undefined && entry.realmId === realmId && entry.userId === userId && entry.endsAt > now;
  }

  rememberActive(session: Pick<Session, 'id' | 'realmId' | 'userId' | 'expiresAt' | 'idleExpiresAt'>, now: number): void {
    const { id, realmId, userId } = session;
    this.entries.set(id, { realmId, userId, endsAt: sessionEnd(session).at.getTime() }, now);
  }

  invalidate(sessionId: string): void {
    this.entries.delete(sessionId);
  }
}
