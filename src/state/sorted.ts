/**
 * Sorted-array helpers for the reducer's normalized state (the same idea as OpenCode's own
 * `Binary` utility used by its app's `event-reducer.ts`).
 *
 * Every list the reducer keeps (sessions, messages, parts, permissions, questions, projects) is
 * an array sorted by `id` in plain ascending string order (`a < b`, UTF-16 code units, no locale).
 * OpenCode ids are time-ordered identifiers with a type prefix:
 *
 * - `msg_…` (messages), `prt_…` (parts), `per_…` (permissions), `que_…` (questions), `evt_…`
 *   sort ASCENDING by creation time, so id order is chronological order.
 * - `ses_…` (sessions) sort DESCENDING by creation time: OpenCode builds session ids from an
 *   inverted timestamp so that newer sessions come first in its storage listings (e.g.
 *   `ses_e017fdf2…` is created before `ses_e017fbb5…`). We still keep sessions in ascending id
 *   order (one rule for every list, O(log n) lookups); the UI sorts sessions for display by
 *   `time.updated`, never by array position.
 * - Project ids are content hashes (or `global`): the order is arbitrary but stable.
 *
 * All functions are pure except the in-place mutators `upsertSorted` and `removeSorted`, which
 * only touch the array they are given (safe on Vue reactive arrays: they use `splice` and index
 * assignment). They assume the input is sorted; on an unsorted array results are unspecified.
 */

/** Anything with a string id. */
export interface Identified {
  readonly id: string
}

/** Result of {@link findIndexById}. */
export interface SearchResult {
  /** True when an element with the id exists. */
  found: boolean
  /** Its index when `found`; otherwise the index where it would have to be inserted to keep the order. */
  index: number
}

/**
 * Binary search by id in an array sorted by ascending `id`. O(log n).
 * @returns `{ found, index }`: the element's index, or the insertion point when absent.
 */
export function findIndexById<T extends Identified>(list: readonly T[], id: string): SearchResult {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const midId = list[mid].id
    if (midId === id) return { found: true, index: mid }
    if (midId < id) lo = mid + 1
    else hi = mid
  }
  return { found: false, index: lo }
}

/** The element with `id`, or `undefined`. O(log n). */
export function getSorted<T extends Identified>(list: readonly T[], id: string): T | undefined {
  const { found, index } = findIndexById(list, id)
  return found ? list[index] : undefined
}

/**
 * Inserts `item` at its sorted position, or replaces the element with the same id in place.
 * O(log n) search plus the `splice` shift. Idempotent: upserting the same item twice leaves one copy.
 */
export function upsertSorted<T extends Identified>(list: T[], item: T): void {
  const { found, index } = findIndexById(list, item.id)
  if (found) list[index] = item
  else list.splice(index, 0, item)
}

/**
 * Removes the element with `id`.
 * @returns true when an element was removed, false when there was none (idempotent).
 */
export function removeSorted<T extends Identified>(list: T[], id: string): boolean {
  const { found, index } = findIndexById(list, id)
  if (found) list.splice(index, 1)
  return found
}

/**
 * Returns a new sorted array holding `items` in ascending id order; for duplicate ids the last
 * occurrence wins. Does not mutate `items`. O(n log n).
 */
export function sortById<T extends Identified>(items: readonly T[]): T[] {
  return mergeSorted([], items)
}

/**
 * Merges `items` (any order, may hold duplicates) into the sorted `list` and returns a NEW sorted
 * array: an item replaces the element of `list` with the same id (last occurrence in `items` wins),
 * other elements of `list` are kept. Neither input is mutated. O(n + m log m), so a bulk load
 * (REST bootstrap, "load earlier" pages) costs one array assignment instead of m splices.
 */
export function mergeSorted<T extends Identified>(list: readonly T[], items: readonly T[]): T[] {
  const incoming = new Map<string, T>()
  for (const item of items) incoming.set(item.id, item)
  const sortedIncoming = [...incoming.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const out: T[] = []
  let i = 0
  let j = 0
  while (i < list.length || j < sortedIncoming.length) {
    if (j >= sortedIncoming.length) {
      out.push(list[i++])
    } else if (i >= list.length) {
      out.push(sortedIncoming[j++])
    } else {
      const a = list[i].id
      const b = sortedIncoming[j].id
      if (a < b) {
        out.push(list[i++])
      } else if (a > b) {
        out.push(sortedIncoming[j++])
      } else {
        out.push(sortedIncoming[j++])
        i++
      }
    }
  }
  return out
}
