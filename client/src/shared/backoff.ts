/** Reconnection delays: exponential, capped, with jitter so that many clients do not return at once. */
export interface BackoffOptions {
  /** The first delay's upper bound (ms). */
  baseMs?: number;
  /** No delay is longer than this (ms). */
  maxMs?: number;
  /** [0, 1) — injectable for tests. */
  random?: () => number;
}

/**
 * The delay before reconnection attempt `attempt` (0 for the first retry): "equal jitter", half the
 * exponential step fixed and half random. A server restart drops every socket at once; with pure
 * exponential delays all clients would come back in the same millisecond, with "full jitter" some
 * would hammer it at ~0 ms.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 15_000;
  const random = options.random ?? Math.random;
  const step = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(step / 2 + random() * (step / 2));
}
