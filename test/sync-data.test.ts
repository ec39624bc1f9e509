/**
 * The sync layer's data and its shared accessors (src/sync/data.ts): entries made on first use,
 * which loads count as loaded, a server switch emptying everything in place, and the local echoes
 * of actions.
 */
import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'
import type { PermissionRequest, QuestionRequest, Session } from '@opencode-ai/sdk/v2/types'
import {
  bumpVersion,
  clearSyncData,
  createSyncData,
  directoryData,
  forgetRequest,
  loadedDirectories,
  loadedSessions,
  loadOf,
  metaOf,
  rememberSession,
} from '../src/sync/data.ts'

const DIR = '/work/project'

function session(id: string): Session {
  return { id, slug: id, projectID: 'p1', directory: DIR, title: id, version: '1', time: { created: 1, updated: 1 } }
}

describe('sync data', () => {
  it('makes a directory’s meta and a session’s load on first use, idle, and hands back the stored object', () => {
    const data = createSyncData()
    const m = metaOf(data, DIR)
    expect(m).toEqual({ status: 'idle', agents: [], commands: [] })
    expect(metaOf(data, DIR)).toBe(m)
    const load = loadOf(data, 'ses_a', DIR)
    expect(load).toMatchObject({ directory: DIR, status: 'idle', pages: 0, hasEarlier: false, fromSnapshot: false })
    // Asked for from another directory: the load follows it.
    expect(loadOf(data, 'ses_a', '/other').directory).toBe('/other')
  })

  it('counts as loaded only what was asked for beyond idle', () => {
    const data = createSyncData()
    metaOf(data, '/idle')
    metaOf(data, DIR).status = 'error'
    loadOf(data, 'ses_idle', DIR)
    loadOf(data, 'ses_a', DIR).status = 'ready'
    loadOf(data, 'ses_b', '/other').status = 'loading'
    expect(loadedDirectories(data)).toEqual([DIR])
    expect(loadedSessions(data).map(([id]) => id)).toEqual(['ses_a', 'ses_b'])
    expect(loadedSessions(data, DIR).map(([id]) => id)).toEqual(['ses_a'])
  })

  it('a server switch empties every object in place and keeps the session versions', () => {
    const raw = createSyncData()
    const data = reactive(raw)
    const state = data.state
    directoryData(data, DIR).sessions.push(session('ses_a'))
    metaOf(data, DIR).status = 'ready'
    loadOf(data, 'ses_a', DIR).status = 'ready'
    bumpVersion(data, 'ses_a')
    bumpVersion(data, undefined)
    data.state.lastCursor = 42
    clearSyncData(data)
    expect(data.state).toBe(state)
    expect(data.state.directories).toEqual({})
    expect(data.state.lastCursor).toBe(0)
    expect(data.meta).toEqual({})
    expect(data.sessionLoads).toEqual({})
    expect(data.sessionVersion).toEqual({ ses_a: 1 })
  })

  it('local echoes: a returned session is listed at once, an answered request leaves its list', () => {
    const data = createSyncData()
    rememberSession(data, DIR, session('ses_b'))
    rememberSession(data, DIR, session('ses_a'))
    rememberSession(data, DIR, { ...session('ses_a'), title: 'renamed' })
    expect(data.state.directories[DIR].sessions.map((s) => [s.id, s.title])).toEqual([
      ['ses_a', 'renamed'],
      ['ses_b', 'ses_b'],
    ])
    const permission: PermissionRequest = { id: 'per_1', sessionID: 'ses_a', permission: 'bash', patterns: [], metadata: {}, always: [] }
    const question: QuestionRequest = { id: 'que_1', sessionID: 'ses_a', questions: [] }
    const d = directoryData(data, DIR)
    d.permissions.ses_a = [permission]
    d.questions.ses_a = [question]
    forgetRequest(data, DIR, 'permission', permission)
    expect(d.permissions.ses_a).toEqual([])
    expect(d.questions.ses_a).toEqual([question])
    forgetRequest(data, DIR, 'question', question)
    expect(d.questions.ses_a).toEqual([])
    // Unknown directory or session: nothing to do.
    forgetRequest(data, '/nowhere', 'question', question)
  })
})
