/**
 * The event log's schema and rows: the Dexie database (`events`, `seqs`, `meta`, version 2), the
 * row types, the log's own `meta` keys, the cursor reservation, and the conversions between a
 * stored row and the `RelayedEvent` tabs receive. See event-log.ts beside it for the design rules.
 */
import Dexie, { type DexieOptions, type Table } from 'dexie'
import type { RelayedEvent } from '../../shared/protocol.ts'
import { deltaRuns, indexFields } from '../../shared/opencode-events.ts'
import { eventAfter, mergeIndexedRun } from '../../shared/delta-runs.ts'

/**
 * One row of the `events` table: the `RelayedEvent` fields plus denormalized fields extracted
 * from `payload` (see `indexFields` of sw/shared/opencode-events.ts); of them only `partID` is
 * indexed ({@link EVENT_LOG_SCHEMA}). A run of deltas to one part field is one row, with its
 * `run` index (`RelayedEvent.run`; {@link toStoredRows}).
 */
export interface StoredEvent extends RelayedEvent {
  /** `payload.type`, e.g. `message.part.delta`. */
  type: string
  /** Session the event belongs to, when the payload names one. */
  sessionID?: string
  /** Part the event is about (`message.part.delta`/`.updated`/`.removed`), when any. */
  partID?: string
}

/**
 * A catch-up position: the highest `seq` applied for one aggregate (a session) of one directory.
 * Source: OpenCode sync events (`{type: 'sync', syncEvent: {aggregateID, seq, …}}` on
 * `GET /global/event`, and the rows of `POST /sync/history`).
 */
export interface SeqRow {
  directory: string
  aggregateID: string
  /** Sequence number within the aggregate; only ever moves forward. */
  seq: number
}

/** One row of the `meta` table. */
export interface MetaRow {
  key: string
  /** Any structured-clonable value. */
  value: unknown
}

/**
 * Dexie schema, version 1 (databases written before version 2 still open as it and are upgraded).
 * The first entry of each table is its primary key.
 */
export const EVENT_LOG_SCHEMA_V1 = {
  events: '&cursor, &id, directory, [directory+sessionID], partID, type, receivedAt',
  seqs: '[directory+aggregateID]',
  meta: 'key',
} as const

/**
 * Dexie schema, version 2: the `events` table keeps only the indexes the log queries — `cursor`
 * (its key: reads after a cursor, retention), `id` (unique: deduplication against the database)
 * and `partID` (delta collapse). Version 1 also indexed `directory`, `[directory+sessionID]`,
 * `type` and `receivedAt`, which nothing read, and each index is one more write per row: in
 * Chromium the rows of a streamed reply were written 30–40 % faster without them (a scratch
 * measurement of 5,000 recorded events), and at 1,000 events/s the write is most of the browser
 * process's share of the CPU. The row fields stay (`type`, `sessionID`, `partID`: see
 * {@link StoredEvent}); the upgrade only drops the four indexes.
 */
export const EVENT_LOG_SCHEMA = {
  events: '&cursor, &id, partID',
  seqs: '[directory+aggregateID]',
  meta: 'key',
} as const

/** Prefix of the `meta` keys the log uses itself; `EventLog.setMeta` refuses them. */
export const RESERVED_META_PREFIX = '__eventlog/'
/** The `meta` keys the log keeps its own markers under. */
export const META_INSTANCE = `${RESERVED_META_PREFIX}instance`
export const META_FLOOR = `${RESERVED_META_PREFIX}floor`
export const META_COLLAPSED = `${RESERVED_META_PREFIX}collapsedThrough`
export const META_RESERVED = `${RESERVED_META_PREFIX}reservedThrough`

/**
 * Cursors reserved ahead of the head, in IndexedDB, before they are handed out (see
 * `EventLog.lostCursors`): live events get cursors and reach tabs before their write
 * commits, so a relay that dies (the last tab closed, the fallback leader closed) may have handed
 * out cursors that were never written. The next log starts above the reservation, never reusing
 * one. Renewed when half is used; write-behind keeps at most `maxUnpersisted` (≤ memoryEvents)
 * events unwritten, far below half of it.
 */
export const CURSOR_RESERVATION = 1_000_000

/** The Dexie database of the log (exposed for diagnostics and tests through `EventLog.dexie`). */
export class RelayDatabase extends Dexie {
  declare events: Table<StoredEvent, number>
  declare seqs: Table<SeqRow, [string, string]>
  declare meta: Table<MetaRow, string>

  constructor(name: string, options: DexieOptions) {
    super(name, options)
    this.version(1).stores(EVENT_LOG_SCHEMA_V1)
    this.version(2).stores(EVENT_LOG_SCHEMA)
  }
}

export function seqKey(directory: string, aggregateID: string): string {
  return `${directory}\u0000${aggregateID}`
}

export function toStored(e: RelayedEvent): StoredEvent {
  return { ...e, ...indexFields(e.payload) }
}

/**
 * The rows to write for `events` (in cursor order): one per event, except that each run of
 * adjacent deltas to one part field (`deltaRuns` of sw/shared/opencode-events.ts) is one row
 * holding the run's text, under the run's last cursor and id, with {@link StoredEvent.run}.
 * IndexedDB's cost is per row, and a reply streamed at 1,000 tokens/s is ~16 deltas per 16 ms
 * batch; the ids of the other deltas of a run are not stored (deltas are never sync events, so a
 * catch-up never recovers them by id).
 */
export function toStoredRows(events: readonly RelayedEvent[]): StoredEvent[] {
  return deltaRuns(events).map((run) => toStored(mergeIndexedRun(run)))
}

/**
 * The event a row stands for, as read by a reader that has everything up to `after` (a cursor;
 * default: nothing): a run row ({@link StoredEvent.run}) whose first deltas are at or below
 * `after` gives only the text (and index) of the deltas above it (`eventAfter`).
 */
export function fromStored(row: StoredEvent, after = Number.NEGATIVE_INFINITY): RelayedEvent {
  const e: RelayedEvent = { cursor: row.cursor, id: row.id, directory: row.directory, payload: row.payload, receivedAt: row.receivedAt }
  if (row.recovered !== undefined) e.recovered = row.recovered
  if (row.run !== undefined) e.run = row.run
  return eventAfter(e, after) ?? e
}
