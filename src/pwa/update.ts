/**
 * Service-worker registration through workbox-window, as a composable: registers
 * `/service-worker.js` (built from sw/service-worker.ts by vite-plugin-pwa), exposes whether a new
 * version is waiting, and applies it on request (SKIP_WAITING, then a reload once the new worker
 * controls the page). Does nothing in dev or where service workers are unavailable.
 */
import { ref, type Ref } from 'vue'
import { Workbox } from 'workbox-window'

/** What the update prompt needs. */
export interface PwaUpdate {
  /** A new version is installed and waiting. */
  updateAvailable: Ref<boolean>
  /** The service worker controls this page (the app shell is cached). */
  controlled: Ref<boolean>
  /** Activates the waiting version and reloads. */
  applyUpdate(): void
}

let singleton: PwaUpdate | undefined

/** Options of {@link usePwaUpdate}. */
export interface PwaUpdateOptions {
  /** Script URL; default `/service-worker.js`. */
  url?: string
  /** Register even in dev (tests); default: only in production builds. */
  force?: boolean
}

/** Registers once per page and returns the shared update state. */
export function usePwaUpdate(options: PwaUpdateOptions = {}): PwaUpdate {
  if (singleton) return singleton
  const updateAvailable = ref(false)
  const controlled = ref(typeof navigator !== 'undefined' && 'serviceWorker' in navigator && !!navigator.serviceWorker.controller)
  let wb: Workbox | undefined
  const enabled = (options.force || import.meta.env.PROD) && typeof navigator !== 'undefined' && 'serviceWorker' in navigator
  if (enabled) {
    wb = new Workbox(options.url ?? '/service-worker.js', { scope: '/' })
    wb.addEventListener('waiting', () => (updateAvailable.value = true))
    wb.addEventListener('controlling', () => {
      controlled.value = true
    })
    navigator.serviceWorker.addEventListener('controllerchange', () => (controlled.value = true))
    void wb.register().catch((err: unknown) => console.warn('[pwa] service worker registration failed', err))
  }
  singleton = {
    updateAvailable,
    controlled,
    applyUpdate() {
      if (!wb) return location.reload()
      wb.addEventListener('controlling', () => location.reload())
      wb.messageSkipWaiting()
    },
  }
  return singleton
}
