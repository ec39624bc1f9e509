/**
 * The ONE upstream SSE connection of the relay: `GET /global/event` of `opencode serve`, read
 * with `fetch` and `eventsource-parser` (so Basic-auth headers can be sent, which `EventSource`
 * cannot do; the framing is {@link SseFramer}). Every frame is parsed with {@link parseFrame} and
 * handed to the relay.
 *
 * Reliability, in one place:
 * - reconnect with exponential backoff and full jitter ({@link computeBackoffMs});
 * - a watchdog: OpenCode sends `server.heartbeat` every 10 s, so {@link ConnectionOptions.watchdogMs}
 *   (25 s) of silence means a dead stream (sleeping laptop, half-open TCP, stuck proxy);
 * - a response-head timeout ({@link ConnectionOptions.responseTimeoutMs}, 10 s): `opencode serve`
 *   1.18.33 accepts `/global/event` for ~1.5 s while it starts and never answers those requests;
 * - a first-event timeout ({@link ConnectionOptions.firstEventTimeoutMs}): the server sends
 *   `server.connected` as soon as the stream opens, so a stream that opened and says nothing is
 *   held somewhere on the way (a buffering proxy) — the hub's degraded mode looks at that;
 * - every failure has a {@link StreamFailure} kind, so "delivered nothing" can be told apart from
 *   "refused" or "unreachable";
 * - malformed, oversize and undecodable frames are reported and skipped, never fatal;
 * - at most one fetch at a time: every attempt has a generation number, and starting an attempt
 *   aborts the previous one first; results of a stale generation are ignored.
 *
 * Only APIs common to DOM and WebWorker are used (fetch, AbortController, TextDecoder, ReadableStream).
 */
import { parseFrame, type UpstreamFrame } from '../shared/frames.ts'
import type { ConnectionState } from '../shared/protocol.ts'
import { computeAuthBackoffMs, computeBackoffMs } from '../shared/backoff.ts'
import type { Clock } from '../shared/clock.ts'
import { SseFramer } from './sse-framer.ts'

/** Everything the connection takes from its environment. */
export interface ConnectionDeps {
  fetch: typeof fetch
  clock: Clock
  /** Uniform random number in [0, 1), used for the backoff jitter. */
  random: () => number
}

/** Target and tuning of the connection. All durations in ms, sizes as noted. */
export interface ConnectionOptions {
  /** Full URL of OpenCode's `GET /global/event`, e.g. `http://127.0.0.1:4096/global/event`. */
  url: string
  /** Extra request headers, e.g. `{ Authorization: 'Basic …' }` for `OPENCODE_SERVER_PASSWORD`. */
  headers?: Record<string, string>
  /** Backoff base: the cap of the first retry's delay. Default 500 ms. */
  minDelayMs?: number
  /** Backoff cap. Default 8000 ms. */
  maxDelayMs?: number
  /** Silence (no bytes at all) after which the stream is declared dead. Default 25 000 ms (the server heartbeats every 10 s). */
  watchdogMs?: number
  /**
   * Wait for the response head of an attempt, after which it is abandoned and retried. Default
   * 10 000 ms: a healthy server answers at once, but `opencode serve` 1.18.33 accepts requests
   * during its ~1.5 s startup that it never answers (found by the fault suite).
   */
  responseTimeoutMs?: number
  /**
   * Wait for the first frame after the response head, ms; undefined (the default) waits as long as
   * the watchdog. OpenCode's `/global/event` sends `server.connected` at once, so a stream that
   * opened and stays silent is buffered on the way (a proxy holding `text/event-stream` bodies).
   */
  firstEventTimeoutMs?: number
  /** A connection that lived this long before it dropped resets the backoff attempt to 0. Default 5000 ms. */
  healthyAfterMs?: number
  /**
   * Largest frame kept, default 16 MiB. Measured on the decoded text (UTF-16 code units, which are
   * never more than the UTF-8 bytes), as the SSE parser's pending line plus the event's data.
   */
  maxFrameBytes?: number
}

/** Callbacks of the connection. A handler that throws is logged and ignored: it never kills the stream. */
export interface ConnectionHandlers {
  /** A parsed frame (bus event or sync twin), in stream order. */
  onFrame(frame: UpstreamFrame): void
  /** Every state transition, with a fresh snapshot. */
  onState(snapshot: ConnectionSnapshot): void
  /** A frame or SSE line was skipped: bad JSON, bad envelope, unknown SSE field, oversize frame. */
  onBadFrame(error: string): void
  /** A 2xx `text/event-stream` response arrived; `reconnect` is false only for the first one since `start()`. */
  onOpen(info: { reconnect: boolean }): void
}

/**
 * Why an attempt ended:
 * - `network`: fetch rejected (server down, DNS, refused); `http`: a non-2xx answer (`auth` for
 *   401/403); `not-sse`: 2xx but not `text/event-stream`, or no body;
 * - `no-response`: no response head within `responseTimeoutMs`; `no-first-event`: a head but no
 *   frame within `firstEventTimeoutMs`; `no-heartbeat`: `watchdogMs` of silence after frames —
 *   the three ways a stream delivers nothing ({@link isSilentFailure});
 * - `ended`: the server closed the stream; `stream-error`: the body errored mid-way;
 * - `requested`: replaced on purpose (`reconnectNow(…, true)`, `reconnectIfSilent`).
 */
export type StreamFailure = 'network' | 'http' | 'auth' | 'not-sse' | 'no-response' | 'no-first-event' | 'no-heartbeat' | 'ended' | 'stream-error' | 'requested'

/** Whether an attempt that ended this way delivered nothing while it lasted (no head, no first frame, no heartbeat). */
export function isSilentFailure(kind: StreamFailure | undefined): boolean {
  return kind === 'no-response' || kind === 'no-first-event' || kind === 'no-heartbeat'
}

/** State of the connection; field names match `RelayStatus` in `sw/shared/protocol.ts`. */
export interface ConnectionSnapshot {
  state: ConnectionState
  /** Reason of the last failure (HTTP status, network error, watchdog, stream end); cleared on a successful open. */
  lastError?: string
  /** Kind of the last failure, with `lastError`. */
  failure?: StreamFailure
  /** Epoch ms of the next attempt, while `reconnecting`. */
  nextRetryAt?: number
  /** Epoch ms when the current stream opened, while `connected`. */
  connectedAt?: number
  /** Reconnect attempts since the last healthy connection (see {@link ConnectionOptions.healthyAfterMs}). */
  attempt: number
}

/** Real timers and `fetch` of the current global scope (window or worker). */
export function systemDeps(): ConnectionDeps {
  return {
    // Called unbound on purpose: a native fetch invoked as a method of another object throws "Illegal invocation".
    fetch: (input, init) => fetch(input, init),
    clock: {
      now: () => Date.now(),
      // The handle is a canceller, so this works whatever the host's timer id type is (number, Node Timeout).
      setTimeout: (fn, ms) => {
        const id = setTimeout(fn, ms)
        return () => clearTimeout(id)
      },
      clearTimeout: (handle) => {
        if (typeof handle === 'function') handle()
      },
    },
    random: () => Math.random(),
  }
}

/** Longest a watchdog timer waits before looking at the wall clock again, ms (see `armWatchdog`). */
export const WATCHDOG_STEP_MS = 5_000

/** Default backoff cap between reconnect attempts, ms. */
export const DEFAULT_MAX_DELAY_MS = 8000

const DEFAULTS = {
  minDelayMs: 500,
  maxDelayMs: DEFAULT_MAX_DELAY_MS,
  watchdogMs: 25_000,
  responseTimeoutMs: 10_000,
  healthyAfterMs: 5000,
  maxFrameBytes: 16 * 1024 * 1024,
} as const

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** `HTTP 401 Unauthorized (check the server password)` and the like. */
function httpError(status: number, statusText: string): string {
  const text = statusText || STATUS_TEXT[status] || ''
  const hint =
    status === 401 || status === 403
      ? ' (check the server password)'
      : status === 404
        ? ' (no /global/event here: is this an OpenCode server?)'
        : ''
  return `HTTP ${status}${text ? ` ${text}` : ''}${hint}`
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  return String(err)
}

/** Logs a handler's exception; handlers never break the connection. */
function reportHandlerError(handler: string, err: unknown): void {
  console.error(`[relay] connection ${handler} handler threw:`, err)
}

/**
 * The single upstream SSE stream (`GET /global/event`) with reconnect, backoff, watchdog and
 * online/offline handling. See the module comment for the guarantees.
 *
 * States: `idle` (before `start()`, after `stop()`), `connecting` (request sent, awaiting the
 * response head), `connected` (reading the stream), `reconnecting` (waiting for the backoff timer),
 * `offline` (the browser said so: no retry timer until `setOnline(true)`).
 *
 * Offline policy: `setOnline(false)` does not tear down a live (or in-flight) stream — the browser's
 * offline signal is unreliable and the server is often on loopback, which works offline; a dead
 * stream is caught by the watchdog. It only replaces backoff waits by the `offline` state.
 */
export class SseConnection {
  private readonly opts: Required<Omit<ConnectionOptions, 'url' | 'headers' | 'firstEventTimeoutMs'>> & { firstEventTimeoutMs: number | undefined }
  private url: string
  private headers: Record<string, string>
  private state: ConnectionState = 'idle'
  private lastError: string | undefined
  private failure: StreamFailure | undefined
  /** Whether the current stream delivered a frame yet. */
  private sawFrame = false
  private nextRetryAt: number | undefined
  private connectedAt: number | undefined
  private attempt = 0
  private online = true
  /** Successful opens since `start()`. */
  private opens = 0
  /** Generation of the current attempt; bumped whenever an attempt is torn down. */
  private gen = 0
  private controller: AbortController | undefined
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private retryTimer: unknown
  private watchdogTimer: unknown
  /** Epoch ms of the last bytes received (or of the request, while connecting). */
  private lastActivity = 0

  /**
   * @param options target and tuning (see {@link ConnectionOptions})
   * @param deps fetch, clock and random source
   * @param handlers callbacks; they may call back into the connection (e.g. `stop()` from `onFrame`)
   */
  constructor(
    options: ConnectionOptions,
    private readonly deps: ConnectionDeps,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.url = options.url
    this.headers = { ...options.headers }
    this.opts = {
      minDelayMs: options.minDelayMs ?? DEFAULTS.minDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
      watchdogMs: options.watchdogMs ?? DEFAULTS.watchdogMs,
      responseTimeoutMs: options.responseTimeoutMs ?? DEFAULTS.responseTimeoutMs,
      healthyAfterMs: options.healthyAfterMs ?? DEFAULTS.healthyAfterMs,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
      firstEventTimeoutMs: options.firstEventTimeoutMs,
    }
  }

  /** Opens the stream. Idempotent: does nothing unless `idle`. Connects even when offline (an initial try is not a retry). */
  start(): void {
    if (this.state !== 'idle') return
    this.attempt = 0
    this.opens = 0
    this.lastError = undefined
    this.failure = undefined
    this.connect()
  }

  /** Aborts the stream, cancels every timer, and goes `idle`. */
  stop(): void {
    if (this.state === 'idle') return
    this.teardown()
    this.clearRetryTimer()
    this.attempt = 0
    this.lastError = undefined
    this.failure = undefined
    this.setState('idle')
  }

  /**
   * Skips the backoff wait: when `reconnecting` or `offline`, connects at once. When `connecting`
   * or `connected`, does nothing unless `force`, which aborts the current attempt and reconnects
   * (`lastError` then records `reason`). Does nothing when `idle`.
   */
  reconnectNow(reason: string, force = false): void {
    switch (this.state) {
      case 'idle':
        return
      case 'reconnecting':
      case 'offline':
        this.connect()
        return
      case 'connecting':
      case 'connected':
        if (!force) return
        this.lastError = `reconnect requested: ${reason}`
        this.failure = 'requested'
        this.connect()
        return
    }
  }

  /**
   * A hint that the stream may have died unnoticed (something was suspended: a tab froze, the
   * machine slept). When `connected` but silent — no byte at all, heartbeats included — for at
   * least `minSilenceMs`, the stream is presumed half-open and replaced at once, instead of after
   * the watchdog's `watchdogMs`; `lastError` records `reason`. When waiting for a backoff retry,
   * retries now. Otherwise (connecting, offline, idle, or bytes arrived recently) does nothing.
   * @returns true when it (re)connected.
   */
  reconnectIfSilent(minSilenceMs: number, reason: string): boolean {
    if (this.state === 'reconnecting') {
      this.connect()
      return true
    }
    if (this.state !== 'connected' || this.deps.clock.now() - this.lastActivity < minSilenceMs) return false
    this.lastError = `reconnect: ${reason}`
    this.failure = 'requested'
    this.connect()
    return true
  }

  /**
   * Switches server: stores the target (and, when given, a new backoff cap in ms), and unless
   * `idle` aborts the stream and connects to it at once with a fresh backoff.
   */
  setTarget(url: string, headers?: Record<string, string>, maxDelayMs?: number): void {
    this.url = url
    this.headers = { ...headers }
    if (maxDelayMs !== undefined) this.opts.maxDelayMs = maxDelayMs
    if (this.state === 'idle') return
    this.attempt = 0
    this.lastError = undefined
    this.failure = undefined
    this.connect()
  }

  /**
   * Browser connectivity. Offline: a pending backoff wait is cancelled and the state becomes
   * `offline` (also after any later failure) until online again; a live stream is kept (see the
   * class comment). Online again (a change from offline): connects at once when not connected.
   */
  setOnline(online: boolean): void {
    const was = this.online
    this.online = online
    if (this.state === 'idle') return
    if (!online && this.state === 'reconnecting') {
      this.clearRetryTimer()
      this.setState('offline')
    } else if (online && !was && (this.state === 'offline' || this.state === 'reconnecting')) {
      this.connect()
    }
  }

  /** A copy of the current state. */
  snapshot(): ConnectionSnapshot {
    const s: ConnectionSnapshot = { state: this.state, attempt: this.attempt }
    if (this.lastError !== undefined) s.lastError = this.lastError
    if (this.failure !== undefined) s.failure = this.failure
    if (this.nextRetryAt !== undefined) s.nextRetryAt = this.nextRetryAt
    if (this.connectedAt !== undefined) s.connectedAt = this.connectedAt
    return s
  }

  // ---------------------------------------------------------------------------------------------

  /** Moves to `state` (with its timestamps; others are cleared) and tells `onState`. */
  private setState(state: ConnectionState, times: { nextRetryAt?: number; connectedAt?: number } = {}): void {
    this.state = state
    this.nextRetryAt = state === 'reconnecting' ? times.nextRetryAt : undefined
    this.connectedAt = state === 'connected' ? times.connectedAt : undefined
    try {
      this.handlers.onState(this.snapshot())
    } catch (err) {
      reportHandlerError('onState', err)
    }
  }

  /** Aborts the current attempt (if any) and makes its pending results stale. */
  private teardown(): void {
    this.gen++
    this.controller?.abort()
    this.controller = undefined
    const reader = this.reader
    this.reader = undefined
    if (reader) reader.cancel().catch(() => undefined)
    if (this.watchdogTimer !== undefined) {
      this.deps.clock.clearTimeout(this.watchdogTimer)
      this.watchdogTimer = undefined
    }
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== undefined) {
      this.deps.clock.clearTimeout(this.retryTimer)
      this.retryTimer = undefined
    }
  }

  /** Starts a new attempt now, after tearing down any current one (so never two fetches at once). */
  private connect(): void {
    this.teardown()
    this.clearRetryTimer()
    const gen = this.gen
    const controller = new AbortController()
    this.controller = controller
    this.lastActivity = this.deps.clock.now()
    this.armWatchdog(gen, this.opts.responseTimeoutMs)
    this.setState('connecting')
    if (gen !== this.gen) return // onState handler changed course
    this.run(gen, controller.signal).catch((err: unknown) => this.fail(gen, `internal error: ${describe(err)}`, 'stream-error'))
  }

  /**
   * One watchdog per attempt: while `connecting` it allows `responseTimeoutMs` for the response
   * head, while `connected` `watchdogMs` of silence, measured on the wall clock; it re-arms itself
   * for the time left, in steps of at most {@link WATCHDOG_STEP_MS}. The steps matter after a
   * sleep: timers run on a monotonic clock that stands still while the machine sleeps (macOS,
   * Linux), so a timer armed for 20 s before the lid closed fires ~20 s after it opens; the wall
   * clock has jumped meanwhile, so the first step after the wake sees the silence and replaces the
   * (usually half-open) stream.
   */
  private armWatchdog(gen: number, ms: number): void {
    this.watchdogTimer = this.deps.clock.setTimeout(() => {
      this.watchdogTimer = undefined
      if (gen !== this.gen) return
      const connected = this.state === 'connected'
      const waitingForFirst = connected && !this.sawFrame && this.opts.firstEventTimeoutMs !== undefined
      const limit = waitingForFirst ? (this.opts.firstEventTimeoutMs ?? 0) : connected ? this.opts.watchdogMs : this.opts.responseTimeoutMs
      // The first frame is timed from the open: bytes that frame nothing (comments) do not count.
      const since = waitingForFirst ? (this.connectedAt ?? this.lastActivity) : this.lastActivity
      const silent = this.deps.clock.now() - since
      if (silent < limit) {
        this.armWatchdog(gen, limit - silent)
        return
      }
      const seconds = Math.round(limit / 1000)
      if (waitingForFirst) this.fail(gen, `no event for ${seconds} s after the stream opened`, 'no-first-event')
      else if (connected) this.fail(gen, `no heartbeat for ${seconds} s`, 'no-heartbeat')
      else this.fail(gen, `no response for ${seconds} s`, 'no-response')
    }, Math.min(ms, WATCHDOG_STEP_MS))
  }

  /**
   * Ends attempt `gen` with `error` and schedules the next one (no-op if `gen` is stale).
   * The backoff attempt resets when the stream had stayed open for `healthyAfterMs`.
   */
  private fail(gen: number, error: string, kind: StreamFailure): void {
    if (gen !== this.gen) return
    const auth = kind === 'auth'
    const now = this.deps.clock.now()
    if (this.connectedAt !== undefined && now - this.connectedAt >= this.opts.healthyAfterMs) this.attempt = 0
    this.teardown()
    this.lastError = error
    this.failure = kind
    if (!this.online) {
      this.setState('offline')
      return
    }
    const rnd = this.deps.random()
    const delay = auth
      ? computeAuthBackoffMs(rnd, this.opts.maxDelayMs)
      : computeBackoffMs(this.attempt, rnd, this.opts.minDelayMs, this.opts.maxDelayMs)
    this.attempt++
    this.clearRetryTimer()
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined
      if (this.state === 'reconnecting') this.connect()
    }, delay)
    this.setState('reconnecting', { nextRetryAt: now + delay })
  }

  private deliver(gen: number, data: string): void {
    if (gen !== this.gen) return
    const parsed = parseFrame(data)
    if (parsed.ok) {
      this.sawFrame = true
      try {
        this.handlers.onFrame(parsed.frame)
      } catch (err) {
        reportHandlerError('onFrame', err)
      }
    } else {
      this.bad(gen, parsed.error)
    }
  }

  private bad(gen: number, error: string): void {
    if (gen !== this.gen) return
    try {
      this.handlers.onBadFrame(error)
    } catch (err) {
      reportHandlerError('onBadFrame', err)
    }
  }

  /** One attempt: request, checks of the response head, then the read loop. */
  private async run(gen: number, signal: AbortSignal): Promise<void> {
    const fetchFn = this.deps.fetch
    let response: Response
    try {
      response = await fetchFn(this.url, {
        method: 'GET',
        headers: { Accept: 'text/event-stream', ...this.headers },
        cache: 'no-store',
        signal,
      })
    } catch (err) {
      this.fail(gen, `network error: ${describe(err)}`, 'network')
      return
    }
    const body = response.body
    const discard = () => {
      if (body && !body.locked) body.cancel().catch(() => undefined)
    }
    if (gen !== this.gen) {
      discard()
      return
    }
    if (!response.ok) {
      discard()
      this.fail(gen, httpError(response.status, response.statusText), response.status === 401 || response.status === 403 ? 'auth' : 'http')
      return
    }
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
    if (contentType !== 'text/event-stream') {
      discard()
      this.fail(gen, `expected text/event-stream, got ${contentType || 'no content type'}`, 'not-sse')
      return
    }
    if (!body) {
      this.fail(gen, 'response has no body', 'not-sse')
      return
    }
    const reader = body.getReader()
    this.reader = reader
    this.lastActivity = this.deps.clock.now()
    this.opens++
    this.lastError = undefined
    this.failure = undefined
    this.sawFrame = false
    this.setState('connected', { connectedAt: this.lastActivity })
    if (gen !== this.gen) return
    try {
      this.handlers.onOpen({ reconnect: this.opens > 1 })
    } catch (err) {
      reportHandlerError('onOpen', err)
    }
    if (gen !== this.gen) return

    const decoder = new TextDecoder('utf-8', { fatal: false })
    const framer = new SseFramer(
      this.opts.maxFrameBytes,
      (data) => this.deliver(gen, data),
      (error) => this.bad(gen, error),
    )
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (gen !== this.gen) return
        if (done) break
        this.lastActivity = this.deps.clock.now()
        framer.push(decoder.decode(value, { stream: true }))
        if (gen !== this.gen) return
      }
      const tail = decoder.decode()
      if (tail) framer.push(tail)
    } catch (err) {
      this.fail(gen, `stream error: ${describe(err)}`, 'stream-error')
      return
    }
    this.fail(gen, 'stream ended by server', 'ended')
  }
}
