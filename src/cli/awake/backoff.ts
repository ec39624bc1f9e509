/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * the delay before attempt `n` is uniform in `[0, min(capMs, baseMs * 2^n))`.
 */

/** Backoff bounds in ms. */
export interface BackoffPolicy {
  /** Ceiling of the first retry, ms (relay-awake: 500). */
  baseMs: number
  /** Largest ceiling, ms (relay-awake: 8000). */
  capMs: number
}

/** The SSE reconnect policy of relay-awake: 0.5 s doubling to an 8 s cap. */
export const SSE_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 8_000 }

/**
 * Delay in ms before retry number `attempt` (0-based) with full jitter.
 * @param random uniform source in `[0, 1)`; injectable for tests.
 * @returns a number in `[0, min(capMs, baseMs * 2^attempt))`.
 */
export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(0, Math.floor(attempt)), 30)
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exp)
  return Math.floor(random() * ceiling)
}
