/**
 * The client's normalized state: what one tab knows about the OpenCode server, as plain data.
 * {@link ClientState} holds one {@link DirectoryState} per directory plus server-wide data and
 * the reducer's diagnostic counters. Each tab's Pinia store keeps one (made reactive by Vue); the
 * reducer (src/state/reducer.ts) changes it by applying OpenCode events and REST answers.
 *
 * This module is about the state's shape only: the types with what each field holds and where it
 * comes from, the empty states, and {@link directoryState} (get or create a directory's state).
 *
 * Protocol facts (payload types, the events and REST reads each field comes from) are from
 * `@opencode-ai/sdk` 1.18.33 (`dist/v2/gen/types.gen.d.ts`) and the pinned `opencode serve` 1.18.33.
 */
import type {
  Message,
  Part,
  PermissionRequest,
  Project,
  QuestionRequest,
  Session,
  SessionStatus,
  SnapshotFileDiff,
  Todo,
} from '@opencode-ai/sdk/v2/types'

/**
 * Everything the client knows about one directory (an OpenCode project instance; the
 * `directory` of a `/global/event` envelope and the `?directory=` query of REST calls).
 * All "sorted by id" lists use plain ascending string order (see `./sorted`).
 */
export interface DirectoryState {
  /**
   * Sessions of the directory, sorted by ascending id. OpenCode session ids DEcrease over time,
   * so this is newest-first by creation; display code should sort by `time.updated` itself.
   * Source: `session.created` / `session.updated` / `session.deleted`, `GET /session`.
   */
  sessions: Session[]
  /**
   * Status by sessionID: `busy`, `retry` (`{attempt, message, next}`, `next` in epoch ms) or
   * `idle`. A session absent from the record is idle (`GET /session/status` lists only non-idle
   * sessions). Source: `session.status`, `session.idle`, `GET /session/status`.
   */
  status: Record<string, SessionStatus>
  /** Message infos by sessionID, sorted by id (= chronological). Source: `message.updated`, `GET /session/{id}/message`. */
  messages: Record<string, Message[]>
  /** Parts by messageID, sorted by id (= chronological). Source: `message.part.updated` / `.delta`, `GET /session/{id}/message`. */
  parts: Record<string, Part[]>
  /** Pending permission requests by sessionID, sorted by id. Source: `permission.asked` / `.replied`, `GET /permission`. */
  permissions: Record<string, PermissionRequest[]>
  /** Pending question requests by sessionID, sorted by id. Source: `question.asked` / `.replied` / `.rejected`, `GET /question`. */
  questions: Record<string, QuestionRequest[]>
  /** Todo list by sessionID, replaced wholesale by each `todo.updated` (`GET /session/{id}/todo`). */
  todos: Record<string, Todo[]>
  /**
   * File diffs by sessionID, replaced wholesale by each `session.diff`. On opencode ≥ 1.16 these are
   * empty except while a revert is pending (the reverted range); what turns changed is read from the
   * user messages' `summary.diffs` instead (src/state/changes.ts).
   */
  diffs: Record<string, SnapshotFileDiff[]>
  /**
   * Readable message of the last `session.error` by sessionID (`describeSessionError` in
   * src/state/reducer.ts).
   * Cleared when the session turns `busy` again (a new turn started).
   */
  errors: Record<string, string>
}

/** The whole client-side state of one tab: one {@link DirectoryState} per directory plus global data. */
export interface ClientState {
  /** Per-directory state, keyed by absolute directory path as the server reports it. */
  directories: Record<string, DirectoryState>
  /** Projects, sorted by id (server-wide; source: `project.updated`, `GET /project`). */
  projects: Project[]
  /** Highest relay cursor applied by the reducer's `applyRelayed`; 0 before the first event. */
  lastCursor: number
  /** Number of events with a type the reducer does not know (ignored). */
  unknownEvents: number
  /** Count of ignored unknown events per type string. */
  unknownTypes: Record<string, number>
  /**
   * Directory → number of `server.instance.disposed` seen (key `global` for `global.disposed`).
   * The store watches it and re-bootstraps the directory (or everything, for `global`) over REST.
   */
  disposed: Record<string, number>
  /**
   * `message.part.delta` events that could not be applied: the part is unknown (the server always
   * sends the creating `message.part.updated` first, so this means state was lost or loaded
   * late), or the field is not a string field of that part kind (only `text` of `text` and
   * `reasoning` parts is appended).
   */
  droppedDeltas: number
  /** Events whose payload did not have the shape its type promises (the reducer threw); skipped by `applyRelayed`. */
  failedEvents: number
}

/** A fresh, empty {@link ClientState}. */
export function createClientState(): ClientState {
  return {
    directories: {},
    projects: [],
    lastCursor: 0,
    unknownEvents: 0,
    unknownTypes: {},
    disposed: {},
    droppedDeltas: 0,
    failedEvents: 0,
  }
}

/** A fresh, empty {@link DirectoryState}. */
export function createDirectoryState(): DirectoryState {
  return {
    sessions: [],
    status: {},
    messages: {},
    parts: {},
    permissions: {},
    questions: {},
    todos: {},
    diffs: {},
    errors: {},
  }
}

/**
 * The state of `directory`, created empty (and stored) on first use. Returns the object held in
 * `state.directories`, so with a Vue-reactive `state` the result is reactive too.
 */
export function directoryState(state: ClientState, directory: string): DirectoryState {
  const existing = state.directories[directory]
  if (existing) return existing
  state.directories[directory] = createDirectoryState()
  // Read it back: on a Vue-reactive state this returns the reactive proxy, not the raw object.
  return state.directories[directory]
}
