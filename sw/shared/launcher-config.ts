/**
 * The launcher's config document, `GET /relay-config.json` on the app's own origin: which OpenCode
 * server the app should use, and whether the launcher is still starting it. Read by the app at page
 * load (src/stores/server.ts) and by the relay after every failed connection attempt
 * (sw/relay/launcher-watch.ts), so tabs follow a server that moved to a new port.
 *
 * Served by src/cli/static-server.ts (`RelayConfigDocument`), shaped
 * `{ status?: 'starting' | 'ready', server?: { url, username?, password?, identity? }, awake?, source? }`.
 * `status` is absent in documents of older launchers and of tests: a URL then means ready.
 * `GET /relay-config.json?wait=ready` is answered once the status is no longer `starting` (or after
 * at most ~20 s), so a reader can wait for the server without polling.
 *
 * Lib-neutral on purpose (DOM and WebWorker): fetch, AbortController and timers only.
 */
import type { ServerConfig } from './protocol.ts'
import { isRecord } from './guards.ts'

/** Path of the launcher's config document on the app's origin. */
export const LAUNCHER_CONFIG_PATH = '/relay-config.json'

/** What reading the launcher's config document found. */
export type LauncherAnswer =
  /** The launcher's server is up (`/global/health` answered), at `server.url`. */
  | { kind: 'ready'; server: ServerConfig }
  /** The launcher answers but its server is still starting; `server` is where it will listen, when known. */
  | { kind: 'starting'; server?: ServerConfig }
  /** No launcher serves this origin (404, an HTML page, not JSON): the app is served by something else. */
  | { kind: 'absent'; reason: string }
  /** A launcher answered, but its document makes no sense (bad JSON, a URL that is not http(s)). */
  | { kind: 'invalid'; reason: string }
  /** The app's own origin did not answer (network error, timeout): the app runs from its offline copy. */
  | { kind: 'unreachable'; reason: string }

/**
 * Narrows the `server` section of the document to a {@link ServerConfig} marked `followLauncher`
 * (the relay follows it when it moves), or `undefined` when it has no usable http(s) URL.
 */
export function parseLauncherServer(json: unknown): ServerConfig | undefined {
  if (!isRecord(json) || !isRecord(json.server)) return undefined
  const { url, username, password, identity } = json.server
  if (typeof url !== 'string' || !/^https?:\/\/[^/\s]+/i.test(url)) return undefined
  const server: ServerConfig = { url: url.replace(/\/+$/, ''), followLauncher: true }
  if (typeof username === 'string' && username) server.username = username
  if (typeof password === 'string' && password) server.password = password
  if (typeof identity === 'string' && identity) server.identity = identity
  return server
}

/**
 * Narrows a parsed document to a {@link LauncherAnswer} (`ready`, `starting` or `invalid`).
 * A document without `status` and with a URL is `ready` (older launchers, test servers).
 */
export function parseLauncherConfig(json: unknown): LauncherAnswer {
  if (!isRecord(json)) return { kind: 'invalid', reason: 'the config document is not a JSON object' }
  const server = parseLauncherServer(json)
  if (json.status === 'starting') return server ? { kind: 'starting', server } : { kind: 'starting' }
  if (json.status !== undefined && json.status !== 'ready') return { kind: 'invalid', reason: `unknown launcher status ${JSON.stringify(json.status)}` }
  if (!server) return { kind: 'invalid', reason: 'the config document names no http(s) server URL' }
  return { kind: 'ready', server }
}

/** Options of {@link readLauncherConfig}. */
export interface ReadLauncherOptions {
  /** Fetch to use (tests pass a fake). Default `globalThis.fetch`. */
  fetch?: typeof fetch
  /** Ask the launcher to answer only once its server is no longer starting (long poll, ~20 s at most). */
  waitForReady?: boolean
  /** Gives up after this many ms (default 3,000; 25,000 with `waitForReady`). */
  timeoutMs?: number
  /** Aborts the read (the answer is then `unreachable`). */
  signal?: AbortSignal
}

/**
 * Reads `/relay-config.json` from the app's origin (relative URL: the page's or the worker
 * script's origin). Never throws: every failure is an answer (see {@link LauncherAnswer}).
 */
export async function readLauncherConfig(options: ReadLauncherOptions = {}): Promise<LauncherAnswer> {
  const fetchImpl = options.fetch ?? globalThis.fetch
  const timeoutMs = options.timeoutMs ?? (options.waitForReady ? 25_000 : 3_000)
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  const onAbort = () => controller.abort()
  options.signal?.addEventListener('abort', onAbort)
  try {
    const path = options.waitForReady ? `${LAUNCHER_CONFIG_PATH}?wait=ready` : LAUNCHER_CONFIG_PATH
    let res: Response
    try {
      res = await fetchImpl(path, { cache: 'no-store', signal: controller.signal })
    } catch (err) {
      const reason = controller.signal.aborted ? `no answer within ${Math.round(timeoutMs / 1000)} s` : err instanceof Error ? err.message : String(err)
      return { kind: 'unreachable', reason }
    }
    if (!res.ok) return { kind: 'absent', reason: `HTTP ${res.status}` }
    const type = res.headers.get('content-type') ?? ''
    if (!type.includes('json')) return { kind: 'absent', reason: `not JSON (${type || 'no content type'})` }
    let json: unknown
    try {
      json = await res.json()
    } catch (err) {
      return { kind: 'invalid', reason: `bad JSON: ${err instanceof Error ? err.message : String(err)}` }
    }
    return parseLauncherConfig(json)
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  }
}
