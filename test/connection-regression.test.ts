/**
 * Regression (found by the fault suite, e2e/faults: every "server-kill" cycle spent 25–35 s
 * reconnecting although `opencode serve` was healthy again after ~7 s). `opencode serve` 1.18.33
 * accepts `GET /global/event` for about 1.5 s while it starts and never answers those requests
 * (measured: no response head within 40 s). An attempt that lands in that window waits for the
 * 25 s watchdog, which is tuned for a silent *stream* (heartbeats every 10 s), not for a response
 * head that a healthy server sends at once.
 *
 * Expected: an attempt without a response head is abandoned after at most 10 s.
 */
import { describe, expect, it } from 'vitest'
import { SseConnection } from '../sw/relay/connection.ts'
import { FakeClock, settleImmediate } from './support/fake-clock.ts'

const settle = settleImmediate


describe('SseConnection against a server that accepts but never answers (regression)', () => {
  it('gives up on an attempt without a response head within 10 s and tries again', async () => {
    const clock = new FakeClock()
    let calls = 0
    // Like opencode during startup: the request is accepted, no response head ever comes.
    const hanging: typeof fetch = (_input, init) => {
      calls++
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')))
      })
    }
    const errors: string[] = []
    const conn = new SseConnection(
      { url: 'http://127.0.0.1:4096/global/event' },
      { fetch: hanging, clock, random: () => 0 },
      { onFrame: () => undefined, onState: (s) => void (s.lastError && errors.push(s.lastError)), onBadFrame: () => undefined, onOpen: () => undefined },
    )
    conn.start()
    await settle()
    expect(calls).toBe(1)
    // 10 s for the response head, then the first retry's backoff (full jitter, random() = 0 → the 50 ms floor).
    await clock.advance(10_000 + 50)
    expect(calls).toBe(2)
    expect(errors.some((e) => /no response/.test(e))).toBe(true)
    conn.stop()
  })
})
