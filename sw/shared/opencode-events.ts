/**
 * What Relay knows about OpenCode's events, in one place: which session, part or entity an event
 * touches, which REST read returns the data it changes, whether it is transport noise, which
 * sessions it makes busy or idle, and what it disposes. The relay (ingest, log, notifications,
 * sleep protection), the app's sync layer and the relay-awake CLI all ask this module; only the
 * reducer (src/state/reducer.ts), which applies events, switches on event types itself.
 *
 * Source of the shapes: the SDK's `Event` union (`@opencode-ai/sdk/v2/types`) as sent on
 * `GET /global/event` by opencode 1.18 (see sw/shared/frames.ts for the envelope). Lib-neutral.
 */
import type { Event, EventMessagePartDelta } from '@opencode-ai/sdk/v2/types'
import { isRecord, stringField } from './guards.ts'

/** Event types that are transport noise (connection hello, heartbeat every 10 s): never stored, never applied. */
const TRANSIENT_TYPES: ReadonlySet<string> = new Set(['server.connected', 'server.heartbeat'])

/** Whether events of `type` are transport noise (`server.connected`, `server.heartbeat`). */
export function isTransientEvent(type: string): boolean {
  return TRANSIENT_TYPES.has(type)
}

/** Whether `type` is OpenCode's `server.heartbeat` (sent on `/global/event` every 10 s): real-time delivery's pulse. */
export function isHeartbeatEvent(type: string): boolean {
  return type === 'server.heartbeat'
}

/**
 * The session an event concerns: `properties.sessionID` when present (message, part, status,
 * permission, question, todo, diff events), else the id of a `session.created|updated` info.
 */
export function eventSessionID(event: Event): string | undefined {
  const props: unknown = event.properties
  const direct = stringField(props, 'sessionID')
  if (direct !== undefined) return direct
  if (event.type === 'session.created' || event.type === 'session.updated') return event.properties.info.id
  return undefined
}

/**
 * The entity whose whole state an event carries (a later event of the same entity supersedes it),
 * e.g. `message:<id>`, `part:<id>`, `status:<sessionID>`, `session:<id>`; undefined for events that
 * only add to a state (`message.part.delta`) or that no catch-up recovers.
 */
export function eventEntityKey(event: Event): string | undefined {
  switch (event.type) {
    case 'message.updated':
      return `message:${event.properties.info.id}`
    case 'message.removed':
      return `message:${event.properties.messageID}`
    case 'message.part.updated':
      return `part:${event.properties.part.id}`
    case 'message.part.removed':
      return `part:${event.properties.partID}`
    case 'session.status':
    case 'session.idle':
      return `status:${event.properties.sessionID}`
    case 'session.created':
    case 'session.updated':
      return `session:${event.properties.info.id}`
    case 'session.deleted':
      return `session:${event.properties.sessionID}`
    default:
      return undefined
  }
}

/**
 * The one REST read that returns the data an event changes: the project list (`GET /project`), a
 * directory's session list, statuses, permissions and questions (`GET /session`,
 * `/session/status`, `/permission`, `/question`), or one session's transcript and todos
 * (`GET /session/{id}/message`, `/session/{id}/todo`).
 */
export type EventScope = { kind: 'projects' } | { kind: 'directory' } | { kind: 'session'; sessionID: string }

const DIRECTORY_TYPES: ReadonlySet<string> = new Set([
  'session.created',
  'session.updated',
  'session.deleted',
  'session.status',
  'session.idle',
  'permission.asked',
  'permission.replied',
  'permission.v2.asked',
  'permission.v2.replied',
  'question.asked',
  'question.replied',
  'question.rejected',
  'question.v2.asked',
  'question.v2.replied',
  'question.v2.rejected',
])

const SESSION_TYPES: ReadonlySet<string> = new Set([
  'message.updated',
  'message.removed',
  'message.part.updated',
  'message.part.removed',
  'message.part.delta',
  'todo.updated',
])

/** The scope of the REST read an event's data comes from (see {@link EventScope}), if any. */
export function eventScope(event: Event): EventScope | undefined {
  if (event.type === 'project.updated') return { kind: 'projects' }
  if (DIRECTORY_TYPES.has(event.type)) return { kind: 'directory' }
  if (SESSION_TYPES.has(event.type)) {
    const sessionID = eventSessionID(event)
    return sessionID === undefined ? undefined : { kind: 'session', sessionID }
  }
  return undefined
}

/** How an event changes whether a session works: `session.status` busy/retry, or idle (`session.status` idle, `session.idle`, `session.deleted`). */
export type BusyChange = { sessionID: string; busy: true; status: 'busy' | 'retry' } | { sessionID: string; busy: false }

/**
 * The busy/idle change an event makes, if any (see {@link BusyChange}). Guarded: the inner
 * `properties` of a frame are the server's contract, not validated on arrival, so a malformed one
 * (no `sessionID`, an unknown `status.type`) makes no change instead of throwing.
 */
export function busyChange(event: Event): BusyChange | undefined {
  const props: unknown = event.properties
  const sessionID = stringField(props, 'sessionID')
  if (sessionID === undefined) return undefined
  switch (event.type) {
    case 'session.status': {
      const status = isRecord(props) ? stringField(props.status, 'type') : undefined
      if (status === 'idle') return { sessionID, busy: false }
      if (status === 'busy' || status === 'retry') return { sessionID, busy: true, status }
      return undefined
    }
    case 'session.idle':
    case 'session.deleted':
      return { sessionID, busy: false }
    default:
      return undefined
  }
}

/**
 * What a `pty.*` event says about a terminal (SDK v2 `pty.updated` `{info: Pty}`, `pty.exited`
 * `{id, exitCode}`, `pty.deleted` `{id}`); `pty.created` and other events: `undefined`. Guarded like
 * {@link busyChange}: a malformed payload makes no change.
 */
export type PtyChange =
  | { ptyID: string; kind: 'updated'; title: string }
  | { ptyID: string; kind: 'exited'; exitCode: number }
  | { ptyID: string; kind: 'deleted' }

/** See {@link PtyChange}. */
export function ptyChange(event: Event): PtyChange | undefined {
  const props: unknown = event.properties
  switch (event.type) {
    case 'pty.updated': {
      const info = isRecord(props) ? props.info : undefined
      const ptyID = stringField(info, 'id')
      const title = stringField(info, 'title')
      return ptyID !== undefined && title !== undefined ? { ptyID, kind: 'updated', title } : undefined
    }
    case 'pty.exited': {
      const ptyID = stringField(props, 'id')
      const exitCode = isRecord(props) ? props.exitCode : undefined
      return ptyID !== undefined && typeof exitCode === 'number' ? { ptyID, kind: 'exited', exitCode } : undefined
    }
    case 'pty.deleted': {
      const ptyID = stringField(props, 'id')
      return ptyID !== undefined ? { ptyID, kind: 'deleted' } : undefined
    }
    default:
      return undefined
  }
}

/**
 * What an event disposes on the server: one project instance (`server.instance.disposed`, its
 * `directory`), or everything (`global.disposed`). Either means durable state may have changed
 * wholesale: re-read it over REST.
 */
export function disposedBy(event: Event): { directory: string } | 'all' | undefined {
  if (event.type === 'server.instance.disposed') {
    const directory = stringField(event.properties, 'directory')
    return directory === undefined ? undefined : { directory }
  }
  if (event.type === 'global.disposed') return 'all'
  return undefined
}

/** One busy session as {@link BusySessions} tracks it. */
export interface BusySession {
  sessionID: string
  /** Project instance directory the session's events came from. */
  directory: string
  /** `busy`, or `retry` (the model call is being retried: still working). */
  status: 'busy' | 'retry'
  /** Epoch ms when it was first seen busy (the caller's clock). */
  since: number
}

/**
 * Which sessions are working, from events in stream (or log) order: the one busy tracker of the
 * relay's notifications and wake check, sleep protection and the relay-awake CLI.
 */
export class BusySessions {
  private readonly sessions = new Map<string, BusySession>()

  /**
   * Applies one event of `directory`. Returns the change when the set changed (a session became
   * busy or idle, or switched between busy and retry), else undefined. Disposal of a directory (or
   * of everything) forgets its sessions without a change per session (compare `size`).
   * @param now epoch ms, recorded as `since` for a newly busy session.
   */
  apply(directory: string, event: Event, now = 0): BusyChange | undefined {
    const disposed = disposedBy(event)
    if (disposed === 'all') {
      this.clear()
      return undefined
    }
    if (disposed) {
      for (const [id, s] of this.sessions) if (s.directory === disposed.directory) this.sessions.delete(id)
      return undefined
    }
    const change = busyChange(event)
    if (!change) return undefined
    if (!change.busy) return this.sessions.delete(change.sessionID) ? change : undefined
    const prev = this.sessions.get(change.sessionID)
    this.sessions.set(change.sessionID, { sessionID: change.sessionID, directory, status: change.status, since: prev?.since ?? now })
    return prev?.status === change.status ? undefined : change
  }

  /** Marks a session idle (e.g. the server's `/session/status` no longer lists it); true when it was busy. */
  delete(sessionID: string): boolean {
    return this.sessions.delete(sessionID)
  }

  /** Forgets every session (server switch, stream lost for a consumer that cannot recover statuses). */
  clear(): void {
    this.sessions.clear()
  }

  has(sessionID: string): boolean {
    return this.sessions.has(sessionID)
  }

  get(sessionID: string): BusySession | undefined {
    return this.sessions.get(sessionID)
  }

  /** Number of busy sessions. */
  get size(): number {
    return this.sessions.size
  }

  /** The busy sessions, sorted by id. */
  list(): BusySession[] {
    return [...this.sessions.values()].sort((a, b) => a.sessionID.localeCompare(b.sessionID))
  }
}

/**
 * What an event does to the pending requests: `permission.asked` / `question.asked` (and their
 * `v2` twins) ask one (`properties.id`); `permission.replied`, `question.replied|rejected` (and
 * `v2`) answer one (`properties.requestID`).
 */
export type RequestChange = { asked: true; requestID: string; sessionID: string } | { asked: false; requestID: string }

/** The {@link RequestChange} of an event, or undefined for any other event. */
export function requestChange(event: Event): RequestChange | undefined {
  switch (event.type) {
    case 'permission.asked':
    case 'permission.v2.asked':
    case 'question.asked':
    case 'question.v2.asked':
      return { asked: true, requestID: event.properties.id, sessionID: event.properties.sessionID }
    case 'permission.replied':
    case 'permission.v2.replied':
    case 'question.replied':
    case 'question.rejected':
    case 'question.v2.replied':
    case 'question.v2.rejected':
      return { asked: false, requestID: event.properties.requestID }
    default:
      return undefined
  }
}

/** One pending request as {@link PendingRequests} tracks it. */
export interface PendingRequest {
  requestID: string
  sessionID: string
  /** Project instance directory the request's events came from. */
  directory: string
}

/**
 * Which permission and question requests wait for an answer, over every project, from events in
 * stream (or log) order: the relay's count for the app badge (projects a tab never loaded
 * included). A deleted session's requests and a disposed instance's go with them.
 */
export class PendingRequests {
  private readonly requests = new Map<string, PendingRequest>()

  /** Applies one event of `directory`; true when the set changed. */
  apply(directory: string, event: Event): boolean {
    const disposed = disposedBy(event)
    if (disposed) return this.dropWhere((r) => disposed === 'all' || r.directory === disposed.directory)
    if (event.type === 'session.deleted') {
      const sessionID = event.properties.info.id
      return this.dropWhere((r) => r.sessionID === sessionID)
    }
    const change = requestChange(event)
    if (!change) return false
    if (!change.asked) return this.requests.delete(change.requestID)
    if (this.requests.has(change.requestID)) return false
    this.requests.set(change.requestID, { requestID: change.requestID, sessionID: change.sessionID, directory })
    return true
  }

  /** The pending requests' ids, sorted. */
  ids(): string[] {
    return [...this.requests.keys()].sort()
  }

  /** Forgets every request (another server). */
  clear(): void {
    this.requests.clear()
  }

  private dropWhere(match: (r: PendingRequest) => boolean): boolean {
    let changed = false
    for (const [id, r] of this.requests) {
      if (!match(r)) continue
      this.requests.delete(id)
      changed = true
    }
    return changed
  }
}

/**
 * The indexed fields of a stored event payload, with runtime guards (it came over the network or
 * out of IndexedDB): `type`; `sessionID` from `properties.sessionID` (or `properties.part.sessionID`,
 * `properties.info.sessionID`); `partID` from `properties.partID` (`message.part.delta`,
 * `message.part.removed`) or `properties.part.id` (`message.part.updated`).
 */
export function indexFields(payload: unknown): { type: string; sessionID?: string; partID?: string } {
  const type = stringField(payload, 'type') ?? 'unknown'
  const props: unknown = isRecord(payload) ? payload.properties : undefined
  const part: unknown = isRecord(props) ? props.part : undefined
  const info: unknown = isRecord(props) ? props.info : undefined
  const sessionID = stringField(props, 'sessionID') ?? stringField(part, 'sessionID') ?? stringField(info, 'sessionID')
  const partID = stringField(props, 'partID') ?? stringField(part, 'id')
  return {
    type,
    ...(sessionID !== undefined ? { sessionID } : {}),
    ...(partID !== undefined ? { partID } : {}),
  }
}

/**
 * Whether an event says the project's MCP or LSP servers changed, so their status (`GET /mcp`,
 * `GET /lsp`) is worth reading again: `lsp.updated` (an LSP server started or changed state) and
 * `mcp.tools.changed` (an MCP server connected, reconnected or changed its tools); SDK v2 event
 * union. Neither carries the new status itself.
 */
export function servicesChanged(event: Event): boolean {
  return event.type === 'lsp.updated' || event.type === 'mcp.tools.changed'
}

/**
 * What {@link deltaRuns} groups: an event with its directory (a relayed event, a stored row).
 *
 * A part's text is the concatenation of its deltas (`message.part.delta` only appends, see the
 * SDK's `EventMessagePartDelta`), so applying one merged delta per run leaves the same state as
 * applying the run's deltas one by one: the tab's intake merges each run of a batch
 * (`coalesceRelayed`, sw/shared/delta-runs.ts), the event log stores a run as one row.
 */
export interface DeltaCarrier {
  directory: string
  payload: Event
  /** Recovered by a catch-up: never merged with a live event. */
  recovered?: boolean
}

/**
 * Splits `events` into groups, in order: each run of adjacent `message.part.delta` events that
 * append to the same part field (same directory, messageID, partID, field, and `recovered` flag)
 * is one group, every other event a group of its own. Deltas whose fields are not strings (a
 * malformed frame) are never grouped, so a reducer still sees and rejects them one by one.
 * Concatenating the groups gives `events` back. See {@link mergeDeltaRun}.
 */
export function deltaRuns<E extends DeltaCarrier>(events: readonly E[]): E[][] {
  const out: E[][] = []
  let runKey: string | undefined
  for (const ev of events) {
    const delta = mergeableDelta(ev.payload)
    if (!delta) {
      runKey = undefined
      out.push([ev])
      continue
    }
    const p = delta.properties
    const key = `${ev.recovered === true ? 'r' : 'l'}\u0000${ev.directory}\u0000${p.messageID}\u0000${p.partID}\u0000${p.field}`
    if (key === runKey) out[out.length - 1].push(ev)
    else out.push([ev])
    runKey = key
  }
  return out
}

/**
 * One event for a group of {@link deltaRuns}: a group of one is that event; a run of deltas is
 * one delta whose text is the run's deltas concatenated in order, every other field (`cursor`,
 * `id`, `receivedAt`, a stored row's index fields) the run's last event's.
 * @throws Error on an empty group.
 */
export function mergeDeltaRun<E extends DeltaCarrier>(run: readonly E[]): E {
  const last = run[run.length - 1]
  if (!last) throw new Error('mergeDeltaRun: empty run')
  const first = mergeableDelta(run[0].payload)
  if (run.length === 1 || !first) return last
  const text = run.map((e) => deltaText(e.payload) ?? '').join('')
  return { ...last, payload: { ...first, properties: { ...first.properties, delta: text } } }
}

/** The text a well-formed `message.part.delta` appends, else undefined. */
export function deltaText(event: Event): string | undefined {
  return mergeableDelta(event)?.properties.delta
}

/** `event` when it is a well-formed `message.part.delta` (every field a string), else undefined. */
function mergeableDelta(event: Event): EventMessagePartDelta | undefined {
  if (event.type !== 'message.part.delta') return undefined
  const { messageID, partID, field, delta } = event.properties
  if (typeof messageID !== 'string' || typeof partID !== 'string' || typeof field !== 'string' || typeof delta !== 'string') return undefined
  return event
}
