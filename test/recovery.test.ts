/**
 * What is read again, and when (src/sync/recovery.ts), with recording loads instead of a server:
 * a reset reloads everything loaded, a resync one directory and its sessions, a gap every loaded
 * directory, and a retry only what failed.
 */
import { describe, expect, it } from 'vitest'
import { createRecovery } from '../src/sync/recovery.ts'
import { createSyncData, loadOf, metaOf } from '../src/sync/data.ts'
import type { SyncPhase } from '../src/sync/data.ts'

function setup(options: { failProjects?: boolean } = {}) {
  const data = createSyncData()
  const calls: string[] = []
  const events: string[] = []
  let phase: SyncPhase = 'ready'
  let active = true
  const recovery = createRecovery({
    data,
    active: () => active,
    phase: () => phase,
    loadProjects: async () => {
      calls.push('projects')
      if (options.failProjects) throw new Error('down')
    },
    ensureDirectory: async (directory, o) => void calls.push(`dir:${directory}${o?.force ? ':force' : ''}`),
    ensureSession: async (directory, sessionID, o) => void calls.push(`ses:${directory}:${sessionID}${o?.force ? ':force' : ''}`),
    bootstrapped: () => events.push('bootstrapped'),
    failed: () => events.push('failed'),
  })
  metaOf(data, '/a').status = 'ready'
  metaOf(data, '/b').status = 'error'
  metaOf(data, '/idle')
  loadOf(data, 'ses_1', '/a').status = 'ready'
  loadOf(data, 'ses_2', '/c').status = 'error'
  loadOf(data, 'ses_idle', '/a')
  return {
    data,
    calls,
    events,
    recovery,
    setPhase: (p: SyncPhase) => void (phase = p),
    setActive: (a: boolean) => void (active = a),
  }
}

describe('recovery', () => {
  it('after a reset reloads the project list and every loaded directory and session, forced', async () => {
    const t = setup()
    await t.recovery.reloadEverything()
    expect(t.calls).toEqual(['projects', 'dir:/a:force', 'dir:/b:force', 'ses:/a:ses_1:force', 'ses:/c:ses_2:force'])
  })

  it('a resync re-reads the directory (when loaded) and its loaded sessions', async () => {
    const t = setup()
    await t.recovery.resyncDirectory('/a')
    await t.recovery.resyncDirectory('/idle')
    await t.recovery.resyncDirectory('/c')
    expect(t.calls).toEqual(['dir:/a:force', 'ses:/a:ses_1:force', 'ses:/c:ses_2:force'])
  })

  it('after a gap re-reads every directory loaded or holding a loaded session', async () => {
    const t = setup()
    t.recovery.resyncLoaded()
    await new Promise((r) => setTimeout(r, 0))
    expect(t.calls).toEqual(['dir:/a:force', 'ses:/a:ses_1:force', 'dir:/b:force', 'ses:/c:ses_2:force'])
  })

  it('a retry loads again only what failed, not forced', async () => {
    const t = setup()
    expect(t.recovery.hasFailedLoads()).toBe(true)
    t.recovery.retryFailed()
    expect(t.calls).toEqual(['dir:/b', 'ses:/c:ses_2'])
  })

  it('a failed project list is retried; its success or failure is reported', async () => {
    const ok = setup()
    metaOf(ok.data, '/b').status = 'ready'
    loadOf(ok.data, 'ses_2', '/c').status = 'ready'
    expect(ok.recovery.hasFailedLoads()).toBe(false)
    ok.setPhase('error')
    expect(ok.recovery.hasFailedLoads()).toBe(true)
    ok.recovery.retryFailed()
    await new Promise((r) => setTimeout(r, 0))
    expect(ok.calls).toEqual(['projects'])
    expect(ok.events).toEqual(['bootstrapped'])

    const failing = setup({ failProjects: true })
    failing.setPhase('error')
    failing.recovery.retryFailed()
    await new Promise((r) => setTimeout(r, 0))
    expect(failing.events).toEqual(['failed'])
  })

  it('retries nothing while the sync is not started', () => {
    const t = setup()
    t.setActive(false)
    t.recovery.retryFailed()
    expect(t.calls).toEqual([])
  })
})
