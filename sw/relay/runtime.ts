/**
 * Builds a `RelayHub` with the real browser dependencies (fetch, timers, Dexie event log, Web
 * Locks) and wires a message-port-like transport to it. Shared by the SharedWorker entry and the
 * leader tab of the fallback, so both run exactly the same relay.
 */
import type { RelayStatus, RelayToTab } from '../protocol.ts'
import { AwakeLeaser } from './awake-lease.ts'
import { EventLog } from './event-log.ts'
import { isTabToRelay } from './guards.ts'
import { RelayHub, type TabSession } from './hub.ts'

/** Real timers and wall clock. */
export const realClock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => {
    if (typeof handle === 'number') clearTimeout(handle)
  },
}

/** Name of the event log database for a server: one log per server URL. */
export function logName(serverUrl: string): string {
  return `opencode-relay:${serverUrl}`
}

/** Creates the hub with browser deps. `mode` is reported in every status. */
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
      return EventLog.open({ name: logName(server.url) })
    },
    onEvents: (events) => awake.observe(events),
    waitForLockRelease: locks
      ? (name) => locks.request(name, () => undefined).then(() => undefined)
      : undefined,
    onBusyLease: (busy, reason, tabId) => awake.tabLease(busy, reason, tabId),
  })
  return hub
}

/**
 * Encodes `events` batches for ports: tabs pumped from the same cursor get the same batch, so the
 * JSON of the last few batches is kept (keyed by first cursor, last cursor and length; cursors
 * are never reused, and a batch's content is fixed once it has cursors).
 */
export class BatchEncoder {
  private readonly cache = new Map<string, string>()

  /** @param keep how many recent batches to remember */
  constructor(private readonly keep = 8) {}

  /** The wire message for `msg`: `events` becomes `events-json`; any other message is returned as is. */
  encode(msg: RelayToTab): RelayToTab {
    if (msg.type !== 'events' || msg.events.length === 0) return msg
    const events = msg.events
    const key = `${events[0].cursor}:${events[events.length - 1].cursor}:${events.length}`
    let json = this.cache.get(key)
    if (json === undefined) {
      json = JSON.stringify(events)
      this.cache.set(key, json)
      if (this.cache.size > this.keep) {
        const oldest = this.cache.keys().next()
        if (!oldest.done) this.cache.delete(oldest.value)
      }
    }
    return { type: 'events-json', json }
  }
}

/** Something that delivers messages from one tab and posts back to it. */
export interface PortLike {
  postMessage(msg: RelayToTab): void
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void
  start?: () => void
}

/** One encoder for every port of this worker, so tabs share the encoding. */
const sharedEncoder = new BatchEncoder()

/**
 * Attaches a port to the hub: the first valid message must be `hello`; later messages go to that
 * tab's session in arrival order (a promise chain, so a slow subscribe never reorders them).
 * Invalid messages are dropped (counted in the console), never thrown. Event batches go to the
 * port as `events-json` through `encoder` (see {@link BatchEncoder}).
 */
export function attachPort(hub: RelayHub, port: PortLike, encoder: BatchEncoder = sharedEncoder): void {
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
        tab = hub.connectTab({ post: (m) => port.postMessage(encoder.encode(m)) }, msg.tabId, msg.lockName)
      }
      await tab.receive(msg)
    }).catch((err: unknown) => console.error('[relay] tab message failed', err))
  })
  port.start?.()
}
