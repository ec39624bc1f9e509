/**
 * A tiny router on the History API (no dependency). The routes and their parsing are in
 * src/route.ts (Vue-free, shared with the prefetch entry):
 *
 * - `/` (optionally `?directory=<absolute path>`): the project's session list and a new prompt;
 * - `/session/<sessionID>?directory=<absolute path>`: that session, bookmarkable.
 *
 * Each tab has its own URL, so each tab can show a different session. The server that serves
 * the app must answer `index.html` for `/session/*` (history fallback).
 */
import { computed, shallowRef, type ComputedRef } from 'vue'
import { parseRoute, routeHref, type Route } from './route.ts'

export { parseRoute, routeHref, type Route }

const current = shallowRef<Route>({ name: 'home' })
let installed = false

function readLocation(): Route {
  return parseRoute(location.pathname, location.search)
}

/** Starts listening to `popstate` and reads the current location. Idempotent. */
export function installRouter(): void {
  if (installed || typeof window === 'undefined') return
  installed = true
  current.value = readLocation()
  window.addEventListener('popstate', () => {
    current.value = readLocation()
  })
}

/** The current route (reactive, read-only). */
export const route: ComputedRef<Route> = computed(() => current.value)

/**
 * Goes to a route: pushes a history entry (or replaces the current one) and updates
 * {@link route}. No-op when the URL would not change.
 */
export function navigate(to: Route, options: { replace?: boolean } = {}): void {
  const href = routeHref(to)
  if (typeof window !== 'undefined') {
    const now = `${location.pathname}${location.search}`
    if (now !== href) {
      if (options.replace) history.replaceState(null, '', href)
      else history.pushState(null, '', href)
    }
  }
  current.value = to
}

/** Same route? (for active-link styling) */
export function sameRoute(a: Route, b: Route): boolean {
  return routeHref(a) === routeHref(b)
}
