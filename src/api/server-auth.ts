/**
 * How a request reaches an OpenCode server: its normalized base URL, its Basic-auth header and the
 * deadline of a read.
 * Free of the SDK, so the tiny prefetch entry (src/prefetch.ts) reads with exactly what the app's
 * REST client (src/api/opencode.ts) sends.
 */
import type { ServerConfig } from '../../sw/shared/protocol.ts'

/**
 * Basic-auth header value for servers started with `OPENCODE_SERVER_PASSWORD`
 * (user defaults to `opencode`, OpenCode's default). `undefined` when no password is set.
 */
export function basicAuthHeader(server: Pick<ServerConfig, 'username' | 'password'>): string | undefined {
  if (!server.password) return undefined
  const raw = `${server.username || 'opencode'}:${server.password}`
  const bytes = new TextEncoder().encode(raw)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return `Basic ${btoa(binary)}`
}

/** The headers that authenticate a request to `server`: `{ authorization: 'Basic …' }`, or none. */
export function authHeaders(server: Pick<ServerConfig, 'username' | 'password'>): Record<string, string> {
  const auth = basicAuthHeader(server)
  return auth ? { authorization: auth } : {}
}

/** Removes trailing slashes from a server URL. */
export function normalizeServerUrl(url: string): string {
  return url.trim().replace(/\/+$/, '')
}

/** Reads without a caller signal give up after this many ms, so a hung server cannot stall a load forever. */
export const READ_TIMEOUT_MS = 15_000
