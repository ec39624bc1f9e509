/**
 * The relay subscription as a gate for REST reads (src/sync/subscription.ts): reads asked for
 * before the first subscribe wait for it, a subscribe settles on the answer or after the timeout,
 * and a late answer is reported so the reads that went ahead can be redone.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSubscription, SUBSCRIBE_TIMEOUT_MS, type SubscribedRange } from '../src/sync/subscription.ts'

/** A relay whose subscribe answers only when told to. */
function heldRelay() {
  const answers: Array<(range: SubscribedRange) => void> = []
  const cursors: Array<number | 'head'> = []
  return {
    cursors,
    subscribe(cursor: number | 'head'): Promise<SubscribedRange> {
      cursors.push(cursor)
      return new Promise((resolve) => answers.push(resolve))
    },
    answer(range: SubscribedRange): void {
      answers.shift()?.(range)
    },
  }
}

/** Whether `p` has settled after the pending microtasks ran. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false
  void p.then(() => (done = true))
  await vi.advanceTimersByTimeAsync(0)
  return done
}

afterEach(() => vi.useRealTimers())

describe('relay subscription gate', () => {
  it('holds reads asked for before the first subscribe until the relay answers', async () => {
    vi.useFakeTimers()
    const relay = heldRelay()
    const answers: SubscribedRange[] = []
    const late = vi.fn()
    const sub = createSubscription({ subscribe: (c) => relay.subscribe(c), onAnswer: (r) => answers.push(r), onLateAnswer: late })
    const earlyRead = sub.ready()
    expect(await settled(earlyRead)).toBe(false)
    expect(sub.isReady()).toBe(false)

    const subscribed = sub.subscribe(120)
    expect(relay.cursors).toEqual([120])
    expect(await settled(earlyRead)).toBe(false)
    expect(sub.isReady()).toBe(false)
    relay.answer({ from: 120, head: 130 })
    expect(await settled(subscribed)).toBe(true)
    expect(await settled(earlyRead)).toBe(true)
    expect(sub.isReady()).toBe(true)
    expect(await settled(sub.ready())).toBe(true)
    expect(answers).toEqual([{ from: 120, head: 130 }])
    expect(late).not.toHaveBeenCalled()
  })

  it('lets reads go after the timeout, and reports an answer that comes later', async () => {
    vi.useFakeTimers()
    const relay = heldRelay()
    const late = vi.fn()
    const sub = createSubscription({ subscribe: (c) => relay.subscribe(c), onAnswer: () => undefined, onLateAnswer: late })
    const subscribed = sub.subscribe('head')
    await vi.advanceTimersByTimeAsync(SUBSCRIBE_TIMEOUT_MS - 1)
    expect(await settled(subscribed)).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await settled(subscribed)).toBe(true)
    expect(await settled(sub.ready())).toBe(true)
    expect(late).not.toHaveBeenCalled()

    relay.answer({ from: 7, head: 7 })
    await vi.advanceTimersByTimeAsync(0)
    expect(late).toHaveBeenCalledTimes(1)
  })

  it('a later subscribe (server switch) makes new reads wait for its own answer', async () => {
    vi.useFakeTimers()
    const relay = heldRelay()
    const sub = createSubscription({ subscribe: (c) => relay.subscribe(c), onAnswer: () => undefined, onLateAnswer: () => undefined, timeoutMs: 50 })
    void sub.subscribe('head')
    relay.answer({ from: 0, head: 0 })
    expect(await settled(sub.ready())).toBe(true)
    void sub.subscribe('head')
    expect(await settled(sub.ready())).toBe(false)
    expect(sub.isReady()).toBe(false)
    await vi.advanceTimersByTimeAsync(50)
    expect(await settled(sub.ready())).toBe(true)
    expect(sub.isReady()).toBe(true)
  })

  it('lets reads go at once when the relay refuses the subscribe, without rejecting', async () => {
    vi.useFakeTimers()
    const gate = createSubscription({ subscribe: () => Promise.reject(new Error('relay gone')), onAnswer: vi.fn(), onLateAnswer: vi.fn() })
    const waiting = gate.ready()
    const subscribing = gate.subscribe('head')
    expect(await settled(subscribing)).toBe(true)
    expect(await settled(waiting)).toBe(true)
  })
})
