/**
 * The failed-load retry timer (src/sync/retry.ts): backoff with full jitter from
 * sw/shared/backoff.ts (never a fixed delay), a retry only while one can succeed, re-armed while
 * something is still failed, and the backoff started over once nothing is.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRetry, RETRY_MAX_DELAY_MS, RETRY_MIN_DELAY_MS } from '../src/sync/retry.ts'
import { computeBackoffMs } from '../sw/shared/backoff.ts'

afterEach(() => vi.useRealTimers())

function setup(options: { random?: number } = {}) {
  const state = { enabled: true, failed: true, connected: true }
  const run = vi.fn()
  const retry = createRetry({
    enabled: () => state.enabled,
    pending: () => state.failed,
    canRun: () => state.connected,
    run,
    random: () => options.random ?? 1,
  })
  return { state, run, retry }
}

describe('failed-load retry', () => {
  it('waits the backoff of each attempt: doubling from 1 s up to 30 s (full jitter at its top draw)', async () => {
    vi.useFakeTimers()
    const { retry, run } = setup({ random: 1 })
    retry.schedule()
    const expected = [0, 1, 2, 3, 4, 5, 6].map((attempt) => computeBackoffMs(attempt, 1, RETRY_MIN_DELAY_MS, RETRY_MAX_DELAY_MS))
    expect(expected).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000])
    for (const [i, delay] of expected.entries()) {
      await vi.advanceTimersByTimeAsync(delay - 1)
      expect(run).toHaveBeenCalledTimes(i)
      await vi.advanceTimersByTimeAsync(1)
      expect(run).toHaveBeenCalledTimes(i + 1)
    }
  })

  it('jitters: a low draw retries much sooner than the cap', async () => {
    vi.useFakeTimers()
    const { retry, run } = setup({ random: 0 })
    retry.schedule()
    await vi.advanceTimersByTimeAsync(computeBackoffMs(0, 0, RETRY_MIN_DELAY_MS, RETRY_MAX_DELAY_MS))
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('one timer at a time, none while disabled', async () => {
    vi.useFakeTimers()
    const { retry, run, state } = setup()
    retry.schedule()
    retry.schedule()
    await vi.advanceTimersByTimeAsync(1000)
    expect(run).toHaveBeenCalledTimes(1)
    retry.cancel()
    state.enabled = false
    retry.schedule()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('does not run while a retry cannot succeed (relay not connected), but keeps backing off', async () => {
    vi.useFakeTimers()
    const { retry, run, state } = setup()
    state.connected = false
    retry.schedule()
    await vi.advanceTimersByTimeAsync(1000 + 2000)
    expect(run).not.toHaveBeenCalled()
    state.connected = true
    await vi.advanceTimersByTimeAsync(4000)
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('stops once nothing is failed and starts the backoff over', async () => {
    vi.useFakeTimers()
    const { retry, run, state } = setup()
    run.mockImplementation(() => void (state.failed = false))
    retry.schedule()
    await vi.advanceTimersByTimeAsync(1000)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(run).toHaveBeenCalledTimes(1)
    // A new failure waits the shortest step again.
    state.failed = true
    retry.schedule()
    await vi.advanceTimersByTimeAsync(1000)
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('resetBackoff makes the next wait the shortest again', async () => {
    vi.useFakeTimers()
    const { retry, run } = setup()
    retry.schedule()
    await vi.advanceTimersByTimeAsync(1000)
    retry.cancel()
    retry.resetBackoff()
    retry.schedule()
    await vi.advanceTimersByTimeAsync(1000)
    expect(run).toHaveBeenCalledTimes(2)
  })
})
