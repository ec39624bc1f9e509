/**
 * The tab side of the relay (src/relay-client/index.ts) in Node, in the leader-tab fallback: the test
 * plays the leader on the BroadcastChannel and checks what the tab's relay client sends it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { RelayToTab, TabToRelay } from '../sw/shared/protocol.ts'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('relay client, leader-tab fallback', () => {
  it('after a leader change, a tab with no event yet re-subscribes at its `subscribed.from`, not at a later head', async () => {
    // What was logged between the first subscription and the leader change would be skipped by a
    // re-subscription at `head`: the tab keeps the `from` of the `subscribed` answer as its cursor.
    // Just enough of a page for the relay client in node: no Web Locks (it greets at once and
    // never campaigns: the test plays the leader on the BroadcastChannel).
    vi.stubGlobal('navigator', {})
    vi.stubGlobal('document', Object.assign(new EventTarget(), { visibilityState: 'visible' }))
    vi.stubGlobal('window', new EventTarget())
    vi.stubGlobal('location', { search: '?relay=leader' })
    vi.stubGlobal('localStorage', { getItem: () => null })
    const { createRelayClient } = await import('../src/relay-client/index.ts')
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
