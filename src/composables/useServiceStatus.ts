/**
 * The MCP and LSP servers of one project, loaded from the server: `GET /mcp` and `GET /lsp`
 * (through src/api/opencode.ts), both at once, when the directory (or the server) changes and on
 * {@link UseServiceStatusReturn.refresh}. Rows and summary come from src/state/service-status.ts.
 *
 * The relay's events refresh them too: an `lsp.updated` or `mcp.tools.changed` of this directory
 * (sw/shared/opencode-events.ts `servicesChanged`) loads both again after
 * {@link SERVICE_EVENT_DEBOUNCE_MS} (a server starting several LSP/MCP servers sends a burst).
 *
 * {@link UseServiceStatusReturn.setConnection} connects or disconnects one MCP server
 * (`POST /mcp/{name}/connect` / `disconnect`, src/api/mcp.ts) and then loads both lists again:
 * the server sends no event for a disconnect, and a connect's outcome (`connected`, `failed`,
 * `needs_auth`) is only in `GET /mcp`.
 */
import { computed, onScopeDispose, shallowRef, toValue, watch, type ComputedRef, type MaybeRefOrGetter, type Ref } from 'vue'
import type { LspStatus } from '@opencode-ai/sdk/v2/types'
import { serverErrorMessage, type OpencodeApi } from '../api/opencode.ts'
import { READ_TIMEOUT_MS } from '../api/server-auth.ts'
import { createMcpApi, type McpConnection, type McpControlApi } from '../api/mcp.ts'
import { lspServerRows, mcpServerRows, serviceSummary, statusLoadError, type McpServerRow, type ServiceSummary } from '../state/service-status.ts'
import { useServerStore } from '../stores/server.ts'
import { hasRelay, useRelay } from '../relay-client/provide.ts'
import { servicesChanged } from '../../sw/shared/opencode-events.ts'
import type { RelayedEvent } from '../../sw/shared/protocol.ts'
import { t } from '../i18n/index.ts'

/** The two API calls the composable needs (a fake in tests). */
export type ServiceStatusApi = Pick<OpencodeApi, 'mcpStatus' | 'lspStatus'>

/** Options of {@link useServiceStatus}. */
export interface UseServiceStatusOptions {
  /** The project's absolute directory; nothing is loaded while it is `undefined`. */
  directory: MaybeRefOrGetter<string | undefined>
  /** The API to ask; the current server's (`useServerStore().api`) when omitted. */
  api?: MaybeRefOrGetter<ServiceStatusApi>
  /** Give up on a load after this many ms (default {@link READ_TIMEOUT_MS}). */
  timeoutMs?: number
  /**
   * Subscribes to the relay's events (`RelayClient.onEvents`); returns the unsubscribe. Default:
   * this tab's relay when one is provided, else no event-driven refresh.
   */
  onEvents?: (cb: (events: readonly RelayedEvent[]) => void) => () => void
  /** Connects/disconnects MCP servers; the current server's (`createMcpApi(useServerStore().config)`) when omitted. */
  mcpApi?: MaybeRefOrGetter<McpControlApi>
}

/** A Connect / Disconnect of one MCP server: in flight, or refused with the server's reason. */
export interface McpActionState {
  /** The call in flight, if any. */
  pending?: McpConnection
  /** Why the latest call was refused, in the current locale ("Could not connect: …"). */
  error?: string
}

/** How long a refresh waits after a services event for more of the same burst (ms). */
export const SERVICE_EVENT_DEBOUNCE_MS = 300

/** What {@link useServiceStatus} returns. */
export interface UseServiceStatusReturn {
  /** MCP servers by name, `undefined` until the first successful load for this directory. */
  mcp: Readonly<Ref<readonly McpServerRow[] | undefined>>
  /** Started LSP servers by name, `undefined` until the first successful load for this directory. */
  lsp: Readonly<Ref<readonly LspStatus[] | undefined>>
  /** Whether a load is in flight. */
  loading: Readonly<Ref<boolean>>
  /**
   * Why the latest load failed (one line per failed endpoint), else `undefined`. The list of a
   * failed endpoint keeps its last known value.
   */
  error: Readonly<Ref<string | undefined>>
  /** When the latest load finished (epoch ms), successful or not; `undefined` before. */
  updatedAt: Readonly<Ref<number | undefined>>
  /** Counts, overall health and the button's label. */
  summary: ComputedRef<ServiceSummary>
  /** Loads both lists again (a load in flight is superseded); resolves when this load ends, never rejects. */
  refresh(): Promise<void>
  /** Connect / Disconnect per MCP server name; a name without an entry has neither run nor failed. */
  mcpActions: Readonly<Ref<Readonly<Record<string, McpActionState>>>>
  /**
   * Connects or disconnects the MCP server `name` of the current directory, then loads both lists
   * again. Ignored while a call for that name is in flight. Never rejects: a refusal ends in
   * {@link mcpActions}`[name].error`, cleared by the next call for that name.
   */
  setConnection(name: string, action: McpConnection): Promise<void>
}

/**
 * Loads and keeps the MCP and LSP status of a project. Call inside a component's `setup` (or an
 * effect scope): a load in flight is aborted when the scope is disposed or the directory changes,
 * and a late answer for another directory is dropped.
 */
export function useServiceStatus(options: UseServiceStatusOptions): UseServiceStatusReturn {
  const api = options.api ?? (() => useServerStore().api)
  const timeoutMs = options.timeoutMs ?? READ_TIMEOUT_MS
  const mcp = shallowRef<readonly McpServerRow[]>()
  const lsp = shallowRef<readonly LspStatus[]>()
  const loading = shallowRef(false)
  const error = shallowRef<string>()
  const updatedAt = shallowRef<number>()
  const mcpActions = shallowRef<Readonly<Record<string, McpActionState>>>({})
  const mcpApi = options.mcpApi ?? (() => createMcpApi(useServerStore().config))
  let current: AbortController | undefined

  function cancel(): void {
    current?.abort()
    current = undefined
  }

  async function refresh(): Promise<void> {
    cancel()
    const directory = toValue(options.directory)
    if (!directory) {
      loading.value = false
      return
    }
    const controller = new AbortController()
    current = controller
    const timer = setTimeout(() => controller.abort(new DOMException('The status request timed out', 'TimeoutError')), timeoutMs)
    const client = toValue(api)
    loading.value = true
    try {
      // Rows are made inside each promise, so even an unexpected body ends as that endpoint's error.
      const [mcpResult, lspResult] = await Promise.allSettled([
        client.mcpStatus(directory, controller.signal).then(mcpServerRows),
        client.lspStatus(directory, controller.signal).then(lspServerRows),
      ])
      if (current !== controller) return
      const problems: string[] = []
      if (mcpResult.status === 'fulfilled') mcp.value = mcpResult.value
      else problems.push(statusLoadError(t('shell.services.mcpStatus'), timedOut(controller, mcpResult.reason)))
      if (lspResult.status === 'fulfilled') lsp.value = lspResult.value
      else problems.push(statusLoadError(t('shell.services.lspStatus'), timedOut(controller, lspResult.reason)))
      error.value = problems.length ? problems.join('\n') : undefined
      updatedAt.value = Date.now()
      loading.value = false
      current = undefined
    } finally {
      clearTimeout(timer)
    }
  }

  watch(
    [() => toValue(options.directory), () => toValue(api)],
    () => {
      // Another project or server: the lists shown so far are not this one's.
      mcp.value = undefined
      lsp.value = undefined
      mcpActions.value = {}
      error.value = undefined
      updatedAt.value = undefined
      void refresh()
    },
    { immediate: true },
  )
  const onEvents = options.onEvents ?? (hasRelay() ? (cb: (events: readonly RelayedEvent[]) => void) => useRelay().onEvents(cb) : undefined)
  let debounce: ReturnType<typeof setTimeout> | undefined
  const stopEvents = onEvents?.((events) => {
    const directory = toValue(options.directory)
    if (!directory || !events.some((e) => e.directory === directory && servicesChanged(e.payload))) return
    clearTimeout(debounce)
    debounce = setTimeout(() => void refresh(), SERVICE_EVENT_DEBOUNCE_MS)
  })
  onScopeDispose(() => {
    cancel()
    clearTimeout(debounce)
    stopEvents?.()
  })

  function setAction(name: string, state: McpActionState | undefined): void {
    const next = { ...mcpActions.value }
    if (state) next[name] = state
    else delete next[name]
    mcpActions.value = next
  }

  async function setConnection(name: string, action: McpConnection): Promise<void> {
    const directory = toValue(options.directory)
    if (!directory || mcpActions.value[name]?.pending) return
    const client = toValue(mcpApi)
    setAction(name, { pending: action })
    let refused: string | undefined
    try {
      if (action === 'connect') await client.connect(directory, name)
      else await client.disconnect(directory, name)
    } catch (err) {
      const message = serverErrorMessage(err)
      refused = action === 'connect' ? t('shell.services.connectFailed', { message }) : t('shell.services.disconnectFailed', { message })
    }
    // The button stays busy until the list shows the outcome.
    if (toValue(options.directory) === directory) await refresh()
    // Another project meanwhile: its rows and actions were reset, this answer is not theirs.
    if (toValue(options.directory) !== directory) return
    setAction(name, refused === undefined ? undefined : { error: refused })
  }

  const summary = computed(() => serviceSummary(mcp.value, lsp.value, error.value !== undefined))
  return { mcp, lsp, loading, error, updatedAt, summary, refresh, mcpActions, setConnection }
}

/** The timeout's own reason when our timer aborted the request, so the message says "in time". */
function timedOut(controller: AbortController, reason: unknown): unknown {
  return controller.signal.aborted && controller.signal.reason instanceof DOMException ? controller.signal.reason : reason
}
