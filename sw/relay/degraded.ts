/**
 * Degraded mode: live updates when the SSE stream is buffered or blocked on the way while REST
 * works — a reverse proxy that holds `text/event-stream` bodies until a block fills (nginx with
 * `proxy_buffering on`, compression), a corporate gateway, a tunnel.
 *
 * - **Detect**: {@link SILENT_FAILURES_TO_DEGRADE} stream attempts in a row that delivered nothing
 *   (no response head, a head but no `server.connected`, heartbeats that stopped: the connection's
 *   silent failures, see `isSilentFailure` in connection.ts), and then REST answers (`probe`, e.g.
 *   `GET /global/health`). A dead server fails the probe (and its attempts fail as network
 *   errors); a cut network too; a laptop that slept fails one attempt, not two.
 * - **Poll**: while degraded, the host polls what catch-up reads (`POST /sync/history` with the
 *   per-session seqs, `GET /session/status`, the busy sessions' messages, pending requests) into
 *   the same log, every {@link POLL_BUSY_MS} while a session is busy, else {@link POLL_IDLE_MS};
 *   a poll runs after the previous one finished, never two at once. A poll the server does not
 *   answer ends degraded mode (the server is down, not the stream).
 * - **Recover**: the stream keeps being retried by the connection's own backoff; degraded mode
 *   ends once it carries {@link REALTIME_HEARTBEATS_TO_RECOVER} heartbeats in a row in real time
 *   (OpenCode sends `server.heartbeat` every 10 s: arrivals {@link HEARTBEAT_MIN_GAP_MS}–
 *   {@link HEARTBEAT_MAX_GAP_MS} apart; a buffered stream delivers them in bursts).
 */
import type { Clock } from '../shared/clock.ts'
import type { ServerConfig } from '../shared/protocol.ts'
import { authHeaders } from './catch-up.ts'
import { isSilentFailure, type StreamFailure } from './connection.ts'

/** Silent stream failures in a row before REST is probed (one is what a sleep or a restart causes). */
export const SILENT_FAILURES_TO_DEGRADE = 2
/** Poll interval while a session is busy, ms. */
export const POLL_BUSY_MS = 1_000
/** Poll interval while every session is idle, ms. */
export const POLL_IDLE_MS = 2_000
/** Shortest gap between two heartbeats that counts as real time, ms (a burst is closer). */
export const HEARTBEAT_MIN_GAP_MS = 5_000
/** Longest such gap, ms (OpenCode heartbeats every 10 s). */
export const HEARTBEAT_MAX_GAP_MS = 15_000
/** Real-time heartbeats in a row that end degraded mode. */
export const REALTIME_HEARTBEATS_TO_RECOVER = 2

/** Degraded mode as the status shows it. */
export interface DegradedState {
  /** Epoch ms when it began. */
  since: number
  /** The current poll interval, ms. */
  pollMs: number
  /** The last stream failure that led here (the connection's `lastError`). */
  reason: string
}

/** What degraded mode asks of the hub. Calls must not throw; promises must not reject. */
export interface DegradedHost {
  /** Whether the server answers REST now. */
  probe(): Promise<boolean>
  /**
   * One poll of the server into the log; `first` is the poll that starts degraded mode (tabs then
   * re-read what the log does not carry). Resolves false when the server did not answer.
   */
  poll(first: boolean): Promise<boolean>
  /** Whether a session is busy (the fast interval). */
  busy(): boolean
  /** {@link DegradedMode.state} changed: broadcast the status. */
  changed(): void
}

/** The detector and the poll loop of one relay (see the module comment). */
export class DegradedMode {
  private silentInARow = 0
  private probing = false
  private current: DegradedState | undefined
  private timer: unknown
  private lastHeartbeatAt: number | undefined
  private realtimeBeats = 0
  /** Bumped when degraded mode begins or ends: a poll of another period is ignored. */
  private epoch = 0

  constructor(
    private readonly clock: Clock,
    private readonly host: DegradedHost,
  ) {}

  /** The current degraded state; undefined while the stream delivers (or the server is down). */
  get state(): DegradedState | undefined {
    return this.current
  }

  /** An attempt of the stream ended with `kind`; `error` is the connection's `lastError`. */
  streamFailed(kind: StreamFailure | undefined, error: string): void {
    this.lastHeartbeatAt = undefined
    this.realtimeBeats = 0
    if (!isSilentFailure(kind)) {
      // Refused, unreachable, closed: not a stream held on the way. (While degraded, the polls tell.)
      if (!this.current) this.silentInARow = 0
      return
    }
    this.silentInARow++
    if (this.current || this.probing || this.silentInARow < SILENT_FAILURES_TO_DEGRADE) return
    this.probing = true
    void this.host.probe().then((answers) => {
      this.probing = false
      if (answers && !this.current && this.silentInARow >= SILENT_FAILURES_TO_DEGRADE) this.enter(error)
    })
  }

  /** A stream opened (response head): heartbeats are timed from here. */
  streamOpened(): void {
    this.lastHeartbeatAt = this.clock.now()
    this.realtimeBeats = 0
  }

  /** A frame arrived on the stream; `heartbeat` when it is `server.heartbeat`. */
  frame(heartbeat: boolean): void {
    if (!this.current) this.silentInARow = 0
    if (!heartbeat) return
    const now = this.clock.now()
    const gap = this.lastHeartbeatAt === undefined ? undefined : now - this.lastHeartbeatAt
    this.lastHeartbeatAt = now
    this.realtimeBeats = gap !== undefined && gap >= HEARTBEAT_MIN_GAP_MS && gap <= HEARTBEAT_MAX_GAP_MS ? this.realtimeBeats + 1 : 0
    if (this.current && this.realtimeBeats >= REALTIME_HEARTBEATS_TO_RECOVER) this.exit()
  }

  /** Ends degraded mode and forgets what was detected (another server, the relay stops). */
  reset(): void {
    this.silentInARow = 0
    this.lastHeartbeatAt = undefined
    this.realtimeBeats = 0
    if (this.current) this.exit()
  }

  private enter(reason: string): void {
    this.epoch++
    this.current = { since: this.clock.now(), pollMs: this.interval(), reason }
    this.host.changed()
    this.schedule(0, true)
  }

  private exit(): void {
    this.epoch++
    this.current = undefined
    this.silentInARow = 0
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.host.changed()
  }

  private interval(): number {
    return this.host.busy() ? POLL_BUSY_MS : POLL_IDLE_MS
  }

  private schedule(ms: number, first: boolean): void {
    const epoch = this.epoch
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      if (epoch !== this.epoch) return
      void this.host.poll(first).then((answered) => {
        const current = this.current
        if (epoch !== this.epoch || !current) return
        if (!answered) {
          this.exit()
          return
        }
        const pollMs = this.interval()
        if (pollMs !== current.pollMs) {
          this.current = { ...current, pollMs }
          this.host.changed()
        }
        this.schedule(pollMs, false)
      })
    }, ms)
  }
}

/**
 * Whether `server` answers REST now: `GET /global/health` (OpenCode's health endpoint) with its
 * Basic auth, 2xx within `timeoutMs` ms. Degraded mode's check that the server is up and only the
 * stream is held. Never rejects: a network error, a non-2xx answer or the timeout is false.
 */
export async function restAnswers(server: ServerConfig, deps: { fetch: typeof fetch; clock: Clock }, timeoutMs: number): Promise<boolean> {
  const controller = new AbortController()
  const timer = deps.clock.setTimeout(() => controller.abort(), timeoutMs)
  try {
    const res = await deps.fetch(`${server.url}/global/health`, { headers: authHeaders(server), cache: 'no-store', signal: controller.signal })
    await res.body?.cancel().catch(() => undefined)
    return res.ok
  } catch {
    return false
  } finally {
    deps.clock.clearTimeout(timer)
  }
}
