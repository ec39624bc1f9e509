/**
 * Typed client for `relay-awake`, the desktop sleep-protection companion (src/cli/awake/). Used by
 * the settings store (toggle, status indicator) and by the relay's lease poster
 * (sw/relay/awake-lease.ts), so it only uses APIs common to DOM and WebWorker (fetch,
 * AbortController, setTimeout).
 *
 * Pairing: the launcher (`npm start -- --awake`) starts the companion with a random 32-byte hex
 * token and publishes `{ awake: { url: 'http://127.0.0.1:PORT', token } }` in
 * `/relay-config.json` on the app's own origin (src/cli/static-server.ts, `RelayConfigDocument`).
 *
 * The companion's API and its shapes: sw/shared/awake-wire.ts.
 */
import { isRecord } from './guards.ts'
import { isAwakeStatus, parseAwakeConfig, type AwakeConfig, type AwakeLeaseRequest, type AwakeStatus } from './awake-wire.ts'

/**
 * Outcome of a companion call; never thrown. `not-running`: nothing answered (connection refused,
 * timeout). `unauthorized`: 401, the token is wrong (the companion was restarted with a new one).
 * `forbidden`: 403, the companion refused this page's `Origin` or the `Host`. `error`: anything
 * else (HTTP error, not a relay-awake answer).
 */
export type AwakeResult =
  | { kind: 'ok'; status: AwakeStatus }
  | { kind: 'not-running'; message: string }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'error'; message: string }

/** `fetch` that is safe to store in an options object (a bare `window.fetch` called as a method throws "Illegal invocation"). */
function boundFetch(f: typeof fetch | undefined): typeof fetch {
  if (f) return (input, init) => f(input, init)
  return (input, init) => fetch(input, init)
}

/** Runs `fn` with an AbortSignal that fires after `timeoutMs`. */
async function withTimeout<T>(timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    return await fn(controller.signal)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Fetches `/relay-config.json` (on the app's origin) and returns its `awake` section.
 * Never throws: a missing document, bad JSON or a document without `awake` resolve `undefined`.
 * @param fetchImpl fetch to use (tests pass a fake).
 * @param timeoutMs gives up after this many ms (default 3,000).
 * @param path where the document is (default `/relay-config.json`).
 */
export async function fetchAwakeConfig(fetchImpl?: typeof fetch, timeoutMs = 3_000, path = '/relay-config.json'): Promise<AwakeConfig | undefined> {
  const f = boundFetch(fetchImpl)
  try {
    return await withTimeout(timeoutMs, async (signal) => {
      const res = await f(path, { cache: 'no-store', signal })
      if (!res.ok) return undefined
      return parseAwakeConfig(await res.json())
    })
  } catch {
    return undefined
  }
}

/** The companion's API as typed calls; every method resolves an {@link AwakeResult}, never rejects. */
export interface AwakeClient {
  readonly config: AwakeConfig
  /** `GET /status`. */
  status(): Promise<AwakeResult>
  /** `POST /enabled {enabled}`: turns protection on or off (off releases at once). */
  setEnabled(enabled: boolean): Promise<AwakeResult>
  /** `POST /lease {busy, reason?, ttlMs?}`: creates, renews or drops this origin's lease. */
  lease(request: AwakeLeaseRequest): Promise<AwakeResult>
}

/** Options of {@link createAwakeClient}. */
export interface AwakeClientOptions {
  fetch?: typeof fetch
  /** Per-request timeout, ms (default 3,000). */
  timeoutMs?: number
}

/** Builds a client for the companion at `config.url` with its bearer token. */
export function createAwakeClient(config: AwakeConfig, options: AwakeClientOptions = {}): AwakeClient {
  const f = boundFetch(options.fetch)
  const timeoutMs = options.timeoutMs ?? 3_000

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<AwakeResult> {
    const headers: Record<string, string> = { authorization: `Bearer ${config.token}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await withTimeout(timeoutMs, (signal) =>
        f(`${config.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', signal }),
      )
    } catch (err) {
      return { kind: 'not-running', message: `no answer from ${config.url} (${err instanceof Error ? err.message : String(err)})` }
    }
    let json: unknown
    try {
      json = await res.json()
    } catch {
      json = undefined
    }
    const detail = isRecord(json) && typeof json.error === 'string' ? json.error : `HTTP ${res.status}`
    if (res.status === 401) return { kind: 'unauthorized', message: detail }
    if (res.status === 403) return { kind: 'forbidden', message: detail }
    if (!res.ok) return { kind: 'error', message: detail }
    if (!isAwakeStatus(json)) return { kind: 'error', message: `${config.url} did not answer like relay-awake (another program on this port?)` }
    return { kind: 'ok', status: json }
  }

  return {
    config,
    status: () => call('GET', '/status'),
    setEnabled: (enabled) => call('POST', '/enabled', { enabled }),
    lease: (request) => call('POST', '/lease', request),
  }
}
