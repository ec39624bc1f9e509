/**
 * The relay hub: owns the single upstream SSE connection, the event log and one `TabSession` per
 * connected tab. It runs unchanged inside the SharedWorker and, in the fallback, inside the leader
 * tab; only the transport of `TabEndpoint` differs.
 *
 * Pipeline: upstream frame → (sync twin → seq tracking + bus shape) → pending batch, flushed every
 * ~16 ms → cursors assigned by the event log (live events: at once, written to IndexedDB behind;
 * recovered events: after a duplicate check in the database) → every subscribed tab is pumped
 * from its cursor.
 * Replay and live delivery are the same code path (`TabSession.pump`), so a tab can never see a
 * gap or a duplicate: it always receives exactly the log entries after the cursor it last got.
 */
import type { Event as SdkEvent } from '@opencode-ai/sdk/v2/types'
import { sameServer, serverIdentity, type LauncherStatus, type RelayedEvent, type RelayStatus, type ServerConfig } from '../shared/protocol.ts'
import { authHeaders, catchUpDirectory, relayRestClient, type SeqRow } from './catch-up.ts'
import { DEFAULT_MAX_DELAY_MS, SseConnection, type ConnectionSnapshot } from './connection.ts'
import { computeBackoffMs } from '../shared/backoff.ts'
import type { Clock } from '../shared/clock.ts'
import type { EventLog } from './log/event-log.ts'
import { syncToBusEvent, type UpstreamFrame } from '../shared/frames.ts'
import { LauncherWatch, type LauncherWatchDeps } from './launcher-watch.ts'
import { TabSession, type TabEndpoint, type TabHost } from './tab-session.ts'
import { Notifier } from './notifier.ts'
import { seqKey } from './log/schema.ts'

export { TabSession, type TabEndpoint }
import { BusySessions, disposedBy, eventEntityKey, isTransientEvent } from '../shared/opencode-events.ts'

/** Dependencies of the hub, injected so it runs in a worker, a tab or a unit test. */
export interface HubDeps {
  fetch: typeof fetch
  clock: Clock
  random: () => number
  /** Opens the event log for a server URL (one log per server). */
  openLog: (server: ServerConfig) => Promise<EventLog>
  mode: RelayStatus['mode']
  /** Waits until the lock named `lockName` is released (the tab closed); undefined where Web Locks are missing. */
  waitForLockRelease?: (lockName: string) => Promise<void>
  /** Sees every batch the log accepted (new events, with cursors), after it is persisted. */
  onEvents?: (accepted: readonly RelayedEvent[]) => void
  /**
   * Reads the launcher's `/relay-config.json` (sw/shared/launcher-config.ts), so a `followLauncher` server
   * that stops answering is followed to its new address; absent: servers are never followed.
   */
  readLauncherConfig?: LauncherWatchDeps['read']
}

/** Tunables (ms / counts). */
export interface HubOptions {
  /** Batch window for persistence and fan-out, ms. Default 16. */
  flushMs: number
  /** Max events per `events` message to a tab. Default 2000. */
  maxBatch: number
  /** Compaction period, ms. Default 60 s. */
  compactEveryMs: number
  /**
   * Backoff cap (ms) for a server on this machine (loopback): a retry there costs nothing, and a
   * restarted launcher is then found within ~2 s. Default 2000; other servers use the connection's default (8 s).
   */
  loopbackMaxDelayMs: number
}

/** A tab frozen for less than this (ms) says nothing about the stream (see {@link RelayHub.wake}). */
export const WAKE_MIN_FROZEN_MS = 1_000
/** Tabs freeze one after another; the last may freeze this long (ms) after the connection stalled. */
const WAKE_SLACK_MS = 250
/** Silence (ms) that is always suspect after a wake: OpenCode sends `server.heartbeat` every 10 s. */
const WAKE_MAX_SILENCE_MS = 12_000

const DEFAULTS: HubOptions = { flushMs: 16, maxBatch: 2000, compactEveryMs: 60_000, loopbackMaxDelayMs: 2000 }

/**
 * Whether the server at `url` runs on this machine, so a reconnect attempt costs nothing and the
 * short {@link HubOptions.loopbackMaxDelayMs} cap applies: any scheme, a host in 127.0.0.0/8,
 * `localhost` or `[::1]`. False for an unparsable URL. (Not the companion's check, which is
 * stricter: `isCompanionUrl` in sw/shared/awake-client.ts.)
 */
export function isOnThisMachine(url: string): boolean {
  let host: string
  try {
    host = new URL(url).hostname
  } catch {
    return false
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/**
 * While the event log reports a storage error, the hub re-offers its unwritten events this often
 * (ms; just above the log's default 1 s write throttle) and reports the outcome: with write-behind,
 * no later append may come to carry the news that space is back.
 */
const STORAGE_RETRY_MS = 1_100

/**
 * An attempt still without a response head after this long (ms) asks the launcher whether its
 * server is starting: `opencode serve` accepts requests during its start that it never answers.
 */
const SLOW_ATTEMPT_MS = 1_000


/**
 * The relay. Create one per worker (or leader tab), call `connectTab` for every tab.
 * Errors never escape to the caller: they become `status.lastError` / `status.storage.error`.
 */
export class RelayHub implements TabHost {
  readonly options: HubOptions
  log: EventLog | undefined
  private readonly tabs = new Set<TabSession>()
  private connection: SseConnection | undefined
  private server: ServerConfig | undefined
  private pending: Array<Omit<RelayedEvent, 'cursor'>> = []
  private pendingSeqs = new Map<string, SeqRow>()
  private seqs = new Map<string, SeqRow>()
  private flushTimer: unknown
  private storageRetryTimer: unknown
  private flushing: Promise<void> = Promise.resolve()
  private conn: ConnectionSnapshot = { state: 'idle', attempt: 0 }
  private storage: RelayStatus['storage'] = { ok: true }
  private catchingUp = false
  private badFrames = 0
  private lastEventAt = 0
  /** Epoch ms when the gap that no catch-up has recovered yet began; undefined when none is pending. */
  private gapStartedAt: number | undefined
  /** Failed catch-ups in a row (backoff of the retry), and the retry's timer. */
  private catchUpAttempt = 0
  private catchUpTimer: unknown
  /** Directories whose catch-up was asked for while another one ran: it runs next. */
  private catchUpQueued = new Set<string>()
  private lastCompact = 0
  private configuring: Promise<void> | undefined
  /** Sessions the hub has seen busy (notifications, the wake check, catch-up's idle fix-up), and top-level-ness. */
  private readonly busy = new BusySessions()
  /** One system notification per event across all tabs. */
  private readonly notifier = new Notifier(() => this.tabs)
  /**
   * While a catch-up runs: the entities (see `eventEntityKey`) a live event changed since it
   * began. Its results describe the server as it was when they were read, so a recovered event
   * for one of these entities would land after a newer live state and roll it back; it is
   * dropped instead (every later change of that entity arrives live anyway).
   */
  private liveTouched: Set<string> | undefined
  /** Follows the launcher's server to a new address (see launcher-watch.ts); absent without `readLauncherConfig`. */
  private readonly launcherWatch: LauncherWatch | undefined
  private launcher: LauncherStatus | undefined
  private slowAttemptTimer: unknown

  constructor(
    readonly deps: HubDeps,
    options: Partial<HubOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options }
    const read = deps.readLauncherConfig
    this.launcherWatch = read
      ? new LauncherWatch(
          { read },
          {
            onStatus: (status) => {
              this.launcher = status
              this.broadcastStatus()
            },
            onMoved: (server) => void this.followLauncher(server),
            // A hung attempt (opencode accepts requests it never answers while it starts) is replaced.
            onReady: () => this.nudge('the launcher’s server is up', this.conn.state === 'connecting'),
          },
        )
      : undefined
  }

  /** Registers a tab; the returned session's `receive` takes its messages. */
  connectTab(endpoint: TabEndpoint, tabId: string, lockName?: string): TabSession {
    const tab = new TabSession(this, endpoint, tabId)
    this.tabs.add(tab)
    if (lockName && this.deps.waitForLockRelease) {
      void this.deps.waitForLockRelease(lockName).then(() => this.dropTab(tab))
    }
    return tab
  }

  /** Most events per `events` message to a tab. */
  get maxBatch(): number {
    return this.options.maxBatch
  }

  /** Epoch ms on the hub's clock. */
  now(): number {
    return this.deps.clock.now()
  }

  /** Whether system notifications are on (protocol `settings`). */
  setNotifications(on: boolean): void {
    this.notifier.enabled = on
  }

  /**
   * A tab said hello: it was just served by the app's origin. A stale "launcher unreachable" is
   * re-checked at once, and the stream retried now rather than after its backoff.
   */
  tabArrived(): void {
    if (this.launcher?.state !== 'unreachable') return
    this.launcherWatch?.originAnswered()
    this.nudge('a tab opened')
  }

  /** Forgets a tab (closed: its Web Lock was released, or it said bye). */
  dropTab(tab: TabSession): void {
    tab.closed = true
    this.tabs.delete(tab)
  }

  /** Number of tabs connected. */
  tabCount(): number {
    return this.tabs.size
  }

  /** Current status as broadcast to tabs. */
  status(): RelayStatus {
    return {
      ...this.conn,
      server: this.server?.url,
      storage: this.storage,
      catchingUp: this.catchingUp,
      badFrames: this.badFrames,
      mode: this.deps.mode,
      ...(this.launcher ? { launcher: this.launcher } : {}),
    }
  }

  /**
   * The launcher's server moved (restarted on another port): connect there, keeping the log when
   * the identity is the same (catch-up then recovers the gap); every tab is told (see switchServer).
   */
  private async followLauncher(server: ServerConfig): Promise<void> {
    await this.configure({ ...server, followLauncher: true })
  }

  /**
   * Points the relay at a server. Another identity (see `serverIdentity`) opens that server's log and
   * resets every tab; the same identity at another address keeps the log and reconnects there.
   */
  async configure(server: ServerConfig): Promise<void> {
    while (this.configuring) await this.configuring
    if (this.server && sameServer(this.server, server)) {
      // A tab that learned the mark later (e.g. from the launcher) makes the server followed.
      if (server.followLauncher && !this.server.followLauncher) {
        this.server = { ...this.server, followLauncher: true }
        this.launcherWatch?.setServer(this.server)
      }
      return
    }
    this.configuring = this.switchServer(server)
    try {
      await this.configuring
    } finally {
      this.configuring = undefined
    }
  }

  private async switchServer(server: ServerConfig): Promise<void> {
    const previous = this.server
    const logChanged = previous === undefined || serverIdentity(previous) !== serverIdentity(server)
    this.server = server
    this.launcherWatch?.setServer(server)
    // The same server at a new address — found by the launcher watch, or by a tab that read the
    // launcher's config first: every tab's REST client must follow, not only the one that said so.
    if (!logChanged && previous.url !== server.url) {
      for (const tab of this.tabs) tab.endpoint.post({ type: 'server-moved', server })
    }
    if (logChanged) {
      await this.flushing
      await this.log?.flushWrites()
      this.pending = []
      this.gapStartedAt = undefined
      this.catchUpQueued.clear()
      this.log?.close()
      this.log = await this.deps.openLog(server)
      this.seqs.clear()
      for (const row of await this.log.getSeqs()) this.seqs.set(rowKey(row), row)
      // Where the previous worker left off: the start of the gap a catch-up must cover.
      const head = this.log.head()
      const last = head > 0 ? await this.log.readAfter(head - 1, 1).catch(() => []) : []
      this.lastEventAt = last[0]?.receivedAt ?? 0
      for (const tab of this.tabs) {
        if (tab.sent !== undefined) {
          tab.sent = head
          tab.endpoint.post({ type: 'reset', reason: 'server changed', head })
        }
      }
    }
    const url = `${server.url}/global/event`
    const maxDelayMs = isOnThisMachine(server.url) ? this.options.loopbackMaxDelayMs : DEFAULT_MAX_DELAY_MS
    if (!this.connection) {
      this.connection = new SseConnection(
        { url, headers: authHeaders(server), maxDelayMs },
        { fetch: this.deps.fetch, clock: this.deps.clock, random: this.deps.random },
        {
          onFrame: (frame) => this.onFrame(frame),
          onState: (snap) => {
            this.conn = snap
            this.watchLauncher(snap.state)
            this.broadcastStatus()
          },
          onBadFrame: (error) => {
            this.badFrames++
            this.conn = { ...this.conn, lastError: `bad frame skipped: ${error}` }
            this.broadcastStatus()
          },
          onOpen: (info) => void this.onOpen(info.reconnect),
        },
      )
      this.connection.start()
    } else {
      this.connection.setTarget(url, authHeaders(server), maxDelayMs)
    }
  }

  /**
   * Tells the launcher watch how the connection goes: a failed attempt, or one still waiting for
   * its response head after {@link SLOW_ATTEMPT_MS}, asks the launcher what is going on.
   */
  private watchLauncher(state: RelayStatus['state']): void {
    const watch = this.launcherWatch
    if (!watch) return
    if (this.slowAttemptTimer !== undefined) this.deps.clock.clearTimeout(this.slowAttemptTimer)
    this.slowAttemptTimer = undefined
    if (state === 'connected') watch.connected()
    else if (state === 'reconnecting' || state === 'offline') watch.connectionFailed()
    else if (state === 'connecting') {
      this.slowAttemptTimer = this.deps.clock.setTimeout(() => {
        this.slowAttemptTimer = undefined
        if (this.conn.state === 'connecting') watch.connectionFailed()
      }, SLOW_ATTEMPT_MS)
    }
  }

  /** Subscribes a tab from `cursor` (replay then live) or from the head. */
  async subscribe(tab: TabSession, cursor: number | 'head'): Promise<void> {
    while (!this.log) {
      if (this.configuring) await this.configuring
      else return
    }
    await this.flushing
    const head = this.log.head()
    let from = cursor === 'head' ? head : Math.min(cursor, head)
    if (cursor !== 'head' && cursor > head) {
      // The tab knows a cursor this log never had (the database was deleted or reset).
      tab.sent = head
      tab.endpoint.post({ type: 'reset', reason: 'event log was reset', head })
      return
    }
    const lost = this.log.lostCursors()
    if (cursor !== 'head' && lost && cursor > lost.after && cursor <= lost.through) {
      // The previous relay handed this cursor out and died before writing it (write-behind).
      tab.sent = head
      tab.endpoint.post({ type: 'reset', reason: 'the previous relay stopped before writing events this tab has', head })
      return
    }
    const oldest = await this.log.oldestCursor()
    if (from + 1 < oldest) {
      tab.sent = head
      tab.endpoint.post({ type: 'reset', reason: 'event log no longer holds this tab’s cursor', head })
      return
    }
    from = Math.max(from, 0)
    tab.sent = from
    tab.endpoint.post({ type: 'subscribed', from, head })
    await tab.pump()
  }

  /** Reconnect at once when not connected (online, a tab became visible); `force` also drops a live stream. */
  nudge(reason: string, force = false): void {
    if (!this.connection) return
    if (force || this.conn.state !== 'connected') this.connection.reconnectNow(reason, force)
  }

  /**
   * A tab ran again after being frozen for `frozenMs` ms (see the `resumed` message). The stream
   * is presumed half-open — a TCP connection across a sleep usually is, and only the 25 s
   * watchdog would notice — and replaced at once (the catch-up that follows every reconnect
   * recovers the gap) when it is silent, no byte at all, for
   * - {@link WAKE_MAX_SILENCE_MS}: it missed a heartbeat (OpenCode sends one every 10 s); or
   * - the whole freeze (less {@link WAKE_SLACK_MS}) while a session was busy: a working session
   *   streams parts, status and heartbeats, so a stream that carried none of them all along is
   *   suspect.
   * An idle stream that is merely between heartbeats is kept, and so is one that received
   * anything meanwhile: a tab Chrome froze in the background while the stream stayed up costs
   * nothing. Freezes shorter than {@link WAKE_MIN_FROZEN_MS} are ignored.
   */
  wake(frozenMs: number): void {
    if (!this.connection || !(frozenMs >= WAKE_MIN_FROZEN_MS)) return
    const busyLimit = Math.max(WAKE_MIN_FROZEN_MS, frozenMs - WAKE_SLACK_MS)
    const minSilence = this.busy.size > 0 ? Math.min(busyLimit, WAKE_MAX_SILENCE_MS) : WAKE_MAX_SILENCE_MS
    this.connection.reconnectIfSilent(minSilence, `a tab woke after ${Math.round(frozenMs / 1000)} s frozen and the stream had been silent`)
  }

  /** Browser online/offline signal. */
  setOnline(online: boolean): void {
    this.connection?.setOnline(online)
  }

  /** Stops the connection and timers (tests, server switch). */
  async stop(): Promise<void> {
    this.launcherWatch?.stop()
    if (this.slowAttemptTimer !== undefined) this.deps.clock.clearTimeout(this.slowAttemptTimer)
    this.slowAttemptTimer = undefined
    if (this.catchUpTimer !== undefined) this.deps.clock.clearTimeout(this.catchUpTimer)
    this.catchUpTimer = undefined
    if (this.storageRetryTimer !== undefined) this.deps.clock.clearTimeout(this.storageRetryTimer)
    this.storageRetryTimer = undefined
    this.connection?.stop()
    this.connection = undefined
    await this.flushNow()
    await this.log?.flushWrites()
    this.log?.close()
  }

  private broadcastStatus(): void {
    const status = this.status()
    for (const tab of this.tabs) tab.endpoint.post({ type: 'status', status })
  }

  private onFrame(frame: UpstreamFrame): void {
    const payload = frame.payload
    this.lastEventAt = this.deps.clock.now()
    if (payload.type === 'sync') {
      const se = payload.syncEvent
      const key = seqKey(frame.directory, se.aggregateID)
      const prev = this.pendingSeqs.get(key)?.seq ?? this.seqs.get(key)?.seq
      if (prev !== undefined && se.seq > prev + 1 && !this.catchingUp) {
        // A jump in seq is a gap: recover this directory from /sync/history.
        void this.catchUp([frame.directory])
      }
      if (prev === undefined || se.seq > prev) {
        this.pendingSeqs.set(key, { directory: frame.directory, aggregateID: se.aggregateID, seq: se.seq })
      }
      const bus = syncToBusEvent(se)
      if (bus) this.enqueue(frame.directory, bus, false)
      return
    }
    if (isTransientEvent(payload.type)) return
    this.enqueue(frame.directory, payload, false)
  }

  private enqueue(directory: string, payload: SdkEvent, recovered: boolean): void {
    if (this.liveTouched) {
      const key = eventEntityKey(payload)
      if (key !== undefined && recovered && this.liveTouched.has(`${directory}\u0000${key}`)) return
      if (key !== undefined && !recovered) this.liveTouched.add(`${directory}\u0000${key}`)
    }
    this.observe(directory, payload)
    const event: Omit<RelayedEvent, 'cursor'> = {
      id: payload.id,
      directory,
      payload,
      receivedAt: this.deps.clock.now(),
    }
    if (recovered) event.recovered = true
    this.pending.push(event)
    if (this.flushTimer === undefined) {
      this.flushTimer = this.deps.clock.setTimeout(() => {
        this.flushTimer = undefined
        void this.flushNow()
      }, this.options.flushMs)
    }
  }

  /** Records the storage health (`undefined` = ok), tells the tabs when it changed, and retries writes while it fails. */
  private setStorageError(error: string | undefined): void {
    const changed = error === undefined ? !this.storage.ok : this.storage.error !== error
    this.storage = error === undefined ? { ok: true } : { ok: false, error }
    if (changed) this.broadcastStatus()
    if (error !== undefined && this.storageRetryTimer === undefined) {
      this.storageRetryTimer = this.deps.clock.setTimeout(() => {
        this.storageRetryTimer = undefined
        void this.retryStorage()
      }, STORAGE_RETRY_MS)
    }
  }

  /** Offers the log's unwritten events to IndexedDB again and reports the outcome. */
  private async retryStorage(): Promise<void> {
    const log = this.log
    if (!log || this.storage.ok) return
    await log.flushWrites()
    if (this.log !== log) return
    this.setStorageError(log.storageError)
  }

  /** Assigns cursors to the pending batch (the log writes it, behind for live events) and pumps every tab. */
  flushNow(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce())
    return this.flushing
  }

  private async flushOnce(): Promise<void> {
    const log = this.log
    if (!log || this.pending.length === 0) return
    const batch = this.pending
    const seqs = [...this.pendingSeqs.values()]
    this.pending = []
    this.pendingSeqs.clear()
    // Live events fan out as soon as they have cursors; the log writes them behind (with their
    // seqs, in one transaction). Recovered events may be old, so they take the path that checks
    // the whole database for their ids before assigning cursors.
    const live = batch.every((e) => !e.recovered)
    const { accepted, storageError } = live ? await log.appendLive(batch, seqs) : await log.append(batch)
    if (accepted.length) this.deps.onEvents?.(accepted)
    for (const row of seqs) this.seqs.set(rowKey(row), row)
    // Seqs are kept in memory by the log and written with its next successful write.
    if (!live && seqs.length) await log.setSeqs(seqs).catch(() => undefined)
    this.setStorageError(storageError)
    // The write behind this batch reports its outcome when it lands (a failure, or space back).
    if (live) void log.flushWrites().then(() => this.log === log && this.setStorageError(log.storageError))
    for (const tab of this.tabs) void tab.pump()
    const now = this.deps.clock.now()
    if (now - this.lastCompact > this.options.compactEveryMs) {
      this.lastCompact = now
      void this.compact()
    }
  }

  private async compact(): Promise<void> {
    const log = this.log
    if (!log) return
    let keepAfter = log.head()
    for (const tab of this.tabs) if (tab.sent !== undefined) keepAfter = Math.min(keepAfter, tab.sent)
    try {
      await log.compact({ keepAfterCursor: keepAfter })
    } catch (err) {
      this.storage = { ok: false, error: `compaction failed: ${String(err)}` }
      this.broadcastStatus()
    }
  }

  private async onOpen(reconnect: boolean): Promise<void> {
    // After a gap (or when a previous worker left seq positions behind), recover from the server.
    if (reconnect || this.seqs.size > 0) {
      const dirs = new Set<string>()
      for (const row of this.seqs.values()) dirs.add(row.directory)
      if (dirs.size) await this.catchUp([...dirs])
    }
  }

  /**
   * Recovers durable events for `directories` and re-reads non-durable state; see catch-up.ts.
   * A failure is reported in `lastError` and retried with backoff while the stream stays up (a new
   * stream starts its own catch-up); every attempt covers the gap from where it began. Asked for
   * while another one runs (whose reads may predate this new gap), it runs right after it.
   */
  async catchUp(directories: string[]): Promise<void> {
    const server = this.server
    if (!server) return
    this.gapStartedAt ??= this.lastEventAt
    if (this.catchingUp) {
      for (const d of directories) this.catchUpQueued.add(d)
      return
    }
    const gapStartedAt = this.gapStartedAt
    this.catchingUp = true
    this.liveTouched = new Set()
    this.broadcastStatus()
    const client = relayRestClient(server, this.deps.fetch)
    try {
      for (const directory of directories) {
        const known = [...this.seqs.values(), ...this.pendingSeqs.values()].filter((r) => r.directory === directory)
        const result = await catchUpDirectory(client, directory, known, gapStartedAt, this.deps.clock.now())
        for (const event of result.events) this.enqueue(directory, event, true)
        for (const row of result.seqs) {
          const key = rowKey(row)
          const prev = this.pendingSeqs.get(key)?.seq ?? this.seqs.get(key)?.seq ?? -1
          if (row.seq > prev) this.pendingSeqs.set(key, row)
        }
        // Non-durable state: sessions we believed busy that the server reports idle get an idle event.
        for (const { sessionID, directory: dir } of this.busy.list()) {
          if (!result.status[sessionID] && dir === directory) {
            this.enqueue(directory, { id: `relay_idle_${sessionID}_${this.deps.clock.now()}`, type: 'session.status', properties: { sessionID, status: { type: 'idle' } } }, true)
          }
        }
        for (const [sessionID, status] of Object.entries(result.status)) {
          this.enqueue(directory, { id: `relay_status_${sessionID}_${this.deps.clock.now()}`, type: 'session.status', properties: { sessionID, status } }, true)
        }
      }
      // Recovered events reach the tabs first; then they re-read the non-durable state.
      await this.flushNow()
      for (const directory of directories) {
        for (const tab of this.tabs) tab.endpoint.post({ type: 'resync', directory, reason: 'caught up after a gap' })
      }
      // A queued catch-up still has a gap to cover (from the earliest start: conservative).
      if (this.catchUpQueued.size === 0) this.gapStartedAt = undefined
      this.catchUpAttempt = 0
    } catch (err) {
      this.conn = { ...this.conn, lastError: `catch-up failed: ${err instanceof Error ? err.message : String(err)}` }
      this.retryCatchUp(directories)
    } finally {
      this.catchingUp = false
      this.liveTouched = undefined
      this.broadcastStatus()
    }
    if (this.catchUpQueued.size > 0) {
      const next = [...this.catchUpQueued]
      this.catchUpQueued.clear()
      await this.catchUp(next)
    }
  }

  /** Schedules another catch-up of `directories` (backoff with full jitter, 0.5–8 s) for a stream that stays up. */
  private retryCatchUp(directories: string[]): void {
    if (this.catchUpTimer !== undefined) this.deps.clock.clearTimeout(this.catchUpTimer)
    const delay = computeBackoffMs(this.catchUpAttempt++, this.deps.random(), 500, 8000)
    this.catchUpTimer = this.deps.clock.setTimeout(() => {
      this.catchUpTimer = undefined
      if (this.conn.state === 'connected') void this.catchUp(directories)
    }, delay)
  }

  /** Tracks busy sessions and parents for notifications; disposal triggers a resync. */
  private observe(directory: string, event: SdkEvent): void {
    const change = this.busy.apply(directory, event, this.deps.clock.now())
    // A session that stops working finishes; one deleted while busy does not.
    if (change && !change.busy && event.type !== 'session.deleted') this.notifier.notify(directory, change.sessionID, 'finished')
    const disposed = disposedBy(event)
    if (disposed) {
      const target = disposed === 'all' ? '*' : disposed.directory
      for (const tab of this.tabs) tab.endpoint.post({ type: 'resync', directory: target, reason: disposed === 'all' ? 'server disposed' : 'server instance disposed' })
      return
    }
    this.notifier.observe(directory, event)
  }
}

/** Key of a seq row in the hub's maps (the log's own key). */
function rowKey(row: SeqRow): string {
  return seqKey(row.directory, row.aggregateID)
}
