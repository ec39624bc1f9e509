/**
 * Saved data painted before or instead of the network (src/sync/warm-start.ts): the warm-start
 * snapshot painted and rebuilt, and the offline lists' paints, each only into a slot whose REST
 * read has not succeeded. On plain data, with an injected snapshot reader.
 */
import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'
import type { Message, Part, Project, Session } from '@opencode-ai/sdk/v2/types'
import { createSyncData, directoryData, loadOf, metaOf } from '../src/sync/data.ts'
import { SNAPSHOT_MESSAGE_LIMIT, type SessionSnapshot } from '../src/db/snapshots.ts'
import {
  buildSnapshot,
  paintCachedProjects,
  paintCachedSessions,
  paintOfflineTranscript,
  paintSnapshot,
  paintWarmStart,
} from '../src/sync/warm-start.ts'

const SERVER = 'http://oc.test'
const DIR = '/work/project'
const SES = 'ses_a'

const session = (id: string, updated = 1): Session => ({ id, slug: id, projectID: 'p1', directory: DIR, title: id, version: '1', time: { created: 1, updated } })
const project = (id: string): Project => ({ id, worktree: `/w/${id}`, time: { created: 1, updated: 1 }, sandboxes: [] })

function message(n: number): { info: Message; parts: Part[] } {
  const id = `msg_${String(n).padStart(4, '0')}`
  return {
    info: { id, sessionID: SES, role: 'user', time: { created: n }, agent: 'build', model: { providerID: 'p', modelID: 'm' } },
    parts: [{ id: `prt_${id}`, messageID: id, sessionID: SES, type: 'text', text: `m${n}` }],
  }
}

function snapshot(extra: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return { sessionID: SES, directory: DIR, server: SERVER, session: session(SES), messages: [message(1)], truncated: true, cursor: 42, savedAt: 1, ...extra }
}

describe('warm start', () => {
  it('paints a snapshot: the session listed, its messages shown, its load marked as from the snapshot', () => {
    const data = createSyncData()
    expect(paintSnapshot(data, SES, snapshot())).toBe(42)
    const d = data.state.directories[DIR]
    expect(d.sessions.map((s) => s.id)).toEqual([SES])
    expect(d.messages[SES].map((m) => m.id)).toEqual(['msg_0001'])
    expect(data.sessionLoads[SES]).toMatchObject({ directory: DIR, status: 'idle', fromSnapshot: true, hasEarlier: true })
    expect(data.sessionVersion[SES]).toBe(1)
  })

  it('reads the snapshot saved for this server, and paints nothing when there is none', async () => {
    const data = createSyncData()
    const asked: string[] = []
    const reader = async (sessionID: string, server: string) => (asked.push(`${sessionID}@${server}`), sessionID === SES ? snapshot() : undefined)
    expect(await paintWarmStart(data, 'ses_none', SERVER, reader)).toBeUndefined()
    expect(data.state.directories).toEqual({})
    expect(await paintWarmStart(data, SES, SERVER, reader)).toBe(42)
    expect(asked).toEqual([`ses_none@${SERVER}`, `${SES}@${SERVER}`])
  })

  it('builds a plain, cloneable snapshot of the newest messages at the applied cursor', () => {
    const data = reactive(createSyncData())
    const d = directoryData(data, DIR)
    d.sessions.push(session(SES))
    const all = Array.from({ length: SNAPSHOT_MESSAGE_LIMIT + 5 }, (_, i) => message(i))
    d.messages[SES] = all.map((m) => m.info)
    for (const m of all) d.parts[m.info.id] = m.parts
    data.state.lastCursor = 77
    const snap = buildSnapshot(data, true, DIR, SES, SERVER, 123)
    expect(snap).toMatchObject({ sessionID: SES, directory: DIR, server: SERVER, cursor: 77, savedAt: 123, truncated: true })
    expect(snap?.messages).toHaveLength(SNAPSHOT_MESSAGE_LIMIT)
    expect(snap?.messages[0].info.id).toBe(all[5].info.id)
    // No Vue proxies left: IndexedDB's structured clone must accept it.
    expect(() => structuredClone(snap)).not.toThrow()
  })

  it('builds none while the state is not consistent with the cursor, or for an unknown session', () => {
    const data = createSyncData()
    directoryData(data, DIR).sessions.push(session(SES))
    expect(buildSnapshot(data, false, DIR, SES, SERVER)).toBeUndefined()
    expect(buildSnapshot(data, true, DIR, 'ses_unknown', SERVER)).toBeUndefined()
    expect(buildSnapshot(data, true, '/elsewhere', SES, SERVER)).toBeUndefined()
    // Everything loaded, nothing older on the server: not truncated.
    expect(buildSnapshot(data, true, DIR, SES, SERVER)?.truncated).toBe(false)
    loadOf(data, SES, DIR).hasEarlier = true
    expect(buildSnapshot(data, true, DIR, SES, SERVER)?.truncated).toBe(true)
  })
})

describe('offline paints', () => {
  it('a cached project list fills an empty list only while GET /project has not succeeded', () => {
    const data = createSyncData()
    expect(paintCachedProjects(data, 'ready', [project('p1')])).toBe(false)
    expect(paintCachedProjects(data, 'error', [])).toBe(false)
    expect(paintCachedProjects(data, 'error', [project('p1')])).toBe(true)
    expect(data.state.projects.map((p) => p.id)).toEqual(['p1'])
    expect(paintCachedProjects(data, 'bootstrapping', [project('p2')])).toBe(false)
    expect(data.state.projects.map((p) => p.id)).toEqual(['p1'])
  })

  it('a cached session list adds missing sessions while the directory loads or failed, never over newer ones', () => {
    const data = createSyncData()
    expect(paintCachedSessions(data, DIR, [session('ses_1')])).toBe(true)
    directoryData(data, DIR).sessions = [session('ses_2', 9)]
    metaOf(data, DIR).status = 'error'
    expect(paintCachedSessions(data, DIR, [session('ses_1'), session('ses_2', 2)])).toBe(true)
    expect(data.state.directories[DIR].sessions.map((s) => [s.id, s.time.updated])).toEqual([
      ['ses_1', 1],
      ['ses_2', 9],
    ])
    for (const status of ['ready', 'idle'] as const) {
      metaOf(data, DIR).status = status
      expect(paintCachedSessions(data, DIR, [session('ses_3')])).toBe(false)
    }
    expect(data.state.directories[DIR].sessions.map((s) => s.id)).toEqual(['ses_1', 'ses_2'])
  })

  it('a failed transcript gets its snapshot only while still failed, from its directory, when nothing is shown', () => {
    const data = createSyncData()
    const failed = { sessionID: SES, directory: DIR }
    expect(paintOfflineTranscript(data, failed, snapshot())).toBe(false)
    loadOf(data, SES, DIR).status = 'error'
    expect(paintOfflineTranscript(data, failed, snapshot({ directory: '/elsewhere' }))).toBe(false)
    expect(paintOfflineTranscript(data, failed, snapshot())).toBe(true)
    expect(data.state.directories[DIR].messages[SES].map((m) => m.id)).toEqual(['msg_0001'])
    expect(data.state.directories[DIR].sessions.map((s) => s.id)).toEqual([SES])
    // Something is shown now: a second paint would only be older data.
    expect(paintOfflineTranscript(data, failed, snapshot({ messages: [message(2)] }))).toBe(false)
    expect(data.state.directories[DIR].messages[SES].map((m) => m.id)).toEqual(['msg_0001'])
  })
})
