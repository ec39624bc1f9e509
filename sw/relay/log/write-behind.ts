/**
 * Every write of the event log's events, seqs and meta: ordered appends (checked against the
 * database), write-behind appends for live events (cursors at once, the write follows, coalesced
 * and bounded), the small writes of seqs and meta, and refilling a database that was lost. While
 * storage fails the events stay in memory and each write reports it; see event-log.ts beside it
 * for the design rules.
 */
import type { RelayedEvent } from '../../shared/protocol.ts'
import { markerRows, type CursorMarkers, type Cursors, type NewEvent } from './cursors.ts'
import type { EventMemory } from './memory.ts'
import type { SerialQueue } from './queue.ts'
import type { DatabaseInstance } from './restore.ts'
import { META_COLLAPSED, META_FLOOR, META_RESERVED, toStoredRows, type MetaRow, type RelayDatabase, type SeqRow } from './schema.ts'
import type { SeqsAndMeta, SmallRows } from './seqs-meta.ts'
import type { LogStorage } from './storage.ts'

/** Result of `EventLog.append` and `EventLog.appendLive`. */
export interface AppendResult {
  /**
   * The events that were new, with their cursors (head+1, head+2, … in batch order). They are
   * returned even when storage failed: the live stream keeps flowing from memory.
   */
  accepted: RelayedEvent[]
  /** Present while IndexedDB writes fail, e.g. `"IndexedDB quota exceeded: …"`. */
  storageError?: string
}

/** Result of the small writes (`EventLog.setSeqs`, `EventLog.setMeta`). */
export interface WriteResult {
  /** Present while IndexedDB writes fail; the value is kept in memory and written later. */
  storageError?: string
}

/** What a {@link LogWriter} writes from and reports to. */
export interface WriterParts {
  storage: LogStorage
  queue: SerialQueue
  cursors: Cursors
  memory: EventMemory
  values: SeqsAndMeta
  instance: DatabaseInstance
  /**
   * Called inside a write transaction that found the database deleted or replaced under the log,
   * before anything is written: whatever the log keeps about the lost database must be rewound.
   */
  onDatabaseLost: () => void
  /** Write-behind bound (events): past this many unwritten events a live append waits for the write. */
  maxUnpersisted: number
  /** Least time between the starts of two write-behind persists, ms (`EventLogOptions.persistEveryMs`). */
  persistEveryMs: number
  /** Clock of {@link WriterParts.persistEveryMs}, ms. */
  now: () => number
}

/** What one append transaction did; applied to memory only after it committed. */
interface WriteOutcome {
  assigned: RelayedEvent[]
  /** Cursors of previously unpersisted events now known to be in the database. */
  persisted: number[]
  restored: boolean
  /** The cursor markers this transaction wrote. */
  markers: CursorMarkers
  /** The seqs and meta rows this transaction wrote. */
  small: SmallRows
}

/**
 * The writes of one log. Its public methods are the `EventLog` methods of the same names, which
 * return their promises as they are (each call here checks that the log is open), so that a
 * write takes exactly as many microtask turns as before the log was split into modules.
 *
 * Memory (cursors, ring, seqs, meta) changes at once; IndexedDB follows in
 * transactions run one after another through the log's queue. A write commits to memory only
 * what its transaction committed, and every write also carries what earlier failed writes left
 * unwritten (events, markers, seqs, meta, a restore).
 */
export class LogWriter {
  private readonly storage: LogStorage
  private readonly db: RelayDatabase
  private readonly queue: SerialQueue
  private readonly cursors: Cursors
  private readonly memory: EventMemory
  private readonly values: SeqsAndMeta
  private readonly instance: DatabaseInstance
  private readonly onDatabaseLost: () => void
  private readonly maxUnpersisted: number
  private readonly persistEveryMs: number
  private readonly now: () => number
  /** The queued (not yet started) write-behind persist, shared by every append until it starts. */
  private persistQueued: Promise<void> | undefined
  /** When the last write-behind persist started (`now()`, ms). */
  private persistStartedAt = -Infinity
  /** Ends the wait of a persist held back by `persistEveryMs` (clears its timer); undefined when none waits. */
  private releasePersist: (() => void) | undefined

  constructor(parts: WriterParts) {
    this.storage = parts.storage
    this.db = parts.storage.db
    this.queue = parts.queue
    this.cursors = parts.cursors
    this.memory = parts.memory
    this.values = parts.values
    this.instance = parts.instance
    this.onDatabaseLost = parts.onDatabaseLost
    this.maxUnpersisted = parts.maxUnpersisted
    this.persistEveryMs = parts.persistEveryMs
    this.now = parts.now
  }

  /**
   * Claims a database just opened: writes its instance id (when new) and the cursor reservation
   * before any cursor is handed out. A failure is reported like any write (`storageError`); both
   * stay due for the next write. Never rejects.
   */
  async claim(): Promise<void> {
    const instanceRow = this.instance.rowToWrite(false)
    const markers = this.cursors.markersToWrite(false)
    try {
      await this.db.meta.bulkPut([...(instanceRow ? [instanceRow] : []), ...markerRows(markers)])
      this.instance.written(false)
      this.cursors.markersWritten(markers)
    } catch (err) {
      this.storage.fail(err)
    }
  }

  /** `EventLog.append`: queued, deduplicated against the database too. Rejects only when the log was closed. */
  async append(batch: readonly NewEvent[]): Promise<AppendResult> {
    this.storage.assertOpen()
    return this.queue.run(() => this.appendNow(batch))
  }

  /** `EventLog.appendLive`: write-behind unless an ordered operation is queued or the ring is short. Rejects only when the log was closed. */
  async appendLive(batch: readonly NewEvent[], seqs: readonly SeqRow[]): Promise<AppendResult> {
    this.storage.assertOpen()
    // The ordered path also when the batch would push unwritten events out of the ring.
    if (this.queue.orderedPending || this.memory.wouldEvictUnwritten(batch.length)) {
      const result = await this.append(batch)
      if (seqs.length) await this.setSeqs(seqs)
      return result
    }
    const fresh = this.memory.unseen(batch)
    this.values.noteSeqs(seqs)
    const accepted = this.cursors.assign(fresh)
    this.commitToMemory(accepted, false)
    // Backpressure: past the bound the write is due now, not at the end of a persistEveryMs interval.
    if (this.memory.unwrittenCount > this.maxUnpersisted && this.storage.error === undefined) await this.persistNow()
    else void this.schedulePersist()
    return { accepted, ...this.storage.report() }
  }

  /** `EventLog.writesSettled`: resolves once everything appended so far was offered to IndexedDB, the write-behind waiting out `persistEveryMs`. Never rejects. */
  async settled(): Promise<void> {
    if (this.storage.closed) return
    await this.schedulePersist()
  }

  /** `EventLog.flushWrites`: resolves once everything appended so far was offered to IndexedDB (at once: no `persistEveryMs` wait). Never rejects. */
  async flush(): Promise<void> {
    if (this.storage.closed) return
    await this.persistNow()
  }

  /** `EventLog.setSeqs`: queued (not ordered: live appends go on meanwhile); memory when it runs, then the write. Rejects only when the log was closed. */
  async setSeqs(rows: readonly SeqRow[]): Promise<WriteResult> {
    this.storage.assertOpen()
    return this.queue.run(async () => {
      this.values.noteSeqs(rows)
      return this.flushSmallWrites()
    }, false)
  }

  /** `EventLog.setMeta` once the key was checked and `value` cloned: queued like {@link LogWriter.setSeqs}. */
  setMeta(key: string, value: unknown): Promise<WriteResult> {
    return this.queue.run(async () => {
      this.values.setMeta(key, value)
      return this.flushSmallWrites()
    }, false)
  }

  /**
   * Rewrites the database as the empty log memory now holds (`EventLog.clear`, which already
   * cleared memory): no events, seqs or caller meta, only the markers, with the floor (also the
   * collapse watermark) at the head. Run it inside the queue. Rejects with the Dexie error (also
   * reported as `storageError`).
   */
  async writeCleared(): Promise<void> {
    const db = this.db
    const floor = this.cursors.floor
    const instanceRow = this.instance.rowToWrite(true)
    try {
      await this.storage.withReopen(() =>
        db.transaction('rw', [db.events, db.seqs, db.meta], async () => {
          await db.events.clear()
          await db.seqs.clear()
          await db.meta.clear()
          await db.meta.bulkPut([
            ...(instanceRow ? [instanceRow] : []),
            { key: META_FLOOR, value: floor },
            { key: META_COLLAPSED, value: floor },
            { key: META_RESERVED, value: this.cursors.reservation },
          ])
        }),
      )
      this.cursors.markersWritten({ floor })
      this.instance.written(true)
    } catch (err) {
      this.storage.fail(err)
      throw err
    }
  }

  /** {@link LogWriter.schedulePersist} without the `persistEveryMs` wait: the persist is queued at once. Never rejects. */
  private persistNow(): Promise<void> {
    const written = this.schedulePersist()
    this.releasePersist?.()
    return written
  }

  /**
   * Queues one write-behind persist unless one is already waiting to start; never rejects. A
   * persist starts at least `persistEveryMs` after the previous one started: a stream's events
   * then share one transaction per interval instead of one per ingest batch (IndexedDB's cost is
   * per transaction and per row, and runs of deltas to one part merge into one row). Until it
   * starts, its events are in memory (the tabs have them already); an ordered append or a clear
   * queued meanwhile writes them first, and `flush` starts it at once.
   */
  private schedulePersist(): Promise<void> {
    if (this.persistQueued) return this.persistQueued
    const persist = (): Promise<void> =>
      this.queue.run(async () => {
        this.persistQueued = undefined
        this.persistStartedAt = this.now()
        if (this.storage.closed) return
        try {
          await this.appendNow([])
        } catch {
          // Only "closed" can get here; nothing left to write to.
        }
      }, false)
    // At most persistEveryMs, whatever the wall clock did since (a clock set back must not hold writes).
    const wait = Math.min(this.persistEveryMs, this.persistStartedAt + this.persistEveryMs - this.now())
    if (wait <= 0) {
      this.persistQueued = persist()
      return this.persistQueued
    }
    this.persistQueued = new Promise<void>((resolve) => {
      const timer = setTimeout(release, wait)
      function release(): void {
        clearTimeout(timer)
        resolve()
      }
      this.releasePersist = release
    }).then(() => {
      this.releasePersist = undefined
      return persist()
    })
    return this.persistQueued
  }

  private async appendNow(batch: readonly NewEvent[]): Promise<AppendResult> {
    this.storage.assertOpen()
    const candidates = this.memory.unseen(batch)
    const wantsWrite =
      candidates.length > 0 ||
      this.memory.unwrittenCount > 0 ||
      this.cursors.floorDue ||
      this.instance.due ||
      this.values.unwritten
    let dbDuplicates: ReadonlySet<string> | undefined
    if (wantsWrite && this.storage.canAttemptWrite()) {
      try {
        const outcome = await this.storage.withReopen(() =>
          this.writeTx(candidates, (dups) => {
            dbDuplicates = dups
          }),
        )
        this.storage.succeeded()
        this.memory.written(outcome.persisted)
        this.instance.written(outcome.restored)
        this.cursors.markersWritten(outcome.markers)
        this.values.written(outcome.small)
        this.commitToMemory(outcome.assigned, true)
        return { accepted: outcome.assigned }
      } catch (err) {
        if (this.storage.closed) throw new Error('EventLog is closed', { cause: err })
        this.storage.fail(err)
      }
    }
    const dups = dbDuplicates
    const fresh = dups ? candidates.filter((e) => !dups.has(e.id)) : candidates
    const accepted = this.cursors.assign(fresh)
    this.commitToMemory(accepted, false)
    return { accepted, ...this.storage.report() }
  }

  /** The single read-write transaction of an append. Mutates no memory state except on loss detection. */
  private writeTx(candidates: readonly NewEvent[], onDuplicates: (ids: ReadonlySet<string>) => void): Promise<WriteOutcome> {
    const db = this.db
    return db.transaction('rw', [db.events, db.meta, db.seqs], async () => {
      if (await this.instance.isLost(db)) this.onDatabaseLost()
      const restore = this.instance.restoring
      const pending = this.memory.unwrittenEvents()
      const ids = [...new Set([...candidates.map((e) => e.id), ...pending.map((e) => e.id)])]
      const existingKeys = ids.length ? await db.events.where('id').anyOf(ids).keys() : []
      const existing = new Set<string>()
      for (const k of existingKeys) if (typeof k === 'string') existing.add(k)
      onDuplicates(existing)
      const assigned = this.cursors.assign(candidates.filter((e) => !existing.has(e.id)))
      const pendingToWrite = pending.filter((e) => !existing.has(e.id))
      // One row per run of deltas to one part: the state they build is the same, and IndexedDB's
      // cost is per row (a reply at 1,000 tokens/s is ~16 deltas per 16 ms batch). Tabs got every
      // event from memory already; a read from the database gets the merged run.
      const rows = toStoredRows([...pendingToWrite, ...assigned])
      if (rows.length) await db.events.bulkAdd(rows)
      const metaRows: MetaRow[] = []
      const instanceRow = this.instance.rowToWrite(restore)
      if (instanceRow) metaRows.push(instanceRow)
      const small = this.values.rowsToWrite(restore)
      metaRows.push(...small.meta)
      // Captured now: write-behind appends may renew the reservation while this transaction runs.
      const markers = this.cursors.markersToWrite(restore)
      metaRows.push(...markerRows(markers))
      if (metaRows.length) await db.meta.bulkPut(metaRows)
      if (small.seqs.length) await db.seqs.bulkPut(small.seqs)
      return { assigned, persisted: pending.map((e) => e.cursor), restored: restore, markers, small }
    })
  }

  /** Adds committed (or memory-only) events to the ring, the recent ids and the head. */
  private commitToMemory(events: readonly RelayedEvent[], persisted: boolean): void {
    const lostThrough = this.memory.add(events, persisted)
    if (events.length) this.cursors.committed(events[events.length - 1].cursor)
    if (lostThrough !== undefined) this.cursors.raiseFloor(lostThrough)
  }

  /** Writes dirty seqs/meta (used by setSeqs/setMeta), throttled while storage fails. */
  private async flushSmallWrites(): Promise<WriteResult> {
    if (!this.values.unwritten) return {}
    if (!this.storage.canAttemptWrite()) return this.storage.report()
    const db = this.db
    const rows = this.values.rowsToWrite(false)
    try {
      await this.storage.withReopen(() =>
        db.transaction('rw', [db.seqs, db.meta], async () => {
          if (rows.seqs.length) await db.seqs.bulkPut(rows.seqs)
          if (rows.meta.length) await db.meta.bulkPut(rows.meta)
        }),
      )
      this.values.written(rows)
      return {}
    } catch (err) {
      if (this.storage.closed) throw new Error('EventLog is closed', { cause: err })
      this.storage.fail(err)
      return this.storage.report()
    }
  }
}
