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
