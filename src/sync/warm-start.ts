/**
 * Saved data painted before (or instead of) the network, and the snapshot that makes it possible:
 *
 * - warm start: a session's IndexedDB snapshot (src/db/snapshots.ts) is painted before any
 *   network, and the tab subscribes from its cursor; REST reconciles after. {@link buildSnapshot}
 *   makes that snapshot from the live state, consistent with the applied cursor.
 * - offline lists (observed and stored by src/pwa/offline.ts): a cached project list or session
 *   list is painted only into a slot whose REST read has not succeeded, and a failed transcript
 *   read gets the session's snapshot. REST answers that land later replace whole lists
 *   (`loadSessions`, the project commit), so a cached list never resurrects a deleted session.
 */
import type { Project, Session } from '@opencode-ai/sdk/v2/types'
import type { MessageWithParts } from '../api/opencode.ts'
import { loadSnapshot, SNAPSHOT_MESSAGE_LIMIT, type SessionSnapshot } from '../db/snapshots.ts'
import { directoryState, type ClientState } from '../state/client-state.ts'
import { loadMessages } from '../state/reducer.ts'
import { getSorted, upsertSorted } from '../state/sorted.ts'
import { bumpVersion, directoryData, loadOf, type LoadStatus, type SyncData, type SyncPhase } from './data.ts'

function clonePlain<T>(value: T): T {
  // JSON round trip: the state holds Vue proxies, which IndexedDB's structured clone rejects.
  return JSON.parse(JSON.stringify(value))
}

// ---- warm start --------------------------------------------------------------------------------

/**
 * Paints the snapshot of `sessionID` into `data`: the session into its directory's list, its
 * messages and parts; the session's load state is marked `fromSnapshot` (REST not reconciled yet).
 * @returns the snapshot's relay cursor (where the tab's subscription resumes).
 */
export function paintSnapshot(data: SyncData, sessionID: string, snap: SessionSnapshot): number {
  const d = directoryData(data, snap.directory)
  upsertSorted(d.sessions, snap.session)
  loadMessages(d, sessionID, snap.messages)
  const load = loadOf(data, sessionID, snap.directory)
  load.fromSnapshot = true
  load.hasEarlier = snap.truncated
  bumpVersion(data, sessionID)
  return snap.cursor
}

/**
 * Reads the snapshot of `sessionID` saved for `server` (the server's storage key) and paints it
 * ({@link paintSnapshot}). Marks `relay:snapshot-read` / `relay:snapshot-loaded` for the
 * performance timeline.
 * @returns its cursor, or undefined when there is none.
 */
export async function paintWarmStart(data: SyncData, sessionID: string, server: string, load = loadSnapshot): Promise<number | undefined> {
  performance.mark('relay:snapshot-read')
  const snap = await load(sessionID, server)
  performance.mark('relay:snapshot-loaded')
  return snap ? paintSnapshot(data, sessionID, snap) : undefined
}

/**
 * A structured-cloneable snapshot of a session's newest {@link SNAPSHOT_MESSAGE_LIMIT} messages,
 * consistent with `state.lastCursor`.
 * @param consistent whether the applied state matches the cursor (no events held behind a REST
 *   read); when false, undefined (the cursor would overstate what is applied).
 * @param server the server's storage key.
 * @param now epoch ms stored as `savedAt`.
 * @returns undefined also when the session is unknown, or shows a provisional page (see `SessionLoad.provisional`).
 */
export function buildSnapshot(data: SyncData, consistent: boolean, directory: string, sessionID: string, server: string, now = Date.now()): SessionSnapshot | undefined {
  const load = data.sessionLoads[sessionID]
  // A provisional page (read before the stream was subscribed) matches no cursor.
  if (!consistent || load?.provisional) return undefined
  const d = data.state.directories[directory]
  const session: Session | undefined = d ? getSorted(d.sessions, sessionID) : undefined
  if (!d || !session) return undefined
  const infos = d.messages[sessionID] ?? []
  const tail = infos.slice(-SNAPSHOT_MESSAGE_LIMIT)
  const messages: MessageWithParts[] = tail.map((info) => ({ info, parts: d.parts[info.id] ?? [] }))
  return clonePlain({
    sessionID,
    directory,
    server,
    session,
    messages,
    truncated: infos.length > tail.length || (load?.hasEarlier ?? false),
    cursor: data.state.lastCursor,
    savedAt: now,
  })
}

// ---- offline lists -----------------------------------------------------------------------------

/** The parts of the sync data the offline paints read and write (the store's {@link SyncData} has them). */
export interface OfflinePaintTarget {
  state: ClientState
  meta: Record<string, { status: LoadStatus }>
  sessionLoads: Record<string, { status: LoadStatus; directory: string }>
}

/**
 * Paints a cached project list, only while the REST list has not succeeded (`phase` not `ready`)
 * and nothing is listed yet.
 * @returns whether it was painted.
 */
export function paintCachedProjects(target: OfflinePaintTarget, phase: SyncPhase, projects: readonly Project[]): boolean {
  if (projects.length === 0 || phase === 'ready' || target.state.projects.length > 0) return false
  target.state.projects = [...projects]
  return true
}

/**
 * Adds the sessions of a cached session list that are not listed yet, only while the directory's
 * REST read is under way or failed (not `ready`, not `idle`). Sessions already there (painted from
 * a warm-start snapshot, newer than the cache) are kept.
 * @returns whether the directory was eligible (sessions may all have been there already).
 */
export function paintCachedSessions(target: OfflinePaintTarget, directory: string, sessions: readonly Session[]): boolean {
  const status = target.meta[directory]?.status
  if (status === 'ready' || status === 'idle') return false
  const d = directoryState(target.state, directory)
  for (const s of sessions) if (!getSorted(d.sessions, s.id)) upsertSorted(d.sessions, s)
  return true
}

/**
 * Paints the snapshot of a session whose transcript read failed (server unreachable), so a session
 * opened before is readable offline: only while its load is still `error`, when the snapshot is of
 * the directory the load was for, and when no message of it is shown yet.
 * @param failed the failed load as it was when its snapshot was asked for.
 * @returns whether it was painted.
 */
export function paintOfflineTranscript(target: OfflinePaintTarget, failed: { sessionID: string; directory: string }, snap: SessionSnapshot): boolean {
  const { sessionID, directory } = failed
  if (snap.directory !== directory || target.sessionLoads[sessionID]?.status !== 'error') return false
  const d = directoryState(target.state, directory)
  if ((d.messages[sessionID]?.length ?? 0) > 0) return false
  if (!getSorted(d.sessions, sessionID)) upsertSorted(d.sessions, snap.session)
  loadMessages(d, sessionID, snap.messages)
  return true
}
