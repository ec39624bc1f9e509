/**
 * The relay's persistent event log: every event the relay receives from OpenCode
 * (`GET /global/event`, and events recovered after a gap through `POST /sync/history`) is appended
 * here once, gets a local cursor, and is replayed to tabs that subscribe with the cursor they last
 * applied (see `RelayedEvent` in sw/shared/protocol.ts).
 *
 * Storage is IndexedDB through Dexie 4 (database `opencode-relay` by default, schema version 2;
 * a version 1 database is upgraded by dropping indexes, see schema.ts):
 *
 * - `events` — one row per event, primary key `cursor`, unique index `id` (the server's `evt_…`
 *   id, the deduplication key), index `partID` (delta collapse), plus the denormalized fields
 *   `type` and `sessionID` (stored, not indexed). A run of adjacent `message.part.delta` events to
 *   one part field, written in one transaction, is one row under the run's last cursor and id,
 *   with each delta's cursor and text offset (`run`, schema.ts): IndexedDB's cost is per row, and
 *   a read from a cursor inside the run gets the rest of its text. Deltas are never sync events,
 *   so no catch-up recovers them by the ids a run does not store.
 * - `seqs` — per-aggregate `seq` positions of OpenCode sync events (catch-up bookkeeping).
 * - `meta` — a small key/value store (structured-clonable values).
 *
 * Design rules:
 * - Cursors are strictly increasing and never reused while the database survives: each log
 *   stores a reservation ({@link CURSOR_RESERVATION} ahead of its head) before handing cursors
 *   out, and the next log on the database continues above the highest stored cursor, floor or
 *   reservation. Cursors between the last written one and the reservation may have reached tabs
 *   without being written (write-behind, below): {@link EventLog.lostCursors}.
 * - Live events are written behind ({@link EventLog.appendLive}): they get cursors and reach the
 *   tabs at once, the write follows (coalesced, bounded by `maxUnpersisted`); events that may be
 *   old (recovered after a gap) are first checked against the database ({@link EventLog.unseen},
 *   a read that waits for no queued write) and then written behind like live ones, so a catch-up
 *   never holds the live stream; {@link EventLog.append} checks and assigns in one transaction.
 * - An event id is stored once: duplicates inside a batch, against a bounded set of recent ids in
 *   memory, and against the database are dropped (the live bus event and its `sync` twin, or an
 *   event recovered after a reconnect that was already seen live).
 * - Storage failures never stop the live stream: events still get cursors, are kept in an
 *   in-memory ring and are written later when IndexedDB works again; every call made while
 *   storage fails reports the failure (`storageError`).
 * - `oldestCursor()` tells subscribers whether a replay from their cursor is complete.
 *
 * One object per concern, each in its own module beside this one; `EventLog` wires them together
 * and is the only API the relay uses:
 * - `Cursors` (cursors.ts): head, reservation, lost cursors, floor;
 * - `EventMemory` (memory.ts): the ring, which events are unwritten, the recent ids;
 * - `SeqsAndMeta` (seqs-meta.ts): catch-up positions and the caller's meta, with what is unwritten;
 * - `LogStorage` (storage.ts): the connection, storage errors and the retry throttle;
 * - `readStoredState`, `DatabaseInstance` (restore.ts): opening, and a database lost under the log;
 * - `LogWriter` (write-behind.ts): every write, ordered or written behind; `SerialQueue` (queue.ts);
 * - `Retention` (retention.ts): delta collapse and retention;
 * - options.ts, schema.ts, storage-errors.ts: options and defaults, the Dexie schema, errors in words.
 *
 * Only APIs common to DOM and WebWorker are used (indexedDB through Dexie, crypto.getRandomValues).
 */
import type { DexieOptions } from 'dexie'
import type { RelayedEvent } from '../../shared/protocol.ts'
import { fromStored, RelayDatabase, RESERVED_META_PREFIX, type SeqRow, type StoredEvent } from './schema.ts'
import { describeStorageError } from './storage-errors.ts'
import { LogStorage } from './storage.ts'
import { DatabaseInstance, readStoredState, type StoredState } from './restore.ts'
import { EventMemory } from './memory.ts'
import { SeqsAndMeta } from './seqs-meta.ts'
import { Cursors, type CursorRange, type NewEvent } from './cursors.ts'
import { SerialQueue } from './queue.ts'
import { LogWriter, type AppendResult, type WriteResult } from './write-behind.ts'
import { Retention, type CompactResult } from './retention.ts'
import { DEFAULT_LOG_NAME, resolveSettings, type EventLogOptions, type LogSettings } from './options.ts'

export { CURSOR_RESERVATION, EVENT_LOG_SCHEMA, RelayDatabase, RESERVED_META_PREFIX, type MetaRow, type SeqRow, type StoredEvent } from './schema.ts'
export { describeStorageError, isClosedError, isQuotaError } from './storage-errors.ts'

export type { NewEvent } from './cursors.ts'
export type { AppendResult, WriteResult } from './write-behind.ts'
export type { CompactResult } from './retention.ts'
export { DEFAULT_LOG_NAME, DEFAULT_MAX_AGE_MS, DEFAULT_MAX_EVENTS, DEFAULT_MEMORY_EVENTS, RELAY_PERSIST_EVERY_MS, type EventLogOptions } from './options.ts'

/**
 * The event log. Create it with {@link EventLog.open}; one instance per database. All writes
 * (append, setSeqs, setMeta, compaction steps, clear) run one after another through an internal
 * promise queue, so cursors never interleave.
 *
 * Replay contract for a subscriber holding `tabCursor` (the last cursor it applied):
 * `if (tabCursor > head()) → reset` (the log was lost), `if (tabCursor < (await oldestCursor()) - 1)
 * → reset` (retention dropped events it never got), else apply `readAfter(tabCursor)` pages.
 */
export class EventLog {
  private readonly cursors: Cursors
  private readonly memory: EventMemory
  private readonly values: SeqsAndMeta
  private readonly instance: DatabaseInstance
  /** The database (also `storage.db`). */
  private readonly db: RelayDatabase
  private readonly queue = new SerialQueue()
  private readonly writer: LogWriter
  private readonly retention: Retention

  /** `stored`: what the database held, `undefined` when it could not be opened (memory only). */
  private constructor(
    private readonly storage: LogStorage,
    settings: LogSettings,
    stored: StoredState | undefined,
  ) {
    this.db = storage.db
    this.cursors = stored ? Cursors.resume(stored.cursors) : new Cursors()
    const head = this.cursors.head
    this.memory = new EventMemory(settings.memoryEvents, settings.recentIds, head)
    this.values = new SeqsAndMeta(stored?.seqs, stored?.meta)
    this.instance = stored ? DatabaseInstance.resume(stored.instance) : DatabaseInstance.detached()
    this.writer = new LogWriter({
      storage,
      queue: this.queue,
      cursors: this.cursors,
      memory: this.memory,
      values: this.values,
      instance: this.instance,
      onDatabaseLost: () => this.onDatabaseLost(),
      maxUnpersisted: settings.maxUnpersisted,
      persistEveryMs: settings.persistEveryMs,
      now: settings.now,
    })
    this.retention = new Retention({ storage, queue: this.queue, cursors: this.cursors, memory: this.memory }, settings, stored?.collapsedThrough)
  }

  /**
   * Opens (or creates) the log's database and loads its head, floor, seqs and meta.
   * Never rejects because of storage: when IndexedDB cannot be opened (private mode, quota,
   * blocked), the log works in memory only and {@link EventLog.storageError} says why.
   */
  static async open(options: EventLogOptions = {}): Promise<EventLog> {
    const dexieOptions: DexieOptions = { cache: 'disabled' }
    if (options.indexedDB) dexieOptions.indexedDB = options.indexedDB
    if (options.IDBKeyRange) dexieOptions.IDBKeyRange = options.IDBKeyRange
    const db = new RelayDatabase(options.name ?? DEFAULT_LOG_NAME, dexieOptions)
    const settings = resolveSettings(options)
    const storage = new LogStorage(db, settings)
    let stored: StoredState | undefined
    try {
      stored = await readStoredState(db)
    } catch (err) {
      storage.unavailable(err)
    }
    const log = new EventLog(storage, settings, stored)
    if (stored) await log.writer.claim()
    return log
  }

  /** The underlying Dexie database (diagnostics and tests; do not write to it directly). */
  get dexie(): RelayDatabase {
    return this.db
  }

  /** Current storage health: `undefined` when the last write succeeded, else the error message. */
  get storageError(): string | undefined {
    return this.storage.error
  }

  /**
   * Newest cursor assigned (0 when nothing was ever appended). After a reopen the next one may be
   * far above it: cursors continue above the previous log's reservation ({@link CURSOR_RESERVATION}).
   */
  head(): number {
    return this.cursors.head
  }

  /**
   * Cursors `after < c ≤ through` that the previous relay on this database may have handed to tabs
   * without writing the events (it died with them unwritten): a tab holding one has events the log
   * does not, and may lack some the log never had, so it must re-read over REST (`reset`).
   * `undefined` when the previous relay left nothing unwritten it could have handed out.
   */
  lostCursors(): CursorRange | undefined {
    return this.cursors.lost
  }

  /**
   * The lowest cursor from which a replay is complete: every event with a cursor ≥ this value is
   * still held (in IndexedDB or in memory), except `message.part.delta` events superseded by a
   * later `message.part.updated` (delta collapse, harmless to replay). Events below it may be
   * gone. `1` for a log that never dropped anything; `head() + 1` after {@link EventLog.clear}.
   * A subscriber that last applied `tabCursor` must reset when `tabCursor < oldest - 1`.
   */
  async oldestCursor(): Promise<number> {
    return this.cursors.floor + 1
  }

  /**
   * Appends a batch in ONE read-write transaction. Drops duplicates (same `id`) within the batch,
   * against recent ids in memory and against the database (`where('id').anyOf(ids)` inside the
   * same transaction), then assigns cursors head+1, head+2, … to the accepted events in batch
   * order. Concurrent calls are serialized.
   *
   * When the write fails (quota, database deleted or closed, any Dexie error), the accepted
   * events still get cursors and are returned, are kept in memory and written with a later
   * append; `storageError` is set on every call while storage fails (writes are retried at most
   * every `retryIntervalMs`) and absent again once a write succeeds. A closed database is
   * reopened once per call; a deleted one is recreated and refilled from memory.
   * Rejects only when the log was closed.
   */
  append(batch: readonly NewEvent[]): Promise<AppendResult> {
    return this.writer.append(batch)
  }

  /**
   * Write-behind append for live events, so fan-out never waits for IndexedDB (which writes only
   * ~6 000 rows/s on a 2-core machine; see `npm run bench`). Drops duplicates within the batch and
   * against the recent ids in memory — NOT against older rows of the database, so events that may
   * be old (recovered after a gap) pass {@link EventLog.unseen} first, or take
   * {@link EventLog.append} — assigns cursors at
   * once, keeps the events in the ring, records `seqs` like {@link EventLog.setSeqs}, and writes
   * events and seqs in one background transaction (coalesced: one write at a time, the next one
   * takes everything appended meanwhile; an id already in the database is then not written twice).
   *
   * Waits for the write only when more than `maxUnpersisted` events are not yet in IndexedDB and
   * storage works (backpressure), or when an ordered append or a clear is queued: then it behaves
   * exactly like {@link EventLog.append} (compaction steps and the writes of seqs and meta do not
   * hold it). A write failure is reported as
   * `storageError` by this or a later call, like `append`; the events stay in memory meanwhile.
   * {@link EventLog.flushWrites} waits for the writes. Rejects only when the log was closed.
   */
  appendLive(batch: readonly NewEvent[], seqs: readonly SeqRow[] = []): Promise<AppendResult> {
    return this.writer.appendLive(batch, seqs)
  }

  /**
   * `events` without those whose id the log holds, in order (a repeated id kept once): an id among
   * the recent ids in memory, or stored in IndexedDB (one read-only lookup by the `id` index, which
   * waits for a write transaction already running but never for the log's queue). For events that
   * may be old (recovered after a gap): what it returns can then take {@link EventLog.appendLive}
   * like live events, so a catch-up never holds the live stream behind IndexedDB. An id appended
   * between this lookup and that append is still among the recent ids then.
   * When IndexedDB cannot be read (memory only, failing storage) only memory is checked; the write
   * still skips an id the database holds. Rejects only when the log was closed.
   */
  async unseen<T extends { id: string }>(events: readonly T[]): Promise<T[]> {
    this.storage.assertOpen()
    const seen = new Set<string>()
    const candidates = events.filter((e) => {
      if (seen.has(e.id) || this.memory.holds(e.id)) return false
      seen.add(e.id)
      return true
    })
    if (candidates.length === 0 || this.storage.memoryOnly) return candidates
    let stored: Set<string>
    try {
      const keys = await this.db.events.where('id').anyOf([...seen]).keys()
      stored = new Set(keys.filter((k): k is string => typeof k === 'string'))
    } catch {
      return candidates
    }
    return candidates.filter((e) => !stored.has(e.id))
  }

  /**
   * Resolves once everything appended so far was offered to IndexedDB (written, or failed: see
   * `storageError`), starting a write-behind transaction that waits out `persistEveryMs` at once.
   * Never rejects.
   */
  flushWrites(): Promise<void> {
    return this.writer.flush()
  }

  /**
   * Like {@link EventLog.flushWrites}, without hurrying the write: a write-behind transaction
   * still waits out `persistEveryMs` (for a caller that only wants to learn the outcome). Never
   * rejects.
   */
  writesSettled(): Promise<void> {
    return this.writer.settled()
  }

  /**
   * Events with a cursor above `cursor`, ascending, at most `limit` (default 5 000). Served from
   * the in-memory ring when it covers the range, else from IndexedDB (merged with events not yet
   * written). The returned objects are shared: treat them as immutable.
   * Rejects with an `Error` (`"event log read failed: …"`, `cause` = the Dexie error) when the
   * range is not in memory and IndexedDB cannot be read.
   */
  async readAfter(cursor: number, limit = 5000): Promise<RelayedEvent[]> {
    this.storage.assertOpen()
    if (!(limit > 0) || cursor >= this.cursors.head) return []
    if (cursor >= this.memory.coversAfter || this.storage.memoryOnly) return this.memory.sliceAfter(cursor, limit)
    const db = this.db
    let read: { lost: boolean; rows: StoredEvent[] }
    try {
      read = await this.storage.withReopen(() =>
        db.transaction('r', [db.events, db.meta], async () => {
          const lost = await this.instance.isLost(db)
          const rows = await db.events.where('cursor').above(cursor).limit(limit).toArray()
          return { lost, rows }
        }),
      )
    } catch (err) {
      throw new Error(`event log read failed: ${describeStorageError(err)}`, { cause: err })
    }
    if (read.lost) {
      this.onDatabaseLost()
      return this.memory.sliceAfter(cursor, limit)
    }
    const events = read.rows.map((row) => fromStored(row, cursor))
    const extra = this.memory.unwrittenAfter(cursor)
    if (extra.length === 0) return events
    const byCursor = new Map<number, RelayedEvent>()
    for (const e of events) byCursor.set(e.cursor, e)
    for (const e of extra) byCursor.set(e.cursor, e)
    return [...byCursor.values()].sort((a, b) => a.cursor - b.cursor).slice(0, limit)
  }

  /**
   * Compacts the log, in bounded chunks (at most `compactChunk` events deleted per transaction,
   * each step queued behind the writes; live appends go on meanwhile, their events are above every
   * stored one):
   *
   * (a) delta collapse: a `message.part.delta` of a part is deleted once a LATER
   *     `message.part.updated` of the same part (same directory) is stored — the updated part
   *     carries the full text, so a replay from anywhere still ends with the right text. Safe even
   *     above `keepAfterCursor`.
   * (b) retention: drops the oldest events (always a prefix in cursor order) while they are older
   *     than `maxAgeMs` (by `receivedAt`) or the log holds more than `maxEvents`, but never an
   *     event with a cursor above `keepAfterCursor` (the lowest cursor a connected tab still
   *     needs) — unless the log holds more than 2 × `maxEvents` (hard cap): then the oldest are
   *     dropped down to `maxEvents` regardless, and the hub resets the tabs that fell behind
   *     (see {@link EventLog.oldestCursor}).
   *
   * Works in steps of at most `compactChunk` events, one IndexedDB transaction each; `pace`, when
   * given, is awaited before every step (so a caller can hold compaction while a stream is busy).
   *
   * Rejects with the Dexie error when IndexedDB fails (nothing is lost: the next call continues).
   */
  compact(options: { keepAfterCursor: number; pace?: () => Promise<void> }): Promise<CompactResult> {
    return this.retention.compact(options.keepAfterCursor, options.pace)
  }

  /**
   * Catch-up positions, optionally for one directory (from memory; loaded on open).
   * Returns copies: `{directory, aggregateID, seq}` rows.
   */
  async getSeqs(directory?: string): Promise<SeqRow[]> {
    return this.values.seqsOf(directory)
  }

  /**
   * Records catch-up positions, keeping the highest `seq` per `[directory, aggregateID]` (never
   * moves backwards; rows with a non-finite seq are ignored). Memory is updated at once; the write
   * to IndexedDB reports failures as `storageError` (retried with later writes) and never rejects
   * unless the log was closed.
   */
  setSeqs(rows: readonly SeqRow[]): Promise<WriteResult> {
    return this.writer.setSeqs(rows)
  }

  /**
   * Reads a value stored with {@link EventLog.setMeta}; `undefined` when absent or when `guard`
   * rejects it (a stored value of another shape is never trusted).
   */
  async getMeta<T>(key: string, guard: (v: unknown) => v is T): Promise<T | undefined> {
    return this.values.getMeta(key, guard)
  }

  /**
   * Stores a small structured-clonable value under `key`. Rejects with a `DataCloneError` for
   * values that cannot be cloned and a `RangeError` for keys starting with {@link RESERVED_META_PREFIX}.
   * Storage failures are reported as `storageError` (the value stays in memory and is written
   * later), never thrown.
   */
  async setMeta(key: string, value: unknown): Promise<WriteResult> {
    this.storage.assertOpen()
    if (key.startsWith(RESERVED_META_PREFIX)) throw new RangeError(`meta key ${key} is reserved by the event log`)
    return this.writer.setMeta(key, structuredClone(value))
  }

  /**
   * Empties the log: events, seqs and meta, in memory and in IndexedDB. Cursors keep growing
   * (head is unchanged and `oldestCursor()` becomes head + 1, so every subscriber resets).
   * Rejects with an `Error` (`cause` = the Dexie error) when IndexedDB cannot be cleared; memory is
   * cleared regardless.
   */
  async clear(): Promise<void> {
    this.storage.assertOpen()
    return this.queue.run(async () => {
      const head = this.cursors.head
      this.cursors.raiseFloor(head)
      this.memory.clear(head)
      this.retention.examinedThrough(head)
      this.values.clear()
      if (this.storage.memoryOnly) return
      try {
        await this.writer.writeCleared()
      } catch (err) {
        throw new Error(`event log clear failed: ${describeStorageError(err)}`, { cause: err })
      }
    })
  }

  /** Closes the database. Later calls reject with `Error('EventLog is closed')`; idempotent. */
  close(): void {
    this.storage.close()
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The database was deleted or replaced under us: everything older than the ring is gone. The
   * ring, seqs and meta are written back with the next successful append.
   */
  private onDatabaseLost(): void {
    this.cursors.raiseFloor(this.memory.coversAfter)
    this.memory.forgetWritten()
    this.retention.reexamineAfter(this.cursors.floor)
    this.instance.lost()
  }
}
