/**
 * The leader tab's side of the fallback: runs the same `RelayHub` as the SharedWorker, in-page.
 * Loaded lazily, only by the tab that wins the leader lock.
 */
import type { RelayToTab, TabToRelay } from '../../sw/shared/protocol.ts'
import { createBrowserHub, type TabSession } from '../../sw/relay/runtime.ts'

/**
 * Starts a hub in this tab. `deliver(to, msg)` posts a relay message to tab `to` (this tab or
 * another over BroadcastChannel). Returns the inbox for messages from tab `from`, processed in
 * arrival order per tab.
 */
export function attachLocalHub(selfId: string, deliver: (to: string, msg: RelayToTab) => void): (from: string, msg: TabToRelay) => void {
  const hub = createBrowserHub('leader-tab')
  const tabs = new Map<string, { session: TabSession; chain: Promise<void> }>()
  window.addEventListener('online', () => hub.setOnline(true))
  window.addEventListener('offline', () => hub.setOnline(false))
  void selfId
  return (from, msg) => {
    let entry = tabs.get(from)
    if (!entry) {
      if (msg.type !== 'hello') return
      const session = hub.connectTab({ post: (m) => deliver(from, m) }, from, msg.lockName)
      entry = { session, chain: Promise.resolve() }
      tabs.set(from, entry)
    }
    const current = entry
    current.chain = current.chain
      .then(() => current.session.receive(msg))
      .catch((err: unknown) => console.error('[relay] leader failed to handle a message', err))
    if (msg.type === 'bye') tabs.delete(from)
  }
}
