/** What a tab keeps of a login. Times are this device's clock, in ms since the epoch. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, on this device's clock (skew-free: its lifetime counted from receipt). */
  expiresAt: number;
  /** When this device received it. */
  receivedAt: number;
  sessionId: string;
  userId: string;
}

/**
 * Where tokens live. Memory (the default) keeps them from scripts that read storage, and a new tab
 * gets them from an open one; a persistent adapter (localStorage, IndexedDB, the app's own) also
 * survives reloads. Either may be async.
 */
export interface TokenStorage {
  load(): StoredTokens | null | Promise<StoredTokens | null>;
  save(tokens: StoredTokens | null): void | Promise<void>;
}

export function memoryStorage(): TokenStorage {
  let tokens: StoredTokens | null = null;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
}

/**
 * Tokens in `localStorage` under `key`: a reload keeps the user logged in. Anything that runs
 * script on the origin can read them — the usual trade-off of persistent browser storage.
 */
export function localStorageAdapter(key = 'tessera.tokens', storage: Storage = globalThis.localStorage): TokenStorage {
  return {
    load() {
      const raw = storage.getItem(key);
      if (!raw) return null;
      try {
        const tokens = JSON.parse(raw) as StoredTokens;
        return typeof tokens?.accessToken === 'string' && typeof tokens.refreshToken === 'string' ? tokens : null;
      } catch {
        return null;
      }
    },
    save(tokens) {
      if (tokens) storage.setItem(key, JSON.stringify(tokens));
      else storage.removeItem(key);
    },
  };
}
