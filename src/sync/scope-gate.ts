/**
 * The ordering rule between the relay's events and the tab's REST reads, as a small pure object:
 * while a REST read of a scope is in flight (a directory's sessions, statuses, permissions and
 * questions; one session's messages and parts; the project list), events of that scope are held;
 * when the read lands, the held events the relay received before the read was sent are dropped
 * (their effect is in the answer; re-applying a `message.part.delta` would duplicate text) and the
 * rest are released. Events of a scope whose newest successful read started after the relay
 * received them are dropped on arrival too (a replay from the event log that arrives late).
 * Events outside every in-flight scope pass at once, so a slow load never stalls streaming.
 *
 * Which scope an event belongs to comes from the shared event knowledge (`eventScope`).
 */
import type { RelayedEvent } from '../../sw/shared/protocol.ts'
import { eventScope } from '../../sw/shared/opencode-events.ts'

/** The scope of a REST read. */
export type Scope = { kind: 'projects' } | { kind: 'directory'; directory: string } | { kind: 'session'; directory: string; sessionID: string }

/** A REST read in flight, from {@link ScopeGate.begin}. */
export interface InFlight {
  /** Key of the read's scope (see {@link scopeKey}). */
  readonly key: string
  /** Epoch ms when the request was sent (compared with `RelayedEvent.receivedAt`). */
  readonly startedAt: number
}

/** Key of a scope: `projects`, `dir:<directory>`, `ses:<sessionID>` (the same keys as the loads). */
export function scopeKey(scope: Scope): string {
  switch (scope.kind) {
    case 'projects':
      return 'projects'
    case 'directory':
      return `dir:${scope.directory}`
    case 'session':
      return `ses:${scope.sessionID}`
  }
}

/** Key of the one scope whose REST read returns the data `ev` changes, if any. */
export function eventScopeKey(ev: RelayedEvent): string | undefined {
  const scope = eventScope(ev.payload)
  switch (scope?.kind) {
    case 'projects':
      return 'projects'
    case 'directory':
      return `dir:${ev.directory}`
    case 'session':
      return `ses:${scope.sessionID}`
    default:
      return undefined
  }
}

/**
 * Whether a REST read of `scope` returns the data `ev` changes: the event's one scope is `scope`.
 * A session scope is matched by session id alone: ids are server-assigned (`ses_…`) and a session
 * lives in one directory.
 */
export function scopeCovers(scope: Scope, ev: RelayedEvent): boolean {
  return eventScopeKey(ev) === scopeKey(scope)
}

/** The gate. One per tab state; {@link ScopeGate.clear} on a reset or a server switch. */
export class ScopeGate {
  private readonly inflight = new Set<InFlight>()
  private held: RelayedEvent[] = []
  /** Per scope key, the start (epoch ms) of its newest successful REST read. */
  private readonly readAt = new Map<string, number>()

  /** Whether nothing is held and no read is in flight (the applied state is consistent with the cursor). */
  get idle(): boolean {
    return this.held.length === 0 && this.inflight.size === 0
  }

  /**
   * Sorts events (in cursor order) on arrival: returns those to apply now, holds those of a scope
   * being read, drops those older than the newest read of their scope.
   */
  admit(events: readonly RelayedEvent[]): RelayedEvent[] {
    const now: RelayedEvent[] = []
    for (const ev of events) {
      const key = eventScopeKey(ev)
      if (this.olderThanRead(ev, key)) continue
      if (this.covered(key)) this.held.push(ev)
      else now.push(ev)
    }
    return now
  }

  /** A read of `scope` starts now (epoch ms `startedAt`): its scope's events are held until {@link end}. */
  begin(scope: Scope, startedAt: number): InFlight {
    const flight: InFlight = { key: scopeKey(scope), startedAt }
    this.inflight.add(flight)
    return flight
  }

  /**
   * The read ended (`ok`: its answer was committed). Returns the held events to apply now, in
   * order: for a successful read, without those the relay received before the read was sent.
   */
  end(flight: InFlight, ok: boolean): RelayedEvent[] {
    this.inflight.delete(flight)
    if (ok) this.readAt.set(flight.key, Math.max(this.readAt.get(flight.key) ?? 0, flight.startedAt))
    const keep: RelayedEvent[] = []
    const release: RelayedEvent[] = []
    for (const ev of this.held) {
      const key = eventScopeKey(ev)
      if (key !== flight.key || this.covered(key)) keep.push(ev)
      else if (ok && ev.receivedAt < flight.startedAt) continue
      else release.push(ev)
    }
    this.held = keep
    return release
  }

  /** Drops every held event (the relay reset this tab: it continues from the log's head). */
  clear(): void {
    this.held = []
  }

  private olderThanRead(ev: RelayedEvent, key: string | undefined): boolean {
    if (key === undefined) return false
    const at = this.readAt.get(key)
    return at !== undefined && ev.receivedAt < at
  }

  private covered(key: string | undefined): boolean {
    if (key === undefined) return false
    for (const f of this.inflight) if (f.key === key) return true
    return false
  }
}
