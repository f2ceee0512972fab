/**
 * When to refresh a token received at `receivedAt` that expires at `expiresAt`: `aheadSeconds`
 * before expiry, or by default a fifth of its lifetime (at least 5 s, at most 60 s) — early
 * enough that a slow network or a throttled background timer still lands before `exp`, late
 * enough that a 30-second token is not refreshed every few seconds. Never sooner than 1 s after
 * receipt (a tiny lifetime must not spin).
 */
export function refreshTime(receivedAt: number, expiresAt: number, aheadSeconds?: number): number {
  const lifetime = expiresAt - receivedAt;
  const ahead = aheadSeconds !== undefined ? aheadSeconds * 1000 : Math.min(60_000, Math.max(5_000, lifetime / 5));
  return Math.max(receivedAt + 1_000, expiresAt - ahead);
}

/** One timer: the next refresh of the current token (rescheduling replaces it). */
export class RefreshScheduler {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dueAt: number | undefined;

  constructor(
    private readonly run: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Run at `at` (this device's clock); a time already past runs on the next tick. */
  scheduleAt(at: number): void {
    this.cancel();
    this.dueAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.dueAt = undefined;
        this.run();
      },
      Math.max(0, at - this.now()),
    );
  }

  /**
   * After sleep or a frozen tab, timers fire late (or the device slept through them): run now if
   * the due time has passed.
   */
  catchUp(): void {
    if (this.dueAt !== undefined && this.now() >= this.dueAt) {
      this.cancel();
      this.run();
    }
  }

  get scheduledAt(): number | undefined {
    return this.dueAt;
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = undefined;
  }
}
