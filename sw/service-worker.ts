/**
 * The service worker: precaches the app shell (the manifest of hashed assets that
 * vite-plugin-pwa's injectManifest writes into `self.__WB_MANIFEST`, so every changed build is a
 * new, versioned worker), serves navigations from the cached `index.html`, and caches nothing at
 * run time.
 *
 * It never answers API calls or the event stream: those are `fetch` requests (not navigations) to
 * the OpenCode server, usually another origin; the only routes here are exact precached URLs and
 * same-origin navigations, and every other request falls through to the network untouched (no
 * `respondWith`), even when a proxy serves the API on the app's own origin.
 *
 * Updates wait: a new version is installed but only activated when a tab asks (`SKIP_WAITING`,
 * sent when the user clicks "Reload" in the "New version available" banner, src/pwa/update.ts).
 * The first install claims open tabs at once, so the app works offline from the first visit.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import {
  fillText,
  isPermissionAction,
  isRelayNotificationData,
  permissionReplyRequest,
  type PermissionAction,
  type OpenRouteMessage,
  type RelayNotificationData,
} from './shared/notification-actions.ts'

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> }

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()

/**
 * Navigations (app routes such as `/session/<id>?directory=…`) get the precached shell. Not the
 * launcher's config document, and not paths that name a file (`/x.json`, `/y.txt`): those go to
 * the network.
 */
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/relay-config\.json(\?|$)/, /^[^?]*\/[^/?]*\.[^/?]*(\?.*)?$/],
  }),
)

self.addEventListener('activate', (ev: ExtendableEvent) => {
  ev.waitUntil(self.clients.claim())
})

self.addEventListener('message', (ev: ExtendableMessageEvent) => {
  const data: unknown = ev.data
  if (typeof data === 'object' && data !== null && 'type' in data && data.type === 'SKIP_WAITING') void self.skipWaiting()
})

/**
 * A click on a relay notification (shown by a tab through `registration.showNotification`, see
 * sw/shared/notification-actions.ts): "Allow once" or "Reject" answers the permission request on
 * the OpenCode server from here, so no tab has to be visible; a failed answer says so in a new
 * notification (worded in the page's language: `texts` of the notification's data) that opens the
 * session. A click on the body, or a question's "Open", opens the session: in a window of the app
 * if one is open (focused, routed in place), else in a new one.
 */
self.addEventListener('notificationclick', (ev: NotificationEvent) => {
  const done = onNotificationClick(ev.notification, ev.action)
  try {
    ev.waitUntil(done)
  } catch {
    // An event not dispatched by the browser (isTrusted false) cannot extend the worker's life.
  }
})

async function onNotificationClick(notification: Notification, action: string): Promise<void> {
  const data: unknown = notification.data
  notification.close()
  if (!isRelayNotificationData(data)) return
  if (isPermissionAction(action) && data.kind === 'permission' && data.requestID) {
    const failure = await answer(data, action)
    if (failure === undefined) return
    await self.registration.showNotification(data.texts.answerFailed, {
      body: fillText(data.texts.answerFailedBody, { reason: failure }),
      tag: notification.tag,
      data: { ...data, requestID: undefined },
    })
    return
  }
  // A click on the body, or "Open": the session, in the app.
  await openInApp(data.open)
}

/** Answers the notification's permission request; the reason when it failed (in the page's words), else undefined. */
async function answer(data: RelayNotificationData, action: PermissionAction): Promise<string | undefined> {
  const { url, init } = permissionReplyRequest(data, action)
  try {
    const res = await fetch(url, init)
    if (res.ok) return undefined
    return fillText(data.texts.httpError, { status: String(res.status) })
  } catch (err) {
    return fillText(data.texts.networkError, { error: err instanceof Error ? err.message : String(err) })
  }
}

async function openInApp(url: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const target = windows.find((c) => c.url === url) ?? windows.find((c) => c.focused) ?? windows[0]
  if (!target) {
    await self.clients.openWindow(url)
    return
  }
  if (target.url !== url) target.postMessage({ type: 'open-route', url } satisfies OpenRouteMessage)
  // Allowed only while handling the user's click on the notification.
  await target.focus().catch(() => undefined)
}
