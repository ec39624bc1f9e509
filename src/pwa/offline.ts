/**
 * Offline lists for the installed app. Observes the sync store (src/stores/sync.ts) and keeps the
 * offline cache (src/db/offline-cache.ts) of the project list and of each loaded directory's
 * session list; has them painted before (or instead of, when the server is unreachable) the REST
 * answer:
 *
 * - lists are written, debounced, only while they are authoritative: the project list when the
 *   sync phase is `ready` (the last `GET /project` succeeded), a session list when its directory's
 *   meta is `ready` (the last `GET /session` succeeded);
 * - a cached list is painted only into an empty slot whose REST read has not succeeded; a REST
 *   read that lands later replaces it (`loadSessions` / the project commit replace whole lists),
 *   and a cached list that arrives after the REST answer is dropped, so it never resurrects a
 *   deleted session;
 * - a session whose transcript read failed (server unreachable) gets its warm-start snapshot
 *   (src/db/snapshots.ts) painted, so every session the user opened before is readable offline.
 *
 * This module owns when to read and write the cache; what a paint may change is decided by the
 * sync layer (src/sync/warm-start.ts), reached through the store's paint actions: nothing here
 * writes the sync state itself. When the server returns, the sync store's own "back online"
 * watcher re-reads everything that failed; nothing here needs to be undone.
 */
import { watch, type WatchStopHandle } from 'vue'
import type { Project, Session } from '@opencode-ai/sdk/v2/types'
import { loadProjectList, loadSessionList, saveProjectList, saveSessionList } from '../db/offline-cache.ts'
import { loadSnapshot, type SessionSnapshot } from '../db/snapshots.ts'
import type { LoadStatus, SyncPhase } from '../sync/data.ts'

/**
 * The part of the sync store this module reads, and the paints it asks for (the Pinia store
 * satisfies it; unit tests build one over plain `reactive` data with the same src/sync/ functions).
 */
export interface OfflineSyncView {
  /** Overall phase; `ready` once `GET /project` succeeded. */
  readonly phase: SyncPhase
  /** The project list (reactive). */
  readonly projects: readonly Project[]
  /** A directory's session list (reactive). */
  sessionsOf(directory: string): readonly Session[]
  /** Directories whose REST load status is one of `statuses`. */
  directoriesIn(statuses: readonly LoadStatus[]): string[]
  /** Sessions whose transcript load is in `status`, with their directory. */
  sessionLoadsIn(status: LoadStatus): Array<{ sessionID: string; directory: string }>
  /** Paints a cached project list unless the REST list succeeded or something is listed (src/sync/warm-start.ts). */
  paintCachedProjects(projects: readonly Project[]): boolean
  /** Adds a cached list's missing sessions while the directory's REST read is under way or failed. */
  paintCachedSessions(directory: string, sessions: readonly Session[]): boolean
  /** Paints the snapshot of a session whose transcript read failed, when nothing of it is shown. */
  paintOfflineTranscript(failed: { sessionID: string; directory: string }, snapshot: SessionSnapshot): boolean
}

/** The storage used (defaults to src/db/offline-cache.ts and src/db/snapshots.ts; tests inject fakes). */
export interface OfflineStorage {
  saveProjectList(server: string, projects: readonly Project[]): Promise<boolean>
  loadProjectList(server: string): Promise<Project[] | undefined>
  saveSessionList(server: string, directory: string, sessions: readonly Session[]): Promise<boolean>
  loadSessionList(server: string, directory: string): Promise<Session[] | undefined>
  loadSnapshot: typeof loadSnapshot
}

/** Options of {@link installOfflineCache}. */
export interface OfflineCacheOptions {
  sync: OfflineSyncView
  /** Base URL of the current server (the cache key). */
  serverUrl: () => string
  /** Debounce of writes after the last change, in ms (default 1,000). */
  debounceMs?: number
  storage?: OfflineStorage
}

const defaultStorage: OfflineStorage = { saveProjectList, loadProjectList, saveSessionList, loadSessionList, loadSnapshot }

/** A cheap change signature of a session list: count, newest update, first and last id. */
function signature(sessions: readonly Session[]): string {
  let newest = 0
  for (const s of sessions) newest = Math.max(newest, s.time.updated)
  return `${sessions.length}|${newest}|${sessions[0]?.id ?? ''}|${sessions[sessions.length - 1]?.id ?? ''}`
}

/**
 * Starts observing; returns a function that stops every watcher and pending write.
 * Never throws; storage failures are ignored (the cache is best effort).
 */
export function installOfflineCache(options: OfflineCacheOptions): () => void {
  const { sync, serverUrl } = options
  const storage = options.storage ?? defaultStorage
  const delay = options.debounceMs ?? 1000
  const stops: WatchStopHandle[] = []
  const timers = new Map<string, ReturnType<typeof setTimeout>>()

  function later(key: string, run: () => void): void {
    clearTimeout(timers.get(key))
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key)
        run()
      }, delay),
    )
  }

  // ---- writes ----------------------------------------------------------------------------------

  stops.push(
    watch(
      () => (sync.phase === 'ready' ? sync.projects : undefined),
      (projects) => {
        if (!projects) return
        const server = serverUrl()
        later('projects', () => {
          if (sync.phase === 'ready' && serverUrl() === server) void storage.saveProjectList(server, sync.projects)
        })
      },
      { deep: true, immediate: true },
    ),
  )

  const written = new Map<string, string>()
  stops.push(
    watch(
      () => sync.directoriesIn(['ready']).map((directory) => `${directory}\n${signature(sync.sessionsOf(directory))}`),
      (entries) => {
        const server = serverUrl()
        for (const entry of entries) {
          const cut = entry.lastIndexOf('\n')
          const directory = entry.slice(0, cut)
          const sig = entry.slice(cut + 1)
          const key = `${server}\n${directory}`
          if (written.get(key) === sig) continue
          later(`sessions:${directory}`, () => {
            if (!sync.directoriesIn(['ready']).includes(directory) || serverUrl() !== server) return
            written.set(key, sig)
            void storage.saveSessionList(server, directory, sync.sessionsOf(directory))
          })
        }
      },
      { immediate: true },
    ),
  )

  // ---- paints ----------------------------------------------------------------------------------

  stops.push(
    watch(
      () => sync.phase !== 'ready' && sync.phase !== 'idle' && sync.projects.length === 0,
      async (empty) => {
        if (!empty) return
        const server = serverUrl()
        const cached = await storage.loadProjectList(server)
        if (cached && serverUrl() === server) sync.paintCachedProjects(cached)
      },
      { immediate: true },
    ),
  )

  const painted = new Set<string>()
  stops.push(
    watch(
      () => sync.directoriesIn(['loading', 'error']),
      async (directories) => {
        const server = serverUrl()
        for (const directory of directories) {
          const key = `${server}\n${directory}`
          if (painted.has(key)) continue
          painted.add(key)
          const cached = await storage.loadSessionList(server, directory)
          if (cached && serverUrl() === server) sync.paintCachedSessions(directory, cached)
        }
      },
      { immediate: true },
    ),
  )

  const snapshotTried = new Set<string>()
  stops.push(
    watch(
      () => sync.sessionLoadsIn('error').map(({ sessionID, directory }) => `${sessionID}\n${directory}`),
      async (failed) => {
        const server = serverUrl()
        for (const entry of failed) {
          if (snapshotTried.has(`${server}\n${entry}`)) continue
          snapshotTried.add(`${server}\n${entry}`)
          const [sessionID, directory] = entry.split('\n')
          const snap = await storage.loadSnapshot(sessionID, server)
          if (snap) sync.paintOfflineTranscript({ sessionID, directory }, snap)
        }
      },
      { immediate: true },
    ),
  )

  return () => {
    for (const stop of stops.splice(0)) stop()
    for (const h of timers.values()) clearTimeout(h)
    timers.clear()
  }
}
