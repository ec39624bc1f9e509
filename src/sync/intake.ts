/**
 * Where the relay's events and the tab's REST reads meet (the ordering rule; see the module comment
 * of src/sync/scope-gate.ts): relay batches are cut at the last applied cursor (a replay overlap;
 * inside a merged run of deltas too, sw/shared/delta-runs.ts),
 * events of a scope being read are held by the {@link ScopeGate} until its read commits, and the
 * rest go to the reducer at once. Each read commits its answer first, then releases the held events
 * the answer does not already contain.
 */
import type { RelayedEvent } from '../../sw/shared/protocol.ts'
import { eventSessionID } from '../../sw/shared/opencode-events.ts'
import { coalesceRelayed, eventAfter } from '../../sw/shared/delta-runs.ts'
import { applyEvent } from '../state/reducer.ts'
import { ScopeGate, type Scope } from './scope-gate.ts'
import { bumpVersion, type SyncData } from './data.ts'

/** Options of {@link createIntake}. */
export interface IntakeOptions {
  data: SyncData
  /**
   * What a read waits for before it is sent (the relay subscription, src/sync/subscription.ts);
   * undefined: sent at once, in the same task (a store that is not started).
   */
  beforeRead(): Promise<void> | undefined
  /** Side effects of one event, after the reducer applied it (not called for an event that threw). */
  afterEvent(ev: RelayedEvent): void
  /** Clock in epoch ms, compared with `RelayedEvent.receivedAt` (default `Date.now`). */
  now?: () => number
}

/** The intake: see the module comment. */
export interface Intake {
  /**
   * Handles one relay batch (cursor order): drops events at or below `state.lastCursor` (and the
   * deltas at or below it of a merged run: `eventAfter`), advances
   * it, holds those of a scope being read, applies the rest.
   */
  onEvents(events: readonly RelayedEvent[]): void
  /**
   * Runs a REST read of `scope`: waits for `beforeRead`, fetches, commits the answer, then releases
   * the scope's held events (all of them when the fetch or the commit threw).
   * @throws whatever `fetcher` or `commit` throws.
   */
  read<T>(scope: Scope, fetcher: () => Promise<T>, commit: (data: T) => void): Promise<void>
  /** The relay cannot replay from our cursor: drop what is held and continue from `head`. */
  reset(head: number): void
  /** Drops every held event (a server switch; the cursor is reset with the data). */
  clear(): void
  /** Whether nothing is held or being read: the applied state is consistent with `state.lastCursor`. */
  readonly idle: boolean
}

/** Creates the intake over `data`, with its own {@link ScopeGate}. */
export function createIntake(options: IntakeOptions): Intake {
  const { data, afterEvent } = options
  const now = options.now ?? Date.now
  const gate = new ScopeGate()

  /**
   * Applies events the reducer has not seen. Runs of deltas to one part are merged first
   * ({@link coalesceRelayed}, each with its index): the state is reactive (each write costs proxy traps and effect
   * scheduling), and a streamed reply arrives as hundreds of deltas per batch; the state is the
   * same, only the counter `droppedDeltas` counts a run that cannot be applied once. Each touched
   * session's version is bumped once.
   */
  function applyNow(events: readonly RelayedEvent[]): void {
    const touched = new Set<string>()
    for (const ev of coalesceRelayed(events)) {
      try {
        applyEvent(data.state, ev.directory, ev.payload)
      } catch {
        data.state.failedEvents++
        continue
      }
      const sessionID = eventSessionID(ev.payload)
      if (sessionID) touched.add(sessionID)
      afterEvent(ev)
    }
    for (const sessionID of touched) bumpVersion(data, sessionID)
  }

  function onEvents(events: readonly RelayedEvent[]): void {
    const fresh: RelayedEvent[] = []
    for (const ev of events) {
      // A merged run of deltas that overlaps what was applied keeps only its newer text.
      const rest = eventAfter(ev, data.state.lastCursor)
      if (!rest) continue
      data.state.lastCursor = rest.cursor
      fresh.push(rest)
    }
    const ready = gate.admit(fresh)
    if (ready.length > 0) applyNow(ready)
  }

  async function read<T>(scope: Scope, fetcher: () => Promise<T>, commit: (data: T) => void): Promise<void> {
    const wait = options.beforeRead()
    if (wait) await wait
    const flight = gate.begin(scope, now())
    let ok = false
    try {
      commit(await fetcher())
      ok = true
    } finally {
      const release = gate.end(flight, ok)
      if (release.length > 0) applyNow(release)
    }
  }

  return {
    onEvents,
    read,
    reset(head) {
      gate.clear()
      data.state.lastCursor = head
    },
    clear: () => gate.clear(),
    get idle() {
      return gate.idle
    },
  }
}
