/**
 * Offline lists: the Dexie cache of project and session lists (src/db/offline-cache.ts, on
 * fake-indexeddb) and the observer that writes them and has them painted (src/pwa/offline.ts),
 * driven with plain reactive objects shaped like the sync store, read and painted through the same
 * src/sync/ functions the store wires.
 */
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { nextTick, reactive } from 'vue'
import type { Project, Session } from '@opencode-ai/sdk/v2/types'
import type { LoadStatus, SyncPhase } from '../src/sync/data.ts'
import { directoriesIn, sessionLoadsIn, sessionsOf } from '../src/sync/selectors.ts'
import { paintCachedProjects, paintCachedSessions, paintOfflineTranscript, type OfflinePaintTarget } from '../src/sync/warm-start.ts'
import { createClientState, directoryState } from '../src/state/client-state.ts'
import {
  closeOfflineCacheDb,
  loadProjectList,
  loadSessionList,
  saveProjectList,
  saveSessionList,
  SESSION_LIST_KEEP,
  SESSION_LIST_LIMIT,
} from '../src/db/offline-cache.ts'
import { installOfflineCache, type OfflineStorage, type OfflineSyncView } from '../src/pwa/offline.ts'
import type { SessionSnapshot } from '../src/db/snapshots.ts'

const SERVER = 'http://oc.test'
const DIR = '/work/project'

function session(id: string, updated: number): Session {
  return { id, slug: id, projectID: 'p1', directory: DIR, title: `Session ${id}`, version: '1', time: { created: updated, updated } }
}

function project(id: string, worktree: string): Project {
  return { id, worktree, time: { created: 1, updated: 2 }, sandboxes: [] }
}

/** Lets watchers, debounced (0 ms) writes and awaited fake storage calls run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await nextTick()
    await new Promise((r) => setTimeout(r, 0))
  }
}

describe('offline cache database', () => {
  afterEach(() => closeOfflineCacheDb())

  it('round-trips project lists per server', async () => {
    expect(await saveProjectList(SERVER, [project('p1', '/a')])).toBe(true)
    expect(await loadProjectList(SERVER)).toEqual([project('p1', '/a')])
    expect(await loadProjectList('http://other.test')).toBeUndefined()
  })

  it('keeps the most recently updated sessions per directory and server', async () => {
    const many = Array.from({ length: SESSION_LIST_LIMIT + 5 }, (_, i) => session(`ses_${String(i).padStart(4, '0')}`, i))
    await saveSessionList(SERVER, DIR, many)
    const kept = await loadSessionList(SERVER, DIR)
    expect(kept).toHaveLength(SESSION_LIST_LIMIT)
    expect(kept?.some((s) => s.time.updated < 5)).toBe(false)
    expect(await loadSessionList('http://other.test', DIR)).toBeUndefined()
    expect(await loadSessionList(SERVER, '/elsewhere')).toBeUndefined()
  })

  it(`prunes the oldest directories beyond ${SESSION_LIST_KEEP}`, async () => {
    for (let i = 0; i < SESSION_LIST_KEEP + 3; i++) await saveSessionList('http://prune.test', `/d${i}`, [session('ses_1', 1)])
    expect(await loadSessionList('http://prune.test', '/d0')).toBeUndefined()
    expect(await loadSessionList('http://prune.test', `/d${SESSION_LIST_KEEP + 2}`)).toBeDefined()
  })
})

/** In-memory storage with call logs. */
function fakeStorage(initial: { projects?: Project[]; sessions?: Session[]; snapshot?: SessionSnapshot } = {}) {
  const saved = { projects: [] as Project[][], sessions: [] as Array<{ directory: string; sessions: Session[] }> }
  const storage: OfflineStorage = {
    saveProjectList: async (_server, projects) => {
      saved.projects.push([...projects])
      return true
    },
    loadProjectList: async (server) => (server === SERVER ? initial.projects : undefined),
    saveSessionList: async (_server, directory, sessions) => {
      saved.sessions.push({ directory, sessions: [...sessions] })
      return true
    },
    loadSessionList: async (server, directory) => (server === SERVER && directory === DIR ? initial.sessions : undefined),
    loadSnapshot: async (sessionID, server) => (server === SERVER && initial.snapshot?.sessionID === sessionID ? initial.snapshot : undefined),
  }
  return { storage, saved }
}

/** The sync store's data (set directly by the tests) and the view of it the observer gets. */
type FakeSync = OfflineSyncView & OfflinePaintTarget & { phase: SyncPhase }

function syncView(): FakeSync {
  const target: OfflinePaintTarget = { state: createClientState(), meta: {}, sessionLoads: {} }
  const phase: SyncPhase = 'idle'
  const sync: FakeSync = reactive({
    ...target,
    phase,
    get projects(): readonly Project[] {
      return sync.state.projects
    },
    sessionsOf: (directory: string) => sessionsOf(sync.state, directory),
    directoriesIn: (statuses: readonly LoadStatus[]) => directoriesIn(sync.meta, statuses),
    sessionLoadsIn: (status: LoadStatus) => sessionLoadsIn(sync.sessionLoads, status),
    paintCachedProjects: (projects: readonly Project[]) => paintCachedProjects(sync, sync.phase, projects),
    paintCachedSessions: (directory: string, sessions: readonly Session[]) => paintCachedSessions(sync, directory, sessions),
    paintOfflineTranscript: (failed: { sessionID: string; directory: string }, snap: SessionSnapshot) => paintOfflineTranscript(sync, failed, snap),
  })
  return sync
}

describe('installOfflineCache', () => {
  it('writes the project list and session lists only while they are authoritative', async () => {
    const sync = syncView()
    const { storage, saved } = fakeStorage()
    const stop = installOfflineCache({ sync, serverUrl: () => SERVER, storage, debounceMs: 0 })
    sync.phase = 'bootstrapping'
    sync.state.projects = [project('p1', DIR)]
    sync.meta[DIR] = { status: 'loading' }
    directoryState(sync.state, DIR).sessions = [session('ses_1', 1)]
    await settle()
    expect(saved.projects).toEqual([])
    expect(saved.sessions).toEqual([])

    sync.phase = 'ready'
    sync.meta[DIR].status = 'ready'
    await settle()
    expect(saved.projects).toEqual([[project('p1', DIR)]])
    expect(saved.sessions).toEqual([{ directory: DIR, sessions: [session('ses_1', 1)] }])

    // A renamed session (newer `time.updated`) is written again; an unchanged list is not.
    directoryState(sync.state, DIR).sessions[0] = session('ses_1', 5)
    await settle()
    expect(saved.sessions).toHaveLength(2)
    sync.meta['/other'] = { status: 'error' }
    await settle()
    expect(saved.sessions).toHaveLength(2)
    stop()
  })

  it('paints cached lists while the server is unreachable, and REST replaces them later', async () => {
    const sync = syncView()
    const { storage } = fakeStorage({ projects: [project('p1', DIR)], sessions: [session('ses_1', 1), session('ses_2', 2)] })
    const stop = installOfflineCache({ sync, serverUrl: () => SERVER, storage, debounceMs: 0 })
    // The warm snapshot painted ses_2 already (newer than the cached list): it is kept.
    directoryState(sync.state, DIR).sessions = [session('ses_2', 9)]
    sync.phase = 'error'
    sync.meta[DIR] = { status: 'error' }
    await settle()
    expect(sync.state.projects.map((p) => p.id)).toEqual(['p1'])
    expect(directoryState(sync.state, DIR).sessions.map((s) => [s.id, s.time.updated])).toEqual([
      ['ses_1', 1],
      ['ses_2', 9],
    ])
    stop()
  })

  it('drops a cached list that arrives after the REST answer', async () => {
    const sync = syncView()
    const { storage } = fakeStorage({ sessions: [session('ses_deleted', 1)] })
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    const slow: OfflineStorage = { ...storage, loadSessionList: async (s, d) => (await gate, storage.loadSessionList(s, d)) }
    const stop = installOfflineCache({ sync, serverUrl: () => SERVER, storage: slow, debounceMs: 0 })
    sync.meta[DIR] = { status: 'loading' }
    await settle()
    directoryState(sync.state, DIR).sessions = [session('ses_live', 2)]
    sync.meta[DIR].status = 'ready'
    release()
    await settle()
    expect(directoryState(sync.state, DIR).sessions.map((s) => s.id)).toEqual(['ses_live'])
    stop()
  })

  it('paints the snapshot of a session whose transcript read failed', async () => {
    const sync = syncView()
    const snap: SessionSnapshot = {
      sessionID: 'ses_1',
      directory: DIR,
      server: SERVER,
      session: session('ses_1', 1),
      messages: [{ info: { id: 'msg_1', sessionID: 'ses_1', role: 'user', time: { created: 1 }, agent: 'build', model: { providerID: 'p', modelID: 'm' } }, parts: [] }],
      truncated: false,
      cursor: 3,
      savedAt: 1,
    }
    const { storage } = fakeStorage({ snapshot: snap })
    const stop = installOfflineCache({ sync, serverUrl: () => SERVER, storage, debounceMs: 0 })
    sync.sessionLoads.ses_1 = { status: 'error', directory: DIR }
    sync.sessionLoads.ses_unknown = { status: 'error', directory: DIR }
    await settle()
    const d = directoryState(sync.state, DIR)
    expect(d.messages.ses_1?.map((m) => m.id)).toEqual(['msg_1'])
    expect(d.sessions.map((s) => s.id)).toEqual(['ses_1'])
    expect(d.messages.ses_unknown).toBeUndefined()
    stop()
  })
})
