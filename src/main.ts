/**
 * Entry point: router, Pinia, the server list (learned from `/relay-config.json`), the relay
 * client (SharedWorker or leader-tab fallback), then the sync store, which paints the warm-start
 * snapshot of the routed session before the network answers, and the offline cache of project and
 * session lists (src/pwa/offline.ts).
 */
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import './styles/tokens.css'
import './styles/main.css'
import './styles/first-paint.css'
import { installRouter, navigate, route } from './router.ts'
import { installRoutePerServer } from './route-per-server.ts'
import { useServerStore } from './stores/server.ts'
import { useSyncStore } from './stores/sync.ts'
import { provideRelay } from './relay-client/provide.ts'
import { createRelayClient } from './relay-client/index.ts'
import { installOfflineCache } from './pwa/offline.ts'
import { BUILD_ID } from './pwa/build-info.ts'
import { i18n, intlLocale } from './i18n/index.ts'
import { dismissFirstPaintPreview, firstPaintPreviewShown } from './render/first-paint-preview.ts'

/** Longest wait (ms) for a cold page's first-paint preview before the app mounts anyway. */
const PREVIEW_WAIT_CAP_MS = 300

async function boot(): Promise<void> {
  performance.mark('relay:boot')
  document.documentElement.dataset.build = BUILD_ID
  installRouter()
  const app = createApp(App)
  const pinia = createPinia()
  app.use(pinia)
  app.use(i18n)
  document.documentElement.lang = intlLocale()

  const server = useServerStore(pinia)
  await server.init()
  // Each server keeps its own place: a switch opens the new server's last route, not the old project.
  installRoutePerServer({ serverKey: () => server.storageKey, route: () => route.value, navigate })
  const relay = createRelayClient(server.config)
  // The relay followed the launcher's server to a new port: the server list and REST client follow.
  relay.onServerMoved((moved) => server.followLauncher(moved))
  provideRelay(relay)

  const sync = useSyncStore(pinia)
  // Offline lists: paints cached projects and session lists until (or when) the server answers.
  installOfflineCache({ sync, serverUrl: () => server.storageKey })
  const r = route.value
  void sync.start(r.name === 'session' ? { warm: { sessionID: r.sessionID } } : {})
  // A cold page's preview of its newest messages paints before the mount's long task, not after.
  await firstPaintPreviewShown(PREVIEW_WAIT_CAP_MS)
  app.mount('#app')
  performance.mark('relay:mounted')
}

// A boot that fails must not leave the cold page's preview of the transcript over the page.
boot().catch((err: unknown) => {
  dismissFirstPaintPreview()
  throw err
})
