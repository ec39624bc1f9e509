/**
 * The event log's memory: the recent events in cursor order (a ring the tabs are served from
 * first) and the recent event ids (the first duplicate check, before the database's).
 */
import type { RelayedEvent } from '../../shared/protocol.ts'

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
