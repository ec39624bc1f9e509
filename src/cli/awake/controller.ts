/**
 * The decision core of relay-awake: holds the power assertion while protection is enabled AND
 * (a session of the watched OpenCode server is busy OR an unexpired lease says busy).
 *
 * Timing: becoming busy acquires at once; becoming idle releases after `graceMs` (default 750 ms)
 * so busy/idle flapping does not spawn a process per flip — the release still happens well within
 * 2 s of idle. Disabling releases at once. Leases expire `ttlMs` after their last renewal.
 */
import { realClock, type Clock } from '../../../sw/shared/clock.ts'
import type { AwakeLease, AwakeLeaseRequest, AwakeServerState, AwakeStatus } from '../../../sw/shared/awake-wire.ts'
import type { PowerAssertion } from './power.ts'
import type { BusySession } from './watcher.ts'

/** The watched server as reported in status. */
export interface ServerSource {
  url: string
  state(): AwakeServerState
  lastError(): string | undefined
  busySessions(): BusySession[]
}

/** Options of {@link AwakeController}. */
export interface AwakeControllerOptions {
  power: PowerAssertion
  clock?: Clock
  /** Default lease lifetime, ms (CLI `--lease-ms`, default 15 000). */
  leaseMs?: number
  /** Delay between becoming idle and releasing, ms (default 750). */
  graceMs?: number
  /** Protection state at start (default true). */
  enabled?: boolean
  /** The watched server, if any (`--server`). */
  server?: ServerSource
  /** One-line notes (acquired, released). */
  log?: (line: string) => void
}

const MIN_LEASE_MS = 100
const MAX_LEASE_MS = 120_000

/** Combines session busy state, leases and the enabled switch into acquire/release calls. */
export class AwakeController {
  private enabled: boolean
  private readonly leases = new Map<string, AwakeLease>()
  private wantHeld = false
  private since: number | undefined
  private releaseTimer: unknown
  private expiryTimer: unknown
  private disposed = false
  private readonly power: PowerAssertion
  private readonly clock: Clock
  private readonly leaseMs: number
  private readonly graceMs: number
  private readonly server: ServerSource | undefined
  private readonly log: (line: string) => void

  constructor(opts: AwakeControllerOptions) {
    this.power = opts.power
    this.clock = opts.clock ?? realClock
    this.leaseMs = opts.leaseMs ?? 15_000
    this.graceMs = opts.graceMs ?? 750
    this.enabled = opts.enabled ?? true
    this.server = opts.server
    this.log = opts.log ?? (() => {})
  }

  /** Re-evaluates after the watched sessions changed (the watcher's `onChange`). */
  sessionsChanged(): void {
    this.evaluate()
  }

  /** Turns protection on or off; off releases at once. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled
    this.evaluate()
  }

  /** Creates, renews (`busy: true`) or drops (`busy: false`) the lease of `owner`. */
  lease(owner: string, req: AwakeLeaseRequest): void {
    if (!req.busy) this.leases.delete(owner)
    else {
      const ttl = Math.min(Math.max(req.ttlMs ?? this.leaseMs, MIN_LEASE_MS), Math.max(this.leaseMs, MAX_LEASE_MS))
      this.leases.set(owner, { owner, reason: req.reason, expiresAt: this.clock.now() + ttl })
    }
    this.evaluate()
  }

  /** Current causes for holding the assertion (sessions first, then leases). */
  reasons(): string[] {
    const out: string[] = []
    for (const s of this.server?.busySessions() ?? []) out.push(`session ${s.sessionID} ${s.status}`)
    for (const l of this.leases.values()) out.push(l.reason ? `lease (${l.owner}): ${l.reason}` : `lease (${l.owner})`)
    return out
  }

  /** Snapshot for `GET /status`. */
  status(): AwakeStatus {
    this.pruneLeases()
    const held = this.power.held()
    const status: AwakeStatus = {
      running: true,
      held,
      reasons: this.reasons(),
      enabled: this.enabled,
      platform: this.power.platform,
      supported: this.power.supported,
      busySessions: (this.server?.busySessions() ?? []).map((s) => s.sessionID),
      leases: [...this.leases.values()],
      pid: process.pid,
    }
    if (held && this.since !== undefined) status.since = this.since
    if (this.server) {
      status.server = this.server.url
      status.serverState = this.server.state()
      const serverError = this.server.lastError()
      if (serverError) status.serverError = serverError
    }
    const error = this.power.lastError()
    if (error) status.error = error
    return status
  }

  /** Cancels timers and releases the assertion; later calls do nothing. */
  dispose(): void {
    this.disposed = true
    this.clock.clearTimeout(this.releaseTimer)
    this.clock.clearTimeout(this.expiryTimer)
    this.releaseTimer = undefined
    this.expiryTimer = undefined
    this.releaseNow()
  }

  private pruneLeases(): void {
    const now = this.clock.now()
    for (const [owner, l] of this.leases) if (l.expiresAt <= now) this.leases.delete(owner)
  }

  private evaluate(): void {
    if (this.disposed) return
    this.pruneLeases()
    const busy = (this.server?.busySessions().length ?? 0) > 0 || this.leases.size > 0
    if (this.enabled && busy) {
      this.clock.clearTimeout(this.releaseTimer)
      this.releaseTimer = undefined
      if (!this.wantHeld) {
        this.wantHeld = true
        this.since = this.clock.now()
        const why = this.reasons().join(', ')
        this.log(`acquiring (${why})`)
        this.power.acquire(`relay-awake: ${why}`)
      }
    } else if (this.wantHeld) {
      if (!this.enabled) this.releaseNow()
      else if (!this.releaseTimer) {
        this.releaseTimer = this.clock.setTimeout(() => {
          this.releaseTimer = undefined
          this.releaseNow()
        }, this.graceMs)
      }
    }
    this.scheduleExpiry()
  }

  private releaseNow(): void {
    this.clock.clearTimeout(this.releaseTimer)
    this.releaseTimer = undefined
    if (!this.wantHeld) return
    this.wantHeld = false
    this.since = undefined
    this.log('releasing (idle)')
    this.power.release()
  }

  private scheduleExpiry(): void {
    this.clock.clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    let next = Infinity
    for (const l of this.leases.values()) next = Math.min(next, l.expiresAt)
    if (next === Infinity) return
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = undefined
      this.evaluate()
    }, Math.max(0, next - this.clock.now()))
  }
}
