/**
 * Relay connection status as the UI shows it: the upstream SSE state broadcast by the relay
 * (`RelayToTab` `status`), the reconnect countdown (backoff with full jitter happens in the relay;
 * the tab only shows `nextRetryAt`), storage health of the event log, and the last REST error.
 * While the relay polls because the stream is held on the way (`status.degraded`), the app counts
 * as connected: REST works and events arrive, later.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { RelayStatus } from '../../sw/shared/protocol.ts'
import { IDLE_STATUS } from '../relay-client/types.ts'
import { t } from '../i18n/index.ts'

export { IDLE_STATUS }

/**
 * One-line label for a relay status, e.g. `Connected`, `Starting OpenCode…`, `Reconnecting in 4 s`,
 * `Server unreachable`, `Offline · retry in 9 s` (in the current locale: src/i18n `shell.connection`).
 * @param now epoch ms used for the countdown (inject a clock in tests).
 */
export function connectionLabel(status: RelayStatus, now: number): string {
  // Polling (the stream is held on the way): what the user has is delayed updates, not a lost server.
  if (status.degraded) return t('shell.connection.polling', { seconds: pollSeconds(status.degraded.pollMs) })
  // The browser's own "offline" explains everything else (the launcher is unreachable too).
  if (status.state !== 'connected' && status.state !== 'offline' && status.launcher) {
    switch (status.launcher.state) {
      case 'checking':
        return t('shell.connection.connecting')
      case 'starting':
        return t('shell.connection.startingOpencode')
      case 'unreachable':
        return t('shell.connection.unreachable')
      case 'invalid':
        return t('shell.connection.invalid')
    }
  }
  switch (status.state) {
    case 'connected':
      return status.catchingUp ? t('shell.connection.catchingUp') : t('shell.connection.connected')
    case 'connecting':
      return t('shell.connection.connecting')
    case 'idle':
      return t('shell.connection.starting')
    case 'reconnecting':
    case 'offline': {
      const offline = status.state === 'offline'
      if (status.nextRetryAt === undefined) return offline ? t('shell.connection.offlineWaiting') : t('shell.connection.reconnectingWaiting')
      const seconds = retryInSeconds(status, now)
      if (seconds <= 0) return offline ? t('shell.connection.offlineRetrying') : t('shell.connection.reconnectingRetrying')
      return offline ? t('shell.connection.offlineRetryIn', { seconds }) : t('shell.connection.reconnectingIn', { seconds })
    }
  }
}

/** A poll interval in whole seconds (at least 1). */
function pollSeconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1000))
}

function retryInSeconds(status: RelayStatus, now: number): number {
  return status.nextRetryAt === undefined ? 0 : Math.max(0, Math.ceil((status.nextRetryAt - now) / 1000))
}

/** Which situation the banner describes. */
export type ConnectionNoticeKind = 'starting' | 'unreachable' | 'invalid' | 'offline' | 'reconnecting' | 'polling'

/** What the banner says while the relay is not live: a headline, what is going on, what the user can do (in the current locale). */
export interface ConnectionNotice {
  kind: ConnectionNoticeKind
  /** Short headline, e.g. `Starting OpenCode…`. */
  title: string
  /** What happens and what the user can do, one or two sentences. */
  detail: string
  /** Whether "Retry now" makes sense (not while the launcher is starting the server). */
  retry: boolean
  /** Placeholder of the prompt box meanwhile. */
  composer: string
}

/**
 * The banner's words for a relay status, or `undefined` while live (or before the first attempt
 * failed). Distinguishes: the launcher starting its server; the app's own origin gone too (the app
 * runs from its offline copy); an unreadable launcher config; the browser offline; a lost
 * connection being retried (with the reason and the next retry).
 * @param now epoch ms used for the countdown.
 */
export function connectionNotice(status: RelayStatus, now: number): ConnectionNotice | undefined {
  if (status.degraded) {
    return {
      kind: 'polling',
      title: t('shell.notice.polling.title', { seconds: pollSeconds(status.degraded.pollMs) }),
      detail: t('shell.notice.polling.detail', { reason: status.degraded.reason }),
      retry: true,
      composer: t('shell.notice.composerConnecting'),
    }
  }
  if (status.state === 'connected' || status.state === 'idle') return undefined
  // The browser's own "offline" explains everything else (the launcher is unreachable too).
  switch (status.state === 'offline' ? undefined : status.launcher?.state) {
    // The launcher is being asked why the first attempt failed: no banner for a blip.
    case 'checking':
      return undefined
    case 'starting':
      return {
        kind: 'starting',
        title: t('shell.notice.starting.title'),
        detail: t('shell.notice.starting.detail'),
        retry: false,
        composer: t('shell.notice.starting.composer'),
      }
    case 'unreachable':
      return {
        kind: 'unreachable',
        title: t('shell.notice.unreachable.title'),
        detail: t('shell.notice.unreachable.detail'),
        retry: true,
        composer: t('shell.notice.unreachable.composer'),
      }
    case 'invalid':
      return {
        kind: 'invalid',
        title: t('shell.notice.invalid.title'),
        detail: t('shell.notice.invalid.detail', { reason: status.launcher?.detail ?? t('shell.notice.invalid.unknownReason') }),
        retry: true,
        composer: t('shell.notice.invalid.composer'),
      }
  }
  if (status.state === 'offline') {
    return {
      kind: 'offline',
      title: t('shell.notice.offline.title'),
      detail: t('shell.notice.offline.detail'),
      retry: true,
      composer: t('shell.notice.offline.composer'),
    }
  }
  // A retry in flight (`connecting` after failed attempts) is still a lost connection: no flicker.
  if (status.state === 'reconnecting' || (status.state === 'connecting' && status.attempt > 0)) {
    const seconds = retryInSeconds(status, now)
    const reason = status.lastError
    const detail =
      status.state === 'reconnecting' && seconds > 0
        ? reason
          ? t('shell.notice.lost.detailIn', { seconds, reason })
          : t('shell.notice.lost.detailInNoReason', { seconds })
        : reason
          ? t('shell.notice.lost.detailNow', { reason })
          : t('shell.notice.lost.detailNowNoReason')
    return {
      kind: 'reconnecting',
      title: t('shell.notice.lost.title'),
      detail,
      retry: true,
      composer: t('shell.notice.lost.composer'),
    }
  }
  return undefined
}

/**
 * Relay connection status for the UI. State: `status` (latest {@link RelayStatus}), `apiError`.
 * Getters: `state`, `connected` (live or polling), `polling`, `degraded`, `composerHint`, `storageError`. Actions: `setStatus`,
 * `setApiError`, `label(nowMs)`, `notice(nowMs)`.
 */
export const useConnectionStore = defineStore('connection', () => {
  /** Latest relay status (replaced wholesale on every broadcast). */
  const status = shallowRef<RelayStatus>(IDLE_STATUS)
  /** Last REST failure message (bootstrap, actions), cleared on the next success. */
  const apiError = ref<string>()

  const state = computed(() => status.value.state)
  /** The relay polls because the stream is held on the way (sw/relay/degraded.ts): updates are delayed, REST works. */
  const polling = computed(() => status.value.degraded !== undefined)
  /** Whether the server can be used: the stream is live, or the relay polls it. */
  const connected = computed(() => status.value.state === 'connected' || polling.value)
  /** True when the banner should show: offline, reconnecting after a failure, or the launcher is starting. */
  const degraded = computed(() => connectionNotice(status.value, 0) !== undefined)
  /** Placeholder of the prompt box while not connected (see {@link connectionNotice}). */
  const composerHint = computed(() => connectionNotice(status.value, 0)?.composer ?? t('shell.notice.composerConnecting'))
  const storageError = computed(() => (status.value.storage.ok ? undefined : (status.value.storage.error ?? t('shell.connection.storageUnavailable'))))

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

  /** The banner's words at `now` (epoch ms): see {@link connectionNotice}. */
  function notice(now: number): ConnectionNotice | undefined {
    return connectionNotice(status.value, now)
  }

  return { status, apiError, state, connected, polling, degraded, composerHint, storageError, setStatus, setApiError, label, notice }
})
