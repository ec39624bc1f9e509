/**
 * The launcher's hint about which server to use: `GET /relay-config.json` on the app's own origin,
 * shaped `{ server: { url, username?, password? } }`. Absent (404, network error, bad JSON) when the
 * app is served by something else, e.g. `vite` in development.
 */
import type { ServerConfig } from '../../sw/protocol.ts'

/** Server used when neither the user nor the launcher named one (OpenCode's default port). */
export const FALLBACK_SERVER_URL = 'http://127.0.0.1:4096'

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Narrows an unknown JSON document to the launcher's config.
 * @returns the server, or `undefined` when the shape is wrong (a missing or non-string `url`).
 */
export function parseRelayConfig(json: unknown): ServerConfig | undefined {
  if (!isRecord(json) || !isRecord(json.server)) return undefined
  const { url, username, password } = json.server
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return undefined
  const server: ServerConfig = { url: url.replace(/\/+$/, '') }
  if (typeof username === 'string' && username) server.username = username
  if (typeof password === 'string' && password) server.password = password
  return server
}

/**
 * Fetches `/relay-config.json` from the app's origin.
 * Never throws: any failure resolves `undefined`.
 * @param fetchImpl fetch to use (tests pass a fake).
 * @param timeoutMs gives up after this many ms (default 3,000).
 */
export async function fetchRelayConfig(fetchImpl: typeof fetch = globalThis.fetch, timeoutMs = 3000): Promise<ServerConfig | undefined> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const res = await fetchImpl('/relay-config.json', { cache: 'no-store', signal: controller.signal })
    if (!res.ok) return undefined
    const type = res.headers.get('content-type') ?? ''
    if (!type.includes('json')) return undefined
    return parseRelayConfig(await res.json())
  } catch {
    return undefined
  } finally {
    clearTimeout(timer)
  }
}
