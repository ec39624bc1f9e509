/**
 * The tab side of the relay: one interface, two implementations (as PowerSync does):
 * `SharedWorkerRelay` talks to the SharedWorker; `LeaderTabRelay` is the fallback where
 * `SharedWorker` is missing (a leader tab elected through Web Locks runs the relay and fans out
 * over BroadcastChannel). Stores depend on this interface only.
 */
import type { OutboxRequest, RelayedEvent, RelayNotification, RelayStatus, ServerConfig } from '../../sw/shared/protocol.ts'
import type { OutboxEntry } from '../../sw/shared/outbox-types.ts'

export type { OutboxEntry, OutboxRequest, RelayedEvent, RelayStatus, ServerConfig }

/** Status before the relay's first broadcast. */
export const IDLE_STATUS: RelayStatus = {
  state: 'idle',
  attempt: 0,
  storage: { ok: true },
  catchingUp: false,
  badFrames: 0,
  mode: 'shared-worker',
}

/**
 * What the relay's outbox could not do for this tab (the protocol's `outbox-refused`): `add` — it
 * could not store the entry, nothing was sent (send it yourself); `edit` — the prompt no longer
 * waits (sent or discarded meanwhile), so it goes as it was. `error`: the relay's reason, English.
 */
export interface OutboxRefusal {
  op: 'add' | 'edit'
  id: string
  error: string
}

/** Callbacks a tab registers; each returns an unsubscribe function. */
export interface RelayClient {
  /** Which implementation is running. */
  readonly mode: 'shared-worker' | 'leader-tab'
  /** Latest status broadcast by the relay (state `idle` before the first one arrives). */
  status(): RelayStatus
  onStatus(cb: (status: RelayStatus) => void): () => void
  /** Batches of events in cursor order, replayed then live. */
  onEvents(cb: (events: RelayedEvent[]) => void): () => void
  /** The relay cannot replay from this tab's cursor: re-bootstrap over REST, then continue from `head`. */
  onReset(cb: (info: { reason: string; head: number }) => void): () => void
  /** A directory's state may have changed wholesale (server restart, instance disposed): re-read it over REST. */
  onResync(cb: (info: { directory: string; reason: string }) => void): () => void
  /** The relay picked this tab to show a system notification. */
  onNotify(cb: (n: RelayNotification) => void): () => void
  /**
   * Subscribes from `cursor` (the last cursor this tab applied) or `'head'` (live only).
   * Resolves with the range the relay will replay: events with cursor > `from`, up to `head` and beyond.
   */
  subscribe(cursor: number | 'head'): Promise<{ from: number; head: number }>
  /**
   * Hands a user action to the relay's outbox (sw/relay/outbox.ts): stored in IndexedDB, then
   * delivered exactly once when the server is reachable. Its states arrive through {@link onOutbox};
   * an `add` the relay could not store or an `edit` it could not apply comes back through
   * {@link onOutboxRefused}.
   */
  outbox(request: OutboxRequest): void
  /** Every outbox entry of the current server (oldest first), after each change and when the tab connects. */
  onOutbox(cb: (entries: OutboxEntry[]) => void): () => void
  /**
   * The relay could not do an outbox request of this tab (see {@link OutboxRefusal}): an `add` it
   * could not store (a full disk, no outbox: the tab sends it itself), an `edit` of a prompt that
   * no longer waits.
   */
  onOutboxRefused(cb: (info: OutboxRefusal) => void): () => void
  /** Points the relay at another server (every tab follows). */
  configure(server: ServerConfig): void
  /** Reconnect now, skipping the backoff wait. */
  reconnect(): void
  /** Detaches this tab (also done automatically on pagehide). */
  close(): void
}
