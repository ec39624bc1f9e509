/**
 * Reconnect delays: exponential backoff with full jitter, used by the relay's SSE connection, its
 * catch-up retries, the app's REST retries and the relay-awake CLI's own stream alike.
 *
 * Lib-neutral (DOM, WebWorker and Node).
 */

/** Lowest delay before a retry, in ms: keeps a `random()` near 0 from retrying in a hot loop. */
export const RETRY_FLOOR_MS = 50

/**
 * Delay before retry number `attempt` (0-based), in ms: exponential backoff with FULL jitter
 * ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015):
 * `cap = min(maxDelayMs, minDelayMs * 2^attempt)`, delay uniform in `[floor, cap]` where
 * `floor = min(50 ms, cap)`, rounded to whole ms. The floor is our one deviation from pure full
 * jitter (uniform in `[0, cap]`): with many clients jitter spreads reconnects, but a single client that draws
 * `random() ≈ 0` several times would otherwise hammer a server that just went down.
 *
 * @param rnd a uniform draw in [0, 1) (clamped to it)
 */
export function computeBackoffMs(attempt: number, rnd: number, minDelayMs: number, maxDelayMs: number): number {
  const exp = Math.min(Math.max(attempt, 0), 30)
  const cap = Math.min(maxDelayMs, minDelayMs * 2 ** exp)
  const floor = Math.min(RETRY_FLOOR_MS, cap)
  const r = Number.isFinite(rnd) ? Math.min(Math.max(rnd, 0), 1) : 0
  return Math.round(floor + r * (cap - floor))
}

/**
 * Delay after a 401/403, in ms: the cap with "equal jitter", uniform in `[maxDelayMs / 2, maxDelayMs]`
 * (rounded to whole ms).
 * A wrong password will not fix itself in 50 ms, but the user may fix it at any moment, so we keep
 * retrying slowly rather than giving up.
 */
export function computeAuthBackoffMs(rnd: number, maxDelayMs: number): number {
  const r = Number.isFinite(rnd) ? Math.min(Math.max(rnd, 0), 1) : 0
  return Math.round(maxDelayMs / 2 + (r * maxDelayMs) / 2)
}
