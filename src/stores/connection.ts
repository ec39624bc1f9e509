/**
 * Relay connection status as the UI shows it: the upstream SSE state broadcast by the relay
 * (`RelayToTab` `status`), the reconnect countdown (backoff with full jitter happens in the relay;
 * the tab only shows `nextRetryAt`), storage health of the event log, and the last REST error.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { RelayStatus } from '../../sw/protocol.ts'

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
 * One-line label for a relay status, e.g. `Connected`, `Reconnecting in 4 s`, `Offline · retry in 9 s`.
 * @param now epoch ms used for the countdown (inject a clock in tests).
 */
export function connectionLabel(status: RelayStatus, now: number): string {
  switch (status.state) {
    case 'connected':
      return status.catchingUp ? 'Catching up…' : 'Connected'
    case 'connecting':
      return 'Connecting…'
    case 'idle':
      return 'Starting…'
    case 'reconnecting':
    case 'offline': {
      const base = status.state === 'offline' ? 'Offline' : 'Reconnecting'
      if (status.nextRetryAt === undefined) return `${base}…`
      const seconds = Math.max(0, Math.ceil((status.nextRetryAt - now) / 1000))
      if (seconds <= 0) return `${base}: retrying…`
      return status.state === 'offline' ? `Offline · retry in ${seconds} s` : `Reconnecting in ${seconds} s`
    }
  }
}

/**
 * Relay connection status for the UI. State: `status` (latest {@link RelayStatus}), `apiError`.
 * Getters: `state`, `connected`, `degraded`, `storageError`. Actions: `setStatus`, `setApiError`,
 * `label(nowMs)`.
 */
export const useConnectionStore = defineStore('connection', () => {
  /** Latest relay status (replaced wholesale on every broadcast). */
  const status = shallowRef<RelayStatus>(IDLE_STATUS)
  /** Last REST failure message (bootstrap, actions), cleared on the next success. */
  const apiError = ref<string>()

  const state = computed(() => status.value.state)
  const connected = computed(() => status.value.state === 'connected')
  /** True when the banner should show: offline, or reconnecting after a failure. */
  const degraded = computed(() => status.value.state === 'offline' || status.value.state === 'reconnecting')
  const storageError = computed(() => (status.value.storage.ok ? undefined : (status.value.storage.error ?? 'Storage unavailable')))

  /** Applies a relay status broadcast. */
  function setStatus(next: RelayStatus): void {
    status.value = next
  }

  /** Records a REST failure (or clears it with `undefined`). */
  function setApiError(message: string | undefined): void {
    apiError.value = message
  }

  /** The label at `now` (epoch ms): see {@link connectionLabel}. */
  function label(now: number): string {
    return connectionLabel(status.value, now)
  }

  return { status, apiError, state, connected, degraded, storageError, setStatus, setApiError, label }
})
