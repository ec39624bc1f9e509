/**
 * Each server keeps its own place in a tab. The route a tab shows is remembered per server (in
 * `sessionStorage`, so per tab and across reloads, under `opencode-relay:route-per-server`), and
 * when the user switches servers the tab opens the new server's remembered route — or its start
 * page, the server's own project, the first time — instead of keeping the previous server's
 * project and session, which the new server does not have. Switching back returns to where the
 * tab was.
 */
import { watch, type WatchStopHandle } from 'vue'
import { parseRoute, routeHref, type Route } from './route.ts'
import { isRecord } from '../sw/shared/guards.ts'

const STORAGE_KEY = 'opencode-relay:route-per-server'

/** Server identity (the server store's `storageKey`) → the href of the route last shown on it. */
export type RouteMemory = Readonly<Record<string, string>>

/** Narrows stored JSON to a {@link RouteMemory} (anything else is an empty memory). */
export function parseRouteMemory(json: unknown): RouteMemory {
  if (!isRecord(json)) return {}
  const out: Record<string, string> = {}
  for (const [key, href] of Object.entries(json)) if (typeof href === 'string' && href.startsWith('/')) out[key] = href
  return out
}

/**
 * What a server switch does: remembers `current` for the previous server and answers the route
 * to open on the next one (its remembered route, else its start page).
 */
export function switchRoute(memory: RouteMemory, previous: string, next: string, current: Route): { memory: RouteMemory; open: Route } {
  const updated = { ...memory, [previous]: routeHref(current) }
  const href = updated[next]
  if (!href) return { memory: updated, open: { name: 'home' } }
  const url = new URL(href, 'http://relay.invalid')
  return { memory: updated, open: parseRoute(url.pathname, url.search) }
}

/** What {@link installRoutePerServer} needs: the current server's identity and the router. */
export interface RoutePerServerOptions {
  /** The current server's identity (the server store's `storageKey`); reactive. */
  serverKey: () => string
  /** The current route; reactive. */
  route: () => Route
  /** Opens a route (the router's `navigate`). */
  navigate: (to: Route) => void
  /** Where the memory is kept (default `sessionStorage`; absent or throwing: kept in memory). */
  storage?: Pick<Storage, 'getItem' | 'setItem'>
}

/** Starts remembering routes per server and following switches; returns the stop function. */
export function installRoutePerServer(options: RoutePerServerOptions): WatchStopHandle {
  const storage = options.storage ?? globalThis.sessionStorage
  let memory: RouteMemory = {}
  try {
    memory = parseRouteMemory(JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null'))
  } catch {
    // Unreadable or malformed: start empty.
  }
  const save = () => {
    try {
      storage?.setItem(STORAGE_KEY, JSON.stringify(memory))
    } catch {
      // Storage disabled or full: the memory lasts for this page.
    }
  }
  const stopRoute = watch(options.route, (route) => {
    memory = { ...memory, [options.serverKey()]: routeHref(route) }
    save()
  })
  const stopServer = watch(options.serverKey, (next, previous) => {
    if (next === previous) return
    const { memory: updated, open } = switchRoute(memory, previous, next, options.route())
    memory = updated
    save()
    options.navigate(open)
  })
  return () => {
    stopRoute()
    stopServer()
  }
}
