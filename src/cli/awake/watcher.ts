/**
 * Watches an OpenCode server's own SSE stream, `GET {server}/global/event` (`opencode serve`;
 * frames are `GlobalEvent` of `@opencode-ai/sdk/v2`: `{directory, payload: {id, type, properties}}`),
 * and tracks which sessions are busy with the relay's own busy tracker (`BusySessions` of
 * sw/shared/opencode-events.ts: `session.status` busy/retry → busy; idle, `session.idle`,
 * `session.deleted` → idle; a disposed directory, or everything, → idle). `server.heartbeat`
 * (sent every 10 s by the server) only feeds the watchdog.
 *
 * Reconnect policy: exponential backoff with full jitter, 0.5 s → 8 s cap ({@link SSE_BACKOFF});
 * the attempt counter resets once a frame arrives on the new stream. A watchdog aborts a stream
 * that has been silent for `watchdogMs` (default 30 s, three missed heartbeats).
 *
 * Catch-up rule (deliberately simple): OpenCode does not replay statuses on `/global/event`, and
 * `GET /session/status` is per directory. So when the stream drops, EVERY session is considered
 * idle, and a session only counts as busy again once a new `session.status` busy frame arrives on
 * the next stream. A dead server runs nothing, so this never keeps a machine awake for a server
 * that is gone; the cost is that a session that stays busy across a reconnect is not seen until
 * its next status change. The app's `/lease` covers that gap.
 */
import { createParser } from 'eventsource-parser'
import { SSE_BACKOFF, reconnectDelayMs, type BackoffPolicy } from './backoff.ts'
import type { AwakeServerState } from '../../../sw/shared/awake-wire.ts'
import { realClock, type Clock } from '../../../sw/shared/clock.ts'
import { sleep } from './sleep.ts'
import { parseFrame } from '../../../sw/shared/frames.ts'
import { BusySessions, type BusySession } from '../../../sw/shared/opencode-events.ts'

export type { BusySession }

/**
 * Reads one SSE `data` field of `GET /global/event` into the busy set: the envelope is narrowed by
 * the relay's own frame parser (sw/shared/frames.ts) and the busy/idle meaning comes from the
 * shared event knowledge (sw/shared/opencode-events.ts). Sync twins are skipped (they repeat the
 * bus event with the same id). Malformed frames change nothing and never throw.
 * @returns whether the busy set changed.
 */
export function applyGlobalEventFrame(busy: BusySessions, data: string, now: number): boolean {
  const parsed = parseFrame(data)
  if (!parsed.ok || parsed.frame.payload.type === 'sync') return false
  const before = busy.size
  return busy.apply(parsed.frame.directory, parsed.frame.payload, now) !== undefined || busy.size !== before
}


/** Options of {@link SessionWatcher}. */
export interface SessionWatcherOptions {
  /** Base URL of `opencode serve`, e.g. `http://127.0.0.1:4096` (a trailing slash is dropped). */
  server: string
  /** Basic-auth password (`OPENCODE_SERVER_PASSWORD` of the server); none → no Authorization header. */
  password?: string
  /** Basic-auth user; OpenCode's default is `opencode`. */
  username?: string
  /** Called after every change of the busy set or of the connection state. */
  onChange: () => void
  clock?: Clock
  /** Uniform `[0,1)` source for the jitter. */
  random?: () => number
  backoff?: BackoffPolicy
  /** Abort a stream silent for this long, ms. Default 30 000 (server heartbeat: 10 s). */
  watchdogMs?: number
  /** Injectable fetch; default the global one. */
  fetch?: typeof fetch
  /** One-line notes (connected, dropped, retry delay). */
  log?: (line: string) => void
}

/**
 * Keeps one SSE connection to `{server}/global/event` with reconnect, and exposes the busy
 * sessions. `start()` begins the loop; `stop()` aborts it (idempotent).
 */
export class SessionWatcher {
  private readonly sessions = new BusySessions()
  private currentState: AwakeServerState = 'connecting'
  private error: string | undefined
  private attempt = 0
  private nextRetry: number | undefined
  private stopped = false
  private abort: AbortController | undefined
  private readonly stopSignal = new AbortController()
  private readonly server: string
  private readonly clock: Clock
  private readonly random: () => number
  private readonly backoff: BackoffPolicy
  private readonly watchdogMs: number
  private readonly fetchFn: typeof fetch
  private readonly log: (line: string) => void

  constructor(private readonly opts: SessionWatcherOptions) {
    this.server = opts.server.replace(/\/+$/, '')
    this.clock = opts.clock ?? realClock
    this.random = opts.random ?? Math.random
    this.backoff = opts.backoff ?? SSE_BACKOFF
    this.watchdogMs = opts.watchdogMs ?? 30_000
    this.fetchFn = opts.fetch ?? fetch
    this.log = opts.log ?? (() => {})
  }

  /** The watched server's base URL. */
  get url(): string {
    return this.server
  }

  /** Current connection state. */
  state(): AwakeServerState {
    return this.currentState
  }

  /** Last connection failure (HTTP status, network error, watchdog), cleared on a healthy stream. */
  lastError(): string | undefined {
    return this.error
  }

  /** Epoch ms of the next reconnect attempt while `reconnecting`. */
  nextRetryAt(): number | undefined {
    return this.nextRetry
  }

  /** Busy sessions, sorted by session id. */
  busySessions(): BusySession[] {
    return this.sessions.list()
  }

  /** Starts the connect/read/reconnect loop in the background. */
  start(): void {
    void this.loop()
  }

  /** Stops the loop and aborts the open stream; busy state is cleared. Idempotent. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.stopSignal.abort()
    this.abort?.abort()
    this.sessions.clear()
    this.setState('stopped')
  }

  /** Applies one SSE `data` field of the stream (see {@link applyGlobalEventFrame}); exposed for unit tests. */
  ingest(data: string): void {
    if (applyGlobalEventFrame(this.sessions, data, this.clock.now())) this.opts.onChange()
  }

  private clearSessions(): boolean {
    const had = this.sessions.size > 0
    this.sessions.clear()
    return had
  }

  private setState(state: AwakeServerState): void {
    if (this.currentState === state) return
    this.currentState = state
    this.opts.onChange()
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.connectOnce()
        if (!this.stopped) this.error = 'stream ended'
      } catch (err) {
        if (!this.stopped) this.error = describeError(err)
      }
      if (this.stopped) return
      // Catch-up rule: a dropped stream means every session is idle until re-reported.
      if (this.clearSessions()) this.opts.onChange()
      const delay = reconnectDelayMs(this.attempt, this.backoff, this.random)
      this.attempt += 1
      this.nextRetry = this.clock.now() + delay
      this.setState('reconnecting')
      if (this.attempt === 1 || this.attempt % 10 === 0) this.log(`server stream lost (${this.error ?? 'unknown'}); retry ${this.attempt} in ${(delay / 1000).toFixed(1)} s`)
      await sleep(this.clock, delay, this.stopSignal.signal)
      this.nextRetry = undefined
    }
  }

  /** Opens one stream and reads it until it ends, errors, or the watchdog fires. */
  private async connectOnce(): Promise<void> {
    const abort = new AbortController()
    this.abort = abort
    if (this.currentState !== 'reconnecting') this.setState('connecting')
    const headers: Record<string, string> = { accept: 'text/event-stream' }
    if (this.opts.password !== undefined) {
      const user = this.opts.username ?? 'opencode'
      headers.authorization = `Basic ${Buffer.from(`${user}:${this.opts.password}`).toString('base64')}`
    }
    let watchdog: unknown
    const armWatchdog = (): void => {
      this.clock.clearTimeout(watchdog)
      watchdog = this.clock.setTimeout(() => abort.abort(new Error(`watchdog: no data for ${this.watchdogMs} ms`)), this.watchdogMs)
    }
    try {
      armWatchdog()
      const res = await this.fetchFn(`${this.server}/global/event`, { headers, signal: abort.signal })
      if (!res.ok || !res.body) {
        await res.body?.cancel().catch(() => {})
        throw new Error(res.status === 401 ? 'HTTP 401 from server: wrong or missing --password' : `HTTP ${res.status} from server`)
      }
      this.setState('connected')
      this.log(`connected to ${this.server}/global/event`)
      let healthy = false
      const parser = createParser({
        onEvent: (message) => {
          if (!healthy) {
            healthy = true
            this.attempt = 0
            this.error = undefined
          }
          this.ingest(message.data)
        },
      })
      const reader = res.body.getReader()
      const decoder = new TextDecoder()
      const onAbort = (): void => void reader.cancel().catch(() => {})
      abort.signal.addEventListener('abort', onAbort, { once: true })
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          armWatchdog()
          parser.feed(decoder.decode(value, { stream: true }))
        }
      } finally {
        abort.signal.removeEventListener('abort', onAbort)
      }
      if (abort.signal.aborted) throw abortReason(abort.signal)
    } catch (err) {
      if (abort.signal.aborted) throw abortReason(abort.signal)
      throw err
    } finally {
      this.clock.clearTimeout(watchdog)
      this.abort = undefined
    }
  }
}

/** `fetch failed` alone says little: append the cause's code or message (ECONNREFUSED, …). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause: unknown = err.cause
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message
    return `${err.message}: ${code}`
  }
  return err.message
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason : new Error('aborted')
}
