import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { effectScope, nextTick, ref } from 'vue'
import type { Event, Message, Part, PermissionRequest, Project, Session, SessionStatus, TextPart } from '@opencode-ai/sdk/v2/types'
import type { RelayedEvent, RelayNotification, RelayStatus, ServerConfig } from '../sw/shared/protocol.ts'
import type { RelayClient } from '../src/relay-client/types.ts'
import { clearRelay, provideRelay } from '../src/relay-client/provide.ts'
import { setStorage } from '../src/stores/storage.ts'
import { useServerStore } from '../src/stores/server.ts'
import { memoryStorage, refusingOutbox } from './support/stub-relay.ts'
import { useSyncStore, scopeCovers } from '../src/stores/sync.ts'
import { useChatStore } from '../src/stores/chat.ts'
import { parseSlashCommand, parseModelRef } from '../src/stores/prompt-input.ts'
import { buildSessionTree, useSessionsStore } from '../src/stores/sessions.ts'
import { connectionLabel, connectionNotice, useConnectionStore, IDLE_STATUS } from '../src/stores/connection.ts'
import { parseSettings } from '../src/stores/settings.ts'
import { closeSnapshotDb, loadSnapshot } from '../src/db/snapshots.ts'
import { useSessionSnapshot } from '../src/composables/useSessionSnapshot.ts'

const DIR = '/work/project'
const SERVER = 'http://oc.test'

// ---- fixtures --------------------------------------------------------------------------------

function session(id: string, updated: number, extra: Partial<Session> = {}): Session {
  return { id, slug: id, projectID: 'p1', directory: DIR, title: `Session ${id}`, version: '1', time: { created: updated, updated }, ...extra }
}

function userMessage(id: string, sessionID: string): Message {
  return { id, sessionID, role: 'user', time: { created: 1 }, agent: 'build', model: { providerID: 'scripted', modelID: 'scripted-model' } }
}

function assistantMessage(id: string, sessionID: string, parentID: string): Message {
  return {
    id,
    sessionID,
    role: 'assistant',
    time: { created: 2 },
    parentID,
    modelID: 'scripted-model',
    providerID: 'scripted',
    mode: 'build',
    agent: 'build',
    path: { cwd: DIR, root: DIR },
    cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
  }
}

function textPart(id: string, messageID: string, sessionID: string, text: string): TextPart {
  return { id, messageID, sessionID, type: 'text', text }
}

function permission(id: string, sessionID: string): PermissionRequest {
  return { id, sessionID, permission: 'bash', patterns: ['echo hi'], metadata: {}, always: ['echo *'] }
}

let evtSeq = 0
function ev(cursor: number, payload: Event, receivedAt = Date.now(), directory = DIR): RelayedEvent {
  return { cursor, id: `evt_${++evtSeq}`, directory, payload, receivedAt }
}

function delta(sessionID: string, messageID: string, partID: string, text: string): Event {
  return { id: `e${++evtSeq}`, type: 'message.part.delta', properties: { sessionID, messageID, partID, field: 'text', delta: text } }
}

function messageUpdated(info: Message): Event {
  return { id: `e${++evtSeq}`, type: 'message.updated', properties: { sessionID: info.sessionID, info } }
}

function partUpdated(part: Part): Event {
  return { id: `e${++evtSeq}`, type: 'message.part.updated', properties: { sessionID: part.sessionID, part, time: 1 } }
}

function sessionUpdated(info: Session): Event {
  return { id: `e${++evtSeq}`, type: 'session.updated', properties: { sessionID: info.id, info } }
}

// ---- fake relay ------------------------------------------------------------------------------

class FakeRelay implements RelayClient {
  readonly mode = 'shared-worker' as const
  private readonly box = refusingOutbox()
  readonly outbox = this.box.outbox
  readonly onOutbox = this.box.onOutbox
  readonly onOutboxRefused = this.box.onOutboxRefused
  current: RelayStatus = { ...IDLE_STATUS }
  subscribes: Array<number | 'head'> = []
  configured: ServerConfig[] = []
  reconnects = 0
  /** Global order of calls across relay and fetch, to check "subscribe before REST". */
  constructor(private readonly log: string[]) {}
  private status_ = new Set<(s: RelayStatus) => void>()
  private events_ = new Set<(e: RelayedEvent[]) => void>()
  private reset_ = new Set<(i: { reason: string; head: number }) => void>()
  private resync_ = new Set<(i: { directory: string; reason: string }) => void>()
  private notify_ = new Set<(n: RelayNotification) => void>()
  head = 100

  status(): RelayStatus {
    return this.current
  }
  onStatus(cb: (s: RelayStatus) => void) {
    this.status_.add(cb)
    return () => void this.status_.delete(cb)
  }
  onEvents(cb: (e: RelayedEvent[]) => void) {
    this.events_.add(cb)
    return () => void this.events_.delete(cb)
  }
  onReset(cb: (i: { reason: string; head: number }) => void) {
    this.reset_.add(cb)
    return () => void this.reset_.delete(cb)
  }
  onResync(cb: (i: { directory: string; reason: string }) => void) {
    this.resync_.add(cb)
    return () => void this.resync_.delete(cb)
  }
  onNotify(cb: (n: RelayNotification) => void) {
    this.notify_.add(cb)
    return () => void this.notify_.delete(cb)
  }
  subscribe(cursor: number | 'head') {
    this.log.push(`subscribe:${cursor}`)
    this.subscribes.push(cursor)
    return Promise.resolve({ from: typeof cursor === 'number' ? cursor : this.head, head: this.head })
  }
  configure(server: ServerConfig) {
    this.configured.push(server)
  }
  reconnect() {
    this.reconnects++
  }
  close() {}

  emit(events: RelayedEvent[]) {
    for (const cb of this.events_) cb(events)
  }
  emitStatus(s: RelayStatus) {
    this.current = s
    for (const cb of this.status_) cb(s)
  }
  emitReset(head: number) {
    for (const cb of this.reset_) cb({ reason: 'test', head })
  }
  emitResync(directory: string) {
    for (const cb of this.resync_) cb({ directory, reason: 'test' })
  }
}

// ---- fake OpenCode server --------------------------------------------------------------------

interface Gate {
  promise: Promise<void>
  open: () => void
}
function gate(): Gate {
  let open = () => {}
  const promise = new Promise<void>((r) => (open = r))
  return { promise, open }
}

class FakeServer {
  sessions: Session[] = [session('ses_b', 200), session('ses_a', 100)]
  status: Record<string, SessionStatus> = {}
  permissions: PermissionRequest[] = []
  messages: Record<string, Array<{ info: Message; parts: Part[] }>> = {}
  projects: Project[] = [{ id: 'p1', worktree: DIR, time: { created: 1, updated: 2 }, sandboxes: [] }]
  requests: Array<{ method: string; path: string; query: URLSearchParams; body: unknown }> = []
  /** Holds responses of a path until the gate opens. */
  gates = new Map<string, Gate>()
  /** Fails the next N requests to a path with a network error. */
  networkFailures = new Map<string, number>()

  constructor(private readonly log: string[]) {}

  readonly fetch: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(String(input), init)
    const url = new URL(req.url)
    const body: unknown = req.method === 'GET' ? undefined : await req.text().then((t) => (t ? JSON.parse(t) : undefined))
    this.requests.push({ method: req.method, path: url.pathname, query: url.searchParams, body })
    this.log.push(`fetch:${req.method} ${url.pathname}`)
    const fails = this.networkFailures.get(url.pathname) ?? 0
    if (fails > 0) {
      this.networkFailures.set(url.pathname, fails - 1)
      throw new TypeError('Failed to fetch')
    }
    const g = this.gates.get(url.pathname)
    if (g) await g.promise
    return this.answer(req.method, url)
  }

  private json(value: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(value), { status: 200, headers: { 'content-type': 'application/json', ...headers } })
  }

  private answer(method: string, url: URL): Response {
    const p = url.pathname
    if (method === 'GET') {
      if (p === '/project') return this.json(this.projects)
      if (p === '/path') return this.json({ home: '/home', state: '/s', config: '/c', worktree: DIR, directory: DIR })
      if (p === '/session') return this.json(this.sessions)
      if (p === '/session/status') return this.json(this.status)
      if (p === '/permission') return this.json(this.permissions)
      if (p === '/question') return this.json([])
      if (p === '/agent') return this.json([{ name: 'build', mode: 'primary', permission: [], options: {} }])
      if (p === '/command') return this.json([{ name: 'init', template: 'x', hints: [] }])
      if (p === '/config') return this.json({ model: 'scripted/scripted-model' })
      if (p === '/config/providers') return this.json({ providers: [], default: {} })
      if (p === '/provider') return this.json({ all: [], default: {}, connected: [] })
      const m = /^\/session\/([^/]+)\/message$/.exec(p)
      if (m) {
        const all = this.messages[m[1]] ?? []
        const limit = Number(url.searchParams.get('limit') ?? all.length)
        const before = url.searchParams.get('before')
        const end = before ? Number(before) : all.length
        const start = Math.max(0, end - limit)
        return this.json(all.slice(start, end), start > 0 ? { 'x-next-cursor': String(start) } : {})
      }
      if (/^\/session\/[^/]+\/todo$/.test(p)) return this.json([])
      if (/^\/session\/[^/]+\/diff$/.test(p)) return this.json([{ file: 'a.ts', patch: '+x', additions: 1, deletions: 0 }])
      const s = /^\/session\/([^/]+)$/.exec(p)
      if (s) {
        const found = this.sessions.find((x) => x.id === s[1])
        return found ? this.json(found) : new Response(JSON.stringify({ name: 'NotFoundError', data: { message: 'not found' } }), { status: 404, headers: { 'content-type': 'application/json' } })
      }
    }
    if (method === 'POST') {
      if (/\/prompt_async$/.test(p)) return new Response(null, { status: 204 })
      if (/^\/permission\/[^/]+\/reply$/.test(p)) return this.json(true)
      if (p === '/session') return this.json(session('ses_new', 999))
    }
    return new Response('not found', { status: 404 })
  }
}

/** Lets pending promise chains run. */
async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await Promise.resolve()
    await new Promise((r) => setTimeout(r, 0))
  }
}

let log: string[]
let relay: FakeRelay
let server: FakeServer

async function setup(options: { servers?: boolean } = {}) {
  setStorage(memoryStorage())
  setActivePinia(createPinia())
  log = []
  relay = new FakeRelay(log)
  server = new FakeServer(log)
  provideRelay(relay)
  const servers = useServerStore()
  if (options.servers !== false) {
    servers.setFetch(server.fetch)
    await servers.init({ fetch: async () => new Response(JSON.stringify({ server: { url: SERVER } }), { headers: { 'content-type': 'application/json' } }) })
  }
  return { servers, sync: useSyncStore() }
}

beforeEach(() => {
  evtSeq = 0
})

afterEach(() => {
  clearRelay()
  setStorage(undefined)
  closeSnapshotDb()
  vi.useRealTimers()
})

// ---- tests -----------------------------------------------------------------------------------

describe('useServerStore', () => {
  it('learns the launcher server from /relay-config.json and persists the list', async () => {
    const { servers } = await setup()
    expect(servers.config).toEqual({ url: SERVER, followLauncher: true })
    expect(servers.current.source).toBe('launcher')
    servers.add({ url: 'http://other.test:4096/', password: 'pw' })
    servers.select('http://other.test:4096')
    expect(servers.config).toEqual({ url: 'http://other.test:4096', password: 'pw' })
    await nextTick()
    // A new store instance reads the same list back.
    setActivePinia(createPinia())
    const again = useServerStore()
    await again.init({ fetch: async () => new Response('', { status: 404 }) })
    expect(again.servers.map((s) => s.url)).toEqual([SERVER, 'http://other.test:4096'])
    expect(again.config.url).toBe('http://other.test:4096')
    again.remove('http://other.test:4096')
    expect(again.config.url).toBe(SERVER)
  })

  it('falls back to http://127.0.0.1:4096 without launcher config', async () => {
    setStorage(memoryStorage())
    setActivePinia(createPinia())
    const servers = useServerStore()
    await servers.init({ fetch: async () => new Response('', { status: 404 }) })
    expect(servers.config.url).toBe('http://127.0.0.1:4096')
  })

  it('follows the launcher’s server to a new port without a reset (same identity), never a server the user chose', async () => {
    setStorage(memoryStorage())
    setActivePinia(createPinia())
    const servers = useServerStore()
    const doc = { status: 'ready', server: { url: 'http://127.0.0.1:4096', identity: 'launcher:/p' } }
    await servers.init({ fetch: async () => new Response(JSON.stringify(doc), { headers: { 'content-type': 'application/json' } }) })
    const key = servers.key
    expect(servers.storageKey).toBe('launcher:/p')
    servers.followLauncher({ url: 'http://127.0.0.1:40001', identity: 'launcher:/p', followLauncher: true })
    expect(servers.config).toEqual({ url: 'http://127.0.0.1:40001', identity: 'launcher:/p', followLauncher: true })
    expect(servers.key).toBe(key)
    expect(servers.servers.map((s) => s.url)).toEqual(['http://127.0.0.1:40001'])
    servers.select(servers.add({ url: 'http://mine.test:4096' }).id)
    servers.followLauncher({ url: 'http://127.0.0.1:40002', identity: 'launcher:/p', followLauncher: true })
    expect(servers.config.url).toBe('http://mine.test:4096')
    expect(servers.config.followLauncher).toBeUndefined()
  })

  it('rejects non-http URLs', async () => {
    const { servers } = await setup()
    expect(() => servers.add({ url: 'javascript:alert(1)' })).toThrow(/http/)
  })
})

describe('useSyncStore bootstrap', () => {
  it('subscribes to the relay from head BEFORE any REST read, then loads projects', async () => {
    const { sync } = await setup()
    await sync.start()
    expect(log[0]).toBe('subscribe:head')
    expect(log.slice(1).every((l) => l.startsWith('fetch:'))).toBe(true)
    expect(sync.state.projects.map((p) => p.id)).toEqual(['p1'])
    expect(sync.homeDirectory).toBe(DIR)
    expect(sync.phase).toBe('ready')
  })

  it('loads a directory: sessions, status, permissions and meta', async () => {
    const { sync } = await setup()
    server.status = { ses_a: { type: 'busy' } }
    server.permissions = [permission('per_1', 'ses_a')]
    await sync.start()
    await sync.ensureDirectory(DIR)
    const d = sync.state.directories[DIR]
    expect(d.sessions.map((s) => s.id)).toEqual(['ses_a', 'ses_b'])
    expect(d.status.ses_a).toEqual({ type: 'busy' })
    expect(d.permissions.ses_a.map((p) => p.id)).toEqual(['per_1'])
    expect(sync.meta[DIR].status).toBe('ready')
    expect(sync.meta[DIR].agents.map((a) => a.name)).toEqual(['build'])
    expect(sync.meta[DIR].commands.map((c) => c.name)).toEqual(['init'])
    const q = server.requests.find((r) => r.path === '/session')
    expect(q?.query.get('directory')).toBe(DIR)
  })

  it('applies live relay batches and ignores a replayed overlap (deltas never doubled)', async () => {
    const { sync } = await setup()
    await sync.start()
    const u = userMessage('msg_1', 'ses_a')
    const a = assistantMessage('msg_2', 'ses_a', 'msg_1')
    const batch = [
      ev(101, messageUpdated(u)),
      ev(102, messageUpdated(a)),
      ev(103, partUpdated(textPart('prt_1', 'msg_2', 'ses_a', ''))),
      ev(104, delta('ses_a', 'msg_2', 'prt_1', 'Hello')),
      ev(105, delta('ses_a', 'msg_2', 'prt_1', ' world')),
    ]
    relay.emit(batch)
    relay.emit(batch.slice(2)) // overlap, as after a re-subscribe
    const parts = sync.state.directories[DIR].parts.msg_2
    expect(parts[0].type === 'text' ? parts[0].text : '').toBe('Hello world')
    expect(sync.state.lastCursor).toBe(105)
    expect(sync.sessionVersion.ses_a).toBeGreaterThan(0)
  })

  it('buffers events of a session while its messages load; drops those already in the REST answer', async () => {
    const { sync } = await setup()
    await sync.start()
    const u = userMessage('msg_1', 'ses_a')
    const a = assistantMessage('msg_2', 'ses_a', 'msg_1')
    server.messages.ses_a = [
      { info: u, parts: [textPart('prt_0', 'msg_1', 'ses_a', 'hi')] },
      { info: a, parts: [textPart('prt_1', 'msg_2', 'ses_a', 'Hello')] },
    ]
    const g = gate()
    server.gates.set('/session/ses_a/message', g)
    const loading = sync.ensureSession(DIR, 'ses_a')
    await flush()
    // Received by the relay before the REST request: already reflected in the answer.
    relay.emit([ev(101, delta('ses_a', 'msg_2', 'prt_1', 'Hel'), 0), ev(102, delta('ses_a', 'msg_2', 'prt_1', 'lo'), 0)])
    // Received after the request was sent: must be applied on top.
    relay.emit([ev(103, delta('ses_a', 'msg_2', 'prt_1', ' world'), Date.now() + 60_000)])
    // Another session is not in the scope: applied at once.
    relay.emit([ev(104, sessionUpdated(session('ses_z', 5)), 0)])
    expect(sync.state.directories[DIR].sessions.some((s) => s.id === 'ses_z')).toBe(true)
    expect(sync.state.directories[DIR].parts.msg_2).toBeUndefined()
    g.open()
    await loading
    const part = sync.state.directories[DIR].parts.msg_2[0]
    expect(part.type === 'text' ? part.text : '').toBe('Hello world')
    expect(sync.state.lastCursor).toBe(104)
    expect(sync.sessionLoads.ses_a.status).toBe('ready')
  })

  it('applies buffered events normally when the REST read fails', async () => {
    const { sync } = await setup()
    await sync.start()
    server.networkFailures.set('/session/ses_a/message', 1)
    const a = assistantMessage('msg_2', 'ses_a', 'msg_1')
    relay.emit([ev(101, messageUpdated(a)), ev(102, partUpdated(textPart('prt_1', 'msg_2', 'ses_a', 'x')))])
    await expect(sync.ensureSession(DIR, 'ses_a')).rejects.toThrow()
    expect(sync.sessionLoads.ses_a.status).toBe('error')
    expect(sync.state.directories[DIR].parts.msg_2).toHaveLength(1)
  })

  it('pages older messages with the X-Next-Cursor cursor ("load earlier")', async () => {
    const { sync } = await setup()
    await sync.start()
    const list: Array<{ info: Message; parts: Part[] }> = []
    for (let i = 0; i < 250; i++) {
      const id = `msg_${String(i).padStart(4, '0')}`
      list.push({ info: userMessage(id, 'ses_a'), parts: [textPart(`prt_${id}`, id, 'ses_a', `m${i}`)] })
    }
    server.messages.ses_a = list
    await sync.ensureSession(DIR, 'ses_a')
    expect(sync.state.directories[DIR].messages.ses_a).toHaveLength(100)
    expect(sync.sessionLoads.ses_a.hasEarlier).toBe(true)
    await sync.loadEarlier(DIR, 'ses_a')
    await sync.loadEarlier(DIR, 'ses_a')
    const ids = sync.state.directories[DIR].messages.ses_a.map((m) => m.id)
    expect(ids).toHaveLength(250)
    expect(ids[0]).toBe('msg_0000')
    expect(sync.sessionLoads.ses_a.hasEarlier).toBe(false)
  })

  it('on reset continues from head and re-reads what it had loaded', async () => {
    const { sync } = await setup()
    await sync.start()
    await sync.ensureDirectory(DIR)
    relay.emit([ev(500, sessionUpdated(session('ses_q', 1)))])
    const before = server.requests.filter((r) => r.path === '/session').length
    server.sessions = [session('ses_c', 300)]
    relay.emitReset(42)
    expect(sync.state.lastCursor).toBe(42)
    await flush(10)
    expect(server.requests.filter((r) => r.path === '/session').length).toBe(before + 1)
    expect(sync.state.directories[DIR].sessions.map((s) => s.id)).toEqual(['ses_c'])
    // Cursors after the new head apply again.
    relay.emit([ev(43, sessionUpdated(session('ses_d', 1)))])
    expect(sync.state.directories[DIR].sessions.map((s) => s.id)).toContain('ses_d')
  })

  it('on resync re-reads that directory', async () => {
    const { sync } = await setup()
    await sync.start()
    await sync.ensureDirectory(DIR)
    server.sessions = [...server.sessions, session('ses_new', 400)]
    relay.emitResync(DIR)
    await flush(10)
    expect(sync.state.directories[DIR].sessions.map((s) => s.id)).toContain('ses_new')
  })

  it('retries failed loads when the relay is connected again', async () => {
    const { sync } = await setup()
    await sync.start()
    relay.emitStatus({ ...IDLE_STATUS, state: 'reconnecting' })
    server.networkFailures.set('/session', 1)
    await expect(sync.ensureDirectory(DIR)).rejects.toThrow()
    expect(sync.meta[DIR].status).toBe('error')
    expect(useConnectionStore().apiError).toBeTruthy()
    relay.emitStatus({ ...IDLE_STATUS, state: 'connected' })
    await flush(10)
    expect(sync.meta[DIR].status).toBe('ready')
    expect(sync.state.directories[DIR].sessions).toHaveLength(2)
    expect(useConnectionStore().apiError).toBeUndefined()
  })

  it('after a connection gap re-reads loaded directories and sessions; a first connect reads nothing again', async () => {
    const { sync } = await setup()
    await sync.start()
    await sync.ensureDirectory(DIR)
    server.messages.ses_a = [{ info: userMessage('msg_1', 'ses_a'), parts: [textPart('prt_1', 'msg_1', 'ses_a', 'hello')] }]
    await sync.ensureSession(DIR, 'ses_a')
    const reads = (path: string) => server.requests.filter((r) => r.path === path).length
    const sessionsBefore = reads('/session')
    const messagesBefore = reads('/session/ses_a/message')
    relay.emitStatus({ ...IDLE_STATUS, state: 'connecting' })
    relay.emitStatus({ ...IDLE_STATUS, state: 'connected' })
    await flush(10)
    expect(reads('/session')).toBe(sessionsBefore)
    expect(reads('/session/ses_a/message')).toBe(messagesBefore)

    // Changed on the server while the relay was cut off, with no event the relay could recover.
    server.messages.ses_a.push({ info: assistantMessage('msg_2', 'ses_a', 'msg_1'), parts: [textPart('prt_2', 'msg_2', 'ses_a', 'reply')] })
    server.sessions = [...server.sessions, session('ses_new', 400)]
    relay.emitStatus({ ...IDLE_STATUS, state: 'reconnecting' })
    relay.emitStatus({ ...IDLE_STATUS, state: 'connecting' })
    relay.emitStatus({ ...IDLE_STATUS, state: 'connected' })
    await flush(10)
    expect(reads('/session')).toBe(sessionsBefore + 1)
    expect(reads('/session/ses_a/message')).toBe(messagesBefore + 1)
    expect(sync.state.directories[DIR].messages.ses_a.map((m) => m.id)).toEqual(['msg_1', 'msg_2'])
    expect(sync.state.directories[DIR].parts.msg_2.map((p) => (p.type === 'text' ? p.text : ''))).toEqual(['reply'])
    expect(sync.state.directories[DIR].sessions.map((s) => s.id)).toContain('ses_new')
  })

  it('mirrors relay status into the connection store', async () => {
    const { sync } = await setup()
    await sync.start()
    const connection = useConnectionStore()
    relay.emitStatus({ ...IDLE_STATUS, state: 'reconnecting', nextRetryAt: 10_000, lastError: 'HTTP 502' })
    expect(connection.state).toBe('reconnecting')
    expect(connection.degraded).toBe(true)
    expect(connection.label(5_500)).toBe('Reconnecting in 5 s')
  })
})

/** A started sync showing session ses_a (one message, "hello") at cursor 120, its snapshot saved. */
async function startWithSnapshot() {
  const stores = await setup()
  await stores.sync.start()
  const u = userMessage('msg_1', 'ses_a')
  server.messages.ses_a = [{ info: u, parts: [textPart('prt_1', 'msg_1', 'ses_a', 'hello')] }]
  await stores.sync.ensureDirectory(DIR)
  await stores.sync.ensureSession(DIR, 'ses_a')
  relay.emit([ev(120, sessionUpdated(session('ses_a', 150)))])
  expect(await stores.sync.persistSnapshot(DIR, 'ses_a')).toBe(true)
  return { ...stores, u }
}

describe('warm start', () => {
  it('paints the snapshot before the network answers and subscribes from its cursor', async () => {
    await startWithSnapshot()
    const snap = await loadSnapshot('ses_a', SERVER)
    expect(snap?.cursor).toBe(120)
    expect(snap?.messages[0].parts[0]).toMatchObject({ text: 'hello' })

    // A reloaded tab: new stores, the network held back.
    setActivePinia(createPinia())
    log.length = 0
    relay = new FakeRelay(log)
    provideRelay(relay)
    const servers = useServerStore()
    servers.setFetch(server.fetch)
    await servers.init({ fetch: async () => new Response('', { status: 404 }) })
    const g = gate()
    server.gates.set('/project', g)
    const sync2 = useSyncStore()
    const started = sync2.start({ warm: { sessionID: 'ses_a' } })
    await flush()
    expect(sync2.phase).toBe('warm')
    expect(relay.subscribes).toEqual([120])
    expect(sync2.state.directories[DIR].messages.ses_a.map((m) => m.id)).toEqual(['msg_1'])
    expect(sync2.sessionLoads.ses_a.fromSnapshot).toBe(true)
    g.open()
    await started
    expect(sync2.phase).toBe('ready')
  })
})

describe('server switch', () => {
  it('re-reads what the tab showed from the new server, and switching back paints its snapshot at once', async () => {
    const { servers, sync, u } = await startWithSnapshot()

    // Another server: nothing stays "Loading…" — the directory and the session are read there.
    server.requests.length = 0
    server.messages.ses_a = []
    servers.select(servers.add({ url: 'http://other.test:4096' }).id)
    await flush(10)
    expect(relay.configured.at(-1)?.url).toBe('http://other.test:4096')
    const paths = server.requests.map((r) => r.path)
    expect(paths).toEqual(expect.arrayContaining(['/project', '/session', '/session/ses_a/message']))
    expect(sync.phase).toBe('ready')
    expect(sync.directoryMeta(DIR).status).toBe('ready')
    expect(sync.sessionLoads.ses_a.status).toBe('ready')
    expect(sync.state.directories[DIR].messages.ses_a).toEqual([])

    // Back to the first server, its transcript read held back: the snapshot is on screen already.
    const g = gate()
    server.gates.set('/session/ses_a/message', g)
    server.messages.ses_a = [{ info: u, parts: [textPart('prt_1', 'msg_1', 'ses_a', 'hello')] }]
    servers.select(SERVER)
    await flush(10)
    expect(sync.state.directories[DIR].messages.ses_a.map((m) => m.id)).toEqual(['msg_1'])
    expect(sync.sessionLoads.ses_a.status).toBe('loading')
    g.open()
    await flush(10)
    expect(sync.phase).toBe('ready')
    expect(sync.sessionLoads.ses_a.status).toBe('ready')
  })
})

describe('useSessionSnapshot', () => {
  it('writes while a reply streams (at most maxWaitMs apart), not only once it stops', async () => {
    const { sync } = await setup()
    vi.useFakeTimers()
    const persist = vi.spyOn(sync, 'persistSnapshot').mockResolvedValue(true)
    const scope = effectScope()
    scope.run(() => useSessionSnapshot({ directory: ref(DIR), sessionID: ref('ses_a'), delayMs: 500, maxWaitMs: 1500 }))
    // A delta every 20 ms for 5 s: a plain 500 ms debounce would never fire.
    for (let t = 0; t < 5000; t += 20) {
      sync.sessionVersion.ses_a = (sync.sessionVersion.ses_a ?? 0) + 1
      await nextTick()
      vi.advanceTimersByTime(20)
    }
    const during = persist.mock.calls.length
    expect(during).toBeGreaterThanOrEqual(3)
    expect(persist).toHaveBeenCalledWith(DIR, 'ses_a')
    // Once the stream stops, one more write after the debounce.
    vi.advanceTimersByTime(600)
    await nextTick()
    expect(persist.mock.calls.length).toBe(during + 1)
    vi.advanceTimersByTime(5000)
    expect(persist.mock.calls.length).toBe(during + 1)
    scope.stop()
  })
})

describe('useChatStore', () => {
  it('sends prompt_async with a client messageID, the agent and model; clears the draft; pending until the message arrives', async () => {
    const { sync } = await setup()
    await sync.start()
    await sync.ensureDirectory(DIR)
    const chat = useChatStore()
    chat.drafts.ses_a = 'hello'
    const messageID = await chat.send(DIR, 'ses_a', 'hello')
    await flush()
    const post = server.requests.find((r) => r.path === '/session/ses_a/prompt_async')
    expect(post?.body).toMatchObject({ messageID, agent: 'build', model: { providerID: 'scripted', modelID: 'scripted-model' }, parts: [{ type: 'text', text: 'hello' }] })
    expect(chat.drafts.ses_a).toBe('')
    expect(chat.pending[messageID]?.status).toBe('sent')
    relay.emit([ev(101, messageUpdated(userMessage(messageID, 'ses_a')))])
    await nextTick()
    expect(chat.pending[messageID]).toBeUndefined()
  })

  it('retries a send after a network error with the SAME messageID', async () => {
    const { sync } = await setup()
    await sync.start()
    vi.useFakeTimers()
    const chat = useChatStore()
    server.networkFailures.set('/session/ses_a/prompt_async', 1)
    const messageID = await chat.send(DIR, 'ses_a', 'again')
    await vi.advanceTimersByTimeAsync(5_000)
    const posts = server.requests.filter((r) => r.path === '/session/ses_a/prompt_async')
    expect(posts).toHaveLength(2)
    for (const p of posts) expect(p.body).toMatchObject({ messageID })
    expect(chat.pending[messageID]?.status).toBe('sent')
  })

  it('marks a send failed after the retries and lets the user retry it', async () => {
    const { sync } = await setup()
    await sync.start()
    vi.useFakeTimers()
    const chat = useChatStore()
    server.networkFailures.set('/session/ses_a/prompt_async', 10)
    const messageID = await chat.send(DIR, 'ses_a', 'x')
    await vi.advanceTimersByTimeAsync(20_000)
    expect(chat.pending[messageID]?.status).toBe('failed')
    server.networkFailures.set('/session/ses_a/prompt_async', 0)
    chat.retry(messageID)
    await vi.advanceTimersByTimeAsync(10)
    expect(chat.pending[messageID]?.status).toBe('sent')
    const ids = new Set(server.requests.filter((r) => r.path === '/session/ses_a/prompt_async').map((r) => JSON.stringify(r.body)))
    expect([...ids].every((b) => b.includes(messageID))).toBe(true)
  })

  it('replies to a permission and removes it locally; permission.replied removes it in other tabs', async () => {
    const { sync } = await setup()
    server.permissions = [permission('per_1', 'ses_a'), permission('per_2', 'ses_a')]
    await sync.start()
    await sync.ensureDirectory(DIR)
    const chat = useChatStore()
    await chat.replyPermission(DIR, server.permissions[0], 'once')
    // This test relay has no outbox (it refuses the add), so the tab posts the reply itself.
    await vi.waitFor(() => expect(server.requests.some((r) => r.path === '/permission/per_1/reply')).toBe(true))
    const post = server.requests.find((r) => r.path === '/permission/per_1/reply')
    expect(post?.body).toEqual({ reply: 'once' })
    expect(sync.state.directories[DIR].permissions.ses_a.map((p) => p.id)).toEqual(['per_2'])
    relay.emit([ev(101, { id: 'e', type: 'permission.replied', properties: { sessionID: 'ses_a', requestID: 'per_2', reply: 'reject' } })])
    expect(sync.state.directories[DIR].permissions.ses_a).toHaveLength(0)
    expect(useSessionsStore().pendingPermissionCount).toBe(0)
  })

  it('the badge counts each pending request once: those the tab read and those the relay saw in other projects', async () => {
    const { sync } = await setup()
    server.permissions = [permission('per_1', 'ses_a')]
    await sync.start()
    await sync.ensureDirectory(DIR)
    const sessions = useSessionsStore()
    expect(sessions.pendingRequestCount).toBe(1)
    useConnectionStore().setStatus({ ...IDLE_STATUS, state: 'connected', pendingRequests: ['per_1', 'que_elsewhere'] })
    expect(sessions.pendingRequestCount).toBe(2)
  })

  it('a slash command sent before the project\'s command list arrived waits for it and runs as a command', async () => {
    const { sync } = await setup()
    await sync.start()
    const commands = gate()
    server.gates.set('/command', commands)
    void sync.ensureDirectory(DIR)
    const sent = useChatStore().send(DIR, 'ses_a', '/init focus on tests')
    await new Promise((r) => setTimeout(r, 20))
    expect(server.requests.some((r) => r.path.startsWith('/session/ses_a/'))).toBe(false)
    commands.open()
    await sent
    await new Promise((r) => setTimeout(r, 20))
    expect(server.requests.filter((r) => r.path.startsWith('/session/ses_a/')).map((r) => r.path)).toEqual(['/session/ses_a/command'])
  })

  it('parses slash commands and model refs', () => {
    expect(parseSlashCommand('/init focus on tests')).toEqual({ command: 'init', arguments: 'focus on tests' })
    expect(parseSlashCommand('/review')).toEqual({ command: 'review', arguments: '' })
    expect(parseSlashCommand('not /a command')).toBeUndefined()
    expect(parseModelRef('openai/gpt-5/mini')).toEqual({ providerID: 'openai', modelID: 'gpt-5/mini' })
    expect(parseModelRef('nope')).toBeUndefined()
  })
})

describe('session list', () => {
  it('nests children under parents, newest activity first, with search keeping ancestors', () => {
    const tree = buildSessionTree([
      session('ses_1', 100, { title: 'Old root' }),
      session('ses_2', 300, { title: 'New root' }),
      session('ses_3', 200, { title: 'Child task', parentID: 'ses_1' }),
      session('ses_4', 250, { title: 'Orphan child', parentID: 'ses_missing' }),
    ])
    expect(tree.map((n) => n.session.id)).toEqual(['ses_2', 'ses_4', 'ses_1'])
    expect(tree[2].children.map((n) => n.session.id)).toEqual(['ses_3'])
    expect(tree[2].children[0].depth).toBe(1)
    const found = buildSessionTree(
      [session('ses_1', 100, { title: 'Old root' }), session('ses_3', 200, { title: 'Child task', parentID: 'ses_1' })],
      'child',
    )
    expect(found.map((n) => n.session.id)).toEqual(['ses_1'])
    expect(found[0].children.map((n) => n.session.id)).toEqual(['ses_3'])
  })

  it('orders by latest activity, by creation or by title (numbers by value), children alike', () => {
    const list = [
      session('ses_1', 300, { title: 'task 10', time: { created: 1, updated: 300 } }),
      session('ses_2', 100, { title: 'Task 9', time: { created: 3, updated: 100 } }),
      session('ses_3', 200, { title: 'alpha', time: { created: 2, updated: 200 } }),
      session('ses_4', 50, { title: 'zeta', parentID: 'ses_1', time: { created: 5, updated: 50 } }),
      session('ses_5', 60, { title: 'beta', parentID: 'ses_1', time: { created: 4, updated: 60 } }),
    ]
    const roots = (sort: 'updated' | 'created' | 'title') => buildSessionTree(list, '', sort).map((n) => n.session.id)
    expect(roots('updated')).toEqual(['ses_1', 'ses_3', 'ses_2'])
    expect(roots('created')).toEqual(['ses_2', 'ses_3', 'ses_1'])
    expect(roots('title')).toEqual(['ses_3', 'ses_2', 'ses_1'])
    expect(buildSessionTree(list, '', 'title')[2].children.map((n) => n.session.id)).toEqual(['ses_5', 'ses_4'])
  })
})

describe('small pure helpers', () => {
  it('connection labels', () => {
    expect(connectionLabel({ ...IDLE_STATUS, state: 'connected' }, 0)).toBe('Connected')
    expect(connectionLabel({ ...IDLE_STATUS, state: 'offline', nextRetryAt: 3000 }, 0)).toBe('Offline · retry in 3 s')
    expect(connectionLabel({ ...IDLE_STATUS, state: 'reconnecting' }, 0)).toBe('Reconnecting…')
    expect(connectionLabel({ ...IDLE_STATUS, state: 'reconnecting', nextRetryAt: 1000 }, 2000)).toBe('Reconnecting: retrying…')
    expect(connectionLabel({ ...IDLE_STATUS, state: 'reconnecting', launcher: { state: 'starting' } }, 0)).toBe('Starting OpenCode…')
    expect(connectionLabel({ ...IDLE_STATUS, state: 'reconnecting', launcher: { state: 'unreachable' } }, 0)).toBe('Server unreachable')
  })

  it('the banner tells starting, unreachable, offline and a lost connection apart, each with what to do', () => {
    const starting = connectionNotice({ ...IDLE_STATUS, state: 'connecting', attempt: 2, launcher: { state: 'starting' } }, 0)
    expect(starting).toMatchObject({ kind: 'starting', title: 'Starting OpenCode…', retry: false })
    expect(starting?.detail).not.toMatch(/lost|Failed to fetch/)
    expect(connectionNotice({ ...IDLE_STATUS, state: 'reconnecting', launcher: { state: 'unreachable', detail: 'Failed to fetch' } }, 0)).toMatchObject({ kind: 'unreachable', detail: /offline copy.*npm start/ })
    expect(connectionNotice({ ...IDLE_STATUS, state: 'reconnecting', launcher: { state: 'invalid', detail: 'bad JSON' } }, 0)).toMatchObject({ kind: 'invalid', detail: /bad JSON/ })
    expect(connectionNotice({ ...IDLE_STATUS, state: 'offline' }, 0)).toMatchObject({ kind: 'offline', detail: /no network/ })
    expect(connectionNotice({ ...IDLE_STATUS, state: 'offline', launcher: { state: 'unreachable' } }, 0)).toMatchObject({ kind: 'offline' })
    expect(connectionNotice({ ...IDLE_STATUS, state: 'reconnecting', nextRetryAt: 4000, lastError: 'HTTP 502 Bad Gateway' }, 0)).toMatchObject({
      kind: 'reconnecting',
      detail: 'Reconnecting in 4 s (HTTP 502 Bad Gateway). Showing saved data; live updates resume when the server is back.',
    })
    // A retry in flight keeps the banner (no flicker between attempts); a first attempt and a live stream show none.
    expect(connectionNotice({ ...IDLE_STATUS, state: 'connecting', attempt: 3 }, 0)).toMatchObject({ kind: 'reconnecting', detail: /^Reconnecting…/ })
    expect(connectionNotice({ ...IDLE_STATUS, state: 'connecting', attempt: 0 }, 0)).toBeUndefined()
    expect(connectionNotice({ ...IDLE_STATUS, state: 'connected', launcher: { state: 'starting' } }, 0)).toBeUndefined()
  })

  it('while the relay polls behind a buffering proxy, the app says updates are delayed and counts as connected', () => {
    const polling = { ...IDLE_STATUS, state: 'reconnecting' as const, nextRetryAt: 4000, degraded: { since: 0, pollMs: 5000, reason: 'no event for 5 s after the stream opened' } }
    expect(connectionLabel(polling, 0)).toBe('Live updates delayed · polling every 5 s')
    expect(connectionNotice(polling, 0)).toMatchObject({ kind: 'polling', title: 'Live updates delayed — polling every 5 s.', detail: /buffers the event stream \(no event for 5 s after the stream opened\).*Troubleshooting/ })
    const store = useConnectionStore()
    store.setStatus(polling)
    expect(store.connected).toBe(true)
    expect(store.polling).toBe(true)
    store.setStatus({ ...polling, degraded: undefined })
    expect(store.connected).toBe(false)
  })

  it('settings parse with defaults', () => {
    expect(parseSettings({ notifications: true, theme: 'neon' })).toEqual({ notifications: true, sleepProtection: false, theme: 'system' })
    expect(parseSettings('garbage')).toEqual({ notifications: false, sleepProtection: false, theme: 'system' })
  })

  it('scopes: a session read covers only its own message events', () => {
    const e = ev(1, delta('ses_a', 'm', 'p', 'x'))
    expect(scopeCovers({ kind: 'session', directory: DIR, sessionID: 'ses_a' }, e)).toBe(true)
    expect(scopeCovers({ kind: 'session', directory: DIR, sessionID: 'ses_b' }, e)).toBe(false)
    expect(scopeCovers({ kind: 'directory', directory: DIR }, e)).toBe(false)
    expect(scopeCovers({ kind: 'directory', directory: DIR }, ev(2, sessionUpdated(session('ses_a', 1))))).toBe(true)
  })
})
