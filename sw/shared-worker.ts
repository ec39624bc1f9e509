/**
 * SharedWorker entry: one per origin, so every tab shares the single upstream SSE connection.
 * Thin on purpose (as PowerSync's worker entry): all logic lives in relay/hub.ts.
 */
import { attachPort, createBrowserHub } from './relay/runtime.ts'

declare const self: SharedWorkerGlobalScope

const hub = createBrowserHub('shared-worker')

self.addEventListener('connect', (ev: MessageEvent) => {
  for (const port of ev.ports) attachPort(hub, port)
})
self.addEventListener('online', () => hub.setOnline(true))
self.addEventListener('offline', () => hub.setOnline(false))
