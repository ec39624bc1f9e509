/**
 * The Terminal's shell picker and tab titles: the options made of `GET /pty/shells`
 * (src/terminal/shells.ts), the chosen shell remembered per browser and server, the shell sent as
 * `command` of `POST /pty` (the default shell when the list failed or no longer offers the choice),
 * the shell's name on the tab, and renames through `PUT /pty/{id}` `title` (src/stores/terminals.ts,
 * src/api/pty.ts), undone when the server refuses.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { Pty } from '@opencode-ai/sdk/v2/types'
import type { PtyShell } from '../src/api/opencode.ts'
import { setStorage, storage } from '../src/stores/storage.ts'
import { useServerStore } from '../src/stores/server.ts'
import { useTerminalsStore } from '../src/stores/terminals.ts'
import {
  effectiveShell,
  loadShellChoice,
  normalizeTerminalTitle,
  saveShellChoice,
  shellChoiceKey,
  shellName,
  shellOptions,
  TERMINAL_TITLE_MAX,
} from '../src/terminal/shells.ts'
import { memoryStorage } from './support/stub-relay.ts'

const SERVER = 'http://oc.test'
const DIR = '/work/project'

/** What the pinned server answers on a Debian box (observed): merged-/usr duplicates included. */
const DEBIAN_SHELLS: PtyShell[] = [
  { path: '/bin/sh', name: 'sh', acceptable: true },
  { path: '/usr/bin/sh', name: 'sh', acceptable: true },
  { path: '/bin/bash', name: 'bash', acceptable: true },
  { path: '/usr/bin/bash', name: 'bash', acceptable: true },
  { path: '/bin/dash', name: 'dash', acceptable: true },
  { path: '/usr/bin/tmux', name: 'tmux', acceptable: true },
]

describe('shell options', () => {
  it('lists the accepted shells once each, in the server’s order', () => {
    expect(shellOptions(DEBIAN_SHELLS)).toEqual([
      { path: '/bin/sh', label: 'sh' },
      { path: '/bin/bash', label: 'bash' },
      { path: '/bin/dash', label: 'dash' },
      { path: '/usr/bin/tmux', label: 'tmux' },
    ])
  })

  it('drops shells the server does not accept, and tells same-named shells apart by path', () => {
    expect(
      shellOptions([
        { path: '/bin/bash', name: 'bash', acceptable: true },
        { path: '/opt/homebrew/bin/bash', name: 'bash', acceptable: true },
        { path: '/bin/csh', name: 'csh', acceptable: false },
        { path: '/bin/bash', name: 'bash', acceptable: true },
      ]),
    ).toEqual([
      { path: '/bin/bash', label: 'bash (/bin/bash)' },
      { path: '/opt/homebrew/bin/bash', label: 'bash (/opt/homebrew/bin/bash)' },
    ])
    expect(shellOptions([])).toEqual([])
  })

  it('uses the remembered shell only while the server offers it', () => {
    const options = shellOptions(DEBIAN_SHELLS)
    expect(effectiveShell('/bin/dash', options)).toBe('/bin/dash')
    expect(effectiveShell('/bin/zsh', options)).toBeUndefined()
    expect(effectiveShell('/bin/dash', [])).toBeUndefined()
    expect(effectiveShell(undefined, options)).toBeUndefined()
  })

  it('names a PTY’s program by its last path segment', () => {
    expect(shellName('/bin/bash')).toBe('bash')
    expect(shellName('/usr/bin/tmux/')).toBe('tmux')
    expect(shellName('zsh')).toBe('zsh')
    expect(shellName('')).toBeUndefined()
    expect(shellName(undefined)).toBeUndefined()
  })
})

describe('shell choice persistence', () => {
  afterEach(() => setStorage(undefined))

  it('remembers a path per server under an opencode-relay: key; the default removes it', () => {
    setStorage(memoryStorage())
    expect(shellChoiceKey('http://a:1')).toBe('opencode-relay:terminal-shell:http://a:1')
    expect(loadShellChoice('http://a:1')).toBeUndefined()
    saveShellChoice('http://a:1', '/bin/dash')
    expect(loadShellChoice('http://a:1')).toBe('/bin/dash')
    expect(loadShellChoice('http://b:1')).toBeUndefined()
    saveShellChoice('http://a:1', undefined)
    expect(storage().getItem(shellChoiceKey('http://a:1'))).toBeNull()
  })

  it('ignores stored junk', () => {
    setStorage(memoryStorage())
    storage().setItem(shellChoiceKey('s'), '42')
    expect(loadShellChoice('s')).toBeUndefined()
    storage().setItem(shellChoiceKey('s'), '"bash"')
    expect(loadShellChoice('s')).toBeUndefined()
    storage().setItem(shellChoiceKey('s'), '{')
    expect(loadShellChoice('s')).toBeUndefined()
  })
})

describe('terminal titles', () => {
  it('collapses whitespace, trims, caps the length; blank keeps the old title', () => {
    expect(normalizeTerminalTitle('  build\n watch  ')).toBe('build watch')
    expect(normalizeTerminalTitle('   ')).toBeUndefined()
    expect(normalizeTerminalTitle('x'.repeat(200))).toHaveLength(TERMINAL_TITLE_MAX)
    expect([...(normalizeTerminalTitle('é'.repeat(100)) ?? '')]).toHaveLength(TERMINAL_TITLE_MAX)
  })
})

/** A string field of a parsed JSON body, if there is one. */
function stringField(body: unknown, key: string): string | undefined {
  if (typeof body !== 'object' || body === null || !(key in body)) return undefined
  const value: unknown = Reflect.get(body, key)
  return typeof value === 'string' ? value : undefined
}

/** A fake `opencode serve` for the PTY routes the store uses; records each call. */
function fakeServer(options: { shells?: PtyShell[] | 'fail'; renameStatus?: number } = {}) {
  const calls: { method: string; path: string; body?: unknown }[] = []
  const ptys = new Map<string, Pty>()
  let n = 0
  const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })
  const handler = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? input : new Request(input, init)
    const url = new URL(req.url)
    const text = req.method === 'GET' ? '' : await req.text()
    const body: unknown = text ? JSON.parse(text) : undefined
    calls.push({ method: req.method, path: url.pathname, ...(body === undefined ? {} : { body }) })
    if (url.pathname === '/pty/shells') {
      if (options.shells === 'fail') return json({ name: 'Error', data: { message: 'no shells here' } }, 500)
      return json(options.shells ?? DEBIAN_SHELLS)
    }
    if (url.pathname === '/pty' && req.method === 'GET') return json([...ptys.values()])
    if (url.pathname === '/pty' && req.method === 'POST') {
      const pty: Pty = { id: `pty_${++n}`, title: stringField(body, 'title') ?? 'x', command: stringField(body, 'command') ?? '/bin/bash', args: ['-l'], cwd: DIR, status: 'running', pid: 100 + n }
      ptys.set(pty.id, pty)
      return json(pty)
    }
    const m = /^\/pty\/([^/]+)$/.exec(url.pathname)
    const pty = m ? ptys.get(m[1]) : undefined
    if (m && req.method === 'PUT') {
      if (!pty) return json({ name: 'NotFoundError', data: { message: 'PTY not found' } }, 404)
      if (options.renameStatus) return json({ name: 'Error', data: { message: 'refused' } }, options.renameStatus)
      const title = stringField(body, 'title')
      if (title !== undefined) pty.title = title
      return json(pty)
    }
    return json({}, 404)
  }
  return { calls, ptys, handler }
}

async function setupStore(server: ReturnType<typeof fakeServer>) {
  setStorage(memoryStorage())
  setActivePinia(createPinia())
  const servers = useServerStore()
  servers.setFetch(server.handler)
  // The title call (src/api/pty.ts) uses the global fetch.
  vi.stubGlobal('fetch', server.handler)
  await servers.init({ fetch: async () => new Response(JSON.stringify({ server: { url: SERVER } }), { headers: { 'content-type': 'application/json' } }) })
  return { servers, terminals: useTerminalsStore() }
}

describe('terminals store: shells and titles', () => {
  afterEach(() => {
    setStorage(undefined)
    vi.unstubAllGlobals()
  })

  it('offers the server’s shells, remembers the choice and starts new terminals with it', async () => {
    const server = fakeServer()
    const { servers, terminals } = await setupStore(server)
    await terminals.open(DIR)
    await vi.waitFor(() => expect(terminals.shells.length).toBe(4))
    expect(terminals.shellChoice).toBeUndefined()

    const first = await terminals.create(DIR)
    expect(server.calls.find((c) => c.method === 'POST')?.body).toEqual({ title: 'Terminal 1' })
    expect(first.shell).toBe('bash')

    terminals.chooseShell('/bin/dash')
    expect(loadShellChoice(servers.storageKey)).toBe('/bin/dash')
    const second = await terminals.create(DIR)
    expect(server.calls.filter((c) => c.method === 'POST')[1].body).toEqual({ title: 'Terminal 2', command: '/bin/dash' })
    expect(second.shell).toBe('dash')

    // A path the server does not offer is not kept.
    terminals.chooseShell('/bin/zsh')
    expect(terminals.shellChoice).toBeUndefined()
    expect(loadShellChoice(servers.storageKey)).toBeUndefined()
  })

  it('reads the remembered shell back after a reload, and falls back to the default when the list fails', async () => {
    const server = fakeServer({ shells: 'fail' })
    const { servers, terminals } = await setupStore(server)
    saveShellChoice(servers.storageKey, '/bin/dash')
    await terminals.open(DIR)
    await vi.waitFor(() => expect(server.calls.some((c) => c.path === '/pty/shells')).toBe(true))
    await vi.waitFor(() => expect(terminals.shellChoice).toBe('/bin/dash'))
    expect(terminals.shells).toEqual([])
    await terminals.create(DIR)
    expect(server.calls.find((c) => c.method === 'POST')?.body).toEqual({ title: 'Terminal 1' })
  })

  it('renames through PUT /pty/{id} with the title, and undoes it when the server refuses', async () => {
    const server = fakeServer()
    const { terminals } = await setupStore(server)
    const entry = await terminals.create(DIR)
    await terminals.rename(DIR, entry.id, '  dev  server ')
    expect(server.calls.filter((c) => c.method === 'PUT')).toEqual([{ method: 'PUT', path: `/pty/${entry.id}`, body: { title: 'dev server' } }])
    expect(terminals.entries[entry.id].title).toBe('dev server')
    expect(server.ptys.get(entry.id)?.title).toBe('dev server')

    // Blank or unchanged: no call.
    await terminals.rename(DIR, entry.id, '   ')
    await terminals.rename(DIR, entry.id, 'dev server')
    expect(server.calls.filter((c) => c.method === 'PUT')).toHaveLength(1)

    // A later GET /pty (another tab's rename) brings the server's title.
    const pty = server.ptys.get(entry.id)
    if (pty) pty.title = 'from elsewhere'
    await terminals.open(DIR)
    expect(terminals.entries[entry.id].title).toBe('from elsewhere')
  })

  it('gives the old title back when the rename fails', async () => {
    const server = fakeServer({ renameStatus: 500 })
    const { terminals } = await setupStore(server)
    const entry = await terminals.create(DIR)
    await expect(terminals.rename(DIR, entry.id, 'logs')).rejects.toThrow()
    expect(terminals.entries[entry.id].title).toBe('Terminal 1')
  })

  it('renames an exited terminal’s tab locally (its PTY is gone)', async () => {
    const server = fakeServer()
    const { terminals } = await setupStore(server)
    const entry = await terminals.create(DIR)
    terminals.report(entry.id, 'ended')
    await terminals.rename(DIR, entry.id, 'done')
    expect(terminals.entries[entry.id].title).toBe('done')
    expect(server.calls.filter((c) => c.method === 'PUT')).toHaveLength(0)
  })
})
