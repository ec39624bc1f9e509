/**
 * The relay's outbox per server (issue 19): the hub (sw/relay/hub.ts) holds one {@link OutboxHost},
 * which keeps one {@link Outbox} engine for the server the relay is pointed at — created when the
 * server's identity changes (the same server at another port keeps its outbox), with that
 * server's store (IndexedDB, `<log name>:outbox`) and its REST endpoints (sw/relay/outbox-server.ts).
 * Tabs reach it with the protocol's `outbox` requests (see `OutboxRequest` in sw/shared/protocol.ts)
 * and see every entry's state in `outbox` messages.
 *
 * Without a store (`openStore` absent: no IndexedDB to keep entries in) there is no outbox: an
 * `add` is answered `outbox-refused`, and the tab sends the action itself.
 */
import type { Clock } from '../shared/clock.ts'
import type { OutboxEntry } from '../shared/outbox-types.ts'
import { serverIdentity, type OutboxRequest, type ServerConfig } from '../shared/protocol.ts'
import { Outbox, OutboxSendError, type OutboxServer, type OutboxStore } from './outbox.ts'
import { outboxServer } from './outbox-server.ts'
import type { TabEndpoint } from './tab-session.ts'

/** A store the host may close when the relay leaves its server (`DexieOutboxStore` has `close`). */
export interface ClosableOutboxStore extends OutboxStore {
  close?(): void
}

/** What an {@link OutboxHost} needs from the relay. Callbacks must not throw. */
export interface OutboxHostDeps {
  /** The fetch the server's REST calls go through (the worker's; tests pass a fake). */
  fetch: typeof fetch
  clock: Clock
  /** Uniform draw in [0, 1), for the backoff's jitter. */
  random: () => number
  /** Opens the outbox store of a server (one per server identity); absent: no outbox. May throw (no IndexedDB). */
  openStore?: (server: ServerConfig) => ClosableOutboxStore
  /** Whether the server is worth trying now: the stream is connected, or degraded mode polls over REST. */
  reachable: () => boolean
  /** The current server's entries changed (copies, oldest first): tell every tab. */
  changed: (entries: OutboxEntry[]) => void
  /** Something went wrong that no tab asked about (the store could not be opened or read): shown, never thrown. */
  failed: (message: string) => void
}

/** The outbox of one server: its engine, its store, and the restore every request waits for. */
interface Current {
  identity: string
  outbox: Outbox
  store: ClosableOutboxStore
  /**
   * The requests so far, one after another (an `add` then a `cancel` of it stay in that order): it
   * starts with loading the persisted entries. Never rejects.
   */
  queue: Promise<void>
}

/** The reason an `add` is refused by a relay without an outbox. */
export const NO_OUTBOX = 'this relay has no outbox'
/** The reason an `edit` is refused: the prompt is not waiting any more (see {@link Outbox.edit}). */
export const EDIT_TOO_LATE = 'the prompt is not waiting any more (sent or discarded meanwhile)'

/** The relay's outbox for the current server (see the module comment). Its methods never throw. */
export class OutboxHost {
  private current: Current | undefined
  /** The server's address and credentials as last given to {@link OutboxHost.switchTo}. */
  private config: ServerConfig | undefined
  /** The REST side for {@link config}, rebuilt when it changes. */
  private rest: { config: ServerConfig; server: OutboxServer } | undefined
  /** Whether the server was reachable when {@link OutboxHost.reachabilityChanged} last looked. */
  private wasReachable = false

  constructor(private readonly deps: OutboxHostDeps) {}

  /**
   * The relay now talks to `server`. Another identity than before stops the previous outbox
   * (its entries stay in its store for when the relay comes back to that server), closes its
   * store and opens that server's: its persisted entries are restored and delivery resumes (the
   * server's truth is checked first, so nothing a previous relay sent is sent again). Every tab
   * is told the new entries: the empty list at once when there was an outbox before, then the
   * restored ones.
   */
  switchTo(server: ServerConfig): void {
    const identity = serverIdentity(server)
    // The same server at a new address (the launcher restarted it on another port): same outbox, new URL.
    this.config = server
    if (this.current?.identity === identity) return
    const hadOutbox = this.current !== undefined
    this.stop()
    const openStore = this.deps.openStore
    let store: ClosableOutboxStore | undefined
    try {
      store = openStore?.(server)
    } catch (err) {
      this.deps.failed(`outbox unavailable: ${describe(err)}`)
    }
    // The tabs showed the previous server's entries.
    if (hadOutbox) this.deps.changed([])
    if (!store) return
    const outbox: Outbox = new Outbox({
      clock: this.deps.clock,
      random: this.deps.random,
      store,
      server: this.restServer(),
      // A stopped outbox (the relay left its server) sends nothing more, even from a run under way.
      reachable: () => this.current?.outbox === outbox && this.deps.reachable(),
      changed: (entries) => {
        // A stopped outbox's last saves (a send that was under way) concern a server no tab shows now.
        if (this.current?.outbox === outbox) this.deps.changed(entries.map((e) => structuredClone(e)))
      },
    })
    const current: Current = { identity, outbox, store, queue: Promise.resolve() }
    this.current = current
    current.queue = outbox.restore().catch((err: unknown) => this.deps.failed(`outbox entries could not be read: ${describe(err)}`))
  }

  /** The outbox's server, always at the current address (see {@link OutboxHost.switchTo}). */
  private restServer(): OutboxServer {
    const current = (): OutboxServer => {
      const config = this.config
      if (!config) throw new OutboxSendError('no server configured', true)
      if (this.rest?.config !== config) this.rest = { config, server: outboxServer(config, this.deps.fetch) }
      return this.rest.server
    }
    return {
      messageState: (directory, sessionID, messageID) => current().messageState(directory, sessionID, messageID),
      requestPending: (directory, kind, requestID) => current().requestPending(directory, kind, requestID),
      runState: (directory, sessionID, parentID) => current().runState(directory, sessionID, parentID),
      perform: (directory, action) => current().perform(directory, action),
    }
  }

  /**
   * Handles a tab's request on the current server's outbox: after its entries are restored and
   * after every earlier request (of any tab), so they apply in arrival order. An `add` whose entry
   * cannot be written (the store refused it), or that finds no outbox, is answered
   * `{ type: 'outbox-refused', op: 'add', id, error }` to `tab` only: nothing was sent, the tab
   * sends it itself. An `edit` of a prompt that is not waiting any more (it left, was discarded,
   * or is not there) is answered `{ type: 'outbox-refused', op: 'edit', id, error }` to `tab` only
   * (its user is told the prompt went as it was; every tab sees the entry as it is). `cancel` and
   * `retry` of an entry that is not there or has left do nothing. Resolves once handled; never rejects.
   */
  handle(request: OutboxRequest, tab: TabEndpoint): Promise<void> {
    const current = this.current
    if (!current) {
      if (request.op === 'add' || request.op === 'edit') tab.post({ type: 'outbox-refused', op: request.op, id: request.id, error: NO_OUTBOX })
      return Promise.resolve()
    }
    current.queue = current.queue.then(() => this.apply(current.outbox, request, tab))
    return current.queue
  }

  /** One request on `outbox` (see {@link OutboxHost.handle}). Never rejects. */
  private async apply(outbox: Outbox, request: OutboxRequest, tab: TabEndpoint): Promise<void> {
    try {
      switch (request.op) {
        case 'add':
          // A copy: in the leader tab the request is the tab's own object, not a message's clone.
          await outbox.add(request.id, request.directory, structuredClone(request.action))
          return
        case 'cancel':
          await outbox.cancel(request.id)
          return
        case 'edit':
          if (!(await outbox.edit(request.id, structuredClone(request.body)))) tab.post({ type: 'outbox-refused', op: 'edit', id: request.id, error: EDIT_TOO_LATE })
          return
        case 'retry':
          await outbox.retry(request.id)
          return
      }
    } catch (err) {
      if (request.op === 'add' || request.op === 'edit') tab.post({ type: 'outbox-refused', op: request.op, id: request.id, error: describe(err) })
      else this.deps.failed(`outbox ${request.op} of ${request.id} failed: ${describe(err)}`)
    }
  }

  /** Copies of the current server's entries, oldest first; empty without an outbox (or before they are restored). */
  entries(): OutboxEntry[] {
    return (this.current?.outbox.list() ?? []).map((e) => structuredClone(e))
  }

  /** The server answers again (the stream opened, degraded mode began): deliver what waits, skipping backoff waits. */
  kick(): void {
    this.current?.outbox.kick()
  }

  /**
   * The relay's connection or degraded mode changed: when the server became reachable since the
   * last call (the stream connected, degraded mode began), deliver what waits at once.
   */
  reachabilityChanged(): void {
    const reachable = this.deps.reachable()
    if (reachable && !this.wasReachable) this.kick()
    this.wasReachable = reachable
  }

  /** Stops the current outbox's timer and closes its store (the relay stops, or leaves the server). */
  stop(): void {
    const current = this.current
    this.current = undefined
    if (!current) return
    current.outbox.stop()
    try {
      current.store.close?.()
    } catch (err) {
      this.deps.failed(`outbox store could not be closed: ${describe(err)}`)
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
