/**
 * A bounded map whose entries live at most `ttlMs`, for the in-process caches of the hot paths
 * (session state, users, checked tokens). When full, the oldest tenth goes (a Map keeps insertion
 * order): cheap, and a miss only costs a query or a signature check.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; cachedAt: number }>();

  constructor(private readonly options: { ttlMs: number; maxEntries: number }) {}

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.cachedAt > this.options.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, now: number): void {
    if (this.entries.size >= this.options.maxEntries) {
      let drop = Math.ceil(this.options.maxEntries / 10);
      for (const oldest of this.entries.keys()) {
        this.entries.delete(oldest);
        if (--drop === 0) break;
      }
    }
    this.entries.delete(key);
    this.entries.set(key, { value, cachedAt: now });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
