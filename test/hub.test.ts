/**
 * The relay hub end to end in Node: the real SseConnection, the real Dexie event log (on
 * fake-indexeddb) and the hub's fan-out, fed by a scripted fetch that plays `GET /global/event`
 * and the catch-up endpoints. Asserts the promises tabs depend on: each event once, in cursor
 * order, replay + live with no gap and no duplicate, catch-up after a gap, storage errors surfaced.
 */
import { describe, expect, it } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { RelayHub, type HubDeps, type TabEndpoint } from '../sw/relay/hub.ts'
import type { LauncherAnswer } from '../sw/shared/launcher-config.ts'
import { EventLog } from '../sw/relay/log/event-log.ts'
import type { RelayedEvent, RelayStatus, RelayToTab } from '../sw/shared/protocol.ts'
import { until } from './support/until.ts'

const DIR = '/tmp/project'
const SES = 'ses_1'

/** A controllable SSE body for one `/global/event` response. */
class Stream {
  private controller!: ReadableStreamDefaultController<Uint8Array>
  readonly body = new ReadableStream<Uint8Array>({ start: (c) => (this.controller = c) })
  private readonly enc = new TextEncoder()
  send(payload: object, directory = DIR): void {
    this.controller.enqueue(this.enc.encode(`data: ${JSON.stringify({ directory, payload })}\n\n`))
  }
  end(): void {
    this.controller.close()
  }
}

interface Routes {
  history?: (body: Record<string, number>) => unknown[]
  status?: () => Record<string, unknown>
  sessions?: () => unknown[]
}

/** Real timers for short waits (flushes); long ones (backoff) are held until the test releases them. */
function holdingClock(holdAboveMs: number) {
  const held: Array<() => void> = []
  return {
    held,
    clock: {
      now: () => Date.now(),
      setTimeout: (fn: () => void, ms: number): unknown => {
        if (ms <= holdAboveMs) return setTimeout(fn, ms)
        held.push(fn)
        return undefined
      },
      clearTimeout: (h: unknown) => {
        if (h !== undefined) clearTimeout(h as NodeJS.Timeout)
      },
    },
  }
}

interface HarnessOptions {
  clock?: ReturnType<typeof holdingClock>['clock']
  failEvents?: () => boolean
  /** Hosts (`127.0.0.1:4096`) whose requests fail as a refused connection would. */
  down?: Set<string>
  /** The launcher's `/relay-config.json`, as the runtime reads it. */
  launcher?: HubDeps['readLauncherConfig']
}

function harness(routes: Routes = {}, opts: HarnessOptions = {}) {
  const streams: Stream[] = []
  const eventUrls: string[] = []
  const opened: string[] = []
  const historyBodies: Array<Record<string, number>> = []
  const fetchImpl: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(String(input), init)
    const url = new URL(req.url)
    if (opts.down?.has(url.host)) throw new TypeError('Failed to fetch')
    if (url.pathname === '/global/event') {
      eventUrls.push(url.origin)
      if (opts.failEvents?.()) {
        streams.push(new Stream())
        return new Response('upstream down', { status: 502 })
      }
      const s = new Stream()
      streams.push(s)
      return new Response(s.body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
    }
    const json = (data: unknown) => new Response(JSON.stringify(data), { status: 200, headers: { 'content-type': 'application/json' } })
    if (url.pathname === '/session') return json(routes.sessions?.() ?? [])
    if (url.pathname === '/sync/history') {
      const body: Record<string, number> = JSON.parse(await req.text())
      historyBodies.push(body)
      return json(routes.history?.(body) ?? [])
    }
    if (url.pathname === '/session/status') return json(routes.status?.() ?? {})
    return new Response('not found', { status: 404 })
  }
  const factory = new IDBFactory()
  let log: EventLog | undefined
  const hub = new RelayHub({
    fetch: fetchImpl,
    clock: opts.clock ?? { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    random: () => (opts.clock ? 0.99 : 0),
    mode: 'shared-worker',
    openLog: async (server) => {
      opened.push(server.identity ?? server.url)
      return (log = await EventLog.open({ name: server.identity ?? server.url, indexedDB: factory, IDBKeyRange }))
    },
    readLauncherConfig: opts.launcher,
  })
  return { hub, streams, historyBodies, eventUrls, opened, getLog: () => log }
}

/** A fake tab collecting what the hub posts to it. */
function tab() {
  const events: RelayedEvent[] = []
  const messages: RelayToTab[] = []
  let status: RelayStatus | undefined
  const endpoint: TabEndpoint = {
    post(msg) {
      messages.push(msg)
      if (msg.type === 'events') events.push(...msg.events)
      if (msg.type === 'status') status = msg.status
    },
  }
  return { endpoint, events, messages, status: () => status }
}

const server = { url: 'http://opencode.test' }

function partUpdated(id: string, partID: string, text: string) {
  return { id, type: 'message.part.updated', properties: { sessionID: SES, time: 1, part: { id: partID, messageID: 'msg_1', sessionID: SES, type: 'text', text } } }
}
function delta(id: string, partID: string, d: string) {
  return { id, type: 'message.part.delta', properties: { sessionID: SES, messageID: 'msg_1', partID, field: 'text', delta: d } }
}
function syncTwin(ev: { id: string; type: string; properties: object }, seq: number) {
  return { type: 'sync', id: ev.id, syncEvent: { id: ev.id, type: `${ev.type}.1`, seq, aggregateID: SES, data: ev.properties } }
}

describe('RelayHub', () => {
  it('fans every event out once, in cursor order, to every tab, and drops sync twins as duplicates', async () => {
    const h = harness()
    const a = tab()
    const b = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    const tb = h.hub.connectTab(b.endpoint, 'b')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await tb.receive({ type: 'hello', tabId: 'b', lockName: 'lb', server, visible: true })
    await until(() => h.streams.length === 1, 'one upstream stream')
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    await tb.receive({ type: 'subscribe', cursor: 'head' })
    const s = h.streams[0]
    s.send({ id: 'evt_c', type: 'server.connected', properties: {} })
    const p1 = partUpdated('evt_1', 'prt_1', '')
    s.send(p1)
    s.send(syncTwin(p1, 0))
    for (let i = 0; i < 50; i++) s.send(delta(`evt_d${i}`, 'prt_1', `w${i} `))
    await until(() => a.events.length === 51 && b.events.length === 51, 'all events')
    for (const t of [a, b]) {
      const cursors = t.events.map((e) => e.cursor)
      expect(cursors).toEqual([...cursors].sort((x, y) => x - y))
      expect(new Set(t.events.map((e) => e.id)).size).toBe(51)
      expect(t.events.some((e) => e.payload.type === 'server.connected')).toBe(false)
    }
    expect(h.streams.length).toBe(1)
    await h.hub.stop()
  })

  it('replays the log after a tab cursor, then streams live, with no gap and no duplicate', async () => {
    const h = harness()
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    await until(() => h.streams.length === 1, 'stream')
    const s = h.streams[0]
    s.send(partUpdated('evt_0', 'prt_1', ''))
    for (let i = 0; i < 20; i++) s.send(delta(`evt_a${i}`, 'prt_1', 'x'))
    await until(() => a.events.length === 21, 'first batch')
    const mid = a.events[9].cursor
    // A reloaded tab that had applied up to `mid`.
    const late = tab()
    const tl = h.hub.connectTab(late.endpoint, 'late')
    await tl.receive({ type: 'hello', tabId: 'late', lockName: 'll', server, visible: true })
    const sub = tl.receive({ type: 'subscribe', cursor: mid })
    for (let i = 0; i < 20; i++) s.send(delta(`evt_b${i}`, 'prt_1', 'y'))
    await sub
    await until(() => a.events.length === 41 && late.events.length === 41 - 10, 'replay + live')
    expect(late.events.map((e) => e.cursor)).toEqual(a.events.slice(10).map((e) => e.cursor))
    expect(late.messages.find((m) => m.type === 'subscribed')).toMatchObject({ type: 'subscribed', from: mid })
    await h.hub.stop()
  })

  it('after the stream drops, catches up from /sync/history listing known seqs, and dedupes what it already had', async () => {
    const p1 = partUpdated('evt_1', 'prt_1', 'hello')
    const p2 = partUpdated('evt_2', 'prt_1', 'hello world')
    const h = harness({
      history: () => [
        { id: 'evt_1', aggregate_id: SES, seq: 0, type: 'message.part.updated.1', data: p1.properties },
        { id: 'evt_2', aggregate_id: SES, seq: 1, type: 'message.part.updated.1', data: p2.properties },
      ],
    })
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    await until(() => h.streams.length === 1, 'stream')
    h.streams[0].send(p1)
    h.streams[0].send(syncTwin(p1, 0))
    await until(() => a.events.length === 1, 'live event')
    h.streams[0].end()
    await until(() => h.streams.length === 2, 'reconnect', 10_000)
    await until(() => a.events.some((e) => e.id === 'evt_2'), 'recovered event', 10_000)
    expect(h.historyBodies[0]).toEqual({ [SES]: 0 })
    const recovered = a.events.filter((e) => e.id === 'evt_2')
    expect(recovered).toHaveLength(1)
    expect(recovered[0].recovered).toBe(true)
    expect(a.events.filter((e) => e.id === 'evt_1')).toHaveLength(1)
    expect(a.messages.some((m) => m.type === 'resync' && m.directory === DIR)).toBe(true)
    await h.hub.stop()
  })

  it('keeps the live stream flowing and tells every tab when IndexedDB writes fail', async () => {
    const h = harness()
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    await until(() => h.streams.length === 1, 'stream')
    const log = h.getLog()
    if (!log) throw new Error('no log')
    const db = Reflect.get(log, 'db')
    if (typeof db !== 'object' || db === null) throw new Error('log has no db handle')
    // Make every IndexedDB transaction fail as a full disk would.
    Reflect.set(db, 'transaction', () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    })
    h.streams[0].send(partUpdated('evt_q1', 'prt_9', 'still'))
    h.streams[0].send(delta('evt_q2', 'prt_9', ' flowing'))
    await until(() => a.events.length === 2, 'events despite storage failure')
    await until(() => a.status()?.storage.ok === false, 'storage status')
    expect(a.status()?.storage.error).toMatch(/quota/i)
    await h.hub.stop()
  })

  it('stops delivering to a tab once it is dropped (its Web Lock was released)', async () => {
    const h = harness()
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    await until(() => h.streams.length === 1, 'stream')
    h.hub.dropTab(ta)
    expect(h.hub.tabCount()).toBe(0)
    h.streams[0].send(partUpdated('evt_x', 'prt_x', 'x'))
    await new Promise((r) => setTimeout(r, 100))
    expect(a.events).toHaveLength(0)
    await h.hub.stop()
  })

  it('after a tab wakes from a freeze, replaces a stream that stayed silent, keeps one that is merely between heartbeats', async () => {
    const hc = holdingClock(100)
    let skew = 0
    const clock = { ...hc.clock, now: () => Date.now() + skew }
    const h = harness({}, { clock })
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await until(() => a.status()?.state === 'connected', 'connected')
    const pause = () => new Promise((r) => setTimeout(r, 20))
    h.streams[0].send({ id: 'evt_hb1', type: 'server.heartbeat', properties: {} })
    await pause()
    // Nothing busy, 5 s of silence after a 5 s freeze: an idle stream between heartbeats. Kept;
    // so is anything after a freeze too short to mean anything.
    skew = 5_000
    await ta.receive({ type: 'resumed', frozenMs: 5_000 })
    skew = 40_000
    await ta.receive({ type: 'resumed', frozenMs: 900 })
    await pause()
    expect(h.streams).toHaveLength(1)
    // A session is busy and the stream stayed silent for the whole 5 s freeze (the watchdog timer
    // is held, as a half-open socket across a sleep leaves it): replaced at once.
    h.streams[0].send({ id: 'evt_busy', type: 'session.status', properties: { sessionID: SES, status: { type: 'busy' } } })
    await pause()
    skew += 4_900
    await ta.receive({ type: 'resumed', frozenMs: 5_000 })
    await until(() => h.streams.length === 2, 'a new stream')
    await until(() => a.status()?.state === 'connected', 'connected again')
    // Idle again; 13 s without a byte is a missed heartbeat whatever the sessions do.
    h.streams[1].send({ id: 'evt_idle', type: 'session.status', properties: { sessionID: SES, status: { type: 'idle' } } })
    await pause()
    skew += 13_000
    await ta.receive({ type: 'resumed', frozenMs: 20_000 })
    await until(() => h.streams.length === 3, 'another new stream')
    expect(hc.held.length).toBeGreaterThan(0)
    await h.hub.stop()
  })

  it('reconnects at once, skipping the backoff wait, when a hidden tab becomes visible', async () => {
    const hc = holdingClock(100)
    let down = true
    const h = harness({}, { clock: hc.clock, failEvents: () => down })
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await until(() => a.status()?.state === 'reconnecting', 'reconnecting after a 502')
    expect(a.status()?.lastError).toMatch(/502/)
    const attempts = h.streams.length
    expect(hc.held.length).toBeGreaterThan(0) // the backoff timer is pending, not fired
    down = false
    await ta.receive({ type: 'visibility', visible: false })
    await ta.receive({ type: 'visibility', visible: true })
    await until(() => h.streams.length === attempts + 1, 'an immediate reconnect')
    await until(() => a.status()?.state === 'connected', 'connected')
    await h.hub.stop()
  })
})

describe('RelayHub following the launcher', () => {
  const A = { url: 'http://127.0.0.1:4096', identity: 'launcher:/p', followLauncher: true }
  const B = { ...A, url: 'http://127.0.0.1:40001' }

  it('follows its server to a new port with the same log: the tab continues from its cursor, told of the move', async () => {
    const down = new Set<string>()
    let config: LauncherAnswer = { kind: 'ready', server: A }
    const h = harness({}, { down, launcher: async () => config })
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server: A, visible: true })
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    await until(() => h.streams.length === 1, 'stream on A')
    h.streams[0].send(partUpdated('evt_1', 'prt_1', 'before'))
    await until(() => a.events.length === 1, 'event from A')
    // The launcher restarts on another port: A refuses, the config names B.
    down.add('127.0.0.1:4096')
    config = { kind: 'ready', server: B }
    h.streams[0].end()
    await until(() => h.hub.status().server === B.url, 'followed to B', 10_000)
    await until(() => h.streams.length === 2, 'stream on B', 10_000)
    h.streams[1].send(partUpdated('evt_2', 'prt_1', 'after'))
    await until(() => a.events.length === 2, 'event from B')
    expect(a.events.map((e) => e.id)).toEqual(['evt_1', 'evt_2'])
    expect(a.events[1].cursor).toBe(a.events[0].cursor + 1)
    expect(h.opened).toEqual(['launcher:/p'])
    expect(a.messages.some((m) => m.type === 'reset')).toBe(false)
    expect(a.messages.find((m) => m.type === 'server-moved')).toEqual({ type: 'server-moved', server: B })
    expect(h.eventUrls.at(-1)).toBe(B.url)
    await h.hub.stop()
  })

  it('says "starting" while the launcher starts its server, and never follows a server the user chose', async () => {
    const down = new Set(['127.0.0.1:4096'])
    const reads: boolean[] = []
    const h = harness({}, {
      down,
      launcher: async ({ waitForReady }) => {
        reads.push(waitForReady)
        if (waitForReady) await new Promise((r) => setTimeout(r, 50))
        return { kind: 'starting', server: A }
      },
    })
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server: A, visible: true })
    await until(() => a.status()?.launcher?.state === 'starting', 'starting status')
    expect(a.status()?.state).not.toBe('connected')
    // The user picks a server by hand: the long poll stops and that server is never looked up.
    await ta.receive({ type: 'configure', server: { url: 'http://127.0.0.1:4097' } })
    down.add('127.0.0.1:4097')
    const before = reads.length
    await new Promise((r) => setTimeout(r, 300))
    expect(reads.length).toBe(before)
    expect(a.status()?.launcher).toBeUndefined()
    await h.hub.stop()
  })
})
