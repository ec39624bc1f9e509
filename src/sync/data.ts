/**
 * The sync layer's data: the reducer's {@link ClientState} (event-driven, src/state/client-state.ts)
 * plus what the tab keeps beside it — per-directory REST data that no event carries, each session's
 * transcript load state, and a per-session change counter. The Pinia store (src/stores/sync.ts)
 * holds these objects reactive; the modules of src/sync/ receive them as one {@link SyncData} and
 * change them in place, through the accessors below.
 */
import type { Agent, Command, Config, Path, Session } from '@opencode-ai/sdk/v2/types'
import { createClientState, directoryState, type ClientState, type DirectoryState } from '../state/client-state.ts'
import { removeSorted, upsertSorted } from '../state/sorted.ts'
import type { ProvidersInfo } from '../api/opencode.ts'

/** Load state of one directory's project data, or of one session's transcript. */
export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error'

/**
 * Overall phase of the tab's sync: `warm` = a warm-start snapshot is painted, REST not answered
 * yet; `ready` = the last `GET /project` succeeded; `error` = it failed (retried with backoff).
 */
export type SyncPhase = 'idle' | 'warm' | 'bootstrapping' | 'ready' | 'error'

/** Per-directory data that is not event-driven: read over REST at bootstrap. */
export interface DirectoryMeta {
  status: LoadStatus
  error?: string
  /** `GET /path?directory=` */
  path?: Path
  /** `GET /config?directory=` */
  config?: Config
  /** `GET /config/providers` and `GET /provider` */
  providers?: ProvidersInfo
  /** `GET /agent?directory=` */
  agents: Agent[]
  /** `GET /command?directory=` */
  commands: Command[]
}

/** Load state of one session's transcript. */
export interface SessionLoad {
  /** Directory the session was loaded from. */
  directory: string
  status: LoadStatus
  error?: string
  /** Cursor for the next older page (`X-Next-Cursor`); undefined when everything is loaded. */
  nextCursor?: string
  /** True when older messages exist beyond what is loaded. */
  hasEarlier: boolean
  loadingEarlier: boolean
  /** REST pages loaded so far (0 before the first read). */
  pages: number
  /** Painted from the warm-start snapshot, REST not yet reconciled. */
  fromSnapshot: boolean
  /**
   * Painted from a read made before the relay's subscription (src/sync/session-load.ts): not
   * bracketed by the stream, so not consistent with any cursor until the gated read replaces it.
   */
  provisional?: boolean
}

/** Everything the sync layer reads and writes (the store's reactive objects, or plain ones in tests). */
export interface SyncData {
  /** The reducer's state. */
  state: ClientState
  /** Per-directory REST data and load status. */
  meta: Record<string, DirectoryMeta>
  /** Per-session transcript load state. */
  sessionLoads: Record<string, SessionLoad>
  /** Bumped whenever a session's data changes (events or REST); drives snapshot writes. */
  sessionVersion: Record<string, number>
}

/** Fresh, empty {@link SyncData} (plain objects: the store makes each one reactive). */
export function createSyncData(): SyncData {
  return { state: createClientState(), meta: {}, sessionLoads: {}, sessionVersion: {} }
}

function emptyMeta(): DirectoryMeta {
  return { status: 'idle', agents: [], commands: [] }
}

function emptyLoad(directory: string): SessionLoad {
  return { directory, status: 'idle', hasEarlier: false, loadingEarlier: false, pages: 0, fromSnapshot: false }
}

/** The reducer state of `directory`, created empty on first use (reactive when `data.state` is). */
export function directoryData(data: SyncData, directory: string): DirectoryState {
  return directoryState(data.state, directory)
}

/** The REST data of `directory`, created (`idle`) on first use; the stored object, so reactive when `data.meta` is. */
export function metaOf(data: SyncData, directory: string): DirectoryMeta {
  data.meta[directory] ??= emptyMeta()
  return data.meta[directory]
}

/** The load state of a session, created (`idle`) on first use; records `directory` as its directory. */
export function loadOf(data: SyncData, sessionID: string, directory: string): SessionLoad {
  data.sessionLoads[sessionID] ??= emptyLoad(directory)
  data.sessionLoads[sessionID].directory = directory
  return data.sessionLoads[sessionID]
}

/** Sessions whose transcript this tab has loaded (or tried to), optionally of one directory, as `[sessionID, load]`. */
export function loadedSessions(data: SyncData, directory?: string): Array<[string, SessionLoad]> {
  return Object.entries(data.sessionLoads).filter(([, l]) => l.status !== 'idle' && (directory === undefined || l.directory === directory))
}

/** Directories whose REST data this tab has loaded or tried to (status not `idle`). */
export function loadedDirectories(data: SyncData): string[] {
  return Object.entries(data.meta)
    .filter(([, m]) => m.status !== 'idle')
    .map(([directory]) => directory)
}

/** Counts a change of a session's data (see {@link SyncData.sessionVersion}); no-op without an id. */
export function bumpVersion(data: SyncData, sessionID: string | undefined): void {
  if (sessionID) data.sessionVersion[sessionID] = (data.sessionVersion[sessionID] ?? 0) + 1
}

/**
 * Forgets every directory, project, session load and cursor (a server switch). Each object is
 * emptied in place, so a reactive store keeps its proxies. Session versions are kept: they only
 * ever grow, and a snapshot writer watching one must still see the next change.
 */
export function clearSyncData(data: SyncData): void {
  const fresh = createClientState()
  const state = data.state
  state.directories = fresh.directories
  state.projects = fresh.projects
  state.lastCursor = fresh.lastCursor
  state.unknownEvents = 0
  state.unknownTypes = {}
  state.disposed = {}
  state.droppedDeltas = 0
  state.failedEvents = 0
  for (const k of Object.keys(data.meta)) delete data.meta[k]
  for (const k of Object.keys(data.sessionLoads)) delete data.sessionLoads[k]
}

// ---- local echoes ------------------------------------------------------------------------------
// An action's REST answer, applied at once so this tab does not wait for the event (which every
// tab, this one included, applies again when it arrives: the reducer's upserts are idempotent).

/** Puts a session the server returned (create, rename, fork, share, revert…) into its directory's list. */
export function rememberSession(data: SyncData, directory: string, session: Session): void {
  upsertSorted(directoryData(data, directory).sessions, session)
}

/**
 * Removes an answered permission or question request from the session's pending list (the
 * `permission.replied` / `question.replied` / `question.rejected` event removes it in other tabs).
 */
export function forgetRequest(data: SyncData, directory: string, kind: 'permission' | 'question', request: { id: string; sessionID: string }): void {
  const d = data.state.directories[directory]
  if (!d) return
  if (kind === 'permission') {
    const list = d.permissions[request.sessionID]
    if (list) removeSorted(list, request.id)
  } else {
    const list = d.questions[request.sessionID]
    if (list) removeSorted(list, request.id)
  }
}
