import { onScopeDispose, watch } from 'vue'
import type { RelayNotification } from '../../sw/shared/protocol.ts'
import { isOpenRouteMessage, notificationActions, type NotificationAction, type RelayNotificationData } from '../../sw/shared/notification-actions.ts'
import { basicAuthHeader } from '../api/opencode.ts'
import { useRelay } from '../relay-client/provide.ts'
import { navigate, parseRoute, routeHref } from '../router.ts'
import { basename } from '../stores/projects.ts'
import { useServerStore } from '../stores/server.ts'
import { useSessionsStore } from '../stores/sessions.ts'
import { useSettingsStore } from '../stores/settings.ts'
import { useSyncStore } from '../stores/sync.ts'
import { t, type MessageKey } from '../i18n/index.ts'

/** `NotificationOptions` with action buttons (service-worker notifications; not in TypeScript's DOM lib). */
type ActionNotificationOptions = NotificationOptions & { actions?: Array<{ action: string; title: string }> }

/** What the page knows of a notice's session and permission request (from the sync store). */
export interface NotificationFacts {
  /** The session's title (`''` when untitled); `undefined` when this tab does not know the session. */
  sessionTitle?: string
  /** The permission request the notice is about, once this tab has it. */
  request?: { permission: string; patterns: readonly string[] }
}

/** The words of a notice. */
export interface NotificationText {
  title: string
  body: string
}

/**
 * The words of a relay notification in the current locale: `Finished: <title>` or `Permission
 * needed: <title>`, with the project (and the permission asked for) below — the same words the
 * relay sends in English (sw/relay/notifier.ts), which stay where this tab does not know the
 * session (title) or the permission request (body).
 */
export function notificationText(n: RelayNotification, facts: NotificationFacts): NotificationText {
  const project = basename(n.directory)
  let title = n.title
  if (facts.sessionTitle !== undefined) {
    const name = facts.sessionTitle.trim() || n.sessionID
    title = n.kind === 'finished' ? t('shell.notifications.finishedTitle', { name }) : t('shell.notifications.permissionTitle', { name })
  }
  let body = n.body
  if (n.kind === 'finished') body = t('shell.notifications.finishedBody', { project })
  else if (facts.request) {
    const { permission, patterns } = facts.request
    body = patterns.length
      ? t('shell.notifications.permissionBody', { project, permission, patterns: patterns.join(', ') })
      : t('shell.notifications.permissionBodyNoPatterns', { project, permission })
  }
  return { title, body }
}

const ACTION_TITLES: Record<NotificationAction, MessageKey> = {
  'allow-once': 'shell.notifications.allowOnce',
  reject: 'shell.notifications.reject',
}

/** How long a permission notice of a known session waits for its request to reach the store (the notice can come first), ms. */
const REQUEST_WAIT_MS = 500

/**
 * System notifications and the app badge:
 * - when the relay picks this tab for a notification (`notify`), shows it if the user opted in
 *   and the browser allows it, in the current locale ({@link notificationText}): through the
 *   service worker when one is active, with "Allow once" and "Reject" on a permission request,
 *   answered by the service worker even with no tab visible (sw/service-worker.ts); else as a
 *   page `Notification`. A click opens the session;
 * - keeps `navigator.setAppBadge(n)` equal to the number of pending permission requests and
 *   questions of every project the tab knows, where the Badging API exists;
 * - tells the relay whether notifications are on (`settings`), when the relay supports it.
 * Everything is removed when the calling scope is disposed.
 */
export function useNotifications(): void {
  const relay = useRelay()
  const settings = useSettingsStore()
  const sessions = useSessionsStore()
  const sync = useSyncStore()

  const server = useServerStore()

  function factsOf(n: RelayNotification): NotificationFacts {
    const request = n.requestID ? sync.permissionsOf(n.directory, n.sessionID).find((p) => p.id === n.requestID) : undefined
    return { sessionTitle: sessions.get(n.directory, n.sessionID)?.title, request }
  }

  /** The facts once the notice's permission request is in the store, or after {@link REQUEST_WAIT_MS}. */
  function factsWhenKnown(n: RelayNotification): Promise<NotificationFacts> {
    const facts = factsOf(n)
    if (!n.requestID || facts.request || facts.sessionTitle === undefined) return Promise.resolve(facts)
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        stop()
        resolve(factsOf(n))
      }
      const timer = setTimeout(done, REQUEST_WAIT_MS)
      const stop = watch(
        () => factsOf(n).request,
        (request) => request && done(),
      )
    })
  }

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
    const { title, body } = notificationText(n, await factsWhenKnown(n))
    if (registration?.active) {
      const data = dataOf(n)
      const actions = notificationActions(data).map(({ action }) => ({ action, title: t(ACTION_TITLES[action]) }))
      const options: ActionNotificationOptions = { body, tag: n.tag, data, actions }
      try {
        await registration.showNotification(title, options)
        return
      } catch {
        // Refused for the worker (e.g. permission granted to the page only): the page shows it.
      }
    }
    const note = new Notification(title, { body, tag: n.tag })
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
