/**
 * The relay hub: the registry of connected tabs (one `TabSession` each), the fan-out to them and
 * the status they are shown. It owns the single upstream SSE connection (pointed at the configured
 * server, following the launcher's server when it moves) and wires the two engines beside it:
 * - the ingest (sw/relay/ingest.ts): frames → seq gaps → ~16 ms batches → the event log;
 * - the catch-up runner (sw/relay/catch-up-runner.ts): recovering a gap from the server;
 * - degraded mode (sw/relay/degraded.ts): polling through the catch-up runner while the stream is
 *   held on the way (a buffering proxy) and REST works;
 * - the outbox (sw/relay/outbox-host.ts): what tabs asked to send, kept per server and delivered
 *   exactly once while the server is reachable (the stream connected, or degraded mode polling).
 * It runs unchanged inside the SharedWorker and, in the fallback, inside the leader tab; only the
 * transport of `TabEndpoint` differs.
 *
 * Every subscribed tab is pumped from its cursor whenever the log has new entries. Replay and live
 * delivery are the same code path (`TabSession.pump`), so a tab can never see a gap or a
 * duplicate: it always receives exactly the log entries after the cursor it last got.
 */
import { sameServer, serverIdentity, type LauncherStatus, type OpencodeEvent, type RelayedEvent, type RelayStatus, type RelayToTab, type ServerConfig } from '../shared/protocol.ts'
import { authHeaders } from './catch-up.ts'
import { CatchUpRunner, restReader } from './catch-up-runner.ts'
import { DEFAULT_MAX_DELAY_MS, SseConnection, type ConnectionSnapshot } from './connection.ts'
import { DegradedMode, restAnswers } from './degraded.ts'
import type { Clock } from '../shared/clock.ts'
import type { EventLog } from './log/event-log.ts'
import { Ingest } from './ingest.ts'
import { LauncherWatch, type LauncherWatchDeps } from './launcher-watch.ts'
import { TabSession, type TabEndpoint, type TabHost } from './tab-session.ts'
import { Notifier } from './notifier.ts'
import { OutboxHost, type ClosableOutboxStore } from './outbox-host.ts'
import { BusySessions, disposedBy, isHeartbeatEvent, PendingRequests } from '../shared/opencode-events.ts'

export { TabSession, type TabEndpoint }

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
  /** Sees every batch the log accepted (new events, with cursors; live ones before IndexedDB has them: write-behind). */
  onEvents?: (accepted: readonly RelayedEvent[]) => void
  /**
   * Reads the launcher's `/relay-config.json` (sw/shared/launcher-config.ts), so a `followLauncher` server
   * that stops answering is followed to its new address; absent: servers are never followed.
   */
  readLauncherConfig?: LauncherWatchDeps['read']
  /**
   * Opens the outbox store of a server (one per server identity, e.g. `DexieOutboxStore`; closed
   * when the relay leaves that server). Absent: no outbox, and a tab's `add` is refused.
   */
  openOutboxStore?: (server: ServerConfig) => ClosableOutboxStore
}

/** Tunables (ms / counts). */
export interface HubOptions {
  /** Batch window for persistence and fan-out, ms. Default 16. */
  flushMs: number
  /** Max events per `events` message to a tab. Default 2000. */
  maxBatch: number
  /** Compaction period, ms. Default 60 s. */
  compactEveryMs: number
  /** Quiet (no batch flushed) a compaction step waits for, ms. Default 1000. */
  compactQuietMs: number
  /**
   * Backoff cap (ms) for a server on this machine (loopback): a retry there costs nothing, and a
   * restarted launcher is then found within ~2 s. Default 2000; other servers use the connection's default (8 s).
   */
  loopbackMaxDelayMs: number
  /**
   * Wait for a stream's first frame, ms (OpenCode sends `server.connected` at once): a stream that
   * opened and says nothing is held on the way, which degraded mode looks at. Default 5000.
   */
  firstEventTimeoutMs: number
  /** Wait for the REST probe of degraded mode (`GET /global/health`), ms. Default 5000. */
  probeTimeoutMs: number
}

/** A tab frozen for less than this (ms) says nothing about the stream (see {@link RelayHub.wake}). */
export const WAKE_MIN_FROZEN_MS = 1_000
/** Tabs freeze one after another; the last may freeze this long (ms) after the connection stalled. */
const WAKE_SLACK_MS = 250
/** Silence (ms) that is always suspect after a wake: OpenCode sends `server.heartbeat` every 10 s. */
const WAKE_MAX_SILENCE_MS = 12_000

const DEFAULTS: HubOptions = { flushMs: 16, maxBatch: 2000, compactEveryMs: 60_000, compactQuietMs: 1000, loopbackMaxDelayMs: 2000, firstEventTimeoutMs: 5000, probeTimeoutMs: 5000 }

/**
 * Whether the server at `url` runs on this machine, so a reconnect attempt costs nothing and the
 * short {@link HubOptions.loopbackMaxDelayMs} cap applies: any scheme, a host in 127.0.0.0/8,
 * `localhost` or `[::1]`. False for an unparsable URL. (Not the companion's check, which is
 * stricter: `isCompanionUrl` in sw/shared/awake-wire.ts.)
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
  private readonly tabs = new Set<TabSession>()
  private connection: SseConnection | undefined
  private server: ServerConfig | undefined
  private conn: ConnectionSnapshot = { state: 'idle', attempt: 0 }
  private badFrames = 0
  private configuring: Promise<void> | undefined
  /** Frames → batches → the event log (seqs, storage health, compaction). */
  private readonly ingest: Ingest
  /** Recovers gaps from the server into the ingest. */
  private readonly catchUps: CatchUpRunner
  /** Sessions the hub has seen busy (notifications, the wake check, catch-up's idle fix-up), and top-level-ness. */
  private readonly busy = new BusySessions()
  /** Permission and question requests waiting over every project (the status's `pendingRequests`: the app badge). */
  private readonly pendingRequests = new PendingRequests()
  /** One system notification per event across all tabs. */
  private readonly notifier = new Notifier(() => this.tabs)
  /** Follows the launcher's server to a new address (see launcher-watch.ts); absent without `readLauncherConfig`. */
  private readonly launcherWatch: LauncherWatch | undefined
  private launcher: LauncherStatus | undefined
  private slowAttemptTimer: unknown
  /** Polls while the stream is held on the way and REST works. */
  private readonly degraded: DegradedMode
  /** The current server's outbox (what tabs asked to send; tab sessions hand it their requests). */
  readonly outboxes: OutboxHost

  constructor(
    readonly deps: HubDeps,
    options: Partial<HubOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options }
    this.ingest = new Ingest({ clock: deps.clock }, this.options, {
      observe: (directory, payload, recovered) => {
        if (!recovered) this.catchUps.liveEvent(directory, payload)
        this.observe(directory, payload)
      },
      seqGap: (directory) => this.catchUps.seqGap(directory),
      accepted: (events) => this.deps.onEvents?.(events),
      storageChanged: () => this.broadcastStatus(),
      pumpTabs: () => {
        for (const tab of this.tabs) void tab.pump()
      },
      tabCursors: () => [...this.tabs].flatMap((tab) => (tab.sent === undefined ? [] : [tab.sent])),
    })
    this.catchUps = new CatchUpRunner({ clock: deps.clock, random: deps.random, reader: restReader(deps.fetch) }, this.ingest, {
      server: () => this.server,
      connected: () => this.conn.state === 'connected',
      busySessions: () => this.busy.list(),
      runningChanged: () => this.broadcastStatus(),
      caughtUp: (directories) => {
        for (const directory of directories) this.broadcast({ type: 'resync', directory, reason: 'caught up after a gap' })
      },
      failed: (message) => {
        // Shown with the next status (the runner broadcasts once it stops).
        this.conn = { ...this.conn, lastError: message }
      },
    })
    this.degraded = new DegradedMode(deps.clock, {
      probe: () => (this.server ? restAnswers(this.server, this.deps, this.options.probeTimeoutMs) : Promise.resolve(false)),
      poll: (first) => this.catchUps.poll(this.pollDirectories(), first),
      busy: () => this.busy.size > 0,
      changed: () => {
        this.outboxes.reachabilityChanged()
        this.broadcastStatus()
      },
    })
    this.outboxes = new OutboxHost({
      fetch: deps.fetch,
      clock: deps.clock,
      random: deps.random,
      openStore: deps.openOutboxStore,
      // The stream is connected, or degraded mode polls the server over REST.
      reachable: () => this.conn.state === 'connected' || this.degraded.state !== undefined,
      changed: (entries) => this.broadcast({ type: 'outbox', entries }),
      failed: (message) => console.warn(`[relay] ${message}`),
    })
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

  /** The current server's event log; undefined before the first `configure`. */
  get log(): EventLog | undefined {
    return this.ingest.log
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
    const pendingRequests = this.pendingRequests.ids()
    return {
      ...this.conn,
      server: this.server?.url,
      storage: this.ingest.storage,
      catchingUp: this.catchUps.running,
      badFrames: this.badFrames,
      mode: this.deps.mode,
      ...(this.launcher ? { launcher: this.launcher } : {}),
      ...(this.degraded.state ? { degraded: { ...this.degraded.state } } : {}),
      ...(pendingRequests.length ? { pendingRequests } : {}),
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
      this.broadcast({ type: 'server-moved', server })
    }
    // What tabs asked to send belongs to the server too (the previous one's waits in its store);
    // the same server at a new address keeps its outbox, which then sends there.
    this.outboxes.switchTo(server)
    if (logChanged) {
      await this.ingest.drain()
      this.catchUps.reset()
      this.degraded.reset()
      this.pendingRequests.clear()
      // Also reads where the previous worker left off: the start of the gap a catch-up must cover.
      const head = await this.ingest.replaceLog(() => this.deps.openLog(server))
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
        { url, headers: authHeaders(server), maxDelayMs, firstEventTimeoutMs: this.options.firstEventTimeoutMs },
        { fetch: this.deps.fetch, clock: this.deps.clock, random: this.deps.random },
        {
          onFrame: (frame) => {
            this.degraded.frame(isHeartbeatEvent(frame.payload.type))
            this.ingest.frame(frame)
          },
          onState: (snap) => {
            const attempting = this.conn.state === 'connecting' || this.conn.state === 'connected'
            if (attempting && (snap.state === 'reconnecting' || snap.state === 'offline')) this.degraded.streamFailed(snap.failure, snap.lastError ?? '')
            this.conn = snap
            this.watchLauncher(snap.state)
            this.outboxes.reachabilityChanged()
            this.broadcastStatus()
          },
          onBadFrame: (error) => {
            this.badFrames++
            this.conn = { ...this.conn, lastError: `bad frame skipped: ${error}` }
            this.broadcastStatus()
          },
          // After a gap (or when a previous worker left seq positions behind), recover from the server.
          onOpen: () => {
            this.degraded.streamOpened()
            this.catchUps.streamOpened()
            this.outboxes.kick()
          },
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
        if (this.conn.state === 'connecting') watch.connectionFailed('slow')
      }, SLOW_ATTEMPT_MS)
    }
  }

  /** Subscribes a tab from `cursor` (replay then live) or from the head. */
  async subscribe(tab: TabSession, cursor: number | 'head'): Promise<void> {
    while (!this.log) {
      if (this.configuring) await this.configuring
      else return
    }
    await this.ingest.flushed()
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
    this.degraded.reset()
    this.launcherWatch?.stop()
    if (this.slowAttemptTimer !== undefined) this.deps.clock.clearTimeout(this.slowAttemptTimer)
    this.slowAttemptTimer = undefined
    this.catchUps.stop()
    this.outboxes.stop()
    this.connection?.stop()
    this.connection = undefined
    await this.ingest.stop()
  }

  /** Logs the pending batch now and delivers it to the tabs (see `Ingest.flush`). */
  flushNow(): Promise<void> {
    return this.ingest.flush()
  }

  /** What degraded mode polls: every directory with a seq position, and those tabs show. */
  private pollDirectories(): string[] {
    const directories = new Set(this.ingest.knownDirectories())
    for (const tab of this.tabs) if (tab.viewing) directories.add(tab.viewing.directory)
    return [...directories]
  }

  /** Posts `msg` to every connected tab. */
  private broadcast(msg: RelayToTab): void {
    for (const tab of this.tabs) tab.endpoint.post(msg)
  }

  private broadcastStatus(): void {
    this.broadcast({ type: 'status', status: this.status() })
  }

  /** Tracks busy sessions and parents for notifications, and pending requests for the badge; disposal triggers a resync. */
  private observe(directory: string, event: OpencodeEvent): void {
    if (this.pendingRequests.apply(directory, event)) this.broadcastStatus()
    const change = this.busy.apply(directory, event, this.deps.clock.now())
    // A session that stops working finishes; one deleted while busy does not.
    if (change && !change.busy && event.type !== 'session.deleted') this.notifier.notify(directory, change.sessionID, 'finished')
    const disposed = disposedBy(event)
    if (disposed) {
      const target = disposed === 'all' ? '*' : disposed.directory
      this.broadcast({ type: 'resync', directory: target, reason: disposed === 'all' ? 'server disposed' : 'server instance disposed' })
      return
    }
    this.notifier.observe(directory, event)
  }
}
