/**
 * The wire shapes of `relay-awake`, the desktop sleep-protection companion (src/cli/awake/): what
 * its HTTP API answers and accepts, and the pairing the launcher publishes. Shared by the companion
 * itself (which answers with these shapes), the app's settings store and the relay's lease poster
 * (sw/shared/awake-client.ts), so it is lib-neutral (DOM, WebWorker and Node) and has no I/O.
 *
 * Companion API (src/cli/awake/http.ts), every request with `Authorization: Bearer <token>`:
 * - `GET /status` → {@link AwakeStatus}
 * - `POST /lease` {@link AwakeLeaseRequest} → {@link AwakeStatus} (one lease per `Origin`)
 * - `POST /enabled` `{enabled}` → {@link AwakeStatus}
 * Refusals: 401 (no or wrong token), 403 (foreign `Host` or `Origin`), errors as `{error}` JSON.
 */
import { isOptionalString, isRecord } from './guards.ts'

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

/** Body of `GET /status`: what the companion's controller reports (src/cli/awake/controller.ts). */
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

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

function isLease(value: unknown): value is AwakeLease {
  return isRecord(value) && typeof value.owner === 'string' && typeof value.expiresAt === 'number' && isOptionalString(value.reason)
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
