import { onScopeDispose, watch } from 'vue'
import { useRelay } from '../stores/relay.ts'
import { useSessionsStore } from '../stores/sessions.ts'
import { useSettingsStore } from '../stores/settings.ts'

/** Options of {@link useBusyLease}. */
export interface UseBusyLeaseOptions {
  /** Lease renewal interval in ms while busy (default 30,000). */
  renewMs?: number
}

/**
 * Reports long work in flight to the relay for sleep protection (`busy-lease`): while the setting
 * is on and any session is busy or retrying, renews `busyLease(true)` every `renewMs`; releases it
 * with `busyLease(false)` when work ends or the setting is turned off.
 */
export function useBusyLease(options: UseBusyLeaseOptions = {}): void {
  const relay = useRelay()
  const settings = useSettingsStore()
  const sessions = useSessionsStore()
  let timer: ReturnType<typeof setInterval> | undefined
  let held = false

  const stop = watch(
    () => settings.sleepProtection && sessions.busySessions.length > 0,
    (busy) => {
      clearInterval(timer)
      timer = undefined
      if (busy) {
        const reason = `${sessions.busySessions.length} session(s) working`
        relay.busyLease(true, reason)
        held = true
        timer = setInterval(() => relay.busyLease(true, reason), options.renewMs ?? 30_000)
      } else if (held) {
        relay.busyLease(false)
        held = false
      }
    },
    { immediate: true },
  )

  onScopeDispose(() => {
    stop()
    clearInterval(timer)
    if (held) relay.busyLease(false)
  })
}
