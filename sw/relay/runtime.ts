/**
 * Builds a `RelayHub` with the real browser dependencies (fetch, timers, Dexie event log, Web
 * Locks) and wires a message-port-like transport to it. Shared by the SharedWorker entry and the
 * leader tab of the fallback, so both run exactly the same relay.
 */
import type { RelayStatus, RelayToTab } from '../shared/protocol.ts'
import { AwakeLeaser } from './awake-lease.ts'
import { EventLog, RELAY_PERSIST_EVERY_MS } from './log/event-log.ts'
import { DexieOutboxStore } from './outbox-store.ts'
import { isTabToRelay } from './guards.ts'
import { realClock } from '../shared/clock.ts'
import { RelayHub, type TabSession } from './hub.ts'
import { serverIdentity } from '../shared/protocol.ts'

export type { TabSession }
import { readLauncherConfig } from '../shared/launcher-config.ts'

/**
 * Name of the event log database for a server: one log per server identity (`ServerConfig.identity`,
 * e.g. the launcher's `launcher:<dir>`), else per URL.
 */
export function logName(key: string): string {
  return `opencode-relay:${key}`
}

/**
 * Creates the hub with browser deps: fetch, timers, the Dexie event log `opencode-relay:<identity>`
 * and outbox `opencode-relay:<identity>:outbox` per server, Web Locks. `mode` is reported in every status.
 */
export function createBrowserHub(mode: RelayStatus['mode']): RelayHub {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
  // Sleep protection: leases for the relay-awake companion while sessions are busy (awake-lease.ts).
  const awake = new AwakeLeaser({
    fetch: (input, init) => fetch(input, init),
    clock: realClock,
    upstreamConnected: () => hub.status().state === 'connected',
    log: (line) => console.warn(`[relay] ${line}`),
  })
  const hub: RelayHub = new RelayHub({
    fetch: (input, init) => fetch(input, init),
    clock: realClock,
    random: Math.random,
    mode,
    openLog: (server) => {
      awake.serverChanged()
      return EventLog.open({ name: logName(serverIdentity(server)), persistEveryMs: RELAY_PERSIST_EVERY_MS })
    },
    // Same origin as the page or the worker script: the launcher that served the app.
    readLauncherConfig: ({ waitForReady, signal }) => readLauncherConfig({ waitForReady, signal }),
    // One outbox database per server, beside its event log; the hub closes it when it leaves the server.
    openOutboxStore: (server) => new DexieOutboxStore(`${logName(serverIdentity(server))}:outbox`),
    onEvents: (events) => awake.observe(events),
    waitForLockRelease: locks
      ? (name) => locks.request(name, () => undefined).then(() => undefined)
      : undefined,
  })
  return hub
}

/** Something that delivers messages from one tab and posts back to it. */
export interface PortLike {
  postMessage(msg: RelayToTab): void
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void
  start?: () => void
}

/**
 * Attaches a port to the hub: the first valid message must be `hello`; later messages go to that
 * tab's session in arrival order (a promise chain, so a slow subscribe never reorders them).
 * Invalid messages are dropped (counted in the console), never thrown.
 */
export function attachPort(hub: RelayHub, port: PortLike): void {
  let tab: TabSession | undefined
  let chain: Promise<void> = Promise.resolve()
  port.addEventListener('message', (ev: MessageEvent) => {
    const msg: unknown = ev.data
    if (!isTabToRelay(msg)) {
      console.warn('[relay] dropped an invalid message from a tab', msg)
      return
    }
    chain = chain.then(async () => {
      if (!tab) {
        if (msg.type !== 'hello') return
        tab = hub.connectTab({ post: (m) => port.postMessage(m) }, msg.tabId, msg.lockName)
      }
      await tab.receive(msg)
    }).catch((err: unknown) => console.error('[relay] tab message failed', err))
  })
  port.start?.()
}
