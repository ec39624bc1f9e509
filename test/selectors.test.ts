/**
 * Reading the sync data through selectors (src/sync/selectors.ts): values for what is loaded,
 * shared empty values (never new entries) for what is not, and reactivity — a computed that asked
 * for a directory before it was loaded re-runs once it is. Also the store exposing them as getters.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { computed, reactive } from 'vue'
import type { PermissionRequest, Session } from '@opencode-ai/sdk/v2/types'
import { createSyncData, directoryData, loadOf, metaOf } from '../src/sync/data.ts'
import * as select from '../src/sync/selectors.ts'
import { startSyncStore } from './support/stub-relay.ts'
import { setStorage } from '../src/stores/storage.ts'

const DIR = '/work/project'

const session = (id: string): Session => ({ id, slug: id, projectID: 'p1', directory: DIR, title: id, version: '1', time: { created: 1, updated: 1 } })
const permission = (id: string, sessionID: string): PermissionRequest => ({ id, sessionID, permission: 'bash', patterns: [], metadata: {}, always: [] })

afterEach(() => setStorage(undefined))

describe('sync selectors', () => {
  it('read what is loaded', () => {
    const data = createSyncData()
    const d = directoryData(data, DIR)
    d.sessions = [session('ses_a'), session('ses_b')]
    d.status = { ses_a: { type: 'busy' } }
    d.permissions = { ses_a: [permission('per_1', 'ses_a')], ses_b: [permission('per_2', 'ses_b'), permission('per_3', 'ses_b')] }
    d.errors.ses_b = 'boom'
    const s = data.state
    expect(select.knownDirectories(s)).toEqual([DIR])
    expect(select.sessionsOf(s, DIR).map((x) => x.id)).toEqual(['ses_a', 'ses_b'])
    expect(select.sessionOf(s, DIR, 'ses_b')?.id).toBe('ses_b')
    expect(select.directoryOfSession(s, 'ses_b')).toBe(DIR)
    expect(select.statusOf(s, DIR, 'ses_a')).toEqual({ type: 'busy' })
    expect(select.statusOf(s, DIR, 'ses_b')).toEqual({ type: 'idle' })
    expect(select.statusesOf(s, DIR)).toEqual({ ses_a: { type: 'busy' } })
    expect(select.permissionsOf(s, DIR, 'ses_b').map((p) => p.id)).toEqual(['per_2', 'per_3'])
    expect(select.permissionCountOf(s, DIR)).toBe(3)
    expect(select.questionCountOf(s, DIR)).toBe(0)
    expect(select.questionCountOf(s, '/elsewhere')).toBe(0)
    expect(select.sessionErrorOf(s, DIR, 'ses_b')).toBe('boom')
  })

  it('answer shared empty values for what is unknown, and create nothing', () => {
    const data = createSyncData()
    const s = data.state
    expect(select.sessionsOf(s, DIR)).toEqual([])
    expect(select.sessionsOf(s, DIR)).toBe(select.messagesOf(s, DIR, 'ses_a'))
    expect(Object.isFrozen(select.partsOf(s, DIR, 'msg_1'))).toBe(true)
    expect(select.sessionOf(s, DIR, 'ses_a')).toBeUndefined()
    expect(select.directoryOfSession(s, 'ses_a')).toBeUndefined()
    expect(select.statusOf(s, DIR, 'ses_a')).toEqual({ type: 'idle' })
    expect(select.todosOf(s, DIR, 'ses_a')).toEqual([])
    expect(select.directoryMetaOf(data.meta, DIR)).toEqual({ status: 'idle', agents: [], commands: [] })
    expect(select.sessionLoadOf(data.sessionLoads, 'ses_a')).toBeUndefined()
    expect(s.directories).toEqual({})
    expect(data.meta).toEqual({})
  })

  it('list the sessions a session started, through its children, parents first', () => {
    const data = createSyncData()
    const child = (id: string, parentID: string): Session => ({ ...session(id), parentID })
    // Sorted by id as the reducer keeps them: a grandchild may sort before its parent.
    directoryData(data, DIR).sessions = [child('ses_0grand', 'ses_c1'), session('ses_a'), session('ses_b'), child('ses_c1', 'ses_a'), child('ses_c2', 'ses_a'), child('ses_d', 'ses_b')]
    const s = data.state
    expect(select.descendantSessionsOf(s, DIR, 'ses_a').map((x) => x.id)).toEqual(['ses_c1', 'ses_c2', 'ses_0grand'])
    expect(select.descendantSessionsOf(s, DIR, 'ses_c2')).toEqual([])
    expect(select.descendantSessionsOf(s, '/elsewhere', 'ses_a')).toEqual([])
  })

  it('list directories and transcript loads by status', () => {
    const data = createSyncData()
    metaOf(data, '/a').status = 'loading'
    metaOf(data, '/b').status = 'error'
    metaOf(data, '/c').status = 'ready'
    loadOf(data, 'ses_1', '/a').status = 'error'
    loadOf(data, 'ses_2', '/b').status = 'ready'
    expect(select.directoriesIn(data.meta, ['loading', 'error'])).toEqual(['/a', '/b'])
    expect(select.sessionLoadsIn(data.sessionLoads, 'error')).toEqual([{ sessionID: 'ses_1', directory: '/a' }])
  })

  it('track reads of what is not loaded yet', () => {
    const data = reactive(createSyncData())
    const titles = computed(() => select.sessionsOf(data.state, DIR).map((s) => s.id))
    const agents = computed(() => select.directoryMetaOf(data.meta, DIR).agents.length)
    expect(titles.value).toEqual([])
    expect(agents.value).toBe(0)
    directoryData(data, DIR).sessions.push(session('ses_a'))
    metaOf(data, DIR).agents = [{ name: 'build', mode: 'primary', permission: [], options: {} }]
    expect(titles.value).toEqual(['ses_a'])
    expect(agents.value).toBe(1)
  })

  it('the store exposes them as getters bound to its state', async () => {
    const sync = await startSyncStore(async () => new Response('[]'))
    sync.rememberSession(DIR, session('ses_a'))
    sync.state.directories[DIR].permissions.ses_a = [permission('per_1', 'ses_a')]
    expect(sync.sessionsOf(DIR).map((s) => s.id)).toEqual(['ses_a'])
    expect(sync.directoryOfSession('ses_a')).toBe(DIR)
    expect(sync.permissionsOf(DIR, 'ses_a')).toHaveLength(1)
    sync.forgetPermission(DIR, permission('per_1', 'ses_a'))
    expect(sync.permissionsOf(DIR, 'ses_a')).toHaveLength(0)
    expect(sync.versionOf('ses_a')).toBe(0)
    expect(sync.projects).toEqual([])
    expect(sync.diagnostics).toEqual({ lastCursor: 0, unknownEvents: 0, droppedDeltas: 0, failedEvents: 0 })
  })
})
