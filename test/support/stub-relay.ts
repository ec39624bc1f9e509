/**
 * Test doubles for the sync store's IO (src/stores/sync.ts): an in-memory key/value storage and a
 * relay client that is always connected, answers `subscribe` at a fixed head (or when told to),
 * and delivers only the batches the test emits.
 */
import type { RelayedEvent, RelayStatus, ServerConfig } from '../../sw/shared/protocol.ts'
import type { RelayClient } from '../../src/relay/types.ts'
import type { KeyValueStorage } from '../../src/stores/storage.ts'
import { IDLE_STATUS } from '../../src/stores/connection.ts'

/** A `KeyValueStorage` over a Map (stands in for localStorage). */
export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>()
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) }
}

/** A connected relay client whose log head is `head`; the test pushes batches with {@link StubRelay.emit}. */
export class StubRelay implements RelayClient {
  readonly mode = 'shared-worker' as const
  private readonly listeners = new Set<(e: RelayedEvent[]) => void>()
  private holding = false
  /** After {@link StubRelay.holdSubscribe}: answers the pending `subscribe`. */
  answer: (() => void) | undefined

  constructor(private readonly head = 0) {}

  /** From now on `subscribe` is answered only when the test calls {@link StubRelay.answer}. */
  holdSubscribe(): this {
    this.holding = true
    return this
  }
  subscribe(cursor: number | 'head'): Promise<{ from: number; head: number }> {
    const range = { from: typeof cursor === 'number' ? cursor : this.head, head: this.head }
    if (!this.holding) return Promise.resolve(range)
    return new Promise((resolve) => (this.answer = () => resolve(range)))
  }
  /** Delivers one batch to the subscribed store. */
  emit(batch: RelayedEvent[]): void {
    for (const cb of this.listeners) cb(batch)
  }
  status(): RelayStatus {
    return { ...IDLE_STATUS, state: 'connected' }
  }
  onStatus() {
    return () => undefined
  }
  onEvents(cb: (e: RelayedEvent[]) => void) {
    this.listeners.add(cb)
    return () => void this.listeners.delete(cb)
  }
  onReset() {
    return () => undefined
  }
  onResync() {
    return () => undefined
  }
  onNotify() {
    return () => undefined
  }
  configure(_server: ServerConfig) {}
  reconnect() {}
  busyLease() {}
  close() {}
}
