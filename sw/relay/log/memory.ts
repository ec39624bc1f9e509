/**
 * The event log's memory: the recent events in cursor order (a ring the tabs are served from
 * first), which of them are not in IndexedDB yet (write-behind, or storage failing), and the
 * recent event ids (the first duplicate check, before the database's).
 */
import type { RelayedEvent } from '../../shared/protocol.ts'
import type { NewEvent } from './cursors.ts'

/** An insertion-ordered set that forgets its oldest entries beyond `capacity`. */
export class RecentIds {
  private readonly ids = new Set<string>()
  constructor(private readonly capacity: number) {}
  has(id: string): boolean {
    return this.ids.has(id)
  }
  add(id: string): void {
    if (this.ids.has(id)) return
    this.ids.add(id)
    while (this.ids.size > this.capacity) {
      const first = this.ids.values().next()
      if (first.done) break
      this.ids.delete(first.value)
    }
  }
  clear(): void {
    this.ids.clear()
  }
}

/** The in-memory ring: recent events in cursor order (a queue with O(1) amortized shift). */
export class Ring {
  private items: RelayedEvent[] = []
  private start = 0

  get size(): number {
    return this.items.length - this.start
  }
  push(e: RelayedEvent): void {
    this.items.push(e)
  }
  shift(): RelayedEvent | undefined {
    if (this.start >= this.items.length) return undefined
    const e = this.items[this.start++]
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start)
      this.start = 0
    }
    return e
  }
  first(): RelayedEvent | undefined {
    return this.start < this.items.length ? this.items[this.start] : undefined
  }
  all(): RelayedEvent[] {
    return this.items.slice(this.start)
  }
  /** Index of the first item with a cursor above `cursor` (binary search). */
  private indexAfter(cursor: number): number {
    let lo = this.start
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.items[mid].cursor <= cursor) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  sliceAfter(cursor: number, limit: number): RelayedEvent[] {
    const from = this.indexAfter(cursor)
    return this.items.slice(from, Math.min(this.items.length, from + limit))
  }
  /** Removes the items matching `pred`; returns them. */
  removeWhere(pred: (e: RelayedEvent) => boolean): RelayedEvent[] {
    const removed: RelayedEvent[] = []
    const kept: RelayedEvent[] = []
    for (let i = this.start; i < this.items.length; i++) {
      const e = this.items[i]
      if (pred(e)) removed.push(e)
      else kept.push(e)
    }
    if (removed.length) {
      this.items = kept
      this.start = 0
    }
    return removed
  }
  /** Removes every item with a cursor ≤ `cursor`; returns them. */
  dropThrough(cursor: number): RelayedEvent[] {
    const removed: RelayedEvent[] = []
    for (let e = this.first(); e && e.cursor <= cursor; e = this.first()) {
      this.shift()
      removed.push(e)
    }
    return removed
  }
  clear(): void {
    this.items = []
    this.start = 0
  }
}

/**
 * The events a log holds in memory: the newest `capacity` events (the ring), the cursors of those
 * not written to IndexedDB yet, and the ids of the newest events for deduplication. An unwritten
 * event pushed out of the ring is lost; {@link EventMemory.add} reports it so the floor rises.
 */
export class EventMemory {
  private readonly ring = new Ring()
  private readonly recent: RecentIds
  /** Cursors of ring events not (yet) in IndexedDB. */
  private readonly unwritten = new Set<number>()
  /** Every held event with a cursor above this is in the ring. */
  private covers: number

  /**
   * @param capacity events kept in the ring (0: none, every read goes to IndexedDB)
   * @param recentIds ids remembered for deduplication (≥ 1)
   * @param head the log's head when it opened: the ring covers everything above it
   */
  constructor(
    private readonly capacity: number,
    recentIds: number,
    head: number,
  ) {
    this.recent = new RecentIds(recentIds)
    this.covers = head
  }

  /** Every held event with a cursor above this is in memory (so reads above it need no IndexedDB). */
  get coversAfter(): number {
    return this.covers
  }

  /** How many events in the ring are not in IndexedDB. */
  get unwrittenCount(): number {
    return this.unwritten.size
  }

  /** True when `n` more unwritten events could push an unwritten one out of the ring. */
  wouldEvictUnwritten(n: number): boolean {
    return this.unwritten.size + n > this.capacity
  }

  /** Whether `id` is among the recent ids (an event the log holds or just held). */
  holds(id: string): boolean {
    return this.recent.has(id)
  }

  /** `batch` without the events whose id comes earlier in the batch or is among the recent ids. */
  unseen(batch: readonly NewEvent[]): NewEvent[] {
    const seen = new Set<string>()
    const out: NewEvent[] = []
    for (const e of batch) {
      if (seen.has(e.id) || this.recent.has(e.id)) continue
      seen.add(e.id)
      out.push(e)
    }
    return out
  }

  /**
   * Adds committed (`written`) or memory-only events, in cursor order, to the ring and the recent
   * ids, then trims the ring to its capacity. Returns the highest cursor of an unwritten event the
   * trim pushed out (lost for good), or `undefined` when none was.
   */
  add(events: readonly RelayedEvent[], written: boolean): number | undefined {
    for (const e of events) {
      this.ring.push(e)
      this.recent.add(e.id)
      if (!written) this.unwritten.add(e.cursor)
    }
    let lostThrough: number | undefined
    while (this.ring.size > this.capacity) {
      const evicted = this.ring.shift()
      if (!evicted) break
      this.covers = evicted.cursor
      if (this.unwritten.delete(evicted.cursor)) lostThrough = evicted.cursor
    }
    return lostThrough
  }

  /** Events above `cursor`, ascending, at most `limit`. The objects are shared: treat them as immutable. */
  sliceAfter(cursor: number, limit: number): RelayedEvent[] {
    return this.ring.sliceAfter(cursor, limit)
  }

  /** The unwritten events, ascending. */
  unwrittenEvents(): RelayedEvent[] {
    return this.unwritten.size ? this.ring.all().filter((e) => this.unwritten.has(e.cursor)) : []
  }

  /** The unwritten events above `cursor`, ascending. */
  unwrittenAfter(cursor: number): RelayedEvent[] {
    if (this.unwritten.size === 0) return []
    return this.ring.sliceAfter(cursor, Number.MAX_SAFE_INTEGER).filter((e) => this.unwritten.has(e.cursor))
  }

  /** The events with these cursors are in IndexedDB now. */
  written(cursors: readonly number[]): void {
    for (const c of cursors) this.unwritten.delete(c)
  }

  /** The database lost what was written: every event in the ring is unwritten again. */
  forgetWritten(): void {
    for (const e of this.ring.all()) this.unwritten.add(e.cursor)
  }

  /** Removes the events matching `pred`; returns those of them that were unwritten. */
  removeWhere(pred: (e: RelayedEvent) => boolean): RelayedEvent[] {
    return this.ring.removeWhere(pred).filter((e) => this.unwritten.delete(e.cursor))
  }

  /** Retention dropped every event up to `cursor`: drops them from memory too. */
  dropThrough(cursor: number): void {
    for (const e of this.ring.dropThrough(cursor)) this.unwritten.delete(e.cursor)
    this.covers = Math.max(this.covers, cursor)
  }

  /** Forgets every event and id; the log continues above `head`. */
  clear(head: number): void {
    this.ring.clear()
    this.covers = head
    this.unwritten.clear()
    this.recent.clear()
  }
}
