/**
 * Time sources for relay-awake. Every timer in the CLI (lease expiry, release grace, reconnect
 * backoff, SSE watchdog, kill escalation) goes through a {@link Clock} so unit tests can inject a
 * manual clock instead of sleeping.
 */

/** A pending timer; `cancel()` is idempotent. */
export interface Timer {
  cancel(): void
}

/** Injected clock: wall time in epoch ms and one-shot timers in ms. */
export interface Clock {
  /** Current time, epoch ms. */
  now(): number
  /** Runs `fn` once after `ms` milliseconds (>= 0). */
  setTimeout(fn: () => void, ms: number): Timer
}

/** The real clock: `Date.now()` and Node's `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms))
    return { cancel: () => clearTimeout(handle) }
  },
}

/** Resolves after `ms` on `clock`, or early (without rejecting) when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const onAbort = (): void => {
      timer.cancel()
      resolve()
    }
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
