/**
 * relay-awake's reconnect policy for its own `GET /global/event` stream. The delays come from the
 * shared backoff with full jitter (sw/shared/backoff.ts), the same one the relay uses.
 */
import { computeBackoffMs } from '../../../sw/shared/backoff.ts'

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
 * Delay in ms before retry number `attempt` (0-based): `computeBackoffMs` with this policy's bounds,
 * uniform in `[50 ms floor, min(capMs, baseMs * 2^attempt)]`.
 * @param random uniform source in `[0, 1)`; injectable for tests.
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return computeBackoffMs(attempt, random(), policy.baseMs, policy.capMs)
}
