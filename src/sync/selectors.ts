/**
 * Read-only views of the sync data ({@link SyncData}, src/sync/data.ts), so components and other
 * stores never reach into the reducer's normalized shape (`state.directories[dir].messages[id]`).
 * Pure functions: they never create entries (reading an unknown directory or session returns a
 * shared, frozen empty value), and on a Vue-reactive state every read is tracked — a computed that
 * asks for a directory not loaded yet re-runs once it is.
 *
 * The sync store (src/stores/sync.ts) exposes each of them bound to its state, as
 * `sync.sessionsOf(directory)` and so on.
 */
import type {
  Agent,
  Command,
  Message,
  Part,
  PermissionRequest,
  Project,
  QuestionRequest,
  Session,
  SessionStatus,
  Todo,
} from '@opencode-ai/sdk/v2/types'
import type { ClientState } from '../state/client-state.ts'
import { getSorted } from '../state/sorted.ts'
import type { DirectoryMeta, LoadStatus, SessionLoad } from './data.ts'

const NONE: readonly never[] = Object.freeze([])
const IDLE: SessionStatus = Object.freeze({ type: 'idle' })
const NO_STATUSES: Readonly<Record<string, SessionStatus>> = Object.freeze({})
const noAgents: Agent[] = []
const noCommands: Command[] = []
Object.freeze(noAgents)
Object.freeze(noCommands)
const NO_META: Readonly<DirectoryMeta> = Object.freeze({ status: 'idle', agents: noAgents, commands: noCommands })

/** Directories the state holds data of (loaded, being loaded, or touched by an event), in insertion order. */
export function knownDirectories(state: ClientState): string[] {
  return Object.keys(state.directories)
}

/** The server's projects, sorted by id (`GET /project`, `project.updated`). */
export function projectsOf(state: ClientState): readonly Project[] {
  return state.projects
}

/** Sessions of a directory, sorted by ascending id (not by activity); empty when unknown. */
export function sessionsOf(state: ClientState, directory: string): readonly Session[] {
  return state.directories[directory]?.sessions ?? NONE
}

/** One session of a directory, if listed. */
export function sessionOf(state: ClientState, directory: string, sessionID: string): Session | undefined {
  const d = state.directories[directory]
  return d ? getSorted(d.sessions, sessionID) : undefined
}

/** The first known directory (in insertion order) whose list has the session, if any. */
export function directoryOfSession(state: ClientState, sessionID: string): string | undefined {
  for (const [directory, d] of Object.entries(state.directories)) {
    if (getSorted(d.sessions, sessionID)) return directory
  }
  return undefined
}

/** Status of a session; `idle` when absent (`GET /session/status` lists only non-idle sessions). */
export function statusOf(state: ClientState, directory: string, sessionID: string): SessionStatus {
  return state.directories[directory]?.status[sessionID] ?? IDLE
}

/** Every non-idle status of a directory, by sessionID (absent sessions are idle). */
export function statusesOf(state: ClientState, directory: string): Readonly<Record<string, SessionStatus>> {
  return state.directories[directory]?.status ?? NO_STATUSES
}

/** Loaded messages (infos) of a session, oldest first; empty when none are loaded. */
export function messagesOf(state: ClientState, directory: string, sessionID: string): readonly Message[] {
  return state.directories[directory]?.messages[sessionID] ?? NONE
}

/** Parts of a message, in order; empty when none are loaded. */
export function partsOf(state: ClientState, directory: string, messageID: string): readonly Part[] {
  return state.directories[directory]?.parts[messageID] ?? NONE
}

/** Readable message of the session's last `session.error`, until a new turn starts. */
export function sessionErrorOf(state: ClientState, directory: string, sessionID: string): string | undefined {
  return state.directories[directory]?.errors[sessionID]
}

/** Pending permission requests of a session, sorted by id. */
export function permissionsOf(state: ClientState, directory: string, sessionID: string): readonly PermissionRequest[] {
  return state.directories[directory]?.permissions[sessionID] ?? NONE
}

/** Pending question requests of a session, sorted by id. */
export function questionsOf(state: ClientState, directory: string, sessionID: string): readonly QuestionRequest[] {
  return state.directories[directory]?.questions[sessionID] ?? NONE
}

/**
 * The sessions a session started, directly or through its children (subagent sessions, linked by
 * `Session.parentID`), as listed in the directory; parents before their children. Empty when the
 * session has none or the directory is unknown.
 */
export function descendantSessionsOf(state: ClientState, directory: string, sessionID: string): Session[] {
  const list = sessionsOf(state, directory)
  const out: Session[] = []
  const ids = new Set([sessionID])
  let grew = true
  while (grew) {
    grew = false
    for (const s of list) {
      if (s.parentID && ids.has(s.parentID) && !ids.has(s.id)) {
        ids.add(s.id)
        out.push(s)
        grew = true
      }
    }
  }
  return out
}

/** Number of pending permission requests over every session of a directory. */
export function permissionCountOf(state: ClientState, directory: string): number {
  let n = 0
  for (const list of Object.values(state.directories[directory]?.permissions ?? {})) n += list.length
  return n
}

/** Ids of a directory's pending permission and question requests over all its sessions. */
export function pendingRequestIDsOf(state: ClientState, directory: string): string[] {
  const dir = state.directories[directory]
  if (!dir) return []
  const ids: string[] = []
  for (const list of Object.values(dir.permissions)) for (const p of list) ids.push(p.id)
  for (const list of Object.values(dir.questions)) for (const q of list) ids.push(q.id)
  return ids
}

/** Pending question requests of a directory over all its sessions (`question.asked`, `GET /question`). */
export function questionCountOf(state: ClientState, directory: string): number {
  let n = 0
  for (const list of Object.values(state.directories[directory]?.questions ?? {})) n += list.length
  return n
}

/** The session's todo list (`todo.updated`, `GET /session/{id}/todo`); empty when unknown. */
export function todosOf(state: ClientState, directory: string, sessionID: string): readonly Todo[] {
  return state.directories[directory]?.todos[sessionID] ?? NONE
}

/** Relay and reducer counters for the settings panel. */
export interface SyncDiagnostics {
  /** Highest relay cursor applied. */
  lastCursor: number
  /** Events of a type the reducer does not know. */
  unknownEvents: number
  /** `message.part.delta` events that could not be applied. */
  droppedDeltas: number
  /** Events whose payload made the reducer throw. */
  failedEvents: number
}

/** The counters of {@link SyncDiagnostics}. */
export function diagnosticsOf(state: ClientState): SyncDiagnostics {
  return { lastCursor: state.lastCursor, unknownEvents: state.unknownEvents, droppedDeltas: state.droppedDeltas, failedEvents: state.failedEvents }
}

/** A directory's REST data and load status (`idle`, nothing loaded, when unknown). */
export function directoryMetaOf(meta: Readonly<Record<string, DirectoryMeta>>, directory: string): Readonly<DirectoryMeta> {
  return meta[directory] ?? NO_META
}

/** Directories whose load status is one of `statuses`, in insertion order. */
export function directoriesIn(meta: Readonly<Record<string, { status: LoadStatus }>>, statuses: readonly LoadStatus[]): string[] {
  return Object.entries(meta)
    .filter(([, m]) => statuses.includes(m.status))
    .map(([directory]) => directory)
}

/** A session's transcript load state, if this tab has asked for it. */
export function sessionLoadOf(loads: Readonly<Record<string, SessionLoad>>, sessionID: string): Readonly<SessionLoad> | undefined {
  return loads[sessionID]
}

/** How often a session's data changed (events or REST); 0 before the first change. */
export function versionOf(versions: Readonly<Record<string, number>>, sessionID: string): number {
  return versions[sessionID] ?? 0
}

/** Sessions whose transcript load is in `status`, with the directory each was loaded from. */
export function sessionLoadsIn(
  loads: Readonly<Record<string, { status: LoadStatus; directory: string }>>,
  status: LoadStatus,
): Array<{ sessionID: string; directory: string }> {
  return Object.entries(loads)
    .filter(([, l]) => l.status === status)
    .map(([sessionID, l]) => ({ sessionID, directory: l.directory }))
}
