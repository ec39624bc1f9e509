/**
 * The service worker: precaches the app shell (versioned by vite-plugin-pwa's injectManifest),
 * serves navigations from the cached index.html, and never touches API calls or the event stream
 * (those go to the OpenCode server's origin and are not routed here).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> }

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/relay-config\.json/, /^\/api\//] }))

self.addEventListener('message', (ev: ExtendableMessageEvent) => {
  const data: unknown = ev.data
  if (typeof data === 'object' && data !== null && 'type' in data && data.type === 'SKIP_WAITING') void self.skipWaiting()
})
