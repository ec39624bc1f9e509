import { onScopeDispose, watch } from 'vue'
import type { RelayNotification } from '../../sw/shared/protocol.ts'
import { isOpenRouteMessage, notificationActions, type NotificationAction, type NotificationTexts, type RelayNotificationData } from '../../sw/shared/notification-actions.ts'
import { basicAuthHeader } from '../api/server-auth.ts'
import { useRelay } from '../relay-client/provide.ts'
import { navigate, parseRoute, routeHref } from '../router.ts'
import { basename } from '../stores/projects.ts'
import { useServerStore } from '../stores/server.ts'
import { useSessionsStore } from '../stores/sessions.ts'
import { useSettingsStore } from '../stores/settings.ts'
import { t, type MessageKey } from '../i18n/index.ts'

/** `NotificationOptions` with action buttons (service-worker notifications; not in TypeScript's DOM lib). */
type ActionNotificationOptions = NotificationOptions & { actions?: Array<{ action: string; title: string }> }

/** The words of a notice. */
export interface NotificationText {
  title: string
  body: string
}

/**
 * The words of a relay notification in the current locale, from the facts the relay sends:
 * `Finished: <title>`, `Permission needed: <title>` or `Question: <title>`, with the project and
 * the permission or the question below. `knownTitle` (this tab's own copy of the session) wins
 * over the relay's; without either, the session's id stands in.
 */
export function notificationText(n: RelayNotification, knownTitle?: string): NotificationText {
  const project = basename(n.directory)
  const name = (knownTitle ?? n.sessionTitle)?.trim() || n.sessionID
  switch (n.kind) {
    case 'finished':
      return { title: t('shell.notifications.finishedTitle', { name }), body: t('shell.notifications.finishedBody', { project }) }
    case 'permission': {
      const permission = n.permission ?? ''
      const patterns = n.patterns ?? []
      return {
        title: t('shell.notifications.permissionTitle', { name }),
        body: patterns.length
          ? t('shell.notifications.permissionBody', { project, permission, patterns: patterns.join(', ') })
          : t('shell.notifications.permissionBodyNoPatterns', { project, permission }),
      }
    }
    case 'question':
      return {
        title: t('shell.notifications.questionTitle', { name }),
        body: n.question ? t('shell.notifications.questionBody', { project, question: n.question }) : t('shell.notifications.questionBodyNoText', { project }),
      }
  }
}

const ACTION_TITLES: Record<NotificationAction, MessageKey> = {
  'allow-once': 'shell.notifications.allowOnce',
  reject: 'shell.notifications.reject',
  open: 'shell.notifications.open',
}

/** The words the service worker shows itself, with their placeholders kept for it to fill. */
function workerTexts(): NotificationTexts {
  return {
    answerFailed: t('shell.notifications.answerFailed'),
    answerFailedBody: t('shell.notifications.answerFailedBody', { reason: '{reason}' }),
    httpError: t('shell.notifications.httpError', { status: '{status}' }),
    networkError: t('shell.notifications.networkError', { error: '{error}' }),
  }
}

/**
 * System notifications and the app badge:
 * - when the relay picks this tab for a notification (`notify`), shows it if the user opted in
 *   and the browser allows it, in the current locale ({@link notificationText}): through the
 *   service worker when one is active, with "Allow once" and "Reject" on a permission request,
 *   answered by the service worker even with no tab visible (sw/service-worker.ts), and "Open" on
 *   a question; else as a page `Notification`. A click opens the session;
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
      texts: workerTexts(),
    }
  }

  /** Through the service worker when it is active (actions work with no tab visible), else a page `Notification`. */
  async function show(n: RelayNotification): Promise<void> {
    const registration = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration().catch(() => undefined) : undefined
    const { title, body } = notificationText(n, sessions.get(n.directory, n.sessionID)?.title)
    if (registration?.active) {
      const data = dataOf(n)
      const titles = { 'allow-once': t(ACTION_TITLES['allow-once']), reject: t(ACTION_TITLES.reject), open: t(ACTION_TITLES.open) }
      const actions = notificationActions(data, titles)
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
