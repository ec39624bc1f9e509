/**
 * Offline lists for the installed app. Observes the sync store (src/stores/sync.ts) and keeps the
 * offline cache (src/db/offline-cache.ts) of the project list and of each loaded directory's
 * session list; paints them before (or instead of, when the server is unreachable) the REST answer:
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
 * When the server returns, the sync store's own "back online" watcher re-reads everything that
 * failed; nothing here needs to be undone.
 */
import { watch, type WatchStopHandle } from 'vue'
import type { Project, Session } from '@opencode-ai/sdk/v2/types'
import { directoryState, loadMessages, type ClientState } from '../state/reducer.ts'
import { getSorted, upsertSorted } from '../state/sorted.ts'
import { loadProjectList, loadSessionList, saveProjectList, saveSessionList } from '../db/offline-cache.ts'
import { loadSnapshot } from '../db/snapshots.ts'

/** Load status as the sync store reports it. */
type Status = 'idle' | 'loading' | 'ready' | 'error'

/**
 * The part of the sync store this module reads and writes (the Pinia store satisfies it; unit tests
 * pass plain `reactive` objects).
 */
export interface OfflineSyncView {
  /** The reducer's reactive state. */
  state: ClientState
  /** Per-directory REST load status. */
  meta: Record<string, { status: Status }>
  /** Per-session transcript load status. */
  sessionLoads: Record<string, { status: Status; directory: string }>
  /** Overall phase; `ready` once `GET /project` succeeded. */
  phase: 'idle' | 'warm' | 'bootstrapping' | 'ready' | 'error'
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
      () => (sync.phase === 'ready' ? sync.state.projects : undefined),
      (projects) => {
        if (!projects) return
        const server = serverUrl()
        later('projects', () => {
          if (sync.phase === 'ready' && serverUrl() === server) void storage.saveProjectList(server, sync.state.projects)
        })
      },
      { deep: true, immediate: true },
    ),
  )

  const written = new Map<string, string>()
  stops.push(
    watch(
      () =>
        Object.entries(sync.meta)
          .filter(([, m]) => m.status === 'ready')
          .map(([directory]) => `${directory}\n${signature(sync.state.directories[directory]?.sessions ?? [])}`),
      (entries) => {
        const server = serverUrl()
        for (const entry of entries) {
          const cut = entry.lastIndexOf('\n')
          const directory = entry.slice(0, cut)
          const sig = entry.slice(cut + 1)
          const key = `${server}\n${directory}`
          if (written.get(key) === sig) continue
          later(`sessions:${directory}`, () => {
            if (sync.meta[directory]?.status !== 'ready' || serverUrl() !== server) return
            written.set(key, sig)
            void storage.saveSessionList(server, directory, sync.state.directories[directory]?.sessions ?? [])
          })
        }
      },
      { immediate: true },
    ),
  )

  // ---- paints ----------------------------------------------------------------------------------

  stops.push(
    watch(
      () => sync.phase !== 'ready' && sync.phase !== 'idle' && sync.state.projects.length === 0,
      async (empty) => {
        if (!empty) return
        const server = serverUrl()
        const cached = await storage.loadProjectList(server)
        if (cached && cached.length > 0 && sync.phase !== 'ready' && sync.state.projects.length === 0 && serverUrl() === server) {
          sync.state.projects = cached
        }
      },
      { immediate: true },
    ),
  )

  const painted = new Set<string>()
  stops.push(
    watch(
      () => Object.entries(sync.meta).filter(([, m]) => m.status === 'loading' || m.status === 'error').map(([d]) => d),
      async (directories) => {
        const server = serverUrl()
        for (const directory of directories) {
          const key = `${server}\n${directory}`
          if (painted.has(key)) continue
          painted.add(key)
          const cached = await storage.loadSessionList(server, directory)
          const status = sync.meta[directory]?.status
          if (!cached || status === 'ready' || status === 'idle' || serverUrl() !== server) continue
          const d = directoryState(sync.state, directory)
          for (const s of cached) if (!getSorted(d.sessions, s.id)) upsertSorted(d.sessions, s)
        }
      },
      { immediate: true },
    ),
  )

  const snapshotTried = new Set<string>()
  stops.push(
    watch(
      () => Object.entries(sync.sessionLoads).filter(([, l]) => l.status === 'error').map(([id, l]) => `${id}\n${l.directory}`),
      async (failed) => {
        const server = serverUrl()
        for (const entry of failed) {
          if (snapshotTried.has(`${server}\n${entry}`)) continue
          snapshotTried.add(`${server}\n${entry}`)
          const [sessionID, directory] = entry.split('\n')
          const snap = await storage.loadSnapshot(sessionID, server)
          if (!snap || snap.directory !== directory || sync.sessionLoads[sessionID]?.status !== 'error') continue
          const d = directoryState(sync.state, directory)
          if ((d.messages[sessionID]?.length ?? 0) > 0) continue
          if (!getSorted(d.sessions, sessionID)) upsertSorted(d.sessions, snap.session)
          loadMessages(d, sessionID, snap.messages)
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
