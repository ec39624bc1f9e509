/**
 * What the service status button and popover show about a project's MCP and LSP servers, derived
 * from `GET /mcp` (a map name → {@link McpStatus}) and `GET /lsp` ({@link LspStatus}[]): rows in a
 * stable order, a tone per state, the button's summary text and one overall health. Texts are in
 * the current locale (src/i18n `shell.services`). No I/O.
 */
import type { LspStatus, McpStatus } from '@opencode-ai/sdk/v2/types'
import { errorMessage, httpStatus } from '../api/opencode.ts'
import { t } from '../i18n/index.ts'

/** The state of one MCP server, as `GET /mcp` names it. */
export type McpState = McpStatus['status']

/** One row of the MCP list. */
export interface McpServerRow {
  /** The server's name: its key under `mcp` in the project's config. */
  name: string
  state: McpState
  /** The server's error text (`failed`, `needs_client_registration`); absent otherwise. */
  error?: string
}

/** Colour of a state: `success` green, `warning` amber, `danger` red, `muted` grey. */
export type StatusTone = 'success' | 'warning' | 'danger' | 'muted'

/**
 * Overall health of a project's services, worst first: `failing` (an MCP server failed or an LSP
 * server is in error), `attention` (an MCP server needs authentication or client registration),
 * `stale` (the last refresh failed; the lists are the last known ones, or none yet), `ok` (every
 * server connected or disabled on purpose), `none` (nothing configured or running), `unknown`
 * (not loaded yet).
 */
export type ServiceHealth = 'failing' | 'attention' | 'stale' | 'ok' | 'none' | 'unknown'

/** The button's numbers and text. */
export interface ServiceSummary {
  /** MCP servers in state `connected`. */
  mcpConnected: number
  /** Every MCP server the project configures, disabled ones included. */
  mcpTotal: number
  /** LSP servers in state `connected`. */
  lspConnected: number
  /** LSP servers the project has started. */
  lspTotal: number
  health: ServiceHealth
  /** `MCP 1/2`: connected/total, just `MCP 0` when none is configured, `MCP …` before the first load. */
  mcpLabel: string
  /** `LSP 1/1` the same way, `LSP 0` when none has started. */
  lspLabel: string
  /** Both: `MCP 1/2 · LSP 0`. */
  label: string
}

/** The rows of `GET /mcp`, ordered by name (locale order, case-insensitive), errors kept. */
export function mcpServerRows(statuses: Record<string, McpStatus>): McpServerRow[] {
  return Object.entries(statuses)
    .map(([name, status]): McpServerRow => {
      if (status.status === 'failed' || status.status === 'needs_client_registration') return { name, state: status.status, error: status.error }
      return { name, state: status.status }
    })
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.name.localeCompare(b.name))
}

/** The LSP servers of `GET /lsp`, ordered by name then root. */
export function lspServerRows(servers: readonly LspStatus[]): LspStatus[] {
  return [...servers].sort((a, b) => a.name.localeCompare(b.name) || a.root.localeCompare(b.root))
}

/** Words for an MCP state, for the row and screen readers. */
export function mcpStateLabel(state: McpState): string {
  switch (state) {
    case 'connected':
      return t('shell.services.state.connected')
    case 'disabled':
      return t('shell.services.state.disabled')
    case 'failed':
      return t('shell.services.state.failed')
    case 'needs_auth':
      return t('shell.services.state.needsAuth')
    case 'needs_client_registration':
      return t('shell.services.state.needsClientRegistration')
  }
}

/** The button of an MCP row: `disconnect` for a connected server, `connect` for every other state. */
export function mcpRowAction(state: McpState): 'connect' | 'disconnect' {
  return state === 'connected' ? 'disconnect' : 'connect'
}

/**
 * What the user has to do about an MCP state outside the app, or `undefined` when the row's button
 * is all there is: `auth` (sign in with `opencode mcp auth <name>` in a terminal on the server's
 * machine, then Connect), `clientRegistration` (the OAuth server does not register clients by
 * itself: the server's config needs an `oauth.clientId`).
 */
export function mcpStateHint(state: McpState): 'auth' | 'clientRegistration' | undefined {
  switch (state) {
    case 'needs_auth':
      return 'auth'
    case 'needs_client_registration':
      return 'clientRegistration'
    case 'connected':
    case 'disabled':
    case 'failed':
      return undefined
  }
}

/** The terminal command that signs in to the MCP server `name` (data, not translated). */
export function mcpAuthCommand(name: string): string {
  return `opencode mcp auth ${name}`
}

/** Colour of an MCP state: connected green, disabled grey, failed red, the two auth states amber. */
export function mcpStateTone(state: McpState): StatusTone {
  switch (state) {
    case 'connected':
      return 'success'
    case 'disabled':
      return 'muted'
    case 'failed':
      return 'danger'
    case 'needs_auth':
    case 'needs_client_registration':
      return 'warning'
  }
}

/** Words for an LSP state. */
export function lspStateLabel(state: LspStatus['status']): string {
  return state === 'connected' ? t('shell.services.state.connected') : t('shell.services.state.error')
}

/** Colour of an LSP state: connected green, error red. */
export function lspStateTone(state: LspStatus['status']): StatusTone {
  return state === 'connected' ? 'success' : 'danger'
}

/** Colour of an overall health (the button's dot). */
export function healthTone(health: ServiceHealth): StatusTone {
  switch (health) {
    case 'ok':
      return 'success'
    case 'failing':
      return 'danger'
    case 'attention':
    case 'stale':
      return 'warning'
    case 'none':
    case 'unknown':
      return 'muted'
  }
}

/** One sentence for an overall health (the button's accessible name and tooltip). */
export function healthSentence(health: ServiceHealth): string {
  switch (health) {
    case 'failing':
      return t('shell.services.health.failing')
    case 'attention':
      return t('shell.services.health.attention')
    case 'stale':
      return t('shell.services.health.stale')
    case 'ok':
      return t('shell.services.health.ok')
    case 'none':
      return t('shell.services.health.none')
    case 'unknown':
      return t('shell.services.health.unknown')
  }
}

function mcpCountLabel(connected: number, total: number | undefined): string {
  if (total === undefined) return t('shell.services.mcpUnknown')
  return total === 0 ? t('shell.services.mcpNone') : t('shell.services.mcpCount', { connected, total })
}

function lspCountLabel(connected: number, total: number | undefined): string {
  if (total === undefined) return t('shell.services.lspUnknown')
  return total === 0 ? t('shell.services.lspNone') : t('shell.services.lspCount', { connected, total })
}

/**
 * The summary of a project's services.
 * @param mcp the MCP rows, `undefined` when never loaded.
 * @param lsp the LSP servers, `undefined` when never loaded.
 * @param refreshFailed whether the latest load failed (the lists are then the last known ones).
 */
export function serviceSummary(mcp: readonly McpServerRow[] | undefined, lsp: readonly LspStatus[] | undefined, refreshFailed = false): ServiceSummary {
  const mcpConnected = mcp?.filter((m) => m.state === 'connected').length ?? 0
  const lspConnected = lsp?.filter((l) => l.status === 'connected').length ?? 0
  const mcpLabel = mcpCountLabel(mcpConnected, mcp?.length)
  const lspLabel = lspCountLabel(lspConnected, lsp?.length)
  let health: ServiceHealth
  if (mcp?.some((m) => m.state === 'failed') || lsp?.some((l) => l.status === 'error')) health = 'failing'
  else if (mcp?.some((m) => mcpStateTone(m.state) === 'warning')) health = 'attention'
  else if (refreshFailed) health = 'stale'
  else if (mcp === undefined || lsp === undefined) health = 'unknown'
  else health = mcp.length + lsp.length === 0 ? 'none' : 'ok'
  return { mcpConnected, mcpTotal: mcp?.length ?? 0, lspConnected, lspTotal: lsp?.length ?? 0, health, mcpLabel, lspLabel, label: t('shell.services.summary', { mcp: mcpLabel, lsp: lspLabel }) }
}

/**
 * A clear message for a failed status load, in the current locale: `what` (e.g. `MCP status`, a
 * message of its own), then why — the HTTP status
 * and the server's message for a 4xx/5xx, "the server did not answer in time" for a timeout, "the
 * server is unreachable" for a network error.
 */
export function statusLoadError(what: string, err: unknown): string {
  const status = httpStatus(err)
  if (status !== undefined) return t('shell.services.loadErrorHttp', { what, status, message: errorMessage(err) })
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return t('shell.services.loadErrorTimeout', { what })
  return t('shell.services.loadErrorUnreachable', { what, message: errorMessage(err) })
}
