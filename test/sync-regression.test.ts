/**
 * Regression (found by the fault suite, e2e/faults, seed 2 cycles 7–8: a tab reloaded while the
 * network was refused, and a tab opened while `opencode serve` restarted): `ensureSession` starts
 * `GET /session/{id}` (the session's info, when the tab does not know it yet) next to the message
 * read; when the message read failed first, the info request was never awaited, and its own
 * failure became an unhandled promise rejection ("TypeError: Failed to fetch" as a page error).
 */
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { clearRelay } from '../src/stores/relay.ts'
import { setStorage } from '../src/stores/storage.ts'
import { useServerStore } from '../src/stores/server.ts'
import { memoryStorage } from './support/stub-relay.ts'
import { useSyncStore } from '../src/stores/sync.ts'

const DIR = '/work/project'

afterEach(() => {
  clearRelay()
  setStorage(undefined)
})

describe('sync store under network faults (regression)', () => {
  it('a failed session load leaves no unhandled rejection behind', async () => {
    setStorage(memoryStorage())
    setActivePinia(createPinia())
    const servers = useServerStore()
    // The network is down: every request fails, the message read first, the info read a bit later.
    servers.setFetch(async (input) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      if (/^\/session\/[^/]+$/.test(url.pathname)) await new Promise((r) => setTimeout(r, 20))
      throw new TypeError('Failed to fetch')
    })
    await servers.init({ fetch: async () => new Response(JSON.stringify({ server: { url: 'http://oc.test' } }), { headers: { 'content-type': 'application/json' } }) })
    const sync = useSyncStore()

    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      await expect(sync.ensureSession(DIR, 'ses_unknown')).rejects.toThrow()
      expect(sync.sessionLoads.ses_unknown.status).toBe('error')
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled.map(String)).toEqual([])
  })
})
