/**
 * A manual timer queue implementing the relay's `Clock` (sw/relay/connection.ts): time moves
 * only in `advance`, so connection, lease and backoff tests run without real timers.
 */
import type { Clock } from '../../sw/shared/clock.ts'

/** Lets pending promise callbacks (fetch resolution, stream reads) run: 4 macrotask turns. No real time passes. */
export async function settleImmediate(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** A manual clock; epoch ms starting at 1 700 000 000 000. */
export class FakeClock implements Clock {
  t = 1_700_000_000_000
  private seq = 0
  private readonly timers = new Map<number, { at: number; fn: () => void }>()

  /** @param settle run after every timer fired by {@link FakeClock.advance}, and at its end */
  constructor(private readonly settle: () => Promise<void> = settleImmediate) {}

  now(): number {
    return this.t
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn })
    return id
  }
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.timers.delete(handle)
  }
  /** Number of pending timers. */
  get pending(): number {
    return this.timers.size
  }
  /**
   * A sleep of the machine: the wall clock jumps `ms` ahead while no timer runs, and every pending
   * timer stays due as far in the future as before (timers run on a monotonic clock that stands
   * still during a sleep).
   */
  sleep(ms: number): void {
    this.t += ms
    for (const timer of this.timers.values()) timer.at += ms
  }
  /** Runs every timer due within `ms` (ms), in order, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined
      for (const entry of this.timers) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry
      if (!next) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
      await this.settle()
    }
    this.t = target
    await this.settle()
  }
}
