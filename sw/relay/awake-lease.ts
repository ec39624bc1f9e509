/**
 * The relay's side of desktop sleep protection: while work runs, POST a renewing lease to the
 * `relay-awake` companion (src/cli/awake/, client in sw/shared/awake-client.ts) so the machine stays awake
 * even when every tab is hidden or frozen; drop it the moment work ends.
 *
 * "Work runs" means a session of the relay's server is busy: learned from the very events the
 * relay appends to its event log (`session.status` busy/retry/idle, `session.idle`,
 * `session.deleted`, `server.instance.disposed`, `global.disposed`, as streamed by OpenCode's
 * `GET /global/event` and as re-synthesized by the hub's catch-up after a gap), counted only while
 * the upstream SSE stream is connected (while it is down the busy set is stale: the lease is
 * neither renewed nor dropped, so it lapses after its TTL unless the stream comes back). Tabs
 * report nothing: every session a tab could start shows up in the same stream.
 *
 * Wire behaviour: `POST {url}/lease {busy: true, reason, ttlMs: 15000}` at once on idle→busy, then
 * renewed every `renewMs` (5 s) while busy; `POST /lease {busy: false}` at once on busy→idle. The
 * companion keys the lease by the request's `Origin` (the app's origin), so the SharedWorker and a
 * leader tab of the fallback share one lease. Pairing comes from `/relay-config.json` (the
 * launcher's `awake` section), read lazily on the first busy and re-read after a refusal or a
 * connection failure (the launcher may have restarted the companion with a new port and token).
 * Whether protection is ON is the companion's own state (`POST /enabled`, set by the app's
 * settings toggle): leases posted while it is off are listed but hold nothing, so the relay
 * needs neither `localStorage` nor a protocol message to know the setting.
 *
 * Failures (companion down, 401/403) never throw; retries back off exponentially from `renewMs`
 * to `maxRetryMs` (no jitter: one client per origin talks to one loopback companion, there is no
 * herd to spread). Only APIs common to DOM and WebWorker are used.
 */
import type { RelayedEvent } from '../shared/protocol.ts'
import { createAwakeClient, fetchAwakeConfig, type AwakeClient, type AwakeResult } from '../shared/awake-client.ts'
import type { AwakeConfig } from '../shared/awake-wire.ts'
import type { Clock } from '../shared/clock.ts'
import { BusySessions } from '../shared/opencode-events.ts'

/** What the leaser reads of a relayed event. */
export type ObservedEvent = Pick<RelayedEvent, 'directory' | 'payload'>

/** Dependencies of {@link AwakeLeaser}, injected so it runs in a worker, a tab or a unit test. */
export interface AwakeLeaserDeps {
  fetch: typeof fetch
  clock: Clock
  /** Loads the companion's pairing; default: the `awake` section of `/relay-config.json`. */
  loadConfig?: () => Promise<AwakeConfig | undefined>
  /** True while the relay's upstream SSE stream is connected (session knowledge is fresh). Default: always. */
  upstreamConnected?: () => boolean
  /** One-line diagnostics (companion refused, unreachable). Default: none. */
  log?: (line: string) => void
}

/** Tunables, all in ms. */
export interface AwakeLeaserOptions {
  /** Lease lifetime sent as `ttlMs`. Default 15 000. */
  ttlMs: number
  /** Renewal period while busy. Default 5 000. */
  renewMs: number
  /** Wait before re-reading `/relay-config.json` when it had no `awake` section. Default 60 000. */
  unpairedRetryMs: number
  /** Largest retry delay after failed posts. Default 60 000. */
  maxRetryMs: number
}

const DEFAULTS: AwakeLeaserOptions = { ttlMs: 15_000, renewMs: 5_000, unpairedRetryMs: 60_000, maxRetryMs: 60_000 }

/** Diagnostics of the leaser (tests, the relay's status). */
export interface AwakeLeaserSnapshot {
  /** Busy sessions as tracked from relayed events, sorted. */
  sessions: string[]
  /** What the leaser wants: `unknown` while sessions look busy but the upstream stream is down. */
  want: 'busy' | 'idle' | 'unknown'
  /** Last lease state the companion acknowledged (`undefined`: none yet). */
  posted: boolean | undefined
  /** Outcome of the last companion call, or `unpaired` when `/relay-config.json` has no `awake` section. */
  companion: AwakeResult['kind'] | 'unpaired' | undefined
}

type Want = { kind: 'busy'; reason: string } | { kind: 'idle' } | { kind: 'unknown' }

/** Tracks busy work and keeps the companion's lease in step with it. */
export class AwakeLeaser {
  readonly options: AwakeLeaserOptions
  /** Sessions seen busy/retry in the relayed events. */
  private readonly sessions = new BusySessions()
  private client: AwakeClient | undefined
  private unpairedUntil = 0
  private posted: { busy: boolean; reason?: string } | undefined
  /** When the last acknowledged `busy: true` was sent, epoch ms. */
  private lastBusyPostAt = 0
  private inFlight = false
  private dirty = false
  private failures = 0
  private retryAt = 0
  private timer: unknown
  private timerAt = 0
  private companion: AwakeLeaserSnapshot['companion']
  private disposed = false
  private readonly loadConfig: () => Promise<AwakeConfig | undefined>
  private readonly upstreamConnected: () => boolean
  private readonly log: (line: string) => void

  constructor(
    private readonly deps: AwakeLeaserDeps,
    options: Partial<AwakeLeaserOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options }
    this.loadConfig = deps.loadConfig ?? (() => fetchAwakeConfig(deps.fetch))
    this.upstreamConnected = deps.upstreamConnected ?? (() => true)
    this.log = deps.log ?? (() => {})
  }

  /** Applies relayed events (in log order) to the busy-session set; re-evaluates when it changed. */
  observe(events: readonly ObservedEvent[]): void {
    let changed = false
    for (const { directory, payload } of events) {
      const before = this.sessions.size
      // A disposal forgets sessions without a per-session change: the size tells.
      if (this.sessions.apply(directory, payload, this.deps.clock.now()) || this.sessions.size !== before) changed = true
    }
    if (changed) this.evaluate()
  }

  /** The relay switched servers: sessions of the previous one no longer count. */
  serverChanged(): void {
    if (this.sessions.size === 0) return
    this.sessions.clear()
    this.evaluate()
  }

  /** Current diagnostics. */
  snapshot(): AwakeLeaserSnapshot {
    return {
      sessions: this.sessions.list().map((b) => b.sessionID),
      want: this.want().kind,
      posted: this.posted?.busy,
      companion: this.companion,
    }
  }

  /** Stops the timer; a lease still held on the companion lapses after its TTL. */
  dispose(): void {
    this.disposed = true
    this.clearTimer()
  }

  private want(): Want {
    if (this.sessions.size === 0) return { kind: 'idle' }
    if (!this.upstreamConnected()) return { kind: 'unknown' }
    const ids = this.sessions.list().map((b) => b.sessionID)
    return { kind: 'busy', reason: `relay: ${ids.length} session${ids.length === 1 ? '' : 's'} busy (${ids.join(', ')})`.slice(0, 200) }
  }

  /** Decides whether to post now and when to look again. Idempotent; called on every change and by the timer. */
  private evaluate(): void {
    if (this.disposed) return
    if (this.inFlight) {
      this.dirty = true
      return
    }
    const now = this.deps.clock.now()
    const want = this.want()
    // A busy lease the companion no longer holds (its TTL passed) needs no `busy: false`.
    if (this.posted?.busy && now - this.lastBusyPostAt >= this.options.ttlMs) this.posted = { busy: false }
    const blocked = now < this.retryAt || now < this.unpairedUntil
    if (want.kind === 'busy') {
      const changed = this.posted?.busy !== true || this.posted.reason !== want.reason
      const due = now - this.lastBusyPostAt >= this.options.renewMs
      if (!blocked && (changed || due)) return void this.post(true, want.reason)
    } else if (want.kind === 'idle' && this.posted?.busy) {
      if (!blocked) return void this.post(false)
    }
    this.schedule(want)
  }

  /** Arms the timer for the next renewal or retry (none when idle and settled). */
  private schedule(want: Want): void {
    const now = this.deps.clock.now()
    let at = Infinity
    if (want.kind === 'busy') at = Math.max(this.lastBusyPostAt + this.options.renewMs, this.retryAt, this.unpairedUntil)
    else if (want.kind === 'unknown') at = now + this.options.renewMs
    else if (this.posted?.busy) at = Math.min(Math.max(this.retryAt, this.unpairedUntil), this.lastBusyPostAt + this.options.ttlMs)
    if (at === Infinity) return this.clearTimer()
    at = Math.max(at, now)
    if (this.timer !== undefined && this.timerAt === at) return
    this.clearTimer()
    this.timerAt = at
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined
      this.evaluate()
    }, at - now)
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private async ensureClient(): Promise<AwakeClient | undefined> {
    if (this.client) return this.client
    const config = await this.loadConfig()
    if (!config) {
      this.companion = 'unpaired'
      this.unpairedUntil = this.deps.clock.now() + this.options.unpairedRetryMs
      return undefined
    }
    this.client = createAwakeClient(config, { fetch: this.deps.fetch })
    return this.client
  }

  private async post(busy: boolean, reason?: string): Promise<void> {
    this.inFlight = true
    this.clearTimer()
    const sentAt = this.deps.clock.now()
    try {
      const client = await this.ensureClient()
      if (!client) return
      const result = await client.lease(busy ? { busy, reason, ttlMs: this.options.ttlMs } : { busy: false })
      this.companion = result.kind
      if (result.kind === 'ok') {
        this.posted = busy ? { busy, reason } : { busy }
        if (busy) this.lastBusyPostAt = sentAt
        this.failures = 0
        this.retryAt = 0
      } else {
        this.failures += 1
        const delay = Math.min(this.options.maxRetryMs, this.options.renewMs * 2 ** Math.min(this.failures - 1, 10))
        this.retryAt = this.deps.clock.now() + delay
        // Refused or unreachable: the launcher may have restarted the companion (new port/token).
        if (result.kind !== 'error') this.client = undefined
        if (this.failures === 1 || this.failures % 10 === 0) this.log(`sleep protection: lease not accepted (${result.kind}: ${result.message}); retry in ${Math.round(delay / 1000)} s`)
      }
    } catch (err) {
      // Unreachable: the client never rejects. Kept so a bug cannot wedge `inFlight`.
      this.log(`sleep protection: ${err instanceof Error ? err.message : String(err)}`)
    } finally {
      this.inFlight = false
      this.dirty = false
      this.evaluate()
    }
  }
}
