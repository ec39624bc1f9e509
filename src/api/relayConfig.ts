/**
 * The launcher's hint about which server to use: `GET /relay-config.json` on the app's own origin
 * (read and narrowed by sw/shared/launcher-config.ts, which the relay uses too). Absent (404, network
 * error, bad JSON) when the app is served by something else, e.g. `vite` in development.
 */
import type { ServerConfig } from '../../sw/shared/protocol.ts'
import { parseLauncherServer, readLauncherConfig, type LauncherAnswer } from '../../sw/shared/launcher-config.ts'

/** Server used when neither the user nor the launcher named one (OpenCode's default port). */
export const FALLBACK_SERVER_URL = 'http://127.0.0.1:4096'

/**
 * Narrows an unknown JSON document to the launcher's server (marked `followLauncher`).
 * @returns the server, or `undefined` when the shape is wrong (a missing or non-http(s) `url`).
 */
export function parseRelayConfig(json: unknown): ServerConfig | undefined {
  return parseLauncherServer(json)
}

let early: Promise<LauncherAnswer> | undefined

/**
 * Starts reading `/relay-config.json` now, once per page: src/prefetch.ts calls it while the main
 * bundle is still loading, so a fresh profile (no saved server: the server store waits for this
 * answer before any REST read) does not ask only after the bundle has started. The next
 * {@link fetchRelayConfig} without a fetch of its own takes this answer instead of asking again.
 * Never throws.
 * @returns the launcher's answer (sw/shared/launcher-config.ts).
 */
export function prefetchRelayConfig(): Promise<LauncherAnswer> {
  early ??= readLauncherConfig()
  return early
}

/**
 * Fetches `/relay-config.json` from the app's origin: the launcher's server, ready or still
 * starting (the relay waits for a starting one and says so). Never throws: every failure, and a
 * launcher that names no server yet, resolve `undefined`. Without `fetchImpl`, an answer
 * prefetched by {@link prefetchRelayConfig} and not taken yet is used.
 * @param fetchImpl fetch to use (tests pass a fake); default the global fetch.
 * @param timeoutMs gives up after this many ms (default 3,000).
 */
export async function fetchRelayConfig(fetchImpl?: typeof fetch, timeoutMs = 3000): Promise<ServerConfig | undefined> {
  const prefetched = fetchImpl === undefined ? early : undefined
  if (prefetched) early = undefined
  const answer = await (prefetched ?? readLauncherConfig({ fetch: fetchImpl, timeoutMs }))
  return answer.kind === 'ready' || answer.kind === 'starting' ? answer.server : undefined
}

/** Forgets a prefetched answer (tests). */
export function resetRelayConfigPrefetch(): void {
  early = undefined
}
