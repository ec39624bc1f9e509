/**
 * Regression (found by the fault suite, e2e/faults, seed 29906191 cycle 4: in the leader-tab
 * fallback the leader closed and reopened while a reply streamed; the reopened tab kept the reply
 * unfinished forever). Two holes let a tab miss events for good:
 *
 * 1. The session view mounts right after `start()` and asked for its session at once: the REST
 *    read went out before the relay had answered the tab's `subscribe` at `head`. Every event
 *    between the read's answer and that `head` was in neither. Now every REST read waits for the
 *    subscription; and when the answer only comes after SUBSCRIBE_TIMEOUT_MS (reads went ahead),
 *    what was loaded is read again.
 * 2. A follower tab subscribed at `head` that had not received an event yet re-subscribed at
 *    `head` again when the leader changed, skipping what was logged in between. The relay client
 *    now keeps the `from` of the `subscribed` answer as its cursor.
 */
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { Message, Session } from '@opencode-ai/sdk/v2/types'
import type { RelayToTab, TabToRelay } from '../sw/shared/protocol.ts'
import type { RelayClient } from '../src/relay/types.ts'
import { clearRelay, provideRelay } from '../src/stores/relay.ts'
import { setStorage } from '../src/stores/storage.ts'
import { useServerStore } from '../src/stores/server.ts'
import { memoryStorage, StubRelay } from './support/stub-relay.ts'
import { SUBSCRIBE_TIMEOUT_MS, useSyncStore } from '../src/stores/sync.ts'

const DIR = '/work/project'
const SES = 'ses_a'

/** Starts a sync store on `relay` against a fake server; counts `GET /session/{id}/message`. */
async function setup(relay: RelayClient) {
  setStorage(memoryStorage())
  setActivePinia(createPinia())
  provideRelay(relay)
  const session: Session = { id: SES, slug: SES, projectID: 'p1', directory: DIR, title: 'A', version: '1', time: { created: 1, updated: 1 } }
  const reads = { messages: 0 }
  const servers = useServerStore()
  servers.setFetch(async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const json = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { 'content-type': 'application/json' } })
    if (url.pathname === `/session/${SES}/message`) {
      reads.messages++
      const messages: Array<{ info: Message; parts: [] }> = []
      return json(messages)
    }
    if (url.pathname === `/session/${SES}`) return json(session)
    if (url.pathname === '/session') return json([session])
    if (url.pathname === '/session/status') return json({})
    if (url.pathname === '/project') return json([])
    if (url.pathname === '/path') return json({ home: '/', state: '/', config: '/', worktree: DIR, directory: DIR })
    return json([])
  })
  await servers.init({ fetch: async () => new Response(JSON.stringify({ server: { url: 'http://oc.test' } }), { headers: { 'content-type': 'application/json' } }) })
  return { sync: useSyncStore(), reads }
}

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  clearRelay()
  setStorage(undefined)
})

describe('REST reads wait for the relay subscription (regression)', () => {
  it('a session asked for right after start() is read only once the subscription is answered', async () => {
    const relay = new StubRelay(7).holdSubscribe()
    const { sync, reads } = await setup(relay)
    const started = sync.start()
    // The view mounts at once and asks for its session.
    const load = sync.ensureSession(DIR, SES)
    await new Promise((r) => setTimeout(r, 50))
    expect(reads.messages).toBe(0)

    relay.answer?.()
    await Promise.all([started, load])
    expect(reads.messages).toBe(1)
    expect(sync.sessionLoads[SES].status).toBe('ready')
  })

  it('reads go ahead after SUBSCRIBE_TIMEOUT_MS, and are read again once the late answer comes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const relay = new StubRelay(7).holdSubscribe()
    const { sync, reads } = await setup(relay)
    const started = sync.start()
    const load = sync.ensureSession(DIR, SES)
    await vi.advanceTimersByTimeAsync(SUBSCRIBE_TIMEOUT_MS + 10)
    await Promise.all([started, load])
    expect(reads.messages).toBe(1)

    relay.answer?.()
    await vi.advanceTimersByTimeAsync(10)
    await vi.waitFor(() => expect(reads.messages).toBe(2))
    expect(sync.sessionLoads[SES].status).toBe('ready')
  })
})

describe('leader-tab fallback: a follower re-subscribes from where its stream started (regression)', () => {
  it('after a leader change, a tab with no event yet re-subscribes at its `subscribed.from`, not at a later head', async () => {
    // Just enough of a page for the relay client in node: no Web Locks (it greets at once and
    // never campaigns: the test plays the leader on the BroadcastChannel).
    vi.stubGlobal('navigator', {})
    vi.stubGlobal('document', Object.assign(new EventTarget(), { visibilityState: 'visible' }))
    vi.stubGlobal('window', new EventTarget())
    vi.stubGlobal('location', { search: '?relay=leader' })
    vi.stubGlobal('localStorage', { getItem: () => null })
    const { createRelayClient } = await import('../src/relay/index.ts')
    const bus = new BroadcastChannel('opencode-relay-bus')
    const toLeader: TabToRelay[] = []
    let tabId = ''
    bus.onmessage = (ev: MessageEvent<{ kind: string; from?: string; msg?: TabToRelay }>) => {
      if (ev.data.kind !== 'to-leader' || !ev.data.msg || !ev.data.from) return
      tabId = ev.data.from
      toLeader.push(ev.data.msg)
    }
    const client = createRelayClient({ url: 'http://oc.test' })
    try {
      expect(client.mode).toBe('leader-tab')
      const answered = client.subscribe('head')
      await vi.waitFor(() => expect(toLeader.some((m) => m.type === 'subscribe')).toBe(true))
      expect(toLeader.find((m) => m.type === 'subscribe')).toEqual({ type: 'subscribe', cursor: 'head' })
      const subscribed: RelayToTab = { type: 'subscribed', from: 41, head: 41 }
      bus.postMessage({ kind: 'to-tab', to: tabId, msg: subscribed })
      await expect(answered).resolves.toEqual({ from: 41, head: 41 })

      // The leader closes; the next one announces itself. Events 42… were logged meanwhile.
      toLeader.length = 0
      bus.postMessage({ kind: 'leader-changed', leader: 'another-tab' })
      await vi.waitFor(() => expect(toLeader.some((m) => m.type === 'subscribe')).toBe(true))
      expect(toLeader.find((m) => m.type === 'subscribe')).toEqual({ type: 'subscribe', cursor: 41 })
    } finally {
      client.close()
      bus.close()
    }
  })
})
