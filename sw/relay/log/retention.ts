/**
 * Compaction of the event log: delta collapse (a `message.part.delta` superseded by a later
 * `message.part.updated` of the same part is dropped) and retention (the oldest events go once
 * the log is too old or too long, never past what a connected tab still needs unless the log is
 * twice too long). Both work in bounded chunks (at most `compactChunk` events deleted per
 * transaction), one queued transaction each, so the writes of live events queued meanwhile go
 * between two steps. See event-log.ts beside it for the design rules.
 */
import { indexFields } from '../../shared/opencode-events.ts'
import type { Cursors } from './cursors.ts'
import type { EventMemory } from './memory.ts'
import type { SerialQueue } from './queue.ts'
import { META_COLLAPSED, META_FLOOR, seqKey, type RelayDatabase } from './schema.ts'
import type { LogStorage } from './storage.ts'

/** Result of `EventLog.compact`. */
export interface CompactResult {
  /** `message.part.delta` events dropped because a later `message.part.updated` supersedes them. */
  deltasDropped: number
  /** Events dropped by retention (age or count). */
  expired: number
}

/** The limits {@link Retention} applies (see `EventLogOptions`). */
export interface RetentionSettings {
  /** Events kept; the hard cap is twice this. */
  maxEvents: number
  /** Age in ms after which events may be dropped (by `receivedAt`). */
  maxAgeMs: number
  /** Events read per compaction transaction. */
  compactChunk: number
  /** Wall clock in epoch ms. */
  now: () => number
}

/** What a {@link Retention} compacts and reports to. */
export interface RetentionParts {
  storage: LogStorage
  queue: SerialQueue
  /** Retention raises the floor. */
  cursors: Cursors
  /** Collapsed and expired events leave memory too. */
  memory: EventMemory
}

/** First retention read is small: in the common case nothing is due and one row decides it. */
const RETENTION_PROBE = 64

/**
 * Compaction of one log, with the collapse watermark: every event up to it was examined by delta
 * collapse, which continues above it next time.
 */
export class Retention {
  private readonly storage: LogStorage
  private readonly db: RelayDatabase
  private readonly queue: SerialQueue
  private readonly cursors: Cursors
  private readonly memory: EventMemory
  /** Delta collapse has examined every event up to this cursor. */
  private collapsedThrough: number

  /**
   * @param storedCollapsedThrough the watermark the database held (`undefined`: none, or no
   *   database); never below the floor (nothing is left to examine there) nor above the head.
   */
  constructor(
    parts: RetentionParts,
    private readonly settings: RetentionSettings,
    storedCollapsedThrough: number | undefined,
  ) {
    this.storage = parts.storage
    this.db = parts.storage.db
    this.queue = parts.queue
    this.cursors = parts.cursors
    this.memory = parts.memory
    this.collapsedThrough = Math.min(parts.cursors.head, Math.max(storedCollapsedThrough ?? 0, parts.cursors.floor))
  }

  /**
   * `EventLog.compact`: collapse, then retention, then (when anything moved) a best-effort write
   * of the floor and the watermark. `pace`, when given, is awaited before every step (the ingest
   * waits there for a quiet moment of the live stream). Rejects with `Error('EventLog is closed')`
   * when closed, and with the Dexie error when IndexedDB fails (nothing is lost: the next call
   * continues).
   */
  async compact(keepAfterCursor: number, pace?: () => Promise<void>): Promise<CompactResult> {
    this.storage.assertOpen()
    if (this.storage.memoryOnly) return { deltasDropped: 0, expired: 0 }
    const collapsedBefore = this.collapsedThrough
    // Cursors of the deltas this compaction dropped (from IndexedDB, memory or both), counted once.
    const collapsed = new Set<number>()
    for (;;) {
      await pace?.()
      const step = await this.queue.run(() => this.collapseChunk(collapsed), false)
      if (step.done) break
    }
    const deltasDropped = collapsed.size
    let expired = 0
    let hard: boolean | undefined
    let probe = true
    for (;;) {
      await pace?.()
      const step = await this.queue.run(() => this.retentionChunk(keepAfterCursor, hard, probe ? RETENTION_PROBE : this.settings.compactChunk), false)
      hard = step.hard
      probe = false
      expired += step.dropped
      if (step.done) break
    }
    if (deltasDropped > 0 || expired > 0 || this.collapsedThrough !== collapsedBefore) await this.queue.run(() => this.persistMarkers(), false)
    return { deltasDropped, expired }
  }

  /** Events above `cursor` must be examined again (a lost database refilled from memory). */
  reexamineAfter(cursor: number): void {
    this.collapsedThrough = Math.min(this.collapsedThrough, cursor)
  }

  /** Nothing up to `cursor` needs examining (the log was cleared through it). */
  examinedThrough(cursor: number): void {
    this.collapsedThrough = Math.max(this.collapsedThrough, cursor)
  }

  /**
   * One step of delta collapse: examines up to `compactChunk` events after `collapsedThrough` and
   * deletes at most `compactChunk` deltas they supersede, so a transaction stays small however long
   * the superseded parts were (a 50,000-token reply is 50,000 deltas of one part: deleted in one
   * transaction, they held every write behind it for seconds). When that bound is reached the
   * watermark stays, and the next step examines the same events again for the deltas left.
   * Adds the cursors it dropped (every delta of the IndexedDB rows, and unwritten ones from memory)
   * to `collapsed`.
   * @returns `done` once every event up to the head was examined and nothing is left to delete.
   */
  private async collapseChunk(collapsed: Set<number>): Promise<{ done: boolean }> {
    if (this.storage.closed) return { done: true }
    const db = this.db
    const after = this.collapsedThrough
    const chunk = this.settings.compactChunk
    const result = await this.storage.withReopen(() =>
      db.transaction('rw', db.events, async () => {
        const rows = await db.events.where('cursor').above(after).limit(chunk).toArray()
        /** Latest `message.part.updated` cursor per directory + part id. */
        const latest = new Map<string, { directory: string; partID: string; cursor: number }>()
        for (const row of rows) {
          if (row.type === 'message.part.updated' && row.partID !== undefined) {
            latest.set(seqKey(row.directory, row.partID), { directory: row.directory, partID: row.partID, cursor: row.cursor })
          }
        }
        /** Rows to delete (their primary keys). */
        const doomed: number[] = []
        /** The cursors of the deltas those rows hold. */
        const dropped: number[] = []
        let more = false
        for (const u of latest.values()) {
          const room = chunk - doomed.length
          if (room <= 0) {
            more = true
            break
          }
          // The index holds a part's rows in cursor order: stop at the superseding update, so
          // the deltas after it (a part still streaming: all of them) are never read.
          const superseded = await db.events
            .where('partID')
            .equals(u.partID)
            .until((e) => e.cursor >= u.cursor)
            .filter((e) => e.type === 'message.part.delta' && e.directory === u.directory)
            .limit(room)
            .toArray()
          for (const row of superseded) {
            doomed.push(row.cursor)
            // A row holding a run of deltas (schema.ts, `toStoredRows`) drops each of them.
            dropped.push(...(row.run?.cursors ?? [row.cursor]))
          }
          if (superseded.length === room) more = true
        }
        if (doomed.length) await db.events.bulkDelete(doomed)
        return { doomed, dropped, latest, more, examined: rows.length, last: rows.length ? rows[rows.length - 1].cursor : after }
      }),
    )
    if (!result.more) this.collapsedThrough = Math.max(this.collapsedThrough, result.last)
    for (const cursor of result.dropped) collapsed.add(cursor)
    // Memory follows once these events' deltas are all gone from IndexedDB (one pass over the ring).
    if (result.latest.size > 0 && !result.more) {
      const doomed = new Set(result.dropped)
      const removed = this.memory.removeWhere((e) => {
        if (doomed.has(e.cursor)) return true
        const fields = indexFields(e.payload)
        if (fields.type !== 'message.part.delta' || fields.partID === undefined) return false
        const u = result.latest.get(seqKey(e.directory, fields.partID))
        return u !== undefined && e.cursor < u.cursor
      })
      for (const e of removed) collapsed.add(e.cursor)
    }
    return { done: !result.more && result.examined < chunk }
  }

  /**
   * One chunk of retention: drops a prefix (in cursor order) of at most `limit` events.
   * `hard` is decided on the first chunk of a compaction (count > 2 × maxEvents) and kept.
   */
  private async retentionChunk(keepAfter: number, hardIn: boolean | undefined, limit: number): Promise<{ dropped: number; done: boolean; hard: boolean }> {
    if (this.storage.closed) return { dropped: 0, done: true, hard: false }
    const db = this.db
    const { maxEvents, maxAgeMs } = this.settings
    const expiredBefore = this.settings.now() - maxAgeMs
    const result = await this.storage.withReopen(() =>
      db.transaction('rw', db.events, async () => {
        let remaining = await db.events.count()
        const hard = hardIn ?? remaining > 2 * maxEvents
        const rows = await db.events.toCollection().limit(limit).toArray()
        const doomed: number[] = []
        for (const row of rows) {
          const overCount = remaining > maxEvents
          const expired = row.receivedAt < expiredBefore
          const drop = (row.cursor <= keepAfter && (overCount || expired)) || (hard && overCount)
          if (!drop) break
          doomed.push(row.cursor)
          remaining--
        }
        if (doomed.length) await db.events.bulkDelete(doomed)
        return { doomed, hard, complete: doomed.length === rows.length && rows.length === limit }
      }),
    )
    if (result.doomed.length) {
      const through = result.doomed[result.doomed.length - 1]
      this.cursors.raiseFloor(through)
      this.memory.dropThrough(through)
      this.collapsedThrough = Math.max(this.collapsedThrough, through)
    }
    return { dropped: result.doomed.length, done: !result.complete, hard: result.hard }
  }

  /** Best-effort write of the floor and the collapse watermark after a compaction. */
  private async persistMarkers(): Promise<void> {
    if (this.storage.closed || this.storage.memoryOnly) return
    const db = this.db
    const floor = this.cursors.floor
    try {
      await db.meta.bulkPut([
        { key: META_FLOOR, value: floor },
        { key: META_COLLAPSED, value: this.collapsedThrough },
      ])
      this.cursors.markersWritten({ floor })
    } catch {
      // Kept dirty: the next successful append writes the floor.
      this.cursors.floorWriteFailed()
    }
  }
}
