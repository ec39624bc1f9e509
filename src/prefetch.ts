/**
 * A second, tiny entry of index.html (async module script): starts what a page's first paint
 * reads while the main bundle is still loading, and applies the saved theme (src/stores/saved-settings.ts).
 * Always the launcher's `/relay-config.json`
 * (src/api/relayConfig.ts); on a session route its warm-start snapshot (src/db/snapshot-prefetch.ts)
 * and, when there is none (a cold page), its newest messages from the server the app will use
 * (src/sync/first-page-prefetch.ts): the saved current server, else the launcher's, painted as a
 * plain-text preview until the app's own rows are (src/render/first-paint-preview.ts).
 */
import { prefetchRelayConfig } from './api/relayConfig.ts'
import { prefetchSnapshot } from './db/snapshot-prefetch.ts'
import { parseRoute } from './route.ts'
import { currentSavedServer } from './stores/saved-servers.ts'
import { applyTheme, savedSettings } from './stores/saved-settings.ts'
import { prefetchFirstPage } from './sync/first-page-prefetch.ts'
import { expectFirstPaintPreview } from './render/first-paint-preview.ts'

// The saved theme before anything paints (the preview below, the app's shell): no flash of the system's.
applyTheme(savedSettings().theme)
const launcher = prefetchRelayConfig()
const route = parseRoute(location.pathname, location.search)
if (route.name === 'session') {
  const snapshot = prefetchSnapshot(route.sessionID) ?? Promise.resolve(undefined)
  const { sessionID, directory } = route
  const saved = currentSavedServer()
  if (directory) {
    // A profile that never saved a server never wrote a snapshot either (the app saves the server
    // list at its first start, snapshots later): read at once, without waiting for IndexedDB, whose
    // first open in a fresh profile takes hundreds of ms. A used profile reads only when the
    // snapshot is missing.
    const server = saved
      ? snapshot.then((warm) => (warm ? undefined : saved))
      : launcher.then((answer) => (answer.kind === 'ready' ? answer.server : undefined))
    // Painted as plain text at once (src/render/first-paint-preview.ts), until the app's rows are.
    expectFirstPaintPreview(prefetchFirstPage({ sessionID, directory }, server))
  }
}
