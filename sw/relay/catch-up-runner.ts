/**
 * Runs the relay's catch-ups: when to recover a gap from the server, one at a time, and how to
 * hand what it read to the ingest without ever rolling the live stream back.
 *
 * - After every stream open, the directories with a known seq position are caught up (after a
 *   reconnect there was a gap; on the first open, seqs a previous relay left behind mean it
 *   stopped mid-stream); a live seq jump asks for its directory too.
 * - One catch-up runs at a time. One asked for meanwhile (whose gap the running one's reads may
 *   predate) is queued and runs right after it.
 * - The gap starts at the last event received before it (`gapStartedAt`) and is kept until a
 *   catch-up with nothing queued behind it succeeds: a retry covers the whole gap again.
 * - A failure is reported and retried with full-jitter backoff (sw/shared/backoff.ts) while the
 *   stream stays up; a new stream starts its own catch-up anyway.
 * - While one runs, live events mark the entities they change (`liveTouched`): a recovered event
 *   for one of them describes an older state and is dropped, not logged after the newer one.
 *
 * - Degraded mode's polls (sw/relay/degraded.ts) are catch-ups too ({@link CatchUpRunner.poll}):
 *   the same reads plus the pending requests, no retry (the next poll is one), and the tabs are
 *   told to re-read only when a poll cannot say what changed (the first one; a request answered
 *   elsewhere).
 *
 * What one directory's catch-up reads is sw/relay/catch-up.ts (`catchUpDirectory`).
 */
import type { BusySession } from '../shared/opencode-events.ts'
import { eventEntityKey } from '../shared/opencode-events.ts'
import type { OpencodeEvent, ServerConfig } from '../shared/protocol.ts'
import type { Clock } from '../shared/clock.ts'
import { computeBackoffMs } from '../shared/backoff.ts'
import { catchUpDirectory, relayRestClient, type CatchUpReadOptions, type CatchUpResult, type SeqRow } from './catch-up.ts'

/** What the runner needs of the ingest (implemented by `Ingest`, sw/relay/ingest.ts). */
export interface CatchUpSink {
  /** Epoch ms of the last event received (0 when unknown): where a new gap starts. */
  readonly lastEventAt: number
  /** The seq rows known for `directory` (written and pending). */
  knownSeqs(directory: string): SeqRow[]
  /** Directories with a written seq position. */
  knownDirectories(): string[]
  /**
   * `events` without those the log already holds (by id: recent ids, then the database), in
   * order; what a catch-up recovered passes through it before {@link CatchUpSink.enqueueRecovered}.
   */
  unseen(events: readonly OpencodeEvent[]): Promise<OpencodeEvent[]>
  /** Queues a recovered (or synthesized) event for the log (written behind, like a live one). */
  enqueueRecovered(directory: string, event: OpencodeEvent): void
  /** Raises the pending seq of each row's aggregate where the row's is higher. */
  offerSeqs(rows: readonly SeqRow[]): void
  /** Logs everything queued so far and delivers it to the tabs. */
  flush(): Promise<void>
}

/** What the runner tells and asks the hub. Every call is synchronous and must not throw. */
export interface CatchUpHost {
  /** The server to read from; undefined before the first `configure` (nothing to catch up then). */
  server(): ServerConfig | undefined
  /** Whether the upstream stream is connected (a retry is only worth it then). */
  connected(): boolean
  /** Sessions the relay believes busy: those the server no longer reports get an idle event. */
  busySessions(): readonly BusySession[]
  /** {@link CatchUpRunner.running} changed: broadcast the status. */
  runningChanged(): void
  /** The recovered events of `directories` are logged: tell every tab to re-read their non-durable state. */
  caughtUp(directories: readonly string[]): void
  /** A catch-up failed (`message` starts with "catch-up failed:"): show it as the status's `lastError`. */
  failed(message: string): void
}

/**
 * Reads one directory's catch-up, as `catchUpDirectory` does.
 * @param known seq rows the relay holds for `directory`.
 * @param gapStartedAt epoch ms of the last event received before the gap (0 when unknown).
 * @param now epoch ms, for synthetic ids.
 * @param options what else to read (degraded mode's polls read the pending requests).
 * @throws when a read fails (the runner retries).
 */
export type DirectoryReader = (directory: string, known: readonly SeqRow[], gapStartedAt: number, now: number, options?: CatchUpReadOptions) => Promise<CatchUpResult>

/** Dependencies of {@link CatchUpRunner}. */
export interface CatchUpRunnerDeps {
  clock: Clock
  /** A uniform draw in [0, 1), for the retry's jitter. */
  random: () => number
  /** The reader of one catch-up run against `server` (one REST client per run); see {@link restReader}. */
  reader(server: ServerConfig): DirectoryReader
}

/** Shortest cap of the retry backoff, ms (first retry: 50–500 ms). */
export const CATCH_UP_RETRY_MIN_MS = 500
/** Longest cap of the retry backoff, ms (from the fifth retry on: 50 ms–8 s). */
export const CATCH_UP_RETRY_MAX_MS = 8_000

/** The real reader: `catchUpDirectory` over the SDK client of `server` (sw/relay/catch-up.ts). */
export function restReader(fetchImpl: typeof fetch): (server: ServerConfig) => DirectoryReader {
  return (server) => {
    const client = relayRestClient(server, fetchImpl)
    return (directory, known, gapStartedAt, now, options) => catchUpDirectory(client, directory, known, gapStartedAt, now, options)
  }
}

/** The catch-up runner of one relay. Its errors never escape: they go to {@link CatchUpHost.failed}. */
export class CatchUpRunner {
  /** What runs now: a catch-up, a poll of degraded mode, or nothing. */
  private runningKind: 'catch-up' | 'poll' | undefined
  /** Epoch ms when the gap that no catch-up has recovered yet began; undefined when none is pending. */
  private gapStartedAt: number | undefined
  /** Failed catch-ups in a row (backoff of the retry), and the retry's timer. */
  private attempt = 0
  private retryTimer: unknown
  /** Directories whose catch-up was asked for while another one ran: it runs next. */
  private readonly queued = new Set<string>()
  /**
   * While a catch-up runs: the entities (see `eventEntityKey`) a live event changed since it
   * began. Its results describe the server as it was when they were read, so a recovered event
   * for one of these entities would land after a newer live state and roll it back; it is
   * dropped instead (every later change of that entity arrives live anyway).
   */
  private liveTouched: Set<string> | undefined
  /** Per directory, the pending requests a poll saw (and offered as `*.asked` events). */
  private readonly pendingSeen = new Map<string, Set<string>>()
  /** Epoch ms when the previous poll began: where the next one's gap starts. */
  private lastPollAt: number | undefined

  constructor(
    private readonly deps: CatchUpRunnerDeps,
    private readonly sink: CatchUpSink,
    private readonly host: CatchUpHost,
  ) {}

  /** Whether a catch-up runs (the status's `catchingUp`). */
  get running(): boolean {
    return this.runningKind !== undefined
  }

  /** The upstream stream opened (first or again): catch up every directory with a known seq position. */
  streamOpened(): void {
    const dirs = this.sink.knownDirectories()
    if (dirs.length) void this.catchUp(dirs)
  }

  /**
   * A live seq jump in `directory`: catch it up. Ignored while a catch-up runs: right after a
   * reconnect every aggregate's first live seq jumps over the very gap being recovered. While a
   * poll runs it is queued instead: the poll's reads may have been answered before the events the
   * jump skipped (a poll in flight when the machine slept), and once the jump is seen the next
   * poll asks only for what follows it.
   */
  seqGap(directory: string): void {
    if (this.runningKind !== 'catch-up') void this.catchUp([directory])
  }

  /** A live event was queued: while a catch-up runs, its entity may no longer take recovered events. */
  liveEvent(directory: string, event: OpencodeEvent): void {
    if (!this.liveTouched) return
    const key = eventEntityKey(event)
    if (key !== undefined) this.liveTouched.add(`${directory}\u0000${key}`)
  }

  /**
   * Recovers durable events for `directories` and re-reads non-durable state (session status);
   * see catch-up.ts. Recovered events are logged first, then every tab is told to resync those
   * directories. A failure is reported (`failed`) and retried with backoff while the stream stays
   * up; every attempt covers the gap from where it began. Asked for while another one (or a poll)
   * runs, it runs right after it. Does not reject (given a host that does not throw): failures go
   * to `failed`.
   */
  async catchUp(directories: string[]): Promise<void> {
    const server = this.host.server()
    if (!server) return
    this.gapStartedAt ??= this.sink.lastEventAt
    if (this.runningKind !== undefined) {
      for (const d of directories) this.queued.add(d)
      return
    }
    const gapStartedAt = this.gapStartedAt
    this.runningKind = 'catch-up'
    this.liveTouched = new Set()
    this.host.runningChanged()
    const read = this.deps.reader(server)
    try {
      for (const directory of directories) {
        const result = await read(directory, this.sink.knownSeqs(directory), gapStartedAt, this.deps.clock.now())
        await this.offerResult(directory, result)
      }
      // Recovered events reach the tabs first; then they re-read the non-durable state.
      await this.sink.flush()
      this.host.caughtUp(directories)
      // A queued catch-up still has a gap to cover (from the earliest start: conservative).
      if (this.queued.size === 0) this.gapStartedAt = undefined
      this.attempt = 0
    } catch (err) {
      this.host.failed(`catch-up failed: ${err instanceof Error ? err.message : String(err)}`)
      this.retry(directories)
    } finally {
      this.runningKind = undefined
      this.liveTouched = undefined
      this.host.runningChanged()
    }
    await this.runQueued()
  }

  /**
   * One poll of degraded mode: the catch-up reads of `directories` plus their pending permission
   * and question requests. A request not seen before is offered as its `permission.asked` /
   * `question.asked` event (id `relay_pending_<request id>`: logged once); the tabs are told to
   * re-read a directory (`caughtUp`) after the first poll (`resync`) and when a request it saw
   * is gone (answered elsewhere: the event log cannot say how). Skipped while a catch-up runs.
   * Never retried: the next poll is the retry. A catch-up asked for while it runs (the stream
   * opened, a live seq jump) starts when it ends, not awaited. Does not reject.
   * @returns false when a read failed (reported through `failed`), else true.
   */
  async poll(directories: readonly string[], resync: boolean): Promise<boolean> {
    const server = this.host.server()
    if (!server) return false
    if (this.runningKind !== undefined) return true
    const now = this.deps.clock.now()
    const gapStartedAt = this.lastPollAt ?? this.sink.lastEventAt
    this.lastPollAt = now
    if (resync) this.pendingSeen.clear()
    this.runningKind = 'poll'
    this.liveTouched = new Set()
    this.host.runningChanged()
    const read = this.deps.reader(server)
    const reread = new Set<string>(resync ? directories : [])
    try {
      for (const directory of directories) {
        const result = await read(directory, this.sink.knownSeqs(directory), gapStartedAt, now, { pendingRequests: true })
        await this.offerResult(directory, result)
        if (result.pending && (await this.offerPending(directory, result.pending))) reread.add(directory)
      }
      await this.sink.flush()
      if (reread.size) this.host.caughtUp([...reread])
      return true
    } catch (err) {
      this.host.failed(`catch-up failed: ${err instanceof Error ? err.message : String(err)}`)
      return false
    } finally {
      this.runningKind = undefined
      this.liveTouched = undefined
      this.host.runningChanged()
      void this.runQueued()
    }
  }

  /** Runs the catch-up of the directories queued while another run went on (see {@link CatchUpRunner.catchUp}). */
  private async runQueued(): Promise<void> {
    if (this.queued.size === 0) return
    const next = [...this.queued]
    this.queued.clear()
    await this.catchUp(next)
  }

  /** Another server (another log): its gap and queue are not this one's. */
  reset(): void {
    this.gapStartedAt = undefined
    this.queued.clear()
    this.pendingSeen.clear()
    this.lastPollAt = undefined
  }

  /** Cancels a scheduled retry (the relay stops). */
  stop(): void {
    if (this.retryTimer !== undefined) this.deps.clock.clearTimeout(this.retryTimer)
    this.retryTimer = undefined
  }

  /**
   * Queues what one directory's read recovered: its events the log does not hold yet (checked
   * before they are queued, so they need no ordered write), its seqs, and the sessions' status
   * (non-durable).
   */
  private async offerResult(directory: string, result: CatchUpResult): Promise<void> {
    for (const event of await this.sink.unseen(result.events)) this.offer(directory, event)
    this.sink.offerSeqs(result.seqs)
    // Sessions we believed busy that the server reports idle get an idle event.
    for (const { sessionID, directory: dir } of this.host.busySessions()) {
      if (!result.status[sessionID] && dir === directory) {
        this.offer(directory, { id: `relay_idle_${sessionID}_${this.deps.clock.now()}`, type: 'session.status', properties: { sessionID, status: { type: 'idle' } } })
      }
    }
    for (const [sessionID, status] of Object.entries(result.status)) {
      this.offer(directory, { id: `relay_status_${sessionID}_${this.deps.clock.now()}`, type: 'session.status', properties: { sessionID, status } })
    }
  }

  /**
   * Offers the pending requests a poll read that no poll saw before (and the log does not hold);
   * true when one it saw is gone. (`permission.asked` / `question.asked` carry the request as the
   * list returns it.)
   */
  private async offerPending(directory: string, pending: NonNullable<CatchUpResult['pending']>): Promise<boolean> {
    const seen = this.pendingSeen.get(directory) ?? new Set<string>()
    const now = new Set<string>()
    const fresh: OpencodeEvent[] = []
    for (const request of pending.permissions) {
      now.add(request.id)
      if (!seen.has(request.id)) fresh.push({ id: `relay_pending_${request.id}`, type: 'permission.asked', properties: request })
    }
    for (const request of pending.questions) {
      now.add(request.id)
      if (!seen.has(request.id)) fresh.push({ id: `relay_pending_${request.id}`, type: 'question.asked', properties: request })
    }
    if (fresh.length) for (const event of await this.sink.unseen(fresh)) this.offer(directory, event)
    this.pendingSeen.set(directory, now)
    for (const id of seen) if (!now.has(id)) return true
    return false
  }

  /** Queues a recovered or synthesized event unless a live event changed its entity since the catch-up began. */
  private offer(directory: string, event: OpencodeEvent): void {
    const key = this.liveTouched ? eventEntityKey(event) : undefined
    if (key !== undefined && this.liveTouched?.has(`${directory}\u0000${key}`)) return
    this.sink.enqueueRecovered(directory, event)
  }

  /** Schedules another catch-up of `directories` (backoff with full jitter, 0.5–8 s caps) for a stream that stays up. */
  private retry(directories: string[]): void {
    if (this.retryTimer !== undefined) this.deps.clock.clearTimeout(this.retryTimer)
    const delay = computeBackoffMs(this.attempt++, this.deps.random(), CATCH_UP_RETRY_MIN_MS, CATCH_UP_RETRY_MAX_MS)
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined
      if (this.host.connected()) void this.catchUp(directories)
    }, delay)
  }
}
