/**
 * Sleep protection on the app's side: the companion client (sw/shared/awake-client.ts), the relay's lease
 * poster (sw/relay/awake-lease.ts) on a manual clock, the relay hub wired to it the way
 * sw/relay/runtime.ts does (real SseConnection, real event log on fake-indexeddb), and the
 * settings store's status text and toggle sync (src/stores/settings.ts). All with fake fetches:
 * the real companion is exercised in test/awake.test.ts and test/awake-opencode.test.ts.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAwakeClient, fetchAwakeConfig } from '../sw/shared/awake-client.ts'
import { isAwakeStatus, isCompanionUrl, parseAwakeConfig, type AwakeConfig, type AwakeStatus } from '../sw/shared/awake-wire.ts'
import { sleepProtectionText, useSettingsStore, type CompanionState } from '../src/stores/settings.ts'
import { setStorage } from '../src/stores/storage.ts'
import type { OpencodeEvent, RelayedEvent } from '../sw/shared/protocol.ts'
import { AwakeLeaser, type ObservedEvent } from '../sw/relay/awake-lease.ts'
import { EventLog } from '../sw/relay/log/event-log.ts'
import type { Clock } from '../sw/shared/clock.ts'
import { RelayHub } from '../sw/relay/hub.ts'
import { FakeClock } from './support/fake-clock.ts'
import { until } from './support/until.ts'

const TOKEN = 'tok-0123456789abcdef0123456789abcdef'
const CONFIG: AwakeConfig = { url: 'http://127.0.0.1:4747', token: TOKEN }
const DIR = '/tmp/project'

/** Lets promise chains (fake fetch → leaser) settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
  await new Promise((r) => setTimeout(r, 0))
}


function status(overrides: Partial<AwakeStatus> = {}): AwakeStatus {
  return { running: true, held: false, reasons: [], enabled: true, platform: 'darwin', supported: true, busySessions: [], leases: [], pid: 4242, ...overrides }
}

function json(body: unknown, httpStatus = 200): Response {
  return new Response(JSON.stringify(body), { status: httpStatus, headers: { 'content-type': 'application/json' } })
}

interface Call {
  method: string
  url: string
  headers: Record<string, string>
  body: unknown
}

/**
 * A fake relay-awake behind `fetch`: records calls; `mode` decides the answer. `enabled` follows
 * `POST /enabled`, `pid` can change (a restarted companion).
 */
function fakeCompanion() {
  const calls: Call[] = []
  const state = { mode: 'ok' as 'ok' | 'down' | 'unauthorized' | 'forbidden' | 'garbage', enabled: true, pid: 4242, held: false }
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const headers: Record<string, string> = {}
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v))
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    calls.push({ method: init?.method ?? 'GET', url, headers, body })
    if (state.mode === 'down') throw new TypeError('fetch failed')
    if (state.mode === 'unauthorized') return json({ error: 'unauthorized: Authorization: Bearer <token> required' }, 401)
    if (state.mode === 'forbidden') return json({ error: 'forbidden: Origin not allowed (start with --origin)' }, 403)
    if (state.mode === 'garbage') return json({ hello: 'world' })
    if (url.endsWith('/enabled') && typeof body === 'object' && body !== null && 'enabled' in body && typeof body.enabled === 'boolean') state.enabled = body.enabled
    return json(status({ enabled: state.enabled, pid: state.pid, held: state.held }))
  }
  const leases = () => calls.filter((c) => c.url.endsWith('/lease')).map((c) => c.body)
  return { calls, state, fetch: fetchImpl, leases }
}

function statusEvent(sessionID: string, type: 'busy' | 'idle' | 'retry', directory = DIR): ObservedEvent {
  const payload: OpencodeEvent =
    type === 'retry'
      ? { id: `evt_${sessionID}_${type}`, type: 'session.status', properties: { sessionID, status: { type: 'retry', attempt: 1, message: 'rate limited', next: 0 } } }
      : { id: `evt_${sessionID}_${type}`, type: 'session.status', properties: { sessionID, status: { type } } }
  return { directory, payload }
}

// ---------------------------------------------------------------------------------------------

describe('companion client (sw/shared/awake-client.ts)', () => {
  it('parses the launcher’s awake section and refuses non-loopback or weak pairings', () => {
    expect(parseAwakeConfig({ server: { url: 'http://127.0.0.1:4096' }, awake: { url: 'http://127.0.0.1:4747/', token: TOKEN } })).toEqual(CONFIG)
    expect(parseAwakeConfig({ server: { url: 'http://127.0.0.1:4096' } })).toBeUndefined()
    expect(parseAwakeConfig({ awake: { url: 'http://evil.example:4747', token: TOKEN } })).toBeUndefined()
    expect(parseAwakeConfig({ awake: { url: 'http://127.0.0.1:4747', token: 'short' } })).toBeUndefined()
    expect(parseAwakeConfig({ awake: { url: 'http://127.0.0.1:4747', token: 42 } })).toBeUndefined()
    expect(parseAwakeConfig('nope')).toBeUndefined()
    expect(isCompanionUrl('http://localhost:1')).toBe(true)
    expect(isCompanionUrl('https://127.0.0.1:1')).toBe(false)
    expect(isCompanionUrl('http://127.0.0.2:1')).toBe(false)
  })

  it('fetches /relay-config.json and never throws', async () => {
    const ok: typeof fetch = async () => json({ awake: CONFIG })
    expect(await fetchAwakeConfig(ok)).toEqual(CONFIG)
    const missing: typeof fetch = async () => new Response('nope', { status: 404 })
    expect(await fetchAwakeConfig(missing)).toBeUndefined()
    const broken: typeof fetch = async () => new Response('{', { status: 200 })
    expect(await fetchAwakeConfig(broken)).toBeUndefined()
    const down: typeof fetch = async () => {
      throw new TypeError('fetch failed')
    }
    expect(await fetchAwakeConfig(down)).toBeUndefined()
  })

  it('sends the bearer token and maps every refusal to a result', async () => {
    const c = fakeCompanion()
    const client = createAwakeClient(CONFIG, { fetch: c.fetch })
    const st = await client.status()
    expect(st.kind).toBe('ok')
    expect(c.calls[0]).toMatchObject({ method: 'GET', url: 'http://127.0.0.1:4747/status', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(await client.setEnabled(false)).toMatchObject({ kind: 'ok', status: { enabled: false } })
    expect(c.calls[1]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:4747/enabled', body: { enabled: false }, headers: { 'content-type': 'application/json' } })
    await client.lease({ busy: true, reason: 'r', ttlMs: 15_000 })
    expect(c.calls[2]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:4747/lease', body: { busy: true, reason: 'r', ttlMs: 15_000 } })
    c.state.mode = 'down'
    expect((await client.status()).kind).toBe('not-running')
    c.state.mode = 'unauthorized'
    expect(await client.status()).toMatchObject({ kind: 'unauthorized', message: expect.stringContaining('unauthorized') })
    c.state.mode = 'forbidden'
    expect(await client.status()).toMatchObject({ kind: 'forbidden', message: expect.stringContaining('Origin') })
    c.state.mode = 'garbage'
    expect((await client.status()).kind).toBe('error')
  })

  it('narrows status bodies', () => {
    expect(isAwakeStatus(status({ held: true, since: 1, serverState: 'connected', leases: [{ owner: 'o', expiresAt: 2 }] }))).toBe(true)
    expect(isAwakeStatus({ ...status(), serverState: 'weird' })).toBe(false)
    expect(isAwakeStatus({ ...status(), leases: [{ owner: 1 }] })).toBe(false)
    expect(isAwakeStatus({ ...status(), running: false })).toBe(false)
  })
})

describe('AwakeLeaser (manual clock)', () => {
  let clock: FakeClock
  let c: ReturnType<typeof fakeCompanion>
  let connected: boolean
  let configLoads: number
  let paired: boolean
  let leaser: AwakeLeaser

  beforeEach(() => {
    clock = new FakeClock(settle)
    c = fakeCompanion()
    connected = true
    configLoads = 0
    paired = true
    leaser = new AwakeLeaser({
      fetch: c.fetch,
      clock,
      upstreamConnected: () => connected,
      loadConfig: async () => {
        configLoads += 1
        return paired ? CONFIG : undefined
      },
    })
  })
  afterEach(() => leaser.dispose())

  it('posts busy at once on a busy session, renews every 5 s with ttl 15 s, and drops it at once on idle', async () => {
    leaser.observe([statusEvent('ses_a', 'busy')])
    await settle()
    expect(c.leases()).toEqual([{ busy: true, reason: 'relay: 1 session busy (ses_a)', ttlMs: 15_000 }])
    await clock.advance(4_999)
    expect(c.leases()).toHaveLength(1)
    await clock.advance(1)
    expect(c.leases()).toHaveLength(2)
    await clock.advance(10_000)
    expect(c.leases()).toHaveLength(4)
    // A retry still counts as working; a second session changes the reason (posted at once).
    leaser.observe([statusEvent('ses_a', 'retry'), statusEvent('ses_b', 'busy')])
    await settle()
    expect(c.leases().at(-1)).toEqual({ busy: true, reason: 'relay: 2 sessions busy (ses_a, ses_b)', ttlMs: 15_000 })
    leaser.observe([statusEvent('ses_a', 'idle')])
    leaser.observe([{ directory: DIR, payload: { id: 'evt_i', type: 'session.idle', properties: { sessionID: 'ses_b' } } }])
    await settle()
    expect(c.leases().at(-1)).toEqual({ busy: false })
    const n = c.leases().length
    await clock.advance(60_000)
    expect(c.leases()).toHaveLength(n)
    expect(clock.pending).toBe(0)
    expect(leaser.snapshot()).toMatchObject({ sessions: [], want: 'idle', posted: false, companion: 'ok' })
    expect(configLoads).toBe(1)
  })

  it('under busy/idle flapping it never sends two busy posts for one change and ends idle', async () => {
    for (let i = 0; i < 20; i++) {
      leaser.observe([statusEvent('ses_a', 'busy')])
      leaser.observe([statusEvent('ses_a', 'idle')])
    }
    await settle()
    await clock.advance(100)
    expect(c.leases().at(-1)).toEqual({ busy: false })
    expect(c.leases().length).toBeLessThanOrEqual(4)
    expect(leaser.snapshot().want).toBe('idle')
  })

  it('while the upstream stream is down it neither renews nor drops (the lease lapses), and resumes when it is back', async () => {
    leaser.observe([statusEvent('ses_a', 'busy')])
    await settle()
    expect(c.leases()).toHaveLength(1)
    connected = false
    await clock.advance(30_000)
    expect(c.leases()).toHaveLength(1)
    expect(leaser.snapshot()).toMatchObject({ want: 'unknown', posted: false })
    connected = true
    await clock.advance(5_000)
    expect(c.leases()).toHaveLength(2)
    expect(c.leases()[1]).toMatchObject({ busy: true })
  })

  it('clears sessions of a disposed directory, on global.disposed and on a server switch', async () => {
    leaser.observe([statusEvent('ses_a', 'busy', '/a'), statusEvent('ses_b', 'busy', '/b')])
    leaser.observe([{ directory: 'global', payload: { id: 'evt_d', type: 'server.instance.disposed', properties: { directory: '/a' } } }])
    expect(leaser.snapshot().sessions).toEqual(['ses_b'])
    leaser.observe([{ directory: 'global', payload: { id: 'evt_g', type: 'global.disposed', properties: {} } }])
    expect(leaser.snapshot().sessions).toEqual([])
    leaser.observe([statusEvent('ses_c', 'busy')])
    leaser.serverChanged()
    expect(leaser.snapshot().sessions).toEqual([])
    await settle()
    expect(c.leases().at(-1)).toEqual({ busy: false })
  })

  it('unpaired (no awake section): posts nothing and re-reads the config at most once a minute', async () => {
    paired = false
    leaser.observe([statusEvent('ses_a', 'busy')])
    await settle()
    await clock.advance(59_000)
    expect(c.calls).toEqual([])
    expect(configLoads).toBe(1)
    expect(leaser.snapshot().companion).toBe('unpaired')
    paired = true
    await clock.advance(1_000)
    expect(configLoads).toBe(2)
    expect(c.leases()).toHaveLength(1)
  })

  it('backs off while the companion is down, re-reads the pairing, and recovers', async () => {
    c.state.mode = 'down'
    leaser.observe([statusEvent('ses_a', 'busy')])
    await settle()
    expect(c.calls).toHaveLength(1)
    await clock.advance(5_000)
    expect(c.calls).toHaveLength(2)
    await clock.advance(9_999)
    expect(c.calls).toHaveLength(2)
    await clock.advance(1)
    expect(c.calls).toHaveLength(3)
    expect(configLoads).toBe(3)
    expect(leaser.snapshot().companion).toBe('not-running')
    c.state.mode = 'ok'
    await clock.advance(20_000)
    expect(c.calls).toHaveLength(4)
    expect(leaser.snapshot()).toMatchObject({ companion: 'ok', posted: true })
    await clock.advance(5_000)
    expect(c.calls).toHaveLength(5)
  })
})

// ---------------------------------------------------------------------------------------------

/** A controllable SSE body for one `/global/event` response. */
class Stream {
  private controller!: ReadableStreamDefaultController<Uint8Array>
  readonly body = new ReadableStream<Uint8Array>({ start: (ctl) => (this.controller = ctl) })
  private readonly enc = new TextEncoder()
  send(payload: object, directory = DIR): void {
    this.controller.enqueue(this.enc.encode(`data: ${JSON.stringify({ directory, payload })}\n\n`))
  }
}

describe('the hub wired to the leaser as in sw/relay/runtime.ts', () => {
  it('posts a lease while the relayed stream says busy and drops it on idle', async () => {
    const companion = fakeCompanion()
    const streams: Stream[] = []
    const fetchImpl: typeof fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      if (url.startsWith(CONFIG.url)) return companion.fetch(input, init)
      if (new URL(url).pathname === '/global/event') {
        const s = new Stream()
        streams.push(s)
        return new Response(s.body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
      }
      return json({})
    }
    const realClock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }
    const factory = new IDBFactory()
    const seen: RelayedEvent[] = []
    const awake = new AwakeLeaser({ fetch: fetchImpl, clock: realClock, loadConfig: async () => CONFIG, upstreamConnected: () => hub.status().state === 'connected' })
    const hub: RelayHub = new RelayHub({
      fetch: fetchImpl,
      clock: realClock,
      random: () => 0,
      mode: 'shared-worker',
      openLog: (server) => {
        awake.serverChanged()
        return EventLog.open({ name: server.url, indexedDB: factory, IDBKeyRange })
      },
      onEvents: (events) => {
        seen.push(...events)
        awake.observe(events)
      },
    })
    try {
      const tab = hub.connectTab({ post: () => {} }, 't')
      await tab.receive({ type: 'hello', tabId: 't', lockName: 'l', server: { url: 'http://opencode.test' }, visible: true })
      await until(() => streams.length === 1, 'the upstream stream')
      const s = streams[0]
      s.send({ id: 'evt_0', type: 'server.connected', properties: {} })
      await until(() => hub.status().state === 'connected', 'connected')
      s.send({ id: 'evt_1', type: 'session.status', properties: { sessionID: 'ses_x', status: { type: 'busy' } } })
      await until(() => companion.leases().length === 1, 'the busy lease')
      expect(companion.leases()[0]).toEqual({ busy: true, reason: 'relay: 1 session busy (ses_x)', ttlMs: 15_000 })
      expect(seen.map((e) => e.id)).toEqual(['evt_1'])
      s.send({ id: 'evt_2', type: 'session.status', properties: { sessionID: 'ses_x', status: { type: 'idle' } } })
      await until(() => companion.leases().length === 2, 'the release')
      expect(companion.leases()[1]).toEqual({ busy: false })
    } finally {
      awake.dispose()
      await hub.stop()
    }
  })
})

// ---------------------------------------------------------------------------------------------

describe('settings store: sleep protection', () => {
  beforeEach(() => {
    const map = new Map<string, string>()
    setStorage({ getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) })
    setActivePinia(createPinia())
  })
  afterEach(() => {
    useSettingsStore().stopAwake()
    setStorage(undefined)
  })

  it('describes every companion state', () => {
    const ok = (st: Partial<AwakeStatus>): CompanionState => ({ kind: 'ok', url: CONFIG.url, status: status(st) })
    expect(sleepProtectionText({ kind: 'unpaired' }, true)).toContain('npm start -- --awake')
    expect(sleepProtectionText({ kind: 'not-running', url: CONFIG.url, message: 'x' }, true)).toMatch(/not running at http:\/\/127\.0\.0\.1:4747, so nothing keeps this computer awake/)
    expect(sleepProtectionText({ kind: 'unauthorized', url: CONFIG.url, message: 'x' }, true)).toContain('reload this page')
    expect(sleepProtectionText({ kind: 'forbidden', url: CONFIG.url, message: 'Origin not allowed' }, true)).toContain('Origin not allowed')
    expect(sleepProtectionText(ok({}), false)).toMatch(/^Off\./)
    expect(sleepProtectionText(ok({}), true)).toMatch(/^On\./)
    const since = new Date(2026, 0, 2, 14, 2, 11).getTime()
    expect(sleepProtectionText(ok({ held: true, since, reasons: ['session ses_1 busy'] }), true)).toBe('Keeping this computer awake since 14:02:11: session ses_1 busy.')
    expect(sleepProtectionText(ok({ supported: false, platform: 'win32', error: 'Windows is not supported' }), true)).toContain('Windows is not supported')
    expect(sleepProtectionText(ok({ error: 'caffeinate not found on PATH' }), true)).toContain('caffeinate not found on PATH')
  })

  it('pushes the toggle to a newly seen companion, posts every toggle, and follows a restart', async () => {
    const c = fakeCompanion()
    const settings = useSettingsStore()
    expect(settings.sleepProtection).toBe(false)
    await settings.startAwake({ fetch: c.fetch, loadConfig: async () => CONFIG })
    // The companion starts enabled; the app's toggle (off) wins.
    expect(c.state.enabled).toBe(false)
    expect(settings.companion).toMatchObject({ kind: 'ok', status: { enabled: false } })
    expect(settings.sleepProtectionStatus).toMatch(/^Off\./)
    await settings.setSleepProtection(true)
    expect(c.state.enabled).toBe(true)
    expect(c.calls.at(-1)).toMatchObject({ method: 'POST', body: { enabled: true } })
    c.state.held = true
    await settings.refreshAwake()
    expect(settings.sleepProtectionHeld).toBe(true)
    await settings.setSleepProtection(false)
    expect(c.state.enabled).toBe(false)
    // A restarted companion (new pid) starts enabled again: the next refresh corrects it.
    c.state.pid = 5000
    c.state.enabled = true
    await settings.refreshAwake()
    expect(c.state.enabled).toBe(false)
    // Polls do not fight another client once this companion was synced.
    c.state.enabled = true
    await settings.refreshAwake()
    expect(c.state.enabled).toBe(true)
  })

  it('reports unpaired and not running', async () => {
    const c = fakeCompanion()
    const settings = useSettingsStore()
    await settings.startAwake({ fetch: c.fetch, loadConfig: async () => undefined })
    expect(settings.companion.kind).toBe('unpaired')
    expect(settings.sleepProtectionStatus).toContain('npm start -- --awake')
    settings.stopAwake()
    c.state.mode = 'down'
    await settings.startAwake({ fetch: c.fetch, loadConfig: async () => CONFIG })
    await settings.setSleepProtection(true)
    expect(settings.companion.kind).toBe('not-running')
    expect(settings.sleepProtection).toBe(true)
    expect(settings.sleepProtectionStatus).toContain('not running')
  })
})
