import type { UserKind } from '../db/entities/index.js';
import { TtlCache } from '../ttl-cache.js';

/** What a token check needs of a user: null when the user does not exist (never did, or deleted). */
export type UserState = { realmId: string; kind: UserKind; disabled: boolean } | null;
/** What a token check needs of an API key: null when it does not exist. */
export type ApiKeyState = { realmId: string; userId: string; revoked: boolean } | null;

/**
 * The state of users and API keys behind unmanaged tokens, which no session stands for: whether
 * the user is still there and enabled, whether the key its token names is unrevoked. Asked on every
 * check of such a token, so answered from memory. It is safe because every change of either —
 * disabling, enabling, deleting a user, revoking a key — is announced on the bus to every instance
 * (events/cache-invalidations.ts, registered in app.ts), and entries live at most `ttlMs`, which
 * bounds what a lost announcement (the bus down) can let through. Negative answers are cached too:
 * they are as final as positive ones until an announced change.
 */
export class SubjectStates {
  private readonly users: TtlCache<{ state: UserState }>;
  private readonly apiKeys: TtlCache<{ state: ApiKeyState }>;
  /**
   * Counts forgets: a read that started before one may have seen the old state, and is not
   * remembered (else a key revoked while its check was reading would stay "unrevoked" for ttlMs).
   */
  private forgets = 0;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.users = new TtlCache(options);
    this.apiKeys = new TtlCache(options);
  }

  /** undefined: not known, ask the database. */
  user(userId: string, now: number): UserState | undefined {
    return this.users.get(userId, now)?.state;
  }

  apiKey(apiKeyId: string, now: number): ApiKeyState | undefined {
    return this.apiKeys.get(apiKeyId, now)?.state;
  }

  /** Pass to remember(): taken before the database is read. */
  get generation(): number {
    return this.forgets;
  }

  remember(generation: number, userId: string, user: UserState, apiKey: { id: string; state: ApiKeyState } | null, now: number): void {
    if (generation !== this.forgets) return;
    this.users.set(userId, { state: user }, now);
    if (apiKey) this.apiKeys.set(apiKey.id, { state: apiKey.state }, now);
  }

  forgetUser(userId: string): void {
    this.forgets++;
    this.users.delete(userId);
  }

  forgetApiKey(apiKeyId: string): void {
    this.forgets++;
    this.apiKeys.delete(apiKeyId);
  }
}
