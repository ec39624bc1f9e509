import { describe, expect, it } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import type { Event, LspStatus, McpStatus } from '@opencode-ai/sdk/v2/types'
import { lspServerRows, mcpAuthCommand, mcpRowAction, mcpServerRows, mcpStateHint, mcpStateLabel, mcpStateTone, serviceSummary, statusLoadError, healthTone, type McpState } from '../src/state/service-status.ts'
import { createMcpApi, type McpControlApi } from '../src/api/mcp.ts'
import { serverErrorMessage } from '../src/api/opencode.ts'
import { SERVICE_EVENT_DEBOUNCE_MS, useServiceStatus, type ServiceStatusApi } from '../src/composables/useServiceStatus.ts'
import type { RelayedEvent } from '../sw/shared/protocol.ts'

const ENOENT = "ENOENT: no such file or directory, posix_spawn '/nonexistent/mcp-server-binary'"

/** What the pinned server answered in the e2e project (see e2e/service-status.spec.ts). */
const SERVER_MCP: Record<string, McpStatus> = {
  echo: { status: 'connected' },
  broken: { status: 'failed', error: ENOENT },
}
const SERVER_LSP: LspStatus[] = [{ id: 'relay-text', name: 'relay-text', root: '', status: 'connected' }]

describe('service status rows and summary', () => {
  it('orders MCP rows by name and keeps the error of a failed or unregistered server only', () => {
    const rows = mcpServerRows({
      zeta: { status: 'needs_client_registration', error: 'register first' },
      ...SERVER_MCP,
      Alpha: { status: 'disabled' },
      auth: { status: 'needs_auth' },
    })
    expect(rows).toEqual([
      { name: 'Alpha', state: 'disabled' },
      { name: 'auth', state: 'needs_auth' },
      { name: 'broken', state: 'failed', error: ENOENT },
      { name: 'echo', state: 'connected' },
      { name: 'zeta', state: 'needs_client_registration', error: 'register first' },
    ])
  })

  it('orders LSP servers by name, then root', () => {
    const rows = lspServerRows([
      { id: 'ts', name: 'typescript', root: 'web', status: 'connected' },
      { id: 'go', name: 'gopls', root: '', status: 'error' },
      { id: 'ts', name: 'typescript', root: 'api', status: 'connected' },
    ])
    expect(rows.map((r) => `${r.name}:${r.root}`)).toEqual(['gopls:', 'typescript:api', 'typescript:web'])
  })

  it('labels connected/total per kind, a bare 0 for none, … before the first load', () => {
    expect(serviceSummary(mcpServerRows(SERVER_MCP), []).label).toBe('MCP 1/2 · LSP 0')
    expect(serviceSummary(mcpServerRows(SERVER_MCP), SERVER_LSP).label).toBe('MCP 1/2 · LSP 1/1')
    expect(serviceSummary([], []).label).toBe('MCP 0 · LSP 0')
    expect(serviceSummary(undefined, undefined).label).toBe('MCP … · LSP …')
    expect(serviceSummary(mcpServerRows({ a: { status: 'disabled' } }), undefined)).toMatchObject({ mcpLabel: 'MCP 0/1', lspLabel: 'LSP …', label: 'MCP 0/1 · LSP …' })
  })

  it('rates health worst first: failing, attention, stale, ok, none, unknown', () => {
    const ok = mcpServerRows({ a: { status: 'connected' }, b: { status: 'disabled' } })
    const auth = mcpServerRows({ a: { status: 'connected' }, b: { status: 'needs_auth' } })
    const lspError: LspStatus[] = [{ id: 'x', name: 'x', root: '', status: 'error' }]
    expect(serviceSummary(mcpServerRows(SERVER_MCP), []).health).toBe('failing')
    expect(serviceSummary(ok, lspError).health).toBe('failing')
    expect(serviceSummary(mcpServerRows(SERVER_MCP), [], true).health).toBe('failing')
    expect(serviceSummary(auth, []).health).toBe('attention')
    expect(serviceSummary(ok, SERVER_LSP, true).health).toBe('stale')
    expect(serviceSummary(undefined, undefined, true).health).toBe('stale')
    expect(serviceSummary(ok, SERVER_LSP).health).toBe('ok')
    expect(serviceSummary([], []).health).toBe('none')
    expect(serviceSummary(ok, undefined).health).toBe('unknown')
    expect(healthTone('failing')).toBe('danger')
    expect(healthTone('stale')).toBe('warning')
    expect(healthTone('none')).toBe('muted')
  })

  it('maps every MCP state to words, a colour, the row button and what to do outside the app', () => {
    const all: Record<McpState, [label: string, tone: string, action: string, hint: string | undefined]> = {
      connected: ['Connected', 'success', 'disconnect', undefined],
      disabled: ['Disabled', 'muted', 'connect', undefined],
      failed: ['Failed', 'danger', 'connect', undefined],
      needs_auth: ['Needs authorization', 'warning', 'connect', 'auth'],
      needs_client_registration: ['Needs client registration', 'warning', 'connect', 'clientRegistration'],
    }
    const states: McpState[] = ['connected', 'disabled', 'failed', 'needs_auth', 'needs_client_registration']
    for (const state of states) expect([mcpStateLabel(state), mcpStateTone(state), mcpRowAction(state), mcpStateHint(state)], state).toEqual(all[state])
    expect(mcpAuthCommand('linear')).toBe('opencode mcp auth linear')
  })

  it('explains a failed load: HTTP status and message, timeout, unreachable', () => {
    const http = new Error('Instance not found', { cause: { status: 500, body: {} } })
    expect(statusLoadError('MCP status', http)).toBe('MCP status: the server answered 500 (Instance not found)')
    expect(statusLoadError('LSP status', new DOMException('late', 'TimeoutError'))).toBe('LSP status: the server did not answer in time')
    expect(statusLoadError('MCP status', new TypeError('Failed to fetch'))).toBe('MCP status: the server is unreachable (Failed to fetch)')
  })
})

/** A call of the fake API, pending until the test settles it. */
interface PendingCall<T> {
  directory: string
  signal?: AbortSignal
  resolve(value: T): void
  reject(reason: unknown): void
}

/** A fake API whose calls wait until the test settles them; an aborted call rejects with the abort reason. */
function fakeApi() {
  const mcpCalls: Array<PendingCall<Record<string, McpStatus>>> = []
  const lspCalls: Array<PendingCall<LspStatus[]>> = []
  function pending<T>(calls: Array<PendingCall<T>>, directory: string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      calls.push({ directory, signal, resolve, reject })
      signal?.addEventListener('abort', () => reject(signal.reason))
    })
  }
  const api: ServiceStatusApi = {
    mcpStatus: (directory, signal) => pending(mcpCalls, directory, signal),
    lspStatus: (directory, signal) => pending(lspCalls, directory, signal),
  }
  function last<T>(calls: Array<PendingCall<T>>): PendingCall<T> {
    const call = calls.at(-1)
    if (!call) throw new Error('no call yet')
    return call
  }
  return { api, calls: () => mcpCalls.length + lspCalls.length, mcp: () => last(mcpCalls), lsp: () => last(lspCalls) }
}

const flush = () => new Promise((r) => setTimeout(r, 0))

describe('useServiceStatus', () => {
  it('loads both lists for the directory, then keeps the last known list when a refresh fails', async () => {
    const fake = fakeApi()
    const scope = effectScope()
    const status = scope.run(() => useServiceStatus({ directory: ref('/p'), api: fake.api }))
    if (!status) throw new Error('no scope')
    expect(status.loading.value).toBe(true)
    expect(status.summary.value.health).toBe('unknown')
    fake.mcp().resolve(SERVER_MCP)
    fake.lsp().resolve([])
    await flush()
    expect(status.loading.value).toBe(false)
    expect(status.mcp.value?.map((m) => m.name)).toEqual(['broken', 'echo'])
    expect(status.summary.value.label).toBe('MCP 1/2 · LSP 0')
    expect(status.error.value).toBeUndefined()

    const refreshed = status.refresh()
    fake.mcp().reject(new Error('boom', { cause: { status: 500 } }))
    fake.lsp().resolve(SERVER_LSP)
    await refreshed
    expect(status.error.value).toBe('MCP status: the server answered 500 (boom)')
    expect(status.mcp.value?.map((m) => m.name)).toEqual(['broken', 'echo'])
    expect(status.lsp.value).toEqual(SERVER_LSP)
    expect(status.summary.value.label).toBe('MCP 1/2 · LSP 1/1')
    scope.stop()
  })

  it('drops a late answer for the previous directory, starts empty for the new one, and aborts on dispose', async () => {
    const fake = fakeApi()
    const directory = ref<string | undefined>('/a')
    const scope = effectScope()
    const status = scope.run(() => useServiceStatus({ directory, api: fake.api }))
    if (!status) throw new Error('no scope')
    const first = fake.mcp()
    fake.mcp().resolve(SERVER_MCP)
    fake.lsp().resolve([])
    await flush()
    expect(status.mcp.value).toHaveLength(2)

    directory.value = '/b'
    await nextTick()
    expect(status.mcp.value).toBeUndefined()
    expect(status.loading.value).toBe(true)
    const forB = fake.lsp()
    expect(forB.directory).toBe('/b')
    directory.value = '/c'
    await nextTick()
    expect(forB.signal?.aborted).toBe(true)
    forB.resolve(SERVER_LSP)
    await flush()
    expect(status.lsp.value).toBeUndefined()
    expect(first.directory).toBe('/a')

    const forC = fake.mcp()
    scope.stop()
    expect(forC.signal?.aborted).toBe(true)
  })

  it('says the server did not answer in time when a load outlives the timeout', async () => {
    const fake = fakeApi()
    const scope = effectScope()
    const status = scope.run(() => useServiceStatus({ directory: '/p', api: fake.api, timeoutMs: 20 }))
    if (!status) throw new Error('no scope')
    await new Promise((r) => setTimeout(r, 60))
    expect(status.loading.value).toBe(false)
    expect(status.error.value).toBe('MCP status: the server did not answer in time\nLSP status: the server did not answer in time')
    expect(status.summary.value.health).toBe('stale')
    scope.stop()
  })

  it('loads nothing without a directory', async () => {
    const fake = fakeApi()
    const scope = effectScope()
    const status = scope.run(() => useServiceStatus({ directory: () => undefined, api: fake.api }))
    await flush()
    expect(fake.calls()).toBe(0)
    expect(status?.loading.value).toBe(false)
    scope.stop()
  })

  it('loads again shortly after an LSP or MCP change event of its directory, once per burst, and stops listening on dispose', async () => {
    const fake = fakeApi()
    const listeners = new Set<(events: readonly RelayedEvent[]) => void>()
    const onEvents = (cb: (events: readonly RelayedEvent[]) => void) => {
      listeners.add(cb)
      return () => void listeners.delete(cb)
    }
    const emit = (directory: string, type: 'lsp.updated' | 'mcp.tools.changed' | 'file.edited') => {
      const payload: Event =
        type === 'file.edited' ? { id: 'evt_1', type, properties: { file: 'a.ts' } } : type === 'lsp.updated' ? { id: 'evt_1', type, properties: {} } : { id: 'evt_1', type, properties: { server: 'echo' } }
      for (const cb of listeners) cb([{ cursor: 1, id: 'evt_1', directory, payload, receivedAt: 0 }])
    }
    const scope = effectScope()
    scope.run(() => useServiceStatus({ directory: '/p', api: fake.api, onEvents }))
    fake.mcp().resolve({})
    fake.lsp().resolve([])
    await flush()
    expect(fake.calls()).toBe(2)
    emit('/other', 'lsp.updated')
    emit('/p', 'file.edited')
    await new Promise((r) => setTimeout(r, SERVICE_EVENT_DEBOUNCE_MS + 50))
    expect(fake.calls()).toBe(2)
    emit('/p', 'lsp.updated')
    emit('/p', 'mcp.tools.changed')
    await new Promise((r) => setTimeout(r, SERVICE_EVENT_DEBOUNCE_MS + 50))
    expect(fake.calls()).toBe(4)
    scope.stop()
    expect(listeners.size).toBe(0)
  })

  it('connects and disconnects an MCP server: busy until the list is read again, a refusal shows the server\'s reason in the row', async () => {
    const fake = fakeApi()
    const calls: string[] = []
    let settle: { resolve(): void; reject(err: unknown): void } | undefined
    const mcpApi: McpControlApi = {
      connect: (directory, name) => {
        calls.push(`connect ${directory} ${name}`)
        return new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
      },
      disconnect: (directory, name) => {
        calls.push(`disconnect ${directory} ${name}`)
        return new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
      },
    }
    const scope = effectScope()
    const status = scope.run(() => useServiceStatus({ directory: '/p', api: fake.api, mcpApi }))
    if (!status) throw new Error('no scope')
    fake.mcp().resolve(SERVER_MCP)
    fake.lsp().resolve([])
    await flush()

    const done = status.setConnection('echo', 'disconnect')
    expect(status.mcpActions.value).toEqual({ echo: { pending: 'disconnect' } })
    void status.setConnection('echo', 'disconnect')
    expect(calls).toEqual(['disconnect /p echo'])
    settle?.resolve()
    await flush()
    expect(fake.calls()).toBe(4)
    expect(status.mcpActions.value.echo?.pending).toBe('disconnect')
    fake.mcp().resolve({ ...SERVER_MCP, echo: { status: 'disabled' } })
    fake.lsp().resolve([])
    await done
    expect(status.mcpActions.value).toEqual({})
    expect(status.mcp.value?.find((m) => m.name === 'echo')?.state).toBe('disabled')

    const refused = status.setConnection('broken', 'connect')
    settle?.reject(new Error('Bad Request', { cause: { status: 400, body: { name: 'BadRequest', data: { message: 'spawn failed' } } } }))
    await flush()
    fake.mcp().resolve(SERVER_MCP)
    fake.lsp().resolve([])
    await refused
    expect(calls.at(-1)).toBe('connect /p broken')
    expect(status.mcpActions.value).toEqual({ broken: { error: 'Could not connect: spawn failed' } })
    scope.stop()
  })
})

describe('createMcpApi', () => {
  it('POSTs /mcp/{name}/connect and /disconnect for the directory with Basic auth, and throws the server\'s refusal', async () => {
    const seen: string[] = []
    const fetchFake: typeof fetch = async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init)
      seen.push(`${request.method} ${request.url} ${request.headers.get('authorization') ?? ''}`)
      if (request.url.includes('/nope/')) {
        return new Response(JSON.stringify({ name: 'McpServerNotFoundError', data: { message: 'MCP server nope not found' } }), { status: 404, headers: { 'content-type': 'application/json' } })
      }
      return new Response('true', { status: 200, headers: { 'content-type': 'application/json' } })
    }
    const api = createMcpApi({ url: 'http://oc.test/', password: 'pw' }, { fetch: fetchFake })
    await api.disconnect('/p q', 'echo')
    await api.connect('/p q', 'my server')
    const auth = `Basic ${btoa('opencode:pw')}`
    expect(seen).toEqual([`POST http://oc.test/mcp/echo/disconnect?directory=%2Fp%20q ${auth}`, `POST http://oc.test/mcp/my%20server/connect?directory=%2Fp%20q ${auth}`])
    const err = await api.connect('/p', 'nope').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(serverErrorMessage(err)).toBe('MCP server nope not found')
  })
})
