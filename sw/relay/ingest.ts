/**
 * The relay's ingest: from an upstream frame (or a recovered event) to the event log.
 *
 * Pipeline: upstream frame → (sync twin → seq tracking + bus shape; transport noise dropped) →
 * pending batch → cursors assigned by the event log at once, written to IndexedDB behind (a
 * recovered event was checked against the database before it was queued) → the host pumps every
 * tab. It also owns the per-aggregate seq positions (what a
 * catch-up asks `/sync/history` for), the storage health shown in the status (retried while it
 * fails) and the log's periodic compaction.
 *
 * Batching is adaptive: an event that arrives after a quiet `flushMs` is flushed on the next task
 * (the frames of one network chunk still share its batch), so a lone token is never held for the
 * window; under a stream of events at most one flush runs per `flushMs` (~16 ms), which bounds the
 * appends, the tabs' messages and their renders.
 *
 * It knows nothing of tabs, the connection or catch-up: it reports to a narrow {@link IngestHost}
 * (implemented by `RelayHub`), and the catch-up runner feeds it through {@link CatchUpSink}.
 */
import type { OpencodeEvent, RelayedEvent, RelayStatus } from '../shared/protocol.ts'
import type { Clock } from '../shared/clock.ts'
import { syncToBusEvent, type UpstreamFrame } from '../shared/frames.ts'
import { isTransientEvent } from '../shared/opencode-events.ts'
import type { EventLog } from './log/event-log.ts'
import { seqKey, type SeqRow } from './log/schema.ts'
import type { CatchUpSink } from './catch-up-runner.ts'

/** What the ingest tells its host (the hub). Every call is synchronous and must not throw. */
export interface IngestHost {
  /**
   * An event was queued for the log (`recovered`: by a catch-up), before it has a cursor: the
   * hub tracks busy sessions and notifications, and a catch-up notes what the live stream changed.
   */
  observe(directory: string, payload: OpencodeEvent, recovered: boolean): void
  /** A live sync event's seq jumped past the next one expected for its aggregate: `directory` has a gap. */
  seqGap(directory: string): void
  /** The log accepted new events (cursors assigned; never called with an empty list). */
  accepted(events: readonly RelayedEvent[]): void
  /** {@link Ingest.storage} changed: broadcast the status. */
  storageChanged(): void
  /** The log has new entries: deliver them to every tab. */
  pumpTabs(): void
  /** The cursor each subscribed tab was last sent: compaction keeps every entry after the lowest. */
  tabCursors(): Iterable<number>
}

/** Tunables of the ingest, ms. */
export interface IngestOptions {
  /** Batch window for persistence and fan-out under load, ms: at most one flush per window (a quiet stream's event goes at once). */
  flushMs: number
  /**
   * Least time between two compactions of the log, ms (checked after each flush); also the
   * longest a due compaction waits for quiet moments before its steps run regardless.
   */
  compactEveryMs: number
  /**
   * Quiet a compaction step waits for, ms: it runs only once no batch was flushed for this long,
   * so the compaction's IndexedDB transactions never queue a busy stream's writes behind them.
   */
  compactQuietMs: number
}

/**
 * While the event log reports a storage error, the ingest re-offers its unwritten events this
 * often (ms; just above the log's default 1 s write throttle) and reports the outcome: with
 * write-behind, no later append may come to carry the news that space is back.
 */
export const STORAGE_RETRY_MS = 1_100

/**
 * The ingest of one relay. Errors never escape: a failed write becomes {@link Ingest.storage}
 * (and `storageChanged`), a failed compaction too.
 */
export class Ingest implements CatchUpSink {
  private currentLog: EventLog | undefined
  private pending: Array<Omit<RelayedEvent, 'cursor'>> = []
  /** Seq positions of the pending batch, written with it. */
  private readonly pendingSeqs = new Map<string, SeqRow>()
  /** Seq positions the log holds (or holds in memory, until its next successful write). */
  private readonly seqs = new Map<string, SeqRow>()
  private flushTimer: unknown
  private storageRetryTimer: unknown
  private flushing: Promise<void> = Promise.resolve()
  private health: RelayStatus['storage'] = { ok: true }
  private lastCompact = 0
  /** A compaction is running (or waiting for a quiet moment): the next one starts after it. */
  private compacting = false
  private lastReceived = 0
  /** Epoch ms when the last batch was taken for the log (adaptive batching). */
  private lastFlushAt = Number.NEGATIVE_INFINITY

  constructor(
    private readonly deps: { clock: Clock },
    private readonly options: IngestOptions,
    private readonly host: IngestHost,
  ) {}

  /** The current server's event log; undefined before the first {@link Ingest.replaceLog}. */
  get log(): EventLog | undefined {
    return this.currentLog
  }

  /** Storage health as shown in the relay status. */
  get storage(): RelayStatus['storage'] {
    return this.health
  }

  /**
   * Epoch ms of the last upstream frame (any, heartbeats included), or of the newest event in the
   * log just opened (where the previous relay left off); 0 when unknown.
   */
  get lastEventAt(): number {
    return this.lastReceived
  }

  /** Takes one upstream frame: a sync twin updates its aggregate's seq (a jump is a gap) and is queued in bus shape. */
  frame(frame: UpstreamFrame): void {
    const payload = frame.payload
    this.lastReceived = this.deps.clock.now()
    if (payload.type === 'sync') {
      const se = payload.syncEvent
      const key = seqKey(frame.directory, se.aggregateID)
      const prev = this.pendingSeqs.get(key)?.seq ?? this.seqs.get(key)?.seq
      // A jump in seq is a gap: recover this directory from /sync/history.
      if (prev !== undefined && se.seq > prev + 1) this.host.seqGap(frame.directory)
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

  /**
   * `events` without those the current log holds (`EventLog.unseen`: recent ids, then the
   * database); all of them when no log is open (a flush then drops them anyway).
   */
  async unseen(events: readonly OpencodeEvent[]): Promise<OpencodeEvent[]> {
    const log = this.currentLog
    return log ? log.unseen(events) : [...events]
  }

  /**
   * Queues an event a catch-up recovered (marked `recovered`), checked first with
   * {@link Ingest.unseen}: it is written behind like a live event, in the order it was queued.
   */
  enqueueRecovered(directory: string, payload: OpencodeEvent): void {
    this.enqueue(directory, payload, true)
  }

  /** The seq rows known for `directory`: written, then pending (a catch-up lists them in its `/sync/history` body). */
  knownSeqs(directory: string): SeqRow[] {
    return [...this.seqs.values(), ...this.pendingSeqs.values()].filter((r) => r.directory === directory)
  }

  /** Directories with a written seq position (the ones a catch-up after a reconnect covers). */
  knownDirectories(): string[] {
    const dirs = new Set<string>()
    for (const row of this.seqs.values()) dirs.add(row.directory)
    return [...dirs]
  }

  /** Raises the pending seq of each row's aggregate to the row's, where it is higher (seqs a catch-up recovered). */
  offerSeqs(rows: readonly SeqRow[]): void {
    for (const row of rows) {
      const key = rowKey(row)
      const prev = this.pendingSeqs.get(key)?.seq ?? this.seqs.get(key)?.seq ?? -1
      if (row.seq > prev) this.pendingSeqs.set(key, row)
    }
  }

  /**
   * Assigns cursors to the pending batch (the log writes it, behind for live events) and pumps
   * every tab; flushes run one after another. Never rejects: a batch the log refused outright
   * (it was closed under the flush, as during a server switch) is dropped and reported as a
   * storage error, and later flushes go on.
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce()).catch((err: unknown) => {
      this.setStorageError(`events dropped: ${err instanceof Error ? err.message : String(err)}`)
    })
    return this.flushing
  }

  /** Resolves once every flush asked for so far is done (a subscribe reads the head after it). */
  flushed(): Promise<void> {
    return this.flushing
  }

  /** Waits for the running flushes and for the log's writes behind them (before the log is replaced). */
  async drain(): Promise<void> {
    await this.flushing
    await this.currentLog?.flushWrites()
  }

  /**
   * Another server: drops the pending batch, closes the current log and opens the next one with
   * `open`, loading its seq positions and the time of its newest event (where the previous relay
   * left off: the start of the gap a catch-up must cover). Call {@link Ingest.drain} first.
   * @returns the new log's head cursor, read before its newest event.
   * Events and seqs that arrive while the new log opens belong to the previous server: they are
   * dropped too, never written into the new log.
   * @throws whatever `open` or the new log's `getSeqs` throws; the pending batch is dropped and
   *   the old log closed by then.
   */
  async replaceLog(open: () => Promise<EventLog>): Promise<number> {
    const previous = this.currentLog
    // No log while the next one opens: a flush in between finds nothing to write to.
    this.currentLog = undefined
    this.dropPending()
    previous?.close()
    const log = await open()
    this.dropPending()
    this.currentLog = log
    this.seqs.clear()
    for (const row of await log.getSeqs()) this.seqs.set(rowKey(row), row)
    const head = log.head()
    const last = head > 0 ? await log.readAfter(head - 1, 1).catch(() => []) : []
    this.lastReceived = last[0]?.receivedAt ?? 0
    return head
  }

  private dropPending(): void {
    this.pending = []
    this.pendingSeqs.clear()
  }

  /** Stops the storage retry, flushes what is pending, waits for the writes and closes the log. */
  async stop(): Promise<void> {
    if (this.storageRetryTimer !== undefined) this.deps.clock.clearTimeout(this.storageRetryTimer)
    this.storageRetryTimer = undefined
    await this.flush()
    await this.currentLog?.flushWrites()
    this.currentLog?.close()
  }

  private enqueue(directory: string, payload: OpencodeEvent, recovered: boolean): void {
    this.host.observe(directory, payload, recovered)
    const event: Omit<RelayedEvent, 'cursor'> = {
      id: payload.id,
      directory,
      payload,
      receivedAt: this.deps.clock.now(),
    }
    if (recovered) event.recovered = true
    this.pending.push(event)
    if (this.flushTimer === undefined) {
      // Quiet: on the next task. Busy: when the window since the last flush ends.
      const wait = Math.max(0, this.lastFlushAt + this.options.flushMs - this.deps.clock.now())
      this.flushTimer = this.deps.clock.setTimeout(() => {
        this.flushTimer = undefined
        void this.flush()
      }, wait)
    }
  }

  /** Records the storage health (`undefined` = ok), tells the host when it changed, and retries writes while it fails. */
  private setStorageError(error: string | undefined): void {
    const changed = error === undefined ? !this.health.ok : this.health.error !== error
    this.health = error === undefined ? { ok: true } : { ok: false, error }
    if (changed) this.host.storageChanged()
    if (error !== undefined && this.storageRetryTimer === undefined) {
      this.storageRetryTimer = this.deps.clock.setTimeout(() => {
        this.storageRetryTimer = undefined
        void this.retryStorage()
      }, STORAGE_RETRY_MS)
    }
  }

  /** Offers the log's unwritten events to IndexedDB again and reports the outcome. */
  private async retryStorage(): Promise<void> {
    const log = this.currentLog
    if (!log || this.health.ok) return
    await log.flushWrites()
    if (this.currentLog !== log) return
    this.setStorageError(log.storageError)
  }

  private async flushOnce(): Promise<void> {
    const log = this.currentLog
    if (!log || this.pending.length === 0) return
    const batch = this.pending
    const seqs = [...this.pendingSeqs.values()]
    this.lastFlushAt = this.deps.clock.now()
    this.pending = []
    this.pendingSeqs.clear()
    // The batch's seqs count as known from now on, before the append: a frame that arrives while
    // the append waits (for the write behind it, or behind an ordered write of recovered events)
    // is compared with them, not with older ones, so the next seq is not taken for a gap (a false
    // gap starts a catch-up, whose ordered append then holds every live event behind the writes).
    for (const row of seqs) this.seqs.set(rowKey(row), row)
    // Events fan out as soon as they have cursors, in the order they were queued; the log writes
    // them behind (with their seqs, in one transaction). Recovered events were checked against the
    // database before they were queued (`unseen`), so they never hold the live ones behind a write.
    const { accepted, storageError } = await log.appendLive(batch, seqs)
    if (accepted.length) this.host.accepted(accepted)
    this.setStorageError(storageError)
    // The write behind this batch reports its outcome when it lands (a failure, or space back),
    // in its own time: the log spaces its write-behind transactions (persistEveryMs).
    void log.writesSettled().then(() => this.currentLog === log && this.setStorageError(log.storageError))
    this.host.pumpTabs()
    const now = this.deps.clock.now()
    if (!this.compacting && now - this.lastCompact > this.options.compactEveryMs) {
      this.lastCompact = now
      void this.compact(now)
    }
  }

  /**
   * Compacts the log, each step at a quiet moment (see {@link Ingest.quietMoment}). A step
   * deletes up to 2,000 rows in one IndexedDB transaction (after a 50,000-token reply: 25 of
   * them), and the live stream's writes queue behind each: run during a long reply, they delayed
   * its tokens by seconds.
   */
  private async compact(startedAt: number): Promise<void> {
    const log = this.currentLog
    if (!log) return
    this.compacting = true
    try {
      await this.quietMoment(startedAt)
      // Another server's log came meanwhile (the old one is closed): its own compaction follows.
      if (this.currentLog !== log) return
      let keepAfter = log.head()
      for (const cursor of this.host.tabCursors()) keepAfter = Math.min(keepAfter, cursor)
      await log.compact({ keepAfterCursor: keepAfter, pace: () => this.quietMoment(startedAt) })
    } catch (err) {
      if (this.currentLog !== log) return
      this.health = { ok: false, error: `compaction failed: ${String(err)}` }
      this.host.storageChanged()
    } finally {
      this.compacting = false
    }
  }

  /**
   * Resolves once no batch was flushed for `compactQuietMs`, or at once when the compaction that
   * started at `startedAt` (epoch ms) has waited `compactEveryMs` already (a stream that never
   * pauses still gets its log compacted, one step per batch window at worst).
   */
  private async quietMoment(startedAt: number): Promise<void> {
    for (;;) {
      const now = this.deps.clock.now()
      const quietAt = this.lastFlushAt + this.options.compactQuietMs
      if (now >= quietAt || now - startedAt >= this.options.compactEveryMs) return
      await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, Math.min(quietAt, startedAt + this.options.compactEveryMs) - now))
    }
  }
}

/** Key of a seq row in the ingest's maps (the log's own key). */
function rowKey(row: SeqRow): string {
  return seqKey(row.directory, row.aggregateID)
}
