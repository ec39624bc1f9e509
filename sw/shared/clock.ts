/**
 * The injected time source of the relay and the app (and its fake in tests,
 * test/support/fake-clock.ts): wall-clock epoch ms and one-shot timers.
 *
 * Lib-neutral (DOM, WebWorker and Node).
 */

/** Injected time source and timers (ms), so tests can drive time by hand. */
export interface Clock {
  /** Epoch ms. */
  now(): number
  /** Runs `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown
  /** Cancels a timer; ignores handles that already fired or were cleared. */
  clearTimeout(handle: unknown): void
}

/**
 * Real timers and wall clock of any scope: window, worker or Node (the relay-awake CLI). Handles are
 * numbers everywhere: a browser's timer id as is, and in Node the `Timeout`'s primitive id
 * (`timeout[Symbol.toPrimitive]()`, Node ≥ 14.9), which Node's `clearTimeout` accepts.
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => Number(setTimeout(fn, Math.max(0, ms))),
  clearTimeout: (handle: unknown): void => {
    if (typeof handle === 'number') clearTimeout(handle)
  },
}
