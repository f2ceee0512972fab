import type { User } from '../db/entities/index.js';
import { TtlCache } from '../ttl-cache.js';

/**
 * Recently read users, for `me`: a client asks it on every page, and a user row changes rarely.
 * An entry lives `ttlMs` (1 s): a profile changed through another instance shows within that —
 * far sooner than the same change reaches the claims of tokens already issued (minutes) — and a
 * change made through this instance is dropped at once (UserService). Ending a user's access does
 * not rely on this: disabling a user ends their sessions, which the token check sees.
 * Entries are shared by concurrent requests and read only.
 */
export class UserSnapshots {
  private readonly entries: TtlCache<User>;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.entries = new TtlCache(options);
  }

  get(realmId: string, userId: string, now: number): User | null {
    const user = this.entries.get(userId, now);
    return user && user.realmId === realmId ? user : null;
  }

  remember(user: User, now: number): void {
    this.entries.set(user.id, user, now);
  }

  forget(userId: string): void {
    this.entries.delete(userId);
  }
}
