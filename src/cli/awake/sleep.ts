/**
 * A cancellable sleep for relay-awake. Every timer in the CLI (lease expiry, release grace,
 * reconnect backoff, SSE watchdog, kill escalation) goes through the shared {@link Clock}
 * (sw/shared/clock.ts, `realClock` by default) so unit tests drive time with a fake clock instead
 * of sleeping.
 */
import type { Clock } from '../../../sw/shared/clock.ts'

/** Resolves after `ms` on `clock`, or early (without rejecting) when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const onAbort = (): void => {
      clock.clearTimeout(timer)
      resolve()
    }
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
