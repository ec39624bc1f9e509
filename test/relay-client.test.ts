/**
 * The tab side of the relay (src/relay-client/index.ts) in Node, in the leader-tab fallback: the test
 * plays the leader on the BroadcastChannel and checks what the tab's relay client sends it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { RelayToTab, TabToRelay } from '../sw/shared/protocol.ts'

afterEach(() => {
  vi.unstubAllGlobals()
})

/**
 * Just enough of a page for the relay client in node: no Web Locks (it greets at once and never
 * campaigns), `?relay=leader`. The test plays the leader on the BroadcastChannel: `toLeader`
 * collects what the tab sends, `tabId()` is the tab's id once it said something.
 */
async function leaderBus() {
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
  return { createRelayClient, bus, toLeader, tabId: () => tabId }
}

describe('relay client, leader-tab fallback', () => {
  it('after a leader change, a tab with no event yet re-subscribes at its `subscribed.from`, not at a later head', async () => {
    // What was logged between the first subscription and the leader change would be skipped by a
    // re-subscription at `head`: the tab keeps the `from` of the `subscribed` answer as its cursor.
    const { createRelayClient, bus, toLeader, tabId } = await leaderBus()
    const client = createRelayClient({ url: 'http://oc.test' })
    try {
      expect(client.mode).toBe('leader-tab')
      const answered = client.subscribe('head')
      await vi.waitFor(() => expect(toLeader.some((m) => m.type === 'subscribe')).toBe(true))
      expect(toLeader.find((m) => m.type === 'subscribe')).toEqual({ type: 'subscribe', cursor: 'head' })
      const subscribed: RelayToTab = { type: 'subscribed', from: 41, head: 41 }
      bus.postMessage({ kind: 'to-tab', to: tabId(), msg: subscribed })
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

  it('does not echo a server move back to the relay, and says hello with the address it moved to', async () => {
    // A tab's stores follow a `server-moved` and ask the client to configure that address; sent
    // back, it could reach the relay after a later move and pull it back to the old address.
    const { createRelayClient, bus, toLeader, tabId } = await leaderBus()
    const A = { url: 'http://127.0.0.1:4096', identity: 'launcher:/p', followLauncher: true }
    const B = { ...A, url: 'http://127.0.0.1:40001' }
    const C = { url: 'http://elsewhere.test' }
    const client = createRelayClient(A)
    try {
      const moved: string[] = []
      client.onServerMoved((s) => {
        moved.push(s.url)
        client.configure(s) // what the server store and the sync store do
      })
      await vi.waitFor(() => expect(tabId()).not.toBe(''))
      bus.postMessage({ kind: 'to-tab', to: tabId(), msg: { type: 'server-moved', server: B } satisfies RelayToTab })
      await vi.waitFor(() => expect(moved).toEqual([B.url]))
      client.configure(B)
      client.configure(C)
      await vi.waitFor(() => expect(toLeader.filter((m) => m.type === 'configure')).toEqual([{ type: 'configure', server: C }]))

      toLeader.length = 0
      bus.postMessage({ kind: 'to-tab', to: tabId(), msg: { type: 'server-moved', server: B } satisfies RelayToTab })
      await vi.waitFor(() => expect(moved).toEqual([B.url, B.url]))
      bus.postMessage({ kind: 'leader-changed', leader: 'another-tab' })
      await vi.waitFor(() => expect(toLeader.some((m) => m.type === 'hello')).toBe(true))
      expect(toLeader.find((m) => m.type === 'hello')).toMatchObject({ server: B })
      expect(toLeader.filter((m) => m.type === 'configure')).toEqual([])
    } finally {
      client.close()
      bus.close()
    }
  })
})
