/**
 * One connected tab as the relay sees it: its endpoint, the cursor of the last event it was sent,
 * and what it shows (for notifications). It talks to the hub through the narrow {@link TabHost}.
 *
 * Replay and live delivery are the same code path ({@link TabSession.pump}), so a tab can never
 * see a gap or a duplicate: it always receives exactly the log entries after the cursor it last got.
 */
import type { OutboxRequest, RelayStatus, RelayToTab, ServerConfig, TabToRelay } from '../shared/protocol.ts'
import type { OutboxEntry } from '../shared/outbox-types.ts'
import type { EventLog } from './log/event-log.ts'
import { mergeForFanOut } from '../shared/delta-runs.ts'

/** A tab as the hub sees it: something to post protocol messages to. */
export interface TabEndpoint {
  post(msg: RelayToTab): void
}

/** What a tab session needs from the hub (implemented by `RelayHub`). */
export interface TabHost {
  /** The current server's event log; undefined before the first `configure`. */
  readonly log: EventLog | undefined
  /** Most events per `events` message. */
  readonly maxBatch: number
  /** Epoch ms. */
  now(): number
  status(): RelayStatus
  configure(server: ServerConfig): Promise<void>
  subscribe(tab: TabSession, cursor: number | 'head'): Promise<void>
  nudge(reason: string, force?: boolean): void
  wake(frozenMs: number): void
  setNotifications(on: boolean): void
  dropTab(tab: TabSession): void
  /** A tab said hello (so the app's origin answered it). */
  tabArrived(): void
  /** The current server's outbox (sw/relay/outbox-host.ts `OutboxHost`). */
  readonly outboxes: {
    /** A tab's request, applied after the earlier ones; a refused `add` or `edit` is answered `outbox-refused` to `tab` only. Never rejects. */
    handle(request: OutboxRequest, tab: TabEndpoint): Promise<void>
    /** The entries, oldest first. */
    entries(): OutboxEntry[]
  }
}

/** One connected tab: its endpoint, its cursor and what it shows (for notifications). */
export class TabSession {
  /** Cursor of the last event posted to this tab; undefined until it subscribes. */
  sent: number | undefined
  visible = true
  lastVisibleAt = 0
  viewing: { directory: string; sessionID: string } | undefined
  private pumping = false
  private again = false
  closed = false

  constructor(
    readonly hub: TabHost,
    readonly endpoint: TabEndpoint,
    readonly tabId: string,
  ) {}

  /**
   * Sends every log entry after `sent`, in order; re-entrant calls coalesce. Never rejects: when
   * the log cannot be read (IndexedDB gone and the range no longer in memory) the tab is reset.
   */
  async pump(): Promise<void> {
    try {
      await this.pumpOnce()
    } catch (err) {
      const head = this.hub.log?.head() ?? 0
      this.sent = head
      this.endpoint.post({ type: 'reset', reason: `event log unreadable: ${err instanceof Error ? err.message : String(err)}`, head })
    }
  }

  private async pumpOnce(): Promise<void> {
    if (this.pumping) {
      this.again = true
      return
    }
    this.pumping = true
    try {
      do {
        this.again = false
        const log = this.hub.log
        while (log && !this.closed && this.sent !== undefined && this.sent < log.head()) {
          const events = await log.readAfter(this.sent, this.hub.maxBatch)
          if (events.length === 0) break
          if (this.sent === undefined || this.closed) break
          const first = events[0].cursor
          const oldest = await log.oldestCursor()
          if (this.sent + 1 < first && this.sent + 1 < oldest) {
            // Retention dropped entries this tab never got: it must re-bootstrap.
            const head = log.head()
            this.sent = head
            this.endpoint.post({ type: 'reset', reason: 'event log no longer holds this tab’s cursor', head })
            break
          }
          // A run of deltas received together goes as one event (sw/shared/delta-runs.ts): a
          // streamed reply is thousands of them, each cloned to the tab and read back there.
          this.endpoint.post({ type: 'events', events: mergeForFanOut(events) })
          this.sent = events[events.length - 1].cursor
        }
      } while (this.again && !this.closed)
    } finally {
      this.pumping = false
    }
  }

  /** Handles one protocol message from this tab. */
  async receive(msg: TabToRelay): Promise<void> {
    switch (msg.type) {
      case 'hello':
        this.visible = msg.visible
        if (msg.visible) this.lastVisibleAt = this.hub.now()
        this.hub.tabArrived()
        await this.hub.configure(msg.server)
        this.endpoint.post({ type: 'status', status: this.hub.status() })
        // What the outbox holds now; every change (the restored entries too) is broadcast.
        this.endpoint.post({ type: 'outbox', entries: this.hub.outboxes.entries() })
        return
      case 'subscribe':
        await this.hub.subscribe(this, msg.cursor)
        return
      case 'visibility': {
        const wasHidden = !this.visible
        this.visible = msg.visible
        if (msg.visible) {
          this.lastVisibleAt = this.hub.now()
          if (wasHidden) this.hub.nudge('a tab became visible')
        }
        return
      }
      case 'resumed':
        this.hub.wake(msg.frozenMs)
        return
      case 'view':
        this.viewing = msg.sessionID && msg.directory ? { directory: msg.directory, sessionID: msg.sessionID } : undefined
        return
      case 'settings':
        this.hub.setNotifications(msg.notifications)
        return
      case 'configure':
        await this.hub.configure(msg.server)
        return
      case 'reconnect':
        this.hub.nudge('asked by a tab', true)
        return
      case 'outbox':
        // Not awaited: the outbox orders its requests itself, and a slow IndexedDB write must not hold this tab's other messages.
        void this.hub.outboxes.handle(msg.request, this.endpoint)
        return
      case 'bye':
        this.hub.dropTab(this)
        return
    }
  }
}
