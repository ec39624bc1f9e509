/**
 * Tab side of the relay. `createRelayClient` picks the SharedWorker where it exists, else the
 * leader-tab fallback (Chrome Android before 148, some webviews); both implement `RelayClient`.
 */
import { sameServer, type OutboxRequest, type RelayNotification, type RelayStatus, type RelayToTab, type ServerConfig, type TabToRelay } from '../../sw/shared/protocol.ts'
import type { OutboxEntry } from '../../sw/shared/outbox-types.ts'
import { isRelayToTab } from './guards.ts'
import { IDLE_STATUS, type OutboxRefusal, type RelayClient, type RelayedEvent } from './types.ts'

export type { RelayClient } from './types.ts'

/** Name of the Web Lock every tab holds for its lifetime, so the relay notices closed tabs. */
export function tabLockName(tabId: string): string {
  return `opencode-relay-tab-${tabId}`
}


type Listeners = {
  status: Set<(s: RelayStatus) => void>
  events: Set<(e: RelayedEvent[]) => void>
  reset: Set<(i: { reason: string; head: number }) => void>
  resync: Set<(i: { directory: string; reason: string }) => void>
  notify: Set<(n: RelayNotification) => void>
  serverMoved: Set<(server: ServerConfig) => void>
  outbox: Set<(entries: OutboxEntry[]) => void>
  outboxRefused: Set<(info: OutboxRefusal) => void>
}

function on<T>(set: Set<T>, cb: T): () => void {
  set.add(cb)
  return () => set.delete(cb)
}

/**
 * Shared behaviour of both implementations: dispatching `RelayToTab`, the tab's Web Lock,
 * visibility reports, and the subscribe handshake. Subclasses provide `send`.
 */
abstract class BaseRelay implements RelayClient {
  abstract readonly mode: RelayClient['mode']
  protected readonly tabId = crypto.randomUUID()
  protected current: RelayStatus
  protected server: ServerConfig
  /** Highest cursor delivered to the app, or where the subscription started; used to re-subscribe after a leader change. */
  protected lastCursor: number | undefined
  private readonly listeners: Listeners = { status: new Set(), events: new Set(), reset: new Set(), resync: new Set(), notify: new Set(), serverMoved: new Set(), outbox: new Set(), outboxRefused: new Set() }
  private pendingSubscribe: Array<(r: { from: number; head: number }) => void> = []
  private readonly cleanups: Array<() => void> = []
  private releaseLock: (() => void) | undefined

  constructor(server: ServerConfig, mode: RelayStatus['mode']) {
    this.server = server
    this.current = { ...IDLE_STATUS, mode }
  }

  /** Messages queued until this tab holds its lock and has said hello. */
  private beforeHello: TabToRelay[] | undefined = []

  /** Whether this tab holds its Web Lock and has said hello (the queued messages are flushed). */
  protected get greeted(): boolean {
    return this.beforeHello === undefined
  }

  /** Transport-specific delivery of one message to the relay. */
  protected abstract post(msg: TabToRelay): void

  /**
   * Sends a message to the relay. Until the tab's Web Lock is held and `hello` went out, messages
   * wait in a queue: the relay watches that lock to notice the tab closing, so it must be held
   * before the relay can ask for it (otherwise the relay would get it first and drop the tab).
   */
  protected send(msg: TabToRelay): void {
    if (this.beforeHello && msg.type !== 'hello') this.beforeHello.push(msg)
    else this.post(msg)
  }

  /**
   * Takes this tab's lock for its lifetime, then says hello and flushes the queued messages; registers
   * visibility and lifecycle listeners.
   */
  protected startTab(): void {
    const locks = navigator.locks
    const greet = () => {
      this.hello()
      const queued = this.beforeHello ?? []
      this.beforeHello = undefined
      for (const m of queued) this.post(m)
    }
    if (locks) {
      void locks.request(tabLockName(this.tabId), () => {
        greet()
        return new Promise<void>((resolve) => (this.releaseLock = resolve))
      })
    } else {
      greet()
    }
    const onVisibility = () => this.send({ type: 'visibility', visible: document.visibilityState === 'visible' })
    const onPageHide = (ev: PageTransitionEvent) => {
      if (!ev.persisted) this.close()
    }
    // Page Lifecycle: a frozen tab (backgrounded, or the machine slept) tells the relay how long
    // it was frozen when it runs again, so a stream that died meanwhile is replaced at once.
    let frozenAt: number | undefined
    const onFreeze = () => (frozenAt = Date.now())
    const onResume = () => {
      if (frozenAt !== undefined) this.send({ type: 'resumed', frozenMs: Date.now() - frozenAt })
      frozenAt = undefined
      onVisibility()
    }
    document.addEventListener('visibilitychange', onVisibility)
    document.addEventListener('freeze', onFreeze)
    document.addEventListener('resume', onResume)
    window.addEventListener('pagehide', onPageHide)
    this.cleanups.push(
      () => document.removeEventListener('visibilitychange', onVisibility),
      () => document.removeEventListener('freeze', onFreeze),
      () => document.removeEventListener('resume', onResume),
      () => window.removeEventListener('pagehide', onPageHide),
    )
  }

  protected hello(): void {
    this.send({
      type: 'hello',
      tabId: this.tabId,
      lockName: tabLockName(this.tabId),
      server: this.server,
      visible: document.visibilityState === 'visible',
    })
  }

  /** Dispatches one message from the relay to the registered listeners. */
  protected dispatch(msg: RelayToTab): void {
    switch (msg.type) {
      case 'status':
        this.current = msg.status
        for (const cb of this.listeners.status) cb(msg.status)
        return
      case 'subscribed': {
        // Where this tab's stream now starts: a re-subscribe (new leader) continues from here
        // even before any event arrived, instead of from a later `head` (a gap).
        this.lastCursor = Math.max(this.lastCursor ?? msg.from, msg.from)
        const waiter = this.pendingSubscribe.shift()
        waiter?.({ from: msg.from, head: msg.head })
        return
      }
      case 'events': {
        if (msg.events.length === 0) return
        this.lastCursor = msg.events[msg.events.length - 1].cursor
        for (const cb of this.listeners.events) cb(msg.events)
        return
      }
      case 'reset': {
        this.lastCursor = msg.head
        const waiter = this.pendingSubscribe.shift()
        waiter?.({ from: msg.head, head: msg.head })
        for (const cb of this.listeners.reset) cb({ reason: msg.reason, head: msg.head })
        return
      }
      case 'resync':
        for (const cb of this.listeners.resync) cb({ directory: msg.directory, reason: msg.reason })
        return
      case 'notify':
        for (const cb of this.listeners.notify) cb(msg.notification)
        return
      case 'server-moved':
        // The relay already uses this address: the tab's own follow-up `configure` is not sent
        // back (see `configure`), and a later `hello` carries it.
        this.server = msg.server
        for (const cb of this.listeners.serverMoved) cb(msg.server)
        return
      case 'outbox':
        for (const cb of this.listeners.outbox) cb(msg.entries)
        return
      case 'outbox-refused':
        for (const cb of this.listeners.outboxRefused) cb({ op: msg.op, id: msg.id, error: msg.error })
        return
    }
  }

  status(): RelayStatus {
    return this.current
  }
  onStatus(cb: (s: RelayStatus) => void): () => void {
    return on(this.listeners.status, cb)
  }
  onEvents(cb: (e: RelayedEvent[]) => void): () => void {
    return on(this.listeners.events, cb)
  }
  onReset(cb: (i: { reason: string; head: number }) => void): () => void {
    return on(this.listeners.reset, cb)
  }
  onResync(cb: (i: { directory: string; reason: string }) => void): () => void {
    return on(this.listeners.resync, cb)
  }
  onNotify(cb: (n: RelayNotification) => void): () => void {
    return on(this.listeners.notify, cb)
  }
  onServerMoved(cb: (server: ServerConfig) => void): () => void {
    return on(this.listeners.serverMoved, cb)
  }
  outbox(request: OutboxRequest): void {
    this.send({ type: 'outbox', request })
  }
  onOutbox(cb: (entries: OutboxEntry[]) => void): () => void {
    return on(this.listeners.outbox, cb)
  }
  onOutboxRefused(cb: (info: OutboxRefusal) => void): () => void {
    return on(this.listeners.outboxRefused, cb)
  }

  subscribe(cursor: number | 'head'): Promise<{ from: number; head: number }> {
    if (typeof cursor === 'number') this.lastCursor = cursor
    return new Promise((resolve) => {
      this.pendingSubscribe.push(resolve)
      this.send({ type: 'subscribe', cursor })
    })
  }
  /**
   * Points the relay at `server`. Nothing is sent when the relay already uses it — in particular
   * after a `server-moved`: echoing that move back could arrive after a later move and pull the
   * relay back to an address it just left, which it would then leave again, and so on.
   */
  configure(server: ServerConfig): void {
    const unchanged = sameServer(this.server, server) && Boolean(this.server.followLauncher) === Boolean(server.followLauncher)
    this.server = server
    if (!unchanged) this.send({ type: 'configure', server })
  }
  reconnect(): void {
    this.send({ type: 'reconnect' })
  }
  /** Tells the relay which session this tab shows (for notifications). */
  view(directory: string | undefined, sessionID: string | undefined): void {
    this.send({ type: 'view', directory, sessionID })
  }
  /** Tells the relay whether system notifications are enabled. */
  settings(notifications: boolean): void {
    this.send({ type: 'settings', notifications })
  }
  close(): void {
    this.send({ type: 'bye' })
    this.releaseLock?.()
    for (const c of this.cleanups.splice(0)) c()
  }
}

/** The normal path: one SharedWorker per origin holds the single upstream connection. */
export class SharedWorkerRelay extends BaseRelay {
  readonly mode = 'shared-worker' as const
  private readonly port: MessagePort

  constructor(server: ServerConfig) {
    super(server, 'shared-worker')
    const worker = new SharedWorker(new URL('../../sw/shared-worker.ts', import.meta.url), {
      type: 'module',
      name: 'opencode-relay',
    })
    this.port = worker.port
    this.port.addEventListener('message', (ev: MessageEvent) => {
      const data: unknown = ev.data
      if (isRelayToTab(data)) this.dispatch(data)
    })
    this.port.start()
    this.startTab()
  }

  protected post(msg: TabToRelay): void {
    this.port.postMessage(msg)
  }
}

/** BroadcastChannel envelope of the fallback. */
type Envelope =
  | { kind: 'to-leader'; from: string; msg: TabToRelay }
  | { kind: 'to-tab'; to: string; msg: RelayToTab }
  | { kind: 'leader-changed'; leader: string }

function isEnvelope(x: unknown): x is Envelope {
  if (typeof x !== 'object' || x === null || !('kind' in x)) return false
  if (x.kind === 'to-leader') return 'from' in x && typeof x.from === 'string' && 'msg' in x
  if (x.kind === 'to-tab') return 'to' in x && typeof x.to === 'string' && 'msg' in x && isRelayToTab(x.msg)
  return x.kind === 'leader-changed' && 'leader' in x && typeof x.leader === 'string'
}

/** Web Lock that elects the leader tab in the fallback. */
export const LEADER_LOCK = 'opencode-relay-leader'
const CHANNEL = 'opencode-relay-bus'

/**
 * Fallback where `SharedWorker` is missing: the tab holding the `opencode-relay-leader` Web Lock
 * runs the relay hub in-page and fans out over BroadcastChannel. When the leader closes, its lock
 * is released, the next tab in the lock queue becomes leader at once, announces itself, and every
 * tab re-subscribes from the last cursor it applied (the log is in IndexedDB, shared by all).
 */
export class LeaderTabRelay extends BaseRelay {
  readonly mode = 'leader-tab' as const
  private readonly channel = new BroadcastChannel(CHANNEL)
  private leaderInbox: ((from: string, msg: TabToRelay) => void) | undefined
  private subscribed: number | 'head' | undefined

  constructor(server: ServerConfig) {
    super(server, 'leader-tab')
    this.channel.addEventListener('message', (ev: MessageEvent) => this.onChannel(ev.data))
    this.startTab()
    void this.campaign()
  }

  /** Waits in the leader lock queue; on winning, runs the hub until the tab dies. */
  private async campaign(): Promise<void> {
    const locks = navigator.locks
    if (!locks) return
    await locks.request(LEADER_LOCK, async () => {
      const { attachLocalHub } = await import('./leader.ts')
      this.leaderInbox = attachLocalHub(this.tabId, (to, msg) => {
        if (to === this.tabId) this.dispatch(msg)
        else this.channel.postMessage({ kind: 'to-tab', to, msg } satisfies Envelope)
      })
      this.channel.postMessage({ kind: 'leader-changed', leader: this.tabId } satisfies Envelope)
      this.resubscribe()
      await new Promise<never>(() => undefined)
    })
  }

  private resubscribe(): void {
    // Not greeted yet (this tab's Web Lock is not held): the greeting will say hello and flush the
    // queued subscribe. Saying hello now would let the leader take our lock first and drop us.
    if (!this.greeted) return
    this.hello()
    if (this.subscribed !== undefined) {
      this.send({ type: 'subscribe', cursor: this.lastCursor ?? this.subscribed })
    }
  }

  private onChannel(data: unknown): void {
    if (!isEnvelope(data)) return
    if (data.kind === 'to-tab' && data.to === this.tabId) this.dispatch(data.msg)
    else if (data.kind === 'to-leader' && this.leaderInbox) this.leaderInbox(data.from, data.msg)
    else if (data.kind === 'leader-changed' && data.leader !== this.tabId) this.resubscribe()
  }

  override subscribe(cursor: number | 'head'): Promise<{ from: number; head: number }> {
    this.subscribed = cursor
    return super.subscribe(cursor)
  }

  protected post(msg: TabToRelay): void {
    if (this.leaderInbox) this.leaderInbox(this.tabId, msg)
    else this.channel.postMessage({ kind: 'to-leader', from: this.tabId, msg } satisfies Envelope)
  }

  override close(): void {
    super.close()
    this.channel.close()
  }
}

/**
 * Creates the relay client for this tab. `?relay=leader` (or `localStorage['relay-mode'] =
 * 'leader'`) forces the fallback, for tests and for debugging.
 */
export function createRelayClient(server: ServerConfig): RelayClient & Pick<SharedWorkerRelay, 'view' | 'settings' | 'onServerMoved'> {
  const forced = new URLSearchParams(location.search).get('relay') ?? localStorage.getItem('relay-mode')
  if (typeof SharedWorker === 'function' && forced !== 'leader') return new SharedWorkerRelay(server)
  return new LeaderTabRelay(server)
}
