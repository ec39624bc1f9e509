import { describe, expect, it } from 'vitest'
import { DegradedMode, POLL_BUSY_MS, POLL_IDLE_MS, restAnswers, type DegradedHost } from '../sw/relay/degraded.ts'
import { FakeClock } from './support/fake-clock.ts'

/** A host whose REST answers as told, counting polls. */
function setup(opts: { answers?: boolean } = {}) {
  const clock = new FakeClock()
  const log = { probes: 0, polls: [] as boolean[], changes: 0 }
  const host = {
    answers: opts.answers ?? true,
    busy: false,
    probe: () => {
      log.probes++
      return Promise.resolve(host.answers)
    },
    poll: (first: boolean) => {
      log.polls.push(first)
      return Promise.resolve(host.answers)
    },
    isBusy: () => host.busy,
  }
  const degraded = new DegradedMode(clock, {
    probe: host.probe,
    poll: host.poll,
    busy: host.isBusy,
    changed: () => log.changes++,
  } satisfies DegradedHost)
  return { clock, host, log, degraded }
}

describe('DegradedMode: detection', () => {
  it('goes degraded after two silent stream attempts in a row while REST answers, and polls at once', async () => {
    const t = setup()
    t.degraded.streamFailed('no-first-event', 'no event for 5 s after the stream opened')
    await t.clock.advance(0)
    expect(t.log.probes).toBe(0)
    expect(t.degraded.state).toBeUndefined()
    t.degraded.streamFailed('no-response', 'no response for 10 s')
    await t.clock.advance(0)
    await t.clock.advance(0)
    expect(t.log.probes).toBe(1)
    expect(t.degraded.state).toEqual({ since: t.clock.now(), pollMs: POLL_IDLE_MS, reason: 'no response for 10 s' })
    expect(t.log.polls).toEqual([true])
  })

  it('stays out when REST fails too: the server is down, not the stream', async () => {
    const t = setup({ answers: false })
    t.degraded.streamFailed('no-heartbeat', 'no heartbeat for 25 s')
    t.degraded.streamFailed('no-heartbeat', 'no heartbeat for 25 s')
    await t.clock.advance(10_000)
    expect(t.log.probes).toBe(1)
    expect(t.degraded.state).toBeUndefined()
    expect(t.log.polls).toEqual([])
  })

  it('does not count a refused or unreachable server, or a silent attempt followed by a working stream', async () => {
    const t = setup()
    t.degraded.streamFailed('no-first-event', 'x')
    t.degraded.streamFailed('network', 'network error: fetch failed')
    t.degraded.streamFailed('no-first-event', 'x')
    await t.clock.advance(0)
    expect(t.log.probes).toBe(0)
    // A laptop that slept: one silent attempt, then a stream that delivers.
    t.degraded.streamOpened()
    t.degraded.frame(false)
    t.degraded.streamFailed('no-heartbeat', 'x')
    await t.clock.advance(0)
    expect(t.log.probes).toBe(0)
    expect(t.degraded.state).toBeUndefined()
  })
})

describe('DegradedMode: polling', () => {
  async function degraded(t: ReturnType<typeof setup>): Promise<void> {
    t.degraded.streamFailed('no-first-event', 'x')
    t.degraded.streamFailed('no-first-event', 'y')
    await t.clock.advance(0)
    await t.clock.advance(0)
    expect(t.degraded.state).toBeDefined()
    expect(t.log.polls).toEqual([true])
  }

  it('polls every 2 s while idle and every 1 s while a session is busy, one poll after the other', async () => {
    const t = setup()
    await degraded(t)
    await t.clock.advance(POLL_IDLE_MS - 1)
    expect(t.log.polls).toEqual([true])
    await t.clock.advance(1)
    expect(t.log.polls).toEqual([true, false])
    t.host.busy = true
    const changes = t.log.changes
    await t.clock.advance(POLL_IDLE_MS)
    expect(t.log.polls).toHaveLength(3)
    expect(t.degraded.state?.pollMs).toBe(POLL_BUSY_MS)
    expect(t.log.changes).toBe(changes + 1)
    await t.clock.advance(3 * POLL_BUSY_MS)
    expect(t.log.polls).toHaveLength(6)
  })

  it('ends when a poll is not answered (the server went down)', async () => {
    const t = setup()
    await degraded(t)
    t.host.answers = false
    await t.clock.advance(POLL_IDLE_MS)
    expect(t.degraded.state).toBeUndefined()
    await t.clock.advance(60_000)
    expect(t.log.polls).toHaveLength(2)
  })

  it('ends once the stream carries heartbeats in real time, not on a burst of buffered ones', async () => {
    const t = setup()
    await degraded(t)
    // A buffered block arrives: heartbeats back to back.
    t.degraded.streamOpened()
    for (let i = 0; i < 5; i++) t.degraded.frame(true)
    expect(t.degraded.state).toBeDefined()
    // The proxy stopped buffering: a heartbeat every 10 s.
    await t.clock.advance(10_000)
    t.degraded.frame(true)
    expect(t.degraded.state).toBeDefined()
    await t.clock.advance(10_000)
    t.degraded.frame(true)
    expect(t.degraded.state).toBeUndefined()
    const polls = t.log.polls.length
    await t.clock.advance(60_000)
    expect(t.log.polls).toHaveLength(polls)
  })

  it('reset ends it and forgets the silent attempts seen', async () => {
    const t = setup()
    await degraded(t)
    t.degraded.reset()
    expect(t.degraded.state).toBeUndefined()
    t.degraded.streamFailed('no-first-event', 'x')
    await t.clock.advance(POLL_IDLE_MS)
    expect(t.degraded.state).toBeUndefined()
  })
})

describe('restAnswers (the REST probe)', () => {
  const server = { url: 'http://opencode.test', password: 'pw' }

  it('asks GET /global/health with Basic auth and is true only for a 2xx answer', async () => {
    const clock = new FakeClock()
    const seen: Array<{ url: string; auth: string | null }> = []
    const answer = (status: number): typeof fetch => async (input, init) => {
      seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') })
      return new Response('{}', { status })
    }
    expect(await restAnswers(server, { fetch: answer(200), clock }, 5_000)).toBe(true)
    expect(await restAnswers(server, { fetch: answer(502), clock }, 5_000)).toBe(false)
    expect(seen[0]).toEqual({ url: 'http://opencode.test/global/health', auth: `Basic ${btoa('opencode:pw')}` })
    const refused: typeof fetch = () => Promise.reject(new TypeError('fetch failed'))
    expect(await restAnswers(server, { fetch: refused, clock }, 5_000)).toBe(false)
  })

  it('gives up after its timeout when the server does not answer', async () => {
    const clock = new FakeClock()
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
    const answer = restAnswers(server, { fetch: hanging, clock }, 5_000)
    await clock.advance(5_000)
    expect(await answer).toBe(false)
  })
})
