/**
 * Test doubles for the sync store's IO (src/stores/sync.ts): an in-memory key/value storage, a
 * relay client that is always connected, answers `subscribe` at a fixed head (or when told to),
 * and delivers only the batches the test emits, and {@link startSyncStore}, which wires them up.
 * (Tests that clean up call `clearRelay()` and `setStorage(undefined)` after each test.)
 */
import type { RelayedEvent, RelayStatus, ServerConfig } from '../../sw/shared/protocol.ts'
import type { OutboxRefusal, RelayClient } from '../../src/relay-client/types.ts'
import { setStorage, type KeyValueStorage } from '../../src/stores/storage.ts'
import { IDLE_STATUS } from '../../src/stores/connection.ts'
import { provideRelay } from '../../src/relay-client/provide.ts'
import { useServerStore } from '../../src/stores/server.ts'
import { useSyncStore } from '../../src/stores/sync.ts'
import { createPinia, setActivePinia } from 'pinia'
import { jsonResponse } from './http.ts'

/** A `KeyValueStorage` over a Map (stands in for localStorage). */
export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>()
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) }
}

/**
 * The outbox part of a test relay: it refuses every `add` (as a relay that cannot write IndexedDB
 * does), so the chat store sends the action itself; the outbox's own tests are test/outbox*.test.ts.
 */
export function refusingOutbox(): Pick<RelayClient, 'outbox' | 'onOutbox' | 'onOutboxRefused'> {
  const refused = new Set<(info: OutboxRefusal) => void>()
  return {
    outbox(request) {
      if (request.op !== 'add') return
      queueMicrotask(() => {
        for (const cb of refused) cb({ op: 'add', id: request.id, error: 'test relay without an outbox' })
      })
    },
    onOutbox: () => () => undefined,
    onOutboxRefused(cb) {
      refused.add(cb)
      return () => void refused.delete(cb)
    },
  }
}

/** A connected relay client whose log head is `head`; the test pushes batches with {@link StubRelay.emit}. */
export class StubRelay implements RelayClient {
  readonly mode = 'shared-worker' as const
  private readonly box = refusingOutbox()
  readonly outbox = this.box.outbox
  readonly onOutbox = this.box.onOutbox
  readonly onOutboxRefused = this.box.onOutboxRefused
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
  close() {}
}

/** The server the launcher names in {@link startSyncStore}. */
export const STUB_SERVER_URL = 'http://oc.test'

/**
 * A fresh Pinia with in-memory storage, `relay` provided (if given) and the launcher's server
 * ({@link STUB_SERVER_URL}) reached through `serverFetch`; the sync store is not started.
 */
export async function startSyncStore(serverFetch: typeof fetch, relay?: RelayClient): Promise<ReturnType<typeof useSyncStore>> {
  setStorage(memoryStorage())
  setActivePinia(createPinia())
  if (relay) provideRelay(relay)
  const servers = useServerStore()
  servers.setFetch(serverFetch)
  await servers.init({ fetch: async () => jsonResponse({ server: { url: STUB_SERVER_URL } }) })
  return useSyncStore()
}
