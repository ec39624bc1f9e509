/**
 * The event log's cursors: the head, the reservation that keeps cursors unique across the relays
 * that use one database one after another, the cursors a previous relay may have handed out
 * without writing them, and the floor below which events are gone. See event-log.ts beside it for
 * the design rules.
 */
import type { RelayedEvent } from '../../shared/protocol.ts'
import { CURSOR_RESERVATION, META_FLOOR, META_RESERVED, type MetaRow } from './schema.ts'

/** An event as handed to `EventLog.append`: a `RelayedEvent` before it has a cursor. */
export type NewEvent = Omit<RelayedEvent, 'cursor'>

/** Cursors `after < c ≤ through` (see {@link Cursors.lost}). */
export interface CursorRange {
  after: number
  through: number
}

/** What {@link Cursors.resume} needs from the database a log opens. */
export interface StoredCursors {
  /** Lowest cursor in the `events` table; `undefined` when it is empty. */
  first: number | undefined
  /** Highest cursor in the `events` table; 0 when it is empty. */
  last: number
  /** The floor stored in `meta` by the previous log; 0 when none. */
  floor: number
  /** The reservation stored in `meta` by the previous log; 0 when none. */
  reserved: number
}

/**
 * The cursor markers of one write to `meta`, captured when the write was prepared (a marker that
 * moves while the write runs stays due). Absent: not part of the write.
 */
export interface CursorMarkers {
  /** The reservation ({@link Cursors.reservation}) written. */
  reserved?: number
  /** The floor ({@link Cursors.floor}) written. */
  floor?: number
}

/**
 * The cursors of one log. Pure memory: the markers it asks to have written
 * ({@link Cursors.markersToWrite}) reach IndexedDB through the log's writes, which report back
 * with {@link Cursors.markersWritten}.
 *
 * Cursors are strictly increasing and never reused while the database survives: before a cursor
 * is handed out, a reservation {@link CURSOR_RESERVATION} ahead of it is due to be written, and
 * the next log on the database continues above the highest stored cursor, floor or reservation.
 */
export class Cursors {
  private headCursor = 0
  /** Highest cursor dropped for good (retention, clear, lost unpersisted events); 0 when none. */
  private floorCursor = 0
  private floorDirty = false
  /** Highest cursor that may be handed out before the reservation is renewed ({@link CURSOR_RESERVATION}). */
  private reservedThrough = 0
  private reservedDirty = false
  /** The previous log's reservation: the first cursor this log assigns is above it. */
  private cursorBase = 0
  /** Cursors a previous log may have handed out without writing them (see {@link Cursors.lost}). */
  private lostRange: CursorRange | undefined

  /**
   * The cursors of a log that found `stored` in its database. Its reservation
   * (head + {@link CURSOR_RESERVATION}, or above the previous log's) is due to be written before
   * any cursor is handed out.
   */
  static resume(stored: StoredCursors): Cursors {
    const c = new Cursors()
    c.headCursor = Math.max(stored.last, stored.floor)
    // New cursors start above anything the previous log may have handed out unwritten.
    if (stored.reserved > c.headCursor) {
      c.cursorBase = stored.reserved
      c.lostRange = { after: c.headCursor, through: stored.reserved }
    }
    // Retention drops prefixes, so everything below the first stored cursor is gone.
    c.floorCursor = Math.max(stored.floor, stored.first !== undefined ? stored.first - 1 : c.headCursor)
    c.reservedThrough = Math.max(c.headCursor, c.cursorBase) + CURSOR_RESERVATION
    c.reservedDirty = true
    return c
  }

  /** Newest cursor of an event the log holds or held (0 when none); see `EventLog.head`. */
  get head(): number {
    return this.headCursor
  }

  /** Highest cursor whose event may be gone for good (0 when none); `EventLog.oldestCursor` is one above. */
  get floor(): number {
    return this.floorCursor
  }

  /** The cursors a previous relay may have handed out without writing them; see `EventLog.lostCursors`. */
  get lost(): CursorRange | undefined {
    return this.lostRange
  }

  /** Highest cursor that may be handed out under the current reservation. */
  get reservation(): number {
    return this.reservedThrough
  }

  /**
   * Gives `events` the next cursors (head+1, head+2, … in order, or above the previous log's
   * reservation), without moving the head: the events count only once {@link Cursors.committed}.
   * Copies the events (`recovered` only when set). Renews the reservation when half is used.
   */
  assign(events: readonly NewEvent[]): RelayedEvent[] {
    let cursor = Math.max(this.headCursor, this.cursorBase)
    const out = events.map((e) => {
      const relayed: RelayedEvent = { cursor: ++cursor, id: e.id, directory: e.directory, payload: e.payload, receivedAt: e.receivedAt }
      if (e.recovered !== undefined) relayed.recovered = e.recovered
      return relayed
    })
    // Renew the reservation (written with the next write) long before it runs out.
    if (cursor > this.reservedThrough - CURSOR_RESERVATION / 2) {
      this.reservedThrough = cursor + CURSOR_RESERVATION
      this.reservedDirty = true
    }
    return out
  }

  /** The event with `cursor` (from {@link Cursors.assign}) is in the log: it is the head now. */
  committed(cursor: number): void {
    this.headCursor = cursor
  }

  /** Events up to `cursor` are gone for good; the floor never moves down. */
  raiseFloor(cursor: number): void {
    if (cursor > this.floorCursor) {
      this.floorCursor = cursor
      this.floorDirty = true
    }
  }

  /** True when the floor moved since it was last written. */
  get floorDue(): boolean {
    return this.floorDirty
  }

  /**
   * The markers due in the next write: those changed since last written, or every one when `all`
   * (refilling a database that was lost). Captured now: write-behind appends may renew the
   * reservation while the write runs.
   */
  markersToWrite(all: boolean): CursorMarkers {
    const out: CursorMarkers = {}
    if (all || this.reservedDirty) out.reserved = this.reservedThrough
    if (all || this.floorDirty) out.floor = this.floorCursor
    return out
  }

  /** `written` (from {@link Cursors.markersToWrite}, or a floor written otherwise) committed: those still current are no longer due. */
  markersWritten(written: CursorMarkers): void {
    if (written.floor === this.floorCursor) this.floorDirty = false
    if (written.reserved === this.reservedThrough) this.reservedDirty = false
  }

  /** A write that should have carried the floor failed: it is due again. */
  floorWriteFailed(): void {
    this.floorDirty = true
  }
}

/** The `meta` rows of `markers` (reservation first, then floor). */
export function markerRows(markers: CursorMarkers): MetaRow[] {
  const rows: MetaRow[] = []
  if (markers.reserved !== undefined) rows.push({ key: META_RESERVED, value: markers.reserved })
  if (markers.floor !== undefined) rows.push({ key: META_FLOOR, value: markers.floor })
  return rows
}
