/**
 * The `relay-awake status` client: fetches `GET http://127.0.0.1:PORT/status` with the bearer
 * token, narrows the JSON, and renders it for humans.
 */
import { isAwakeStatus, type AwakeStatus } from '../../../sw/shared/awake-wire.ts'
import { isRecord } from '../../../sw/shared/guards.ts'

/** Local wall-clock `HH:MM:SS` of an epoch-ms time. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/**
 * Renders a status for humans, first line e.g. `held: yes since 14:02:11 (session ses_… busy)`.
 * @param now epoch ms used for lease countdowns (injectable for tests).
 */
export function formatStatus(status: AwakeStatus, now: number = Date.now()): string {
  const lines: string[] = []
  const why = status.reasons.length > 0 ? ` (${status.reasons.join(', ')})` : ''
  if (status.held) lines.push(`held: yes${status.since !== undefined ? ` since ${formatClock(status.since)}` : ''}${why}`)
  else if (!status.enabled) lines.push('held: no (protection disabled)')
  else if (!status.supported) lines.push('held: no (platform unsupported)')
  else lines.push(`held: no${status.reasons.length > 0 ? ` (wanted for: ${status.reasons.join(', ')})` : ''}`)
  lines.push(`enabled: ${status.enabled ? 'yes' : 'no'}`)
  lines.push(`platform: ${status.platform} (${status.supported ? 'supported' : 'unsupported'})`)
  if (status.server !== undefined) {
    const err = status.serverError ? `, ${status.serverError}` : ''
    lines.push(`server: ${status.server} (${status.serverState ?? 'unknown'}${err})`)
  } else lines.push('server: none (leases only)')
  lines.push(`busy sessions: ${status.busySessions.length > 0 ? status.busySessions.join(', ') : 'none'}`)
  for (const l of status.leases) {
    const left = Math.max(0, Math.round((l.expiresAt - now) / 1000))
    lines.push(`lease: ${l.owner}${l.reason ? ` (${l.reason})` : ''}, expires in ${left} s`)
  }
  if (status.error) lines.push(`error: ${status.error}`)
  lines.push(`pid: ${status.pid}`)
  return lines.join('\n')
}

/** Outcome of {@link fetchStatus}. */
export type StatusResult =
  | { kind: 'ok'; status: AwakeStatus }
  | { kind: 'not-running' }
  | { kind: 'unauthorized' }
  | { kind: 'error'; message: string }

/**
 * `GET http://127.0.0.1:{port}/status` with `Authorization: Bearer {token}` (when given).
 * Never throws: connection refused → `not-running`, 401 → `unauthorized`.
 */
export async function fetchStatus(port: number, token: string | undefined, timeoutMs = 3_000): Promise<StatusResult> {
  const headers: Record<string, string> = {}
  if (token) headers.authorization = `Bearer ${token}`
  let res: Response
  try {
    res = await fetch(`http://127.0.0.1:${port}/status`, { headers, signal: AbortSignal.timeout(timeoutMs) })
  } catch {
    return { kind: 'not-running' }
  }
  if (res.status === 401) return { kind: 'unauthorized' }
  let body: unknown
  try {
    body = await res.json()
  } catch {
    return { kind: 'error', message: `HTTP ${res.status}: not a relay-awake status` }
  }
  if (!res.ok) return { kind: 'error', message: `HTTP ${res.status}${isRecord(body) && typeof body.error === 'string' ? `: ${body.error}` : ''}` }
  if (!isAwakeStatus(body)) return { kind: 'error', message: 'unexpected status shape (another program on this port?)' }
  return { kind: 'ok', status: body }
}
