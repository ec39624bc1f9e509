/**
 * Regression (found by the fault suite, e2e/faults, soak seed 1584700045 cycle 47: a simulated
 * sleep froze every tab while one of them was re-reading its directory; a tool asked for
 * permission during the sleep). After the wake the relay caught up and asked every tab to resync;
 * the tab's forced re-read (`ensureDirectory(dir, { force: true })`) was merged with the read
 * already in flight — which had started BEFORE the permission was asked — so the tab never showed
 * the pending permission (it is not a durable event: only a read started after it can see it).
 *
 * Expected: a forced load asked for while a load of the same key runs is read again after it.
 */
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { PermissionRequest, Session } from '@opencode-ai/sdk/v2/types'
import { clearRelay, provideRelay } from '../src/stores/relay.ts'
import { setStorage } from '../src/stores/storage.ts'
import { useServerStore } from '../src/stores/server.ts'
import { memoryStorage, StubRelay } from './support/stub-relay.ts'
import { useSyncStore } from '../src/stores/sync.ts'

const DIR = '/work/project'
const SES = 'ses_a'

afterEach(() => {
  clearRelay()
  setStorage(undefined)
})

describe('sync store: a forced reload during a load (regression)', () => {
  it('reads again instead of joining the load that started before the reason to reload', async () => {
    setStorage(memoryStorage())
    setActivePinia(createPinia())
    provideRelay(new StubRelay())
    const session: Session = { id: SES, slug: SES, projectID: 'p1', directory: DIR, title: 'A', version: '1', time: { created: 1, updated: 1 } }
    const permission: PermissionRequest = { id: 'per_1', sessionID: SES, permission: 'bash', patterns: ['echo hi'], metadata: {}, always: [] }
    let pending: PermissionRequest[] = []
    let release: (() => void) | undefined
    const firstReadHeld = new Promise<void>((r) => (release = r))
    let permissionReads = 0
    const servers = useServerStore()
    servers.setFetch(async (input) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      const json = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { 'content-type': 'application/json' } })
      if (url.pathname === '/permission') {
        // The first read was sent before the permission existed; its answer arrives late.
        const answer = [...pending]
        if (++permissionReads === 1) await firstReadHeld
        return json(answer)
      }
      if (url.pathname === '/session') return json([session])
      if (url.pathname === '/session/status') return json({})
      return json([])
    })
    await servers.init({ fetch: async () => new Response(JSON.stringify({ server: { url: 'http://oc.test' } }), { headers: { 'content-type': 'application/json' } }) })
    const sync = useSyncStore()
    await sync.start()

    const first = sync.ensureDirectory(DIR)
    await new Promise((r) => setTimeout(r, 20))
    // Meanwhile the tool asks for permission, and the relay asks the tab to resync the directory.
    pending = [permission]
    const forced = sync.ensureDirectory(DIR, { force: true })
    release?.()
    await Promise.allSettled([first, forced])
    await new Promise((r) => setTimeout(r, 20))

    expect(sync.dir(DIR).permissions[SES]?.map((p) => p.id)).toEqual(['per_1'])
  })
})
