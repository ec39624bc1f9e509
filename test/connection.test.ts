import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { computeAuthBackoffMs, computeBackoffMs, RETRY_FLOOR_MS } from '../sw/shared/backoff.ts'
import {
  SseConnection,
  systemDeps,
  WATCHDOG_STEP_MS,
  type ConnectionOptions,
  type ConnectionSnapshot,
} from '../sw/relay/connection.ts'
import type { UpstreamFrame } from '../sw/shared/frames.ts'
import { FakeClock, settleImmediate } from './support/fake-clock.ts'

// ---------------------------------------------------------------------------------------------
// Test doubles: a manual clock and a scripted fetch whose responses stream chunks we push.

/** Lets pending promise callbacks (fetch resolution, stream reads) run. No real time passes. */
const settle = settleImmediate


const encoder = new TextEncoder()

/** One request made through {@link FakeFetch}; the test decides how it is answered. */
class FakeCall {
  /** Responded without a stream, rejected, or its stream ended/errored/cancelled. */
  ended = false
  cancelled = false
  private responded = false
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined

  constructor(
    readonly url: string,
    readonly init: RequestInit | undefined,
    private readonly resolve: (r: Response) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    this.signal?.addEventListener('abort', () => {
      const err = new DOMException('This operation was aborted', 'AbortError')
      if (!this.responded) this.reject(err)
      else if (this.controller && !this.ended) this.controller.error(err)
      this.ended = true
    })
  }

  get signal(): AbortSignal | undefined {
    return this.init?.signal ?? undefined
  }
  get aborted(): boolean {
    return this.signal?.aborted ?? false
  }
  /** Still doing network work: not aborted and not finished. */
  get live(): boolean {
    return !this.aborted && !this.ended
  }
  header(name: string): string | null {
    return new Headers(this.init?.headers).get(name)
  }

  /** Answers 200 `text/event-stream` with a body the test pushes into. */
  open(contentType = 'text/event-stream'): this {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller
      },
      cancel: () => {
        this.cancelled = true
        this.ended = true
      },
    })
    this.respondWith(new Response(stream, { status: 200, headers: { 'content-type': contentType } }))
    return this
  }
  /** Answers with a complete (non-streaming) body. */
  respond(status: number, body: string, contentType: string, statusText = ''): void {
    this.respondWith(new Response(body, { status, statusText, headers: { 'content-type': contentType } }))
    this.ended = true
  }
  fail(err: unknown): void {
    this.responded = true
    this.ended = true
    this.reject(err)
  }
  push(chunk: string | Uint8Array): void {
    if (!this.controller) throw new Error('not open')
    this.controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
  }
  close(): void {
    this.controller?.close()
    this.ended = true
  }
  error(err: unknown): void {
    this.controller?.error(err)
    this.ended = true
  }
  private respondWith(response: Response): void {
    this.responded = true
    this.resolve(response)
  }
}

class FakeFetch {
  readonly calls: FakeCall[] = []
  /** Times a fetch started while another one was still live. Must stay 0. */
  concurrent = 0

  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      if (this.calls.some((c) => c.live)) this.concurrent++
      this.calls.push(new FakeCall(String(input), init, resolve, reject))
    })

  get last(): FakeCall {
    const call = this.calls.at(-1)
    if (!call) throw new Error('no fetch yet')
    return call
  }
}

const URL_A = 'http://127.0.0.1:4096/global/event'

function sse(payload: object): string {
  return `data: ${JSON.stringify(payload)}\n\n`
}
function heartbeat(n: number): string {
  return sse({ directory: 'global', payload: { id: `evt_hb${n}`, type: 'server.heartbeat', properties: {} } })
}
function delta(id: string, text: string): object {
  return {
    directory: '/tmp/x/project',
    project: 'd74f',
    payload: {
      id,
      type: 'message.part.delta',
      properties: { sessionID: 'ses_1', messageID: 'msg_1', partID: 'prt_1', field: 'text', delta: text },
    },
  }
}
function deltaText(frame: UpstreamFrame): string | undefined {
  const p = frame.payload
  return p.type === 'message.part.delta' ? p.properties.delta : undefined
}

interface Harness {
  conn: SseConnection
  clock: FakeClock
  net: FakeFetch
  states: ConnectionSnapshot[]
  frames: UpstreamFrame[]
  bad: string[]
  opens: boolean[]
  /** Value `random()` returns; `randomCalls` counts the draws. */
  rnd: { value: number; calls: number }
}

let h: Harness | undefined

function setup(options: Partial<ConnectionOptions> = {}, handlers: { onFrame?: (f: UpstreamFrame) => void } = {}): Harness {
  const clock = new FakeClock()
  const net = new FakeFetch()
  const rnd = { value: 0.5, calls: 0 }
  const states: ConnectionSnapshot[] = []
  const frames: UpstreamFrame[] = []
  const bad: string[] = []
  const opens: boolean[] = []
  const conn = new SseConnection(
    { url: URL_A, ...options },
    {
      fetch: net.fetch,
      clock,
      random: () => {
        rnd.calls++
        return rnd.value
      },
    },
    {
      onFrame: (f) => {
        frames.push(f)
        handlers.onFrame?.(f)
      },
      onState: (s) => states.push(s),
      onBadFrame: (e) => bad.push(e),
      onOpen: (info) => opens.push(info.reconnect),
    },
  )
  h = { conn, clock, net, states, frames, bad, opens, rnd }
  return h
}

/** start() and answer the first request with an open stream. */
async function connected(options: Partial<ConnectionOptions> = {}): Promise<Harness> {
  const t = setup(options)
  t.conn.start()
  await settle()
  t.net.last.open()
  await settle()
  expect(t.conn.snapshot().state).toBe('connected')
  return t
}

/** The delay of the pending backoff wait, in ms. */
function retryDelay(t: Harness): number {
  const s = t.conn.snapshot()
  expect(s.state).toBe('reconnecting')
  if (s.nextRetryAt === undefined) throw new Error('no nextRetryAt')
  return s.nextRetryAt - t.clock.now()
}

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined)
})

afterEach(() => {
  vi.restoreAllMocks()
  const t = h
  h = undefined
  if (!t) return
  // The single-stream invariant holds in every scenario, and stop() always leaves no timer.
  expect(t.net.concurrent).toBe(0)
  t.conn.stop()
  expect(t.clock.pending).toBe(0)
})

// ---------------------------------------------------------------------------------------------

describe('computeBackoffMs (full jitter)', () => {
  const MIN = 500
  const MAX = 8000

  it('stays within [floor, cap] with cap = min(max, min * 2^attempt)', () => {
    for (let attempt = 0; attempt <= 60; attempt++) {
      const cap = Math.min(MAX, MIN * 2 ** attempt)
      for (const r of [0, 1e-9, 0.25, 0.5, 0.75, 0.999999]) {
        const d = computeBackoffMs(attempt, r, MIN, MAX)
        expect(d).toBeGreaterThanOrEqual(0)
        expect(d).toBeGreaterThanOrEqual(RETRY_FLOOR_MS)
        expect(d).toBeLessThanOrEqual(cap)
      }
    }
    expect(computeBackoffMs(1000, 0.999999, MIN, MAX)).toBeLessThanOrEqual(MAX)
    expect(computeBackoffMs(1000, 0.999999, MIN, MAX)).toBeGreaterThan(MAX * 0.999)
  })

  it('uses the whole range: random 0 gives the floor, random → 1 gives the cap', () => {
    expect(computeBackoffMs(0, 0, MIN, MAX)).toBe(RETRY_FLOOR_MS)
    expect(computeBackoffMs(3, 0.999999, MIN, MAX)).toBeCloseTo(4000, 0)
    expect(computeBackoffMs(0, 0.5, MIN, MAX)).toBe(275)
  })

  it('grows exponentially in expectation until the cap', () => {
    // Deterministic PRNG (LCG) to estimate the mean delay per attempt.
    let seed = 42
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) % 2 ** 32
      return seed / 2 ** 32
    }
    const mean = (attempt: number) => {
      let sum = 0
      for (let i = 0; i < 4000; i++) sum += computeBackoffMs(attempt, rand(), MIN, MAX)
      return sum / 4000
    }
    const means = [0, 1, 2, 3, 4, 5, 6].map(mean)
    for (let a = 0; a < 4; a++) {
      const ratio = means[a + 1] / means[a]
      expect(ratio).toBeGreaterThan(1.7)
      expect(ratio).toBeLessThan(2.3)
    }
    // Capped from attempt 4 on (500 * 2^4 = 8000): the mean stops growing.
    expect(Math.abs(means[6] - means[5]) / means[5]).toBeLessThan(0.1)
    expect(means[6]).toBeGreaterThan(3600)
    expect(means[6]).toBeLessThan(4400)
  })

  it('clamps a random() outside [0, 1)', () => {
    expect(computeBackoffMs(2, -1, MIN, MAX)).toBe(RETRY_FLOOR_MS)
    expect(computeBackoffMs(2, 7, MIN, MAX)).toBe(2000)
    expect(computeBackoffMs(2, Number.NaN, MIN, MAX)).toBe(RETRY_FLOOR_MS)
  })

  it('auth backoff: equal jitter at the cap, [max/2, max]', () => {
    expect(computeAuthBackoffMs(0, MAX)).toBe(4000)
    expect(computeAuthBackoffMs(0.5, MAX)).toBe(6000)
    expect(computeAuthBackoffMs(0.999999, MAX)).toBeLessThanOrEqual(MAX)
  })
})

describe('SseConnection: reconnect and backoff', () => {
  it('goes connecting → connected → reconnecting → connecting → connected', async () => {
    const t = await connected()
    t.net.last.close()
    await settle()
    await t.clock.advance(retryDelay(t))
    t.net.last.open()
    await settle()
    expect(t.states.map((s) => s.state)).toEqual(['connecting', 'connected', 'reconnecting', 'connecting', 'connected'])
    expect(t.states[2].lastError).toBe('stream ended by server')
    expect(t.states[1].connectedAt).toBeTypeOf('number')
    expect(t.states[2].nextRetryAt).toBeTypeOf('number')
    expect(t.states[2].connectedAt).toBeUndefined()
    expect(t.opens).toEqual([false, true])
    expect(t.net.calls).toHaveLength(2)
    expect(t.states[4].lastError).toBeUndefined()
  })

  it('sends Accept and the configured headers, and no fetch runs beside another', async () => {
    const t = await connected({ headers: { Authorization: 'Basic b3BlbmNvZGU6cHc=' } })
    expect(t.net.last.url).toBe(URL_A)
    expect(t.net.last.header('accept')).toBe('text/event-stream')
    expect(t.net.last.header('authorization')).toBe('Basic b3BlbmNvZGU6cHc=')
  })

  it('draws the jitter from random(): one draw per failure', async () => {
    const t = setup()
    t.rnd.value = 0.25
    t.conn.start()
    await settle()
    t.net.last.fail(new TypeError('fetch failed'))
    await settle()
    expect(t.rnd.calls).toBe(1)
    expect(retryDelay(t)).toBe(computeBackoffMs(0, 0.25, 500, 8000))
    expect(t.conn.snapshot()).toMatchObject({ state: 'reconnecting', attempt: 1, lastError: 'network error: fetch failed' })

    t.rnd.value = 0
    await t.clock.advance(retryDelay(t))
    t.net.last.fail(new TypeError('fetch failed'))
    await settle()
    expect(t.rnd.calls).toBe(2)
    expect(retryDelay(t)).toBe(RETRY_FLOOR_MS)
  })

  it('backs off exponentially up to the cap while failures continue', async () => {
    const t = setup()
    t.rnd.value = 0.999999
    t.conn.start()
    const delays: number[] = []
    for (let i = 0; i < 8; i++) {
      await settle()
      t.net.last.fail(new TypeError('fetch failed'))
      await settle()
      delays.push(Math.round(retryDelay(t)))
      expect(t.conn.snapshot().attempt).toBe(i + 1)
      // Not a moment early: nothing happens 1 ms before the retry is due.
      await t.clock.advance(retryDelay(t) - 1)
      expect(t.net.calls).toHaveLength(i + 1)
      await t.clock.advance(1)
      expect(t.net.calls).toHaveLength(i + 2)
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000, 8000])
  })

  it('resets the attempt after a connection stayed healthy for healthyAfterMs', async () => {
    const t = setup()
    t.rnd.value = 0.999999
    t.conn.start()
    for (let i = 0; i < 3; i++) {
      await settle()
      t.net.last.fail(new TypeError('fetch failed'))
      await settle()
      await t.clock.advance(retryDelay(t))
    }
    expect(t.conn.snapshot().attempt).toBe(3)
    // A short-lived connection does not count as healthy: the backoff keeps growing.
    t.net.last.open()
    await settle()
    await t.clock.advance(4999)
    t.net.last.close()
    await settle()
    expect(t.conn.snapshot().attempt).toBe(4)
    expect(Math.round(retryDelay(t))).toBe(4000)
    await t.clock.advance(retryDelay(t))
    // One that lived 5 s does: the next retry is a first retry again.
    t.net.last.open()
    await settle()
    await t.clock.advance(5000)
    t.net.last.close()
    await settle()
    expect(t.conn.snapshot().attempt).toBe(1)
    expect(retryDelay(t)).toBeLessThanOrEqual(500)
  })

  it('HTTP 401 gives a clear error and retries slowly (auth backoff)', async () => {
    const t = setup()
    t.conn.start()
    await settle()
    t.net.last.respond(401, 'Unauthorized', 'text/plain', 'Unauthorized')
    await settle()
    expect(t.conn.snapshot().lastError).toBe('HTTP 401 Unauthorized (check the server password)')
    const d = retryDelay(t)
    expect(d).toBeGreaterThanOrEqual(4000)
    expect(d).toBeLessThanOrEqual(8000)
    await t.clock.advance(d)
    expect(t.net.calls).toHaveLength(2)
    t.net.last.respond(403, '', 'text/plain')
    await settle()
    expect(t.conn.snapshot().lastError).toBe('HTTP 403 Forbidden (check the server password)')
  })

  it('HTTP 500 gives a clear error (status text filled in when the server sends none) and retries', async () => {
    const t = setup()
    t.conn.start()
    await settle()
    t.net.last.respond(500, '{"name":"UnknownError"}', 'application/json')
    await settle()
    expect(t.conn.snapshot().lastError).toBe('HTTP 500 Internal Server Error')
    expect(retryDelay(t)).toBeLessThanOrEqual(500)
    await t.clock.advance(retryDelay(t))
    expect(t.net.calls).toHaveLength(2)
    t.net.last.respond(404, 'Not Found', 'text/plain', 'Not Found')
    await settle()
    expect(t.conn.snapshot().lastError).toBe('HTTP 404 Not Found (no /global/event here: is this an OpenCode server?)')
  })

  it('an HTML page with status 200 is not an event stream', async () => {
    const t = setup()
    t.conn.start()
    await settle()
    t.net.last.respond(200, '<!doctype html><title>proxy</title>', 'text/html; charset=utf-8')
    await settle()
    expect(t.conn.snapshot()).toMatchObject({ state: 'reconnecting', lastError: 'expected text/event-stream, got text/html' })
    expect(t.opens).toEqual([])
    await t.clock.advance(retryDelay(t))
    t.net.last.open('text/event-stream; charset=utf-8')
    await settle()
    expect(t.conn.snapshot().state).toBe('connected')
  })

  it('a network error mid-stream reconnects', async () => {
    const t = await connected()
    t.net.last.push(heartbeat(1))
    await settle()
    const call = t.net.last
    // Erroring the body stream is what a real fetch does on a dropped connection.
    call.error(new TypeError('terminated'))
    await settle()
    expect(t.conn.snapshot()).toMatchObject({ state: 'reconnecting', lastError: 'stream error: terminated' })
  })
})

describe('SseConnection: watchdog', () => {
  it('fires after 25 s of silence and reconnects', async () => {
    const t = await connected()
    const first = t.net.last
    await t.clock.advance(24_999)
    expect(t.conn.snapshot().state).toBe('connected')
    await t.clock.advance(1)
    expect(t.conn.snapshot()).toMatchObject({ state: 'reconnecting', lastError: 'no heartbeat for 25 s' })
    expect(first.aborted).toBe(true)
    await t.clock.advance(retryDelay(t))
    expect(t.net.calls).toHaveLength(2)
  })

  it('after a sleep of the machine, notices the silence within one 5 s step of the wake', async () => {
    const t = await connected()
    await t.clock.advance(3_000)
    t.net.last.push(heartbeat(1))
    await settle()
    await t.clock.advance(2_000)
    // The lid closes for 10 minutes: the wall clock jumps, the timers do not move.
    t.clock.sleep(600_000)
    expect(t.conn.snapshot().state).toBe('connected')
    await t.clock.advance(WATCHDOG_STEP_MS)
    expect(t.conn.snapshot()).toMatchObject({ state: 'reconnecting', lastError: 'no heartbeat for 25 s' })
    expect(t.net.calls[0].aborted).toBe(true)
  })

  it('does not fire while heartbeats flow every 10 s', async () => {
    const t = await connected()
    for (let i = 0; i < 30; i++) {
      await t.clock.advance(10_000)
      t.net.last.push(heartbeat(i))
      await settle()
    }
    expect(t.conn.snapshot().state).toBe('connected')
    expect(t.net.calls).toHaveLength(1)
    expect(t.frames).toHaveLength(30)
    // Any bytes count, even a comment line.
    await t.clock.advance(20_000)
    t.net.last.push(': keep-alive\n\n')
    await settle()
    await t.clock.advance(20_000)
    expect(t.conn.snapshot().state).toBe('connected')
    await t.clock.advance(5_000)
    expect(t.conn.snapshot().state).toBe('reconnecting')
  })

  it('also bounds a request that never gets a response', async () => {
    const t = setup()
    t.conn.start()
    await settle()
    await t.clock.advance(9_999)
    expect(t.conn.snapshot().state).toBe('connecting')
    await t.clock.advance(1)
    expect(t.conn.snapshot()).toMatchObject({ state: 'reconnecting', lastError: 'no response for 10 s' })
    expect(t.net.calls[0].aborted).toBe(true)
  })

  it('gives up on an attempt without a response head within 10 s and tries again, not after the 25 s watchdog', async () => {
    // `opencode serve` accepts `GET /global/event` for about 1.5 s while it starts and never
    // answers those requests. The 25 s watchdog is for a silent stream; a healthy server sends the
    // response head at once, so an attempt without one is abandoned after 10 s.
    const t = setup()
    t.rnd.value = 0
    t.conn.start()
    await settle()
    expect(t.net.calls).toHaveLength(1)
    // 10 s for the response head, then the first retry's backoff (full jitter, random() = 0: the floor).
    await t.clock.advance(10_000 + RETRY_FLOOR_MS)
    expect(t.net.calls).toHaveLength(2)
    expect(t.states.some((s) => s.lastError !== undefined && /no response/.test(s.lastError))).toBe(true)
  })
})

describe('SseConnection: a stream that opens and says nothing', () => {
  it('with firstEventTimeoutMs, gives up on a stream without a first frame: it is held on the way', async () => {
    const t = await connected({ firstEventTimeoutMs: 5_000 })
    // Bytes that frame nothing (a comment) are not an event.
    t.net.last.push(': padding\n\n')
    await settle()
    await t.clock.advance(4_999)
    expect(t.conn.snapshot().state).toBe('connected')
    await t.clock.advance(1)
    expect(t.conn.snapshot()).toMatchObject({ state: 'reconnecting', failure: 'no-first-event', lastError: 'no event for 5 s after the stream opened' })
  })

  it('once the first frame came, only the 25 s heartbeat watchdog applies', async () => {
    const t = await connected({ firstEventTimeoutMs: 5_000 })
    t.net.last.push(heartbeat(0))
    await settle()
    await t.clock.advance(24_000)
    expect(t.conn.snapshot()).toMatchObject({ state: 'connected' })
    await t.clock.advance(1_000)
    expect(t.conn.snapshot()).toMatchObject({ state: 'reconnecting', failure: 'no-heartbeat' })
  })

  it('names every failure by its kind, and a successful open clears it', async () => {
    const t = setup()
    t.rnd.value = 0
    t.conn.start()
    await settle()
    t.net.last.fail(new TypeError('fetch failed'))
    await settle()
    expect(t.conn.snapshot().failure).toBe('network')
    await t.clock.advance(retryDelay(t))
    t.net.last.respond(401, 'no', 'text/plain')
    await settle()
    expect(t.conn.snapshot().failure).toBe('auth')
    await t.clock.advance(retryDelay(t))
    t.net.last.respond(502, 'bad gateway', 'text/plain')
    await settle()
    expect(t.conn.snapshot().failure).toBe('http')
    await t.clock.advance(retryDelay(t))
    t.net.last.respond(200, '<html>', 'text/html')
    await settle()
    expect(t.conn.snapshot().failure).toBe('not-sse')
    await t.clock.advance(retryDelay(t))
    t.net.last.open()
    await settle()
    expect(t.conn.snapshot().failure).toBeUndefined()
  })
})

describe('SseConnection: control', () => {
  it('setOnline(false) while waiting: state offline, no timers; setOnline(true): connects at once', async () => {
    const t = setup()
    t.conn.start()
    await settle()
    t.net.last.fail(new TypeError('fetch failed'))
    await settle()
    expect(t.conn.snapshot().state).toBe('reconnecting')
    t.conn.setOnline(false)
    expect(t.conn.snapshot()).toMatchObject({ state: 'offline', lastError: 'network error: fetch failed' })
    expect(t.conn.snapshot().nextRetryAt).toBeUndefined()
    expect(t.clock.pending).toBe(0)
    await t.clock.advance(600_000)
    expect(t.net.calls).toHaveLength(1)
    t.conn.setOnline(true)
    expect(t.conn.snapshot().state).toBe('connecting')
    await settle()
    expect(t.net.calls).toHaveLength(2)
    t.net.last.open()
    await settle()
    expect(t.conn.snapshot().state).toBe('connected')
  })

  it('offline keeps a live stream; when it drops, waits offline without timers', async () => {
    const t = await connected()
    t.conn.setOnline(false)
    expect(t.conn.snapshot().state).toBe('connected')
    t.net.last.close()
    await settle()
    expect(t.conn.snapshot()).toMatchObject({ state: 'offline', lastError: 'stream ended by server' })
    expect(t.clock.pending).toBe(0)
    // Repeating "offline" changes nothing; "online" reconnects.
    t.conn.setOnline(false)
    t.conn.setOnline(true)
    await settle()
    expect(t.net.calls).toHaveLength(2)
  })

  it('setOnline(true) when already online does not defeat the backoff', async () => {
    const t = setup()
    t.conn.start()
    await settle()
    t.net.last.fail(new TypeError('fetch failed'))
    await settle()
    t.conn.setOnline(true)
    await settle()
    expect(t.conn.snapshot().state).toBe('reconnecting')
    expect(t.net.calls).toHaveLength(1)
  })

  it('reconnectNow skips the backoff wait', async () => {
    const t = setup()
    t.rnd.value = 0.999999
    t.conn.start()
    await settle()
    t.net.last.respond(500, '', 'text/plain')
    await settle()
    expect(t.conn.snapshot().state).toBe('reconnecting')
    t.conn.reconnectNow('user clicked retry')
    expect(t.conn.snapshot().state).toBe('connecting')
    await settle()
    expect(t.net.calls).toHaveLength(2)
    // Only the watchdog timer is left: the backoff timer was cancelled.
    expect(t.clock.pending).toBe(1)
    t.net.last.open()
    await settle()
    expect(t.conn.snapshot().state).toBe('connected')
  })

  it('reconnectIfSilent replaces a stream silent for the given time, keeps a fresh one, retries a backoff wait now', async () => {
    const t = await connected()
    await t.clock.advance(3_000)
    expect(t.conn.reconnectIfSilent(5_000, 'woke')).toBe(false)
    t.net.last.push(heartbeat(1))
    await settle()
    await t.clock.advance(4_000)
    expect(t.conn.reconnectIfSilent(5_000, 'woke')).toBe(false)
    expect(t.net.calls).toHaveLength(1)
    await t.clock.advance(1_000)
    expect(t.conn.reconnectIfSilent(5_000, 'a tab woke')).toBe(true)
    expect(t.net.calls[0].aborted).toBe(true)
    expect(t.conn.snapshot()).toMatchObject({ state: 'connecting', lastError: 'reconnect: a tab woke' })
    await settle()
    t.net.last.respond(500, '', 'text/plain')
    await settle()
    expect(t.conn.snapshot().state).toBe('reconnecting')
    expect(t.conn.reconnectIfSilent(60_000, 'woke')).toBe(true)
    await settle()
    expect(t.net.calls).toHaveLength(3)
  })

  it('reconnectNow leaves a live stream alone unless forced', async () => {
    const t = await connected()
    t.conn.reconnectNow('tab visible')
    await settle()
    expect(t.net.calls).toHaveLength(1)
    t.conn.reconnectNow('server restarted', true)
    expect(t.net.calls[0].aborted).toBe(true)
    expect(t.conn.snapshot()).toMatchObject({ state: 'connecting', lastError: 'reconnect requested: server restarted' })
    await settle()
    expect(t.net.calls).toHaveLength(2)
    t.net.last.open()
    await settle()
    expect(t.opens).toEqual([false, true])
  })

  it('stop() aborts, goes idle and leaves no timers, from every state', async () => {
    // connected
    let t = await connected()
    t.conn.stop()
    expect(t.conn.snapshot()).toEqual({ state: 'idle', attempt: 0 })
    expect(t.net.calls[0].aborted).toBe(true)
    expect(t.clock.pending).toBe(0)
    await t.clock.advance(600_000)
    expect(t.net.calls).toHaveLength(1)
    // connecting
    t = setup()
    t.conn.start()
    await settle()
    t.conn.stop()
    expect(t.clock.pending).toBe(0)
    expect(t.net.calls[0].aborted).toBe(true)
    // reconnecting
    t = setup()
    t.conn.start()
    await settle()
    t.net.last.fail(new TypeError('fetch failed'))
    await settle()
    expect(t.clock.pending).toBe(1)
    t.conn.stop()
    expect(t.clock.pending).toBe(0)
    await t.clock.advance(600_000)
    expect(t.net.calls).toHaveLength(1)
    expect(t.states.at(-1)?.state).toBe('idle')
    // and it can start again
    t.conn.start()
    await settle()
    expect(t.net.calls).toHaveLength(2)
  })

  it('start() is idempotent', async () => {
    const t = setup()
    t.conn.start()
    t.conn.start()
    await settle()
    expect(t.net.calls).toHaveLength(1)
  })

  it('setTarget switches server: aborts, connects to the new URL with a fresh backoff', async () => {
    const t = await connected()
    t.conn.setTarget('http://127.0.0.1:5000/global/event', { Authorization: 'Basic eDp5' })
    expect(t.net.calls[0].aborted).toBe(true)
    await settle()
    expect(t.net.last.url).toBe('http://127.0.0.1:5000/global/event')
    expect(t.net.last.header('authorization')).toBe('Basic eDp5')
    expect(t.conn.snapshot()).toMatchObject({ state: 'connecting', attempt: 0 })
  })

  it('a handler may stop the connection from inside onFrame', async () => {
    const t = setup({}, { onFrame: () => h?.conn.stop() })
    t.conn.start()
    await settle()
    t.net.last.open()
    await settle()
    t.net.last.push(heartbeat(1) + heartbeat(2))
    await settle()
    expect(t.frames).toHaveLength(1)
    expect(t.conn.snapshot().state).toBe('idle')
  })

  it('works with the system deps (real fetch binding, real timers as cancellers)', () => {
    const deps = systemDeps()
    let fired = false
    const handle = deps.clock.setTimeout(() => {
      fired = true
    }, 60_000)
    deps.clock.clearTimeout(handle)
    expect(fired).toBe(false)
    expect(deps.random()).toBeGreaterThanOrEqual(0)
    expect(Math.abs(deps.clock.now() - Date.now())).toBeLessThan(60_000)
    setup()
  })
})

describe('SseConnection: frames', () => {
  it('delivers frames split across chunks at every byte boundary (multi-byte UTF-8 too)', async () => {
    const t = await connected()
    const text = ' bravo é ✓ 😀 \u2028 "quoted" \\ end'
    const bytes = encoder.encode(sse(delta('evt_split', text)))
    for (let i = 1; i < bytes.length; i++) {
      t.net.last.push(bytes.slice(0, i))
      await settle()
      t.net.last.push(bytes.slice(i))
      await settle()
    }
    expect(t.bad).toEqual([])
    expect(t.frames).toHaveLength(bytes.length - 1)
    for (const f of t.frames) expect(deltaText(f)).toBe(text)
  })

  it('delivers frames split byte by byte, with CRLF line ends and several frames per chunk', async () => {
    const t = await connected()
    const body = [1, 2, 3].map((n) => `data: ${JSON.stringify(delta(`evt_${n}`, `é${n}`))}\r\n\r\n`).join('')
    const bytes = encoder.encode(body)
    for (const b of bytes) t.net.last.push(Uint8Array.of(b))
    await settle()
    t.net.last.push(body + body)
    await settle()
    expect(t.bad).toEqual([])
    expect(t.frames.map(deltaText)).toEqual(['é1', 'é2', 'é3', 'é1', 'é2', 'é3', 'é1', 'é2', 'é3'])
  })

  it('skips a bad JSON frame and delivers the next good one', async () => {
    const t = await connected()
    t.net.last.push('data: {"payload": nope\n\n' + sse(delta('evt_ok', 'after')))
    await settle()
    expect(t.bad).toHaveLength(1)
    expect(t.bad[0]).toMatch(/^bad JSON .* in frame: \{"payload": nope$/)
    expect(t.frames.map(deltaText)).toEqual(['after'])
    expect(t.conn.snapshot().state).toBe('connected')
  })

  it('skips frames with a bad envelope, delivers unknown event types', async () => {
    const t = await connected()
    t.net.last.push(sse({ payload: { type: 'x', properties: {} } }))
    t.net.last.push(sse({ directory: '/p', payload: { id: 'evt_new', type: 'brand.new.thing', properties: { a: 1 } } }))
    await settle()
    expect(t.bad).toHaveLength(1)
    expect(t.bad[0]).toContain('payload.id is missing')
    expect(t.frames).toHaveLength(1)
    expect(t.frames[0]).toEqual({ directory: '/p', payload: { id: 'evt_new', type: 'brand.new.thing', properties: { a: 1 } } })
  })

  it('invalid UTF-8 becomes U+FFFD: inside a JSON string the frame is kept, elsewhere it is skipped', async () => {
    const t = await connected()
    const [before, after] = sse(delta('evt_u', 'a@b')).split('@')
    t.net.last.push(new Uint8Array([...encoder.encode(before), 0xff, 0xc3, ...encoder.encode(after)]))
    await settle()
    expect(t.frames.map(deltaText)).toEqual(['a\uFFFD\uFFFDb'])
    // A stray byte in the JSON syntax, and one in the field name.
    const good = sse(delta('evt_v', 'next'))
    t.net.last.push(new Uint8Array([...encoder.encode('data: '), 0xfe, ...encoder.encode('{}\n\n'), ...encoder.encode(good)]))
    t.net.last.push(new Uint8Array([...encoder.encode('da'), 0x80, ...encoder.encode('ta: {}\n\n'), ...encoder.encode(good)]))
    await settle()
    expect(t.bad).toHaveLength(2)
    expect(t.bad[0]).toMatch(/^bad JSON/)
    expect(t.bad[1]).toMatch(/^SSE parse error/)
    expect(t.frames.map(deltaText)).toEqual(['a\uFFFD\uFFFDb', 'next', 'next'])
    expect(t.conn.snapshot().state).toBe('connected')
  })

  it('delivers a 5 MB frame in 64 KiB chunks', async () => {
    const t = await connected()
    const big = 'x'.repeat(5 * 1024 * 1024)
    const bytes = encoder.encode(sse(delta('evt_big', big)))
    for (let i = 0; i < bytes.length; i += 64 * 1024) t.net.last.push(bytes.slice(i, i + 64 * 1024))
    await settle()
    expect(t.bad).toEqual([])
    expect(t.frames).toHaveLength(1)
    expect(deltaText(t.frames[0])?.length).toBe(big.length)
  })

  it('skips a frame over the cap (arriving in chunks) and resumes after it', async () => {
    const t = await connected({ maxFrameBytes: 4096 })
    const huge = sse(delta('evt_huge', 'y'.repeat(20_000)))
    // End the oversize event exactly between its two line feeds, across a chunk boundary.
    const head = huge.slice(0, -1)
    for (let i = 0; i < head.length; i += 1000) t.net.last.push(head.slice(i, i + 1000))
    t.net.last.push('\n' + sse(delta('evt_after', 'after')))
    await settle()
    expect(t.bad).toEqual(['frame larger than 4096 characters skipped'])
    expect(t.frames.map(deltaText)).toEqual(['after'])
    expect(t.conn.snapshot().state).toBe('connected')
  })

  it('skips an oversize frame that arrives in one chunk with others', async () => {
    const t = await connected({ maxFrameBytes: 4096 })
    t.net.last.push(sse(delta('evt_1', 'one')) + sse(delta('evt_huge', 'y'.repeat(20_000))) + sse(delta('evt_2', 'two')))
    await settle()
    expect(t.bad).toEqual(['frame larger than 4096 characters skipped'])
    expect(t.frames.map(deltaText)).toEqual(['one', 'two'])
  })

  it('skips an oversize multi-line event with CRLF line ends', async () => {
    const t = await connected({ maxFrameBytes: 1000 })
    const line = `data: ${'z'.repeat(300)}\r\n`
    for (let i = 0; i < 10; i++) t.net.last.push(line)
    t.net.last.push('\r')
    t.net.last.push('\n' + sse(delta('evt_after', 'after')))
    await settle()
    expect(t.bad).toEqual(['frame larger than 1000 characters skipped'])
    expect(t.frames.map(deltaText)).toEqual(['after'])
  })

  it('skips a 17 MiB frame with the default 16 MiB cap without crashing', async () => {
    const t = await connected()
    const chunk = 'y'.repeat(1024 * 1024)
    t.net.last.push('data: {"payload":{"id":"evt_huge","type":"message.part.delta","properties":{"delta":"')
    for (let i = 0; i < 17; i++) t.net.last.push(chunk)
    t.net.last.push('"}}}\n\n' + heartbeat(1))
    await settle()
    expect(t.bad).toEqual([`frame larger than ${16 * 1024 * 1024} characters skipped`])
    expect(t.frames).toHaveLength(1)
    expect(t.frames[0].payload.type).toBe('server.heartbeat')
    expect(t.conn.snapshot().state).toBe('connected')
  })

  it('a throwing handler does not kill the stream', async () => {
    const t = setup(
      {},
      {
        onFrame: () => {
          throw new Error('reducer bug')
        },
      },
    )
    t.conn.start()
    await settle()
    t.net.last.open()
    await settle()
    t.net.last.push(heartbeat(1) + heartbeat(2))
    await settle()
    t.net.last.push(heartbeat(3))
    await settle()
    expect(t.frames).toHaveLength(3)
    expect(t.conn.snapshot().state).toBe('connected')
    expect(console.error).toHaveBeenCalledTimes(3)
  })
})
