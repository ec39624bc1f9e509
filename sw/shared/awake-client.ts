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
 * Companion API (src/cli/awake/http.ts), every request with `Authorization: Bearer <token>`:
 * - `GET /status` → {@link AwakeStatus}
 * - `POST /lease` `{busy, reason?, ttlMs?}` → {@link AwakeStatus} (one lease per `Origin`)
 * - `POST /enabled` `{enabled}` → {@link AwakeStatus}
 * Refusals: 401 (no or wrong token), 403 (foreign `Host` or `Origin`), errors as `{error}` JSON.
 */
import { isRecord } from './guards.ts'

/** The `awake` section of `/relay-config.json`: where the companion listens and its pairing token. */
export interface AwakeConfig {
  /** Base URL of the companion, loopback only, e.g. `http://127.0.0.1:4747` (no trailing slash). */
  url: string
  /** Bearer token (the launcher generates 32 random bytes, hex). */
  token: string
}

/** A lease as the companion reports it (one per owner: the request's `Origin`, or `cli`). */
export interface AwakeLease {
  owner: string
  reason?: string
  /** Epoch ms after which the lease no longer counts. */
  expiresAt: number
}

/** Power backends of the companion; `unsupported` never holds anything. */
export type AwakePlatform = 'darwin' | 'linux' | 'win32' | 'unsupported'

/** State of the companion's own `/global/event` stream to the watched OpenCode server. */
export type AwakeServerState = 'connecting' | 'connected' | 'reconnecting' | 'stopped'

/**
 * Body of `GET /status` (mirror of `AwakeStatus` in src/cli/awake/controller.ts; the real-process
 * test checks the CLI's answer against {@link isAwakeStatus}).
 */
export interface AwakeStatus {
  running: true
  /** True while the power assertion (caffeinate / systemd-inhibit) is held. */
  held: boolean
  /** Epoch ms when the assertion was taken; present only while `held`. */
  since?: number
  /** Current causes, e.g. `session ses_… busy`, `lease (http://localhost:5174): 1 session busy`. */
  reasons: string[]
  /** Protection switch (set by the app through `POST /enabled`). */
  enabled: boolean
  platform: AwakePlatform
  supported: boolean
  /** URL of the watched OpenCode server, when the companion watches one (`--server`). */
  server?: string
  serverState?: AwakeServerState
  serverError?: string
  busySessions: string[]
  leases: AwakeLease[]
  /** Last power-backend failure (tool missing on PATH, tool exited). */
  error?: string
  pid: number
}

/** Body of `POST /lease`. */
export interface AwakeLeaseRequest {
  /** true creates/renews the caller's lease, false drops it at once. */
  busy: boolean
  /** Shown in the companion's `reasons` (≤ 200 chars). */
  reason?: string
  /** Lease lifetime from now, ms (the companion clamps it to [100 ms, 120 s]). */
  ttlMs?: number
}

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

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

function isLease(value: unknown): value is AwakeLease {
  return isRecord(value) && typeof value.owner === 'string' && typeof value.expiresAt === 'number' && (value.reason === undefined || typeof value.reason === 'string')
}

function optional(value: unknown, type: 'string' | 'number'): boolean {
  return value === undefined || typeof value === type
}

/**
 * Whether `url` is an address the relay-awake companion may be paired at: plain `http:` on
 * `127.0.0.1`, `localhost` or `[::1]` exactly, for the companion never listens elsewhere; a
 * pairing naming any other address is refused, so the token is never sent off this machine.
 * False for an unparsable URL.
 */
export function isCompanionUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]')
  } catch {
    return false
  }
}

/**
 * Narrows the `awake` section of a `/relay-config.json` document.
 * @returns the pairing, or `undefined` when absent or malformed (non-loopback URL, token shorter
 *   than 16 characters or containing spaces).
 */
export function parseAwakeConfig(json: unknown): AwakeConfig | undefined {
  if (!isRecord(json) || !isRecord(json.awake)) return undefined
  const { url, token } = json.awake
  if (typeof url !== 'string' || typeof token !== 'string') return undefined
  if (!isCompanionUrl(url) || !/^\S{16,}$/.test(token)) return undefined
  return { url: url.replace(/\/+$/, ''), token }
}

/** Type guard for a `GET /status` body ({@link AwakeStatus}). */
export function isAwakeStatus(value: unknown): value is AwakeStatus {
  return (
    isRecord(value) &&
    value.running === true &&
    typeof value.held === 'boolean' &&
    typeof value.enabled === 'boolean' &&
    typeof value.supported === 'boolean' &&
    typeof value.pid === 'number' &&
    (value.platform === 'darwin' || value.platform === 'linux' || value.platform === 'win32' || value.platform === 'unsupported') &&
    isStringArray(value.reasons) &&
    isStringArray(value.busySessions) &&
    Array.isArray(value.leases) &&
    value.leases.every(isLease) &&
    optional(value.since, 'number') &&
    optional(value.server, 'string') &&
    optional(value.serverError, 'string') &&
    optional(value.error, 'string') &&
    (value.serverState === undefined ||
      value.serverState === 'connecting' ||
      value.serverState === 'connected' ||
      value.serverState === 'reconnecting' ||
      value.serverState === 'stopped')
  )
}

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
