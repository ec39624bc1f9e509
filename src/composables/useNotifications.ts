import { onScopeDispose, watch } from 'vue'
import type { RelayNotification } from '../../sw/shared/protocol.ts'
import { isOpenRouteMessage, notificationActions, type RelayNotificationData } from '../../sw/shared/notification-actions.ts'
import { basicAuthHeader } from '../api/opencode.ts'
import { useRelay } from '../relay-client/provide.ts'
import { navigate, parseRoute, routeHref } from '../router.ts'
import { useServerStore } from '../stores/server.ts'
import { useSessionsStore } from '../stores/sessions.ts'
import { useSettingsStore } from '../stores/settings.ts'

/** `NotificationOptions` with action buttons (service-worker notifications; not in TypeScript's DOM lib). */
type ActionNotificationOptions = NotificationOptions & { actions?: Array<{ action: string; title: string }> }

/**
 * System notifications and the app badge:
 * - when the relay picks this tab for a notification (`notify`), shows it if the user opted in
 *   and the browser allows it: through the service worker when one is active, with "Allow once"
 *   and "Reject" on a permission request, answered by the service worker even with no tab
 *   visible (sw/service-worker.ts); else as a page `Notification`. A click opens the session;
 * - keeps `navigator.setAppBadge(n)` equal to the number of pending permission requests and
 *   questions of every project the tab knows, where the Badging API exists;
 * - tells the relay whether notifications are on (`settings`), when the relay supports it.
 * Everything is removed when the calling scope is disposed.
 */
export function useNotifications(): void {
  const relay = useRelay()
  const settings = useSettingsStore()
  const sessions = useSessionsStore()

  const server = useServerStore()

  /** What the service worker needs to act on the notice with no tab (sw/shared/notification-actions.ts). */
  function dataOf(n: RelayNotification): RelayNotificationData {
    const authorization = basicAuthHeader(server.config)
    return {
      v: 1,
      kind: n.kind,
      directory: n.directory,
      sessionID: n.sessionID,
      ...(n.requestID ? { requestID: n.requestID } : {}),
      open: new URL(routeHref({ name: 'session', directory: n.directory, sessionID: n.sessionID }), location.origin).href,
      server: { url: server.config.url, ...(authorization ? { authorization } : {}) },
    }
  }

  /** Through the service worker when it is active (actions work with no tab visible), else a page `Notification`. */
  async function show(n: RelayNotification): Promise<void> {
    const registration = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration().catch(() => undefined) : undefined
    if (registration?.active) {
      const data = dataOf(n)
      const options: ActionNotificationOptions = { body: n.body, tag: n.tag, data, actions: notificationActions(data) }
      try {
        await registration.showNotification(n.title, options)
        return
      } catch {
        // Refused for the worker (e.g. permission granted to the page only): the page shows it.
      }
    }
    const note = new Notification(n.title, { body: n.body, tag: n.tag })
    // A click brings this tab forward on the session the notice is about.
    note.onclick = () => {
      window.focus()
      navigate({ name: 'session', directory: n.directory, sessionID: n.sessionID })
      note.close()
    }
  }

  const offNotify = relay.onNotify((n) => {
    if (!settings.notifications || typeof Notification === 'undefined' || Notification.permission !== 'granted') return
    // Some platforms (Android Chrome) only allow notifications from a service worker: nothing then.
    show(n).catch(() => undefined)
  })

  // The service worker opens a notification's session in this window without a reload.
  const onWorkerMessage = (ev: MessageEvent) => {
    const data: unknown = ev.data
    if (!isOpenRouteMessage(data)) return
    const url = new URL(data.url)
    if (url.origin === location.origin) navigate(parseRoute(url.pathname, url.search))
  }
  if ('serviceWorker' in navigator) navigator.serviceWorker.addEventListener('message', onWorkerMessage)

  const stopSettings = watch(
    () => settings.notifications,
    (on) => relay.settings?.(on),
    { immediate: true },
  )

  const stopBadge = watch(
    () => sessions.pendingRequestCount,
    (count) => {
      if (typeof navigator === 'undefined') return
      if (count > 0 && typeof navigator.setAppBadge === 'function') void navigator.setAppBadge(count).catch(() => undefined)
      else if (count === 0 && typeof navigator.clearAppBadge === 'function') void navigator.clearAppBadge().catch(() => undefined)
    },
    { immediate: true },
  )

  onScopeDispose(() => {
    if ('serviceWorker' in navigator) navigator.serviceWorker.removeEventListener('message', onWorkerMessage)
    offNotify()
    stopSettings()
    stopBadge()
  })
}
