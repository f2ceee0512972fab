/**
 * Tokens that verified, kept until their `exp` (or `maxAgeMs`, for tokens without one): a server
 * checks the same token on every request of a page, and the signature check (~0.1 ms with jose)
 * would otherwise be most of the cost. Keyed by the whole token string, so nothing but that exact
 * token can ever hit an entry. Bounded: past `max` entries the oldest go first.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  constructor(
    private readonly max: number,
    private readonly maxAgeMs: number,
  ) {}

  get(token: string, now: number): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (now >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: T, expiresAtMs: number | undefined, now: number): void {
    if (this.max <= 0) return;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { value, until: Math.min(expiresAtMs ?? Number.POSITIVE_INFINITY, now + this.maxAgeMs) });
  }

  clear(): void {
    this.entries.clear();
  }
}
