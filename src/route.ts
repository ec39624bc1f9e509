/// <reference types="vite/client" />
/**
 * The app's routes as plain data, without Vue, so the tiny prefetch entry (src/prefetch.ts) can
 * parse the location the same way the router (src/router.ts) does:
 *
 * - `/` (optionally `?directory=<absolute path>`): the project's session list and a new prompt;
 * - `/session/<sessionID>?directory=<absolute path>`: that session, bookmarkable.
 *
 * Paths are relative to Vite's `BASE_URL` (`/` unless the app is built for a sub-path).
 */

/** A parsed location. */
export type Route =
  | { name: 'home'; directory?: string }
  | { name: 'session'; sessionID: string; directory?: string }

function base(): string {
  const b = import.meta.env?.BASE_URL ?? '/'
  return b.endsWith('/') ? b : `${b}/`
}

/**
 * Parses a pathname and query string into a {@link Route}. Unknown paths are `home`, and so is a
 * session path whose id is not valid percent-encoding (`/session/%E0%A4%A`): a mistyped URL opens
 * the app instead of failing its start with a `URIError`. Never throws.
 */
export function parseRoute(pathname: string, search: string): Route {
  const b = base()
  const path = pathname.startsWith(b) ? pathname.slice(b.length - 1) : pathname
  const directory = new URLSearchParams(search).get('directory') || undefined
  const m = /^\/session\/([^/?#]+)\/?$/.exec(path)
  const sessionID = m ? decodeSegment(m[1]) : undefined
  return sessionID ? { name: 'session', sessionID, directory } : { name: 'home', directory }
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/** The URL (path + query) of a route, under `BASE_URL`. */
export function routeHref(route: Route): string {
  const q = route.directory ? `?${new URLSearchParams({ directory: route.directory }).toString()}` : ''
  const b = base()
  if (route.name === 'session') return `${b}session/${encodeURIComponent(route.sessionID)}${q}`
  return `${b}${q}`
}
