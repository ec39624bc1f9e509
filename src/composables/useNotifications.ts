import { onScopeDispose, watch } from 'vue'
import { useRelay } from '../relay-client/provide.ts'
import { navigate } from '../router.ts'
import { useSessionsStore } from '../stores/sessions.ts'
import { useSettingsStore } from '../stores/settings.ts'

/**
 * System notifications and the app badge:
 * - when the relay picks this tab for a notification (`notify`), shows
 *   `new Notification(title, { body, tag })` if the user opted in and the browser allows it; a
 *   click focuses this tab and opens the session it is about;
 * - keeps `navigator.setAppBadge(n)` equal to the number of pending permission requests where
 *   the Badging API exists;
 * - tells the relay whether notifications are on (`settings`), when the relay supports it.
 * Everything is removed when the calling scope is disposed.
 */
export function useNotifications(): void {
  const relay = useRelay()
  const settings = useSettingsStore()
  const sessions = useSessionsStore()

  const offNotify = relay.onNotify((n) => {
    if (!settings.notifications || typeof Notification === 'undefined' || Notification.permission !== 'granted') return
    try {
      const note = new Notification(n.title, { body: n.body, tag: n.tag })
      // A click brings this tab forward on the session the notice is about.
      note.onclick = () => {
        window.focus()
        navigate({ name: 'session', directory: n.directory, sessionID: n.sessionID })
        note.close()
      }
    } catch {
      // Some platforms (Android Chrome) only allow notifications from a service worker.
    }
  })

  const stopSettings = watch(
    () => settings.notifications,
    (on) => relay.settings?.(on),
    { immediate: true },
  )

  const stopBadge = watch(
    () => sessions.pendingPermissionCount,
    (count) => {
      if (typeof navigator === 'undefined') return
      if (count > 0 && typeof navigator.setAppBadge === 'function') void navigator.setAppBadge(count).catch(() => undefined)
      else if (count === 0 && typeof navigator.clearAppBadge === 'function') void navigator.clearAppBadge().catch(() => undefined)
    },
    { immediate: true },
  )

  onScopeDispose(() => {
    offNotify()
    stopSettings()
    stopBadge()
  })
}
