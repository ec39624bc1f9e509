/**
 * Bootstrap reads (src/sync/bootstrap.ts) against a fake server, without Pinia or a relay: the
 * project list with the home directory, a directory's event-driven lists and its REST-only data,
 * failures recorded and reported for a retry, and concurrent asks sharing one read.
 */
import { describe, expect, it, vi } from 'vitest'
import type { Agent, PermissionRequest, Project, Session } from '@opencode-ai/sdk/v2/types'
import { createBootstrap } from '../src/sync/bootstrap.ts'
import { createIntake } from '../src/sync/intake.ts'
import { createLoadOnce } from '../src/sync/load-once.ts'
import { createSyncData } from '../src/sync/data.ts'
import { fakeRest, type FakeRoute } from './support/fake-rest.ts'

const DIR = '/work/project'

const project = (id: string): Project => ({ id, worktree: `/w/${id}`, time: { created: 1, updated: 1 }, sandboxes: [] })
const session = (id: string): Session => ({ id, slug: id, projectID: 'p1', directory: DIR, title: id, version: '1', time: { created: 1, updated: 1 } })
const agent: Agent = { name: 'build', mode: 'primary', permission: [], options: {} }
const permission: PermissionRequest = { id: 'per_1', sessionID: 'ses_a', permission: 'bash', patterns: [], metadata: {}, always: [] }

function setup(routes: Record<string, FakeRoute> = {}) {
  const rest = fakeRest({
    '/path': (url) => ({ home: '/', state: '/', config: '/', worktree: DIR, directory: url.searchParams.get('directory') ?? '/home/me' }),
    '/session': () => [session('ses_b'), session('ses_a')],
    '/session/status': () => ({ ses_a: { type: 'busy' } }),
    '/permission': () => [permission],
    '/agent': () => [agent],
    ...routes,
  })
  const data = createSyncData()
  const intake = createIntake({ data, beforeRead: () => undefined, afterEvent: () => undefined })
  const reported: Array<string | undefined> = []
  const failed = vi.fn()
  let home: string | undefined
  const bootstrap = createBootstrap({
    data,
    api: () => rest.api,
    read: intake.read,
    loads: createLoadOnce(),
    setHomeDirectory: (d) => void (home = d),
    setApiError: (m) => reported.push(m),
    failed,
  })
  return { rest, data, bootstrap, reported, failed, home: () => home }
}

describe('bootstrap', () => {
  it('reads the project list sorted by id, and the server’s own directory', async () => {
    const t = setup({ '/project': () => [project('p2'), project('p1')] })
    await t.bootstrap.loadProjects()
    expect(t.data.state.projects.map((p) => p.id)).toEqual(['p1', 'p2'])
    expect(t.home()).toBe('/home/me')
  })

  it('a failing /path does not fail the project list', async () => {
    const t = setup({
      '/project': () => [project('p1')],
      '/path': () => {
        throw new TypeError('Failed to fetch')
      },
    })
    await t.bootstrap.loadProjects()
    expect(t.data.state.projects).toHaveLength(1)
    expect(t.home()).toBeUndefined()
  })

  it('loads a directory: its lists into the state, its REST-only data into meta', async () => {
    const t = setup()
    await t.bootstrap.ensureDirectory(DIR)
    const d = t.data.state.directories[DIR]
    expect(d.sessions.map((s) => s.id)).toEqual(['ses_a', 'ses_b'])
    expect(d.status).toEqual({ ses_a: { type: 'busy' } })
    expect(d.permissions.ses_a.map((p) => p.id)).toEqual(['per_1'])
    expect(t.data.meta[DIR]).toMatchObject({ status: 'ready', agents: [agent], path: { directory: DIR } })
    expect(t.reported).toEqual([undefined])
  })

  it('a failing agent list leaves the directory ready (only the lists decide)', async () => {
    const t = setup({ '/agent': () => new Response('boom', { status: 500 }) })
    await t.bootstrap.ensureDirectory(DIR)
    expect(t.data.meta[DIR].status).toBe('ready')
    expect(t.data.meta[DIR].agents).toEqual([])
  })

  it('a failing session list marks the directory failed, reports it, asks for a retry, and throws', async () => {
    const t = setup({
      '/session': () => {
        throw new TypeError('Failed to fetch')
      },
    })
    await expect(t.bootstrap.ensureDirectory(DIR)).rejects.toThrow()
    expect(t.data.meta[DIR].status).toBe('error')
    expect(t.data.meta[DIR].error).toBeTruthy()
    expect(t.reported).toEqual([t.data.meta[DIR].error])
    expect(t.failed).toHaveBeenCalledTimes(1)
  })

  it('concurrent asks share one read; a loaded directory is not read again unless forced', async () => {
    const t = setup()
    await Promise.all([t.bootstrap.ensureDirectory(DIR), t.bootstrap.ensureDirectory(DIR)])
    expect(t.rest.reads.get('/session')).toBe(1)
    await t.bootstrap.ensureDirectory(DIR)
    expect(t.rest.reads.get('/session')).toBe(1)
    await t.bootstrap.ensureDirectory(DIR, { force: true })
    expect(t.rest.reads.get('/session')).toBe(2)
  })
})
