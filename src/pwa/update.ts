/**
 * Service-worker registration through workbox-window, as a composable: registers
 * `/service-worker.js` (built from sw/service-worker.ts by vite-plugin-pwa), exposes whether a new
 * version is installed and waiting, and applies it on request.
 *
 * Applying: the waiting worker gets `SKIP_WAITING`; when it takes control (`controllerchange`),
 * every tab that ran the previous version reloads, so all tabs run one version and share one
 * relay (a new build has a new SharedWorker script). The first install (no previous controller)
 * never reloads. Besides the browser's own checks on navigation, the worker script is re-checked
 * every {@link UPDATE_CHECK_INTERVAL_MS} and when a hidden tab becomes visible again (at most every
 * {@link UPDATE_CHECK_MIN_GAP_MS}). Does nothing in dev or where service workers are unavailable.
 */
import { ref, type Ref } from 'vue'
import { Workbox } from 'workbox-window'

/** Periodic update check of the worker script, in ms (1 hour). */
export const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000
/** Minimum gap between two update checks triggered by the tab becoming visible, in ms (5 minutes). */
export const UPDATE_CHECK_MIN_GAP_MS = 5 * 60 * 1000

/** What the update banner needs. */
export interface PwaUpdate {
  /** A new version is installed and waiting. */
  updateAvailable: Ref<boolean>
  /** The service worker controls this page (the app shell is cached: it opens offline). */
  controlled: Ref<boolean>
  /** `applyUpdate` was called; the page reloads once the new version controls it. */
  applying: Ref<boolean>
  /** Activates the waiting version; this tab (and every other tab) then reloads. */
  applyUpdate(): void
  /** Asks the browser to re-fetch the worker script now (resolves when the check is done). */
  checkForUpdate(): Promise<void>
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
  const supported = typeof navigator !== 'undefined' && 'serviceWorker' in navigator
  const updateAvailable = ref(false)
  const controlled = ref(supported && !!navigator.serviceWorker.controller)
  const applying = ref(false)
  let wb: Workbox | undefined
  let lastCheck = 0

  async function checkForUpdate(): Promise<void> {
    if (!wb) return
    lastCheck = Date.now()
    await wb.update().catch(() => undefined)
  }

  if ((options.force || import.meta.env.PROD) && supported) {
    // Whether a worker controlled this page before the change: only then does a new controller
    // mean "a new version took over" (reload); otherwise it is the first install claiming the page.
    let wasControlled = !!navigator.serviceWorker.controller
    let reloading = false
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      controlled.value = true
      const takeOver = wasControlled || applying.value
      wasControlled = true
      if (takeOver && !reloading) {
        reloading = true
        location.reload()
      }
    })
    const registered = new Workbox(options.url ?? '/service-worker.js', { scope: '/' })
    registered.addEventListener('waiting', () => (updateAvailable.value = true))
    void registered.register().catch((err: unknown) => console.warn('[pwa] service worker registration failed', err))
    wb = registered
    lastCheck = Date.now()
    setInterval(() => void checkForUpdate(), UPDATE_CHECK_INTERVAL_MS)
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && Date.now() - lastCheck > UPDATE_CHECK_MIN_GAP_MS) void checkForUpdate()
    })
  }

  singleton = {
    updateAvailable,
    controlled,
    applying,
    applyUpdate() {
      applying.value = true
      if (!wb) return location.reload()
      wb.messageSkipWaiting()
    },
    checkForUpdate,
  }
  return singleton
}
