/**
 * Runs of `message.part.delta` events carried as one event with an index ({@link DeltaRunIndex}):
 * the relay's event log stores a run as one IndexedDB row (sw/relay/log/schema.ts), its fan-out
 * posts a run as one event in a tab's batch (sw/relay/tab-session.ts), and a reader that already
 * has part of a run — a log read from a cursor inside it, a tab whose replay overlaps what it
 * applied (src/sync/intake.ts) — takes only the rest of its text ({@link eventAfter}).
 *
 * Why: a streamed reply is thousands of deltas (5,000 in the burst bench), and each event is a row
 * written, an object cloned to every tab and another read back by the tab; their text is the same
 * concatenated (`message.part.delta` only appends: the SDK's `EventMessagePartDelta`).
 *
 * Which events form a run is `deltaRuns` of sw/shared/opencode-events.ts (adjacent, same
 * directory, message, part, field and `recovered` flag).
 */
import type { DeltaRunIndex, RelayedEvent } from './protocol.ts'
import { deltaRuns, deltaText, mergeDeltaRun } from './opencode-events.ts'

/**
 * One event for `run` (a group of `deltaRuns`, cursor order): a group of one is that event; a
 * longer run is one delta whose text is the run's texts in order, with the last event's `cursor`,
 * `id` and `receivedAt`, and an index of every delta's cursor and text end. Members that are runs
 * themselves (a stored row) contribute their own index, so merging runs again loses nothing.
 * @throws Error on an empty group.
 */
export function mergeIndexedRun<E extends RelayedEvent>(run: readonly E[]): E {
  const merged = mergeDeltaRun(run)
  if (run.length < 2 || merged === run[run.length - 1]) return merged
  const cursors: number[] = []
  const ends: number[] = []
  let offset = 0
  for (const e of run) {
    const length = deltaText(e.payload)?.length ?? 0
    if (e.run) {
      for (let i = 0; i < e.run.cursors.length; i++) {
        cursors.push(e.run.cursors[i])
        ends.push(offset + (e.run.ends[i] ?? length))
      }
    } else {
      cursors.push(e.cursor)
      ends.push(offset + length)
    }
    offset += length
  }
  return { ...merged, run: { cursors, ends } }
}

/**
 * `events` (cursor order) with each run of adjacent deltas to one part field merged into one event
 * with its index ({@link mergeIndexedRun}); everything else unchanged, in order. Applying the
 * result leaves the same state as applying `events` one by one (see `DeltaCarrier`), with one
 * reactive write per run: the tab's intake (src/sync/intake.ts). A reader of the result still
 * knows which cursor each part of a run's text came from.
 * Pure: the input array and its events are not modified.
 * @returns a new array, never longer than `events`.
 */
export function coalesceRelayed(events: readonly RelayedEvent[]): RelayedEvent[] {
  return deltaRuns(events).map(mergeIndexedRun)
}

/**
 * A tab's batch (cursor order) with each run of adjacent deltas to one part field that the relay
 * received in the same millisecond merged into one event ({@link mergeIndexedRun}); everything else
 * unchanged, in order. Runs are cut where `receivedAt` changes because a tab compares each event's
 * `receivedAt` with the start of its REST reads (src/sync/scope-gate.ts): a merged event must not
 * carry text received before a read under a time after it. A burst's deltas arrive in chunks that
 * the relay parses in one task, so they share few milliseconds.
 * Pure: the input array and its events are not modified.
 */
export function mergeForFanOut(events: readonly RelayedEvent[]): RelayedEvent[] {
  const out: RelayedEvent[] = []
  for (const group of deltaRuns(events)) {
    let start = 0
    for (let i = 1; i <= group.length; i++) {
      if (i < group.length && group[i].receivedAt === group[start].receivedAt) continue
      out.push(i - start === 1 ? group[start] : mergeIndexedRun(group.slice(start, i)))
      start = i
    }
  }
  return out
}

/**
 * `ev` as seen by a reader that has every event up to cursor `after`: undefined when `ev.cursor`
 * is at or below it; a run ({@link RelayedEvent.run}) whose first deltas are at or below `after`
 * keeps only the text and index of those above it; any other event is returned as it is.
 */
export function eventAfter(ev: RelayedEvent, after: number): RelayedEvent | undefined {
  if (ev.cursor <= after) return undefined
  const run = ev.run
  const payload = ev.payload
  if (!run || !(run.cursors[0] <= after) || payload.type !== 'message.part.delta') return ev
  const firstAbove = run.cursors.findIndex((c) => c > after)
  if (firstAbove < 1) return ev
  const from = run.ends[firstAbove - 1] ?? 0
  const index: DeltaRunIndex = { cursors: run.cursors.slice(firstAbove), ends: run.ends.slice(firstAbove).map((end) => end - from) }
  return { ...ev, payload: { ...payload, properties: { ...payload.properties, delta: payload.properties.delta.slice(from) } }, run: index }
}
