/**
 * When to load again what failed: a timer with exponential backoff and full jitter
 * (sw/shared/backoff.ts; 1 s doubling to 30 s by default), armed after a failed load and re-armed
 * while something is still failed. It covers failures the relay cannot see — a 5xx on one
 * endpoint, this page's network alone — and only fires a retry while one can succeed (the relay is
 * connected; when it is not, its reconnect triggers the retry instead). What is retried is the
 * owner's business (src/sync/recovery.ts).
 */
import { computeBackoffMs } from '../../sw/shared/backoff.ts'

/** Default first backoff cap, in ms. */
export const RETRY_MIN_DELAY_MS = 1000
/** Default longest backoff, in ms. */
export const RETRY_MAX_DELAY_MS = 30_000

/** Options of {@link createRetry}. */
export interface RetryOptions {
  /** Whether retries may be scheduled at all (the sync is started). */
  enabled(): boolean
  /** Whether anything is still failed. */
  pending(): boolean
  /** Whether a retry can succeed now (the relay is connected). */
  canRun(): boolean
  /** Loads again whatever failed (must not throw). */
  run(): void
  /** First backoff cap in ms (default {@link RETRY_MIN_DELAY_MS}). */
  minDelayMs?: number
  /** Backoff cap in ms (default {@link RETRY_MAX_DELAY_MS}). */
  maxDelayMs?: number
  /** Uniform draw in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number
}

/** The retry timer. */
export interface Retry {
  /**
   * Arms the timer unless it is armed already or retries are disabled. When it fires: runs the
   * retry if one can succeed and something failed; re-arms (next backoff step) while something is
   * still failed, else starts the backoff over.
   */
  schedule(): void
  /** Starts the backoff over (the connection came back: the next failure waits the shortest again). */
  resetBackoff(): void
  /** Disarms the timer (the backoff step is kept). */
  cancel(): void
}

/** Creates a disarmed retry timer. */
export function createRetry(options: RetryOptions): Retry {
  const min = options.minDelayMs ?? RETRY_MIN_DELAY_MS
  const max = options.maxDelayMs ?? RETRY_MAX_DELAY_MS
  const random = options.random ?? Math.random
  let timer: ReturnType<typeof setTimeout> | undefined
  let attempt = 0

  function schedule(): void {
    if (!options.enabled() || timer !== undefined) return
    const delay = computeBackoffMs(attempt++, random(), min, max)
    timer = setTimeout(() => {
      timer = undefined
      if (options.canRun() && options.pending()) options.run()
      if (options.pending()) schedule()
      else attempt = 0
    }, delay)
  }

  return {
    schedule,
    resetBackoff: () => void (attempt = 0),
    cancel() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
  }
}
