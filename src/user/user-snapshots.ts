import type { User } from '../db/entities/index.js';

/**
 * Recently read users, for `me`: a client asks it on every page, and a user row changes rarely.
 * An entry lives `ttlMs` (1 s): a profile changed through another instance shows within that —
 * far sooner than the same change reaches the claims of tokens already issued (minutes) — and a
 * change made through this instance is dropped at once (UserService). Ending a user's access does
 * not rely on this: disabling a user ends their sessions, which the token check sees.
 * Entries are shared by concurrent requests and read only.
 */
export class UserSnapshots {
  private readonly entries = new Map<string, { user: User; cachedAt: number }>();

  constructor(private readonly options: { ttlMs: number; maxEntries: number }) {}

  get(realmId: string, userId: string, now: number): User | null {
    const entry = this.entries.get(userId);
    if (!entry || entry.user.realmId !== realmId) return null;
    if (now - entry.cachedAt > this.options.ttlMs) {
      this.entries.delete(userId);
      return null;
    }
    return entry.user;
  }

  remember(user: User, now: number): void {
    if (this.entries.size >= this.options.maxEntries) {
      // Drop the oldest tenth (a Map keeps insertion order): a miss only costs a query.
      let drop = Math.ceil(this.options.maxEntries / 10);
      for (const key of this.entries.keys()) {
        this.entries.delete(key);
        if (--drop === 0) break;
      }
    }
    this.entries.delete(user.id);
    this.entries.set(user.id, { user, cachedAt: now });
  }

  forget(userId: string): void {
    this.entries.delete(userId);
  }
}
