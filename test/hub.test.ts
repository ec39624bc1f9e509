/**
 * The relay hub end to end in Node: the real SseConnection, the real Dexie event log (on
 * fake-indexeddb) and the hub's fan-out, fed by a scripted upstream (test/support/scripted-upstream.ts)
 * that plays `GET /global/event` and the catch-up endpoints. Asserts the promises tabs depend on:
 * each event once, in cursor order, replay + live with no gap and no duplicate, catch-up after a
 * gap (never older than the live stream, retried, queued), storage errors surfaced and recovered
 * from, cursors a dead relay handed out but never wrote.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { isOnThisMachine, RelayHub, type HubDeps, type TabEndpoint } from '../sw/relay/hub.ts'
import { systemDeps } from '../sw/relay/connection.ts'
import type { LauncherAnswer } from '../sw/shared/launcher-config.ts'
import { EventLog, type NewEvent } from '../sw/relay/log/event-log.ts'
import type { RelayedEvent, RelayStatus, RelayToTab } from '../sw/shared/protocol.ts'
import { createClientState } from '../src/state/client-state.ts'
import { applyRelayed } from '../src/state/reducer.ts'
import { scriptedUpstream, type UpstreamOptions, type UpstreamRoutes } from './support/scripted-upstream.ts'
import { assistantMessage } from './support/messages.ts'
import { until } from './support/until.ts'

const DIR = '/tmp/project'
const SES = 'ses_1'

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

interface HarnessOptions extends Omit<UpstreamOptions, 'directory'> {
  clock?: ReturnType<typeof holdingClock>['clock']
  /** The launcher's `/relay-config.json`, as the runtime reads it. */
  launcher?: HubDeps['readLauncherConfig']
  mode?: HubDeps['mode']
  /** Where the log lives; a fresh IndexedDB unless given (one a previous relay wrote to). */
  indexedDB?: IDBFactory
  /** In place of the scripted upstream's fetch. */
  fetch?: typeof fetch
}

/** A hub on a scripted upstream ({@link UpstreamRoutes}) and a fake-indexeddb event log. */
function harness(routes: UpstreamRoutes = {}, opts: HarnessOptions = {}) {
  const upstream = scriptedUpstream(routes, { directory: DIR, failEvents: opts.failEvents, down: opts.down })
  const opened: string[] = []
  const factory = opts.indexedDB ?? new IDBFactory()
  let log: EventLog | undefined
  const hub = new RelayHub({
    fetch: opts.fetch ?? upstream.fetch,
    clock: opts.clock ?? systemDeps().clock,
    random: () => (opts.clock ? 0.99 : 0),
    mode: opts.mode ?? 'shared-worker',
    openLog: async (server) => {
      opened.push(server.identity ?? server.url)
      return (log = await EventLog.open({ name: server.identity ?? server.url, indexedDB: factory, IDBKeyRange }))
    },
    readLauncherConfig: opts.launcher,
  })
  const { streams, historyBodies, eventUrls } = upstream
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

/**
 * The cursors of the events a tab received, a merged run of deltas (`RelayedEvent.run`,
 * sw/shared/delta-runs.ts) counted as the deltas it stands for.
 */
function deliveredCursors(events: readonly RelayedEvent[]): number[] {
  return events.flatMap((e) => e.run?.cursors ?? [e.cursor])
}

/** A promise the test opens. */
function gate(): { wait: Promise<void>; open: () => void } {
  let release: (() => void) | undefined
  const wait = new Promise<void>((r) => (release = r))
  return { wait, open: () => release?.() }
}

/** The events a tab received, applied in cursor order as the app does. */
function applied(events: RelayedEvent[]) {
  const state = createClientState()
  applyRelayed(state, [...events].sort((a, b) => a.cursor - b.cursor))
  return state.directories[DIR]
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
/** `POST /sync/history`'s row for an event. */
function historyRow(ev: { id: string; type: string; properties: object }, seq: number) {
  return { id: ev.id, aggregate_id: SES, seq, type: `${ev.type}.1`, data: ev.properties }
}
function busy(id: string) {
  return { id, type: 'session.status', properties: { sessionID: SES, status: { type: 'busy' } } }
}
function reply(completed: boolean, output: number) {
  return assistantMessage({ id: 'msg_a', sessionID: SES, parentID: 'msg_u', directory: DIR, time: completed ? { created: 1, completed: 2 } : { created: 1 }, tokens: { input: 1, output } })
}
function replyUpdated(id: string, completed: boolean, output: number) {
  return { id, type: 'message.updated', properties: { sessionID: SES, info: reply(completed, output) } }
}
/** An event of the log as the relay hands it to `append`. */
function loggedIdle(n: number): NewEvent {
  const id = `evt_lost_${n}`
  return { id, directory: DIR, payload: { id, type: 'session.idle', properties: { sessionID: SES } }, receivedAt: 1 }
}

afterEach(() => vi.restoreAllMocks())

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
    await until(() => deliveredCursors(a.events).length === 51 && deliveredCursors(b.events).length === 51, 'all events')
    for (const t of [a, b]) {
      const cursors = deliveredCursors(t.events)
      expect(cursors).toEqual([...cursors].sort((x, y) => x - y))
      expect(new Set(cursors).size).toBe(51)
      expect(new Set(t.events.map((e) => e.id)).size).toBe(t.events.length)
      expect(t.events.some((e) => e.payload.type === 'server.connected')).toBe(false)
      const part = applied(t.events).parts.msg_1?.find((p) => p.id === 'prt_1')
      expect(part?.type === 'text' ? part.text : undefined).toBe(Array.from({ length: 50 }, (_, i) => `w${i} `).join(''))
    }
    expect(h.streams.length).toBe(1)
    await h.hub.stop()
  })

  it('tells every tab which permission and question requests wait, over every project, until answered', async () => {
    const h = harness()
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await until(() => h.streams.length === 1, 'one upstream stream')
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    const s = h.streams[0]
    s.send({ id: 'evt_c', type: 'server.connected', properties: {} })
    s.send({ id: 'evt_p', type: 'permission.asked', properties: { id: 'per_1', sessionID: SES, permission: 'bash', patterns: ['ls'], metadata: {}, always: [] } })
    s.send({ id: 'evt_q', type: 'question.asked', properties: { id: 'que_1', sessionID: SES, questions: [] } }, '/tmp/another-project')
    await until(() => a.status()?.pendingRequests?.length === 2, 'two pending requests')
    expect(a.status()?.pendingRequests).toEqual(['per_1', 'que_1'])
    s.send({ id: 'evt_r', type: 'permission.replied', properties: { sessionID: SES, requestID: 'per_1', reply: 'once' } })
    await until(() => a.status()?.pendingRequests?.length === 1, 'one left')
    s.send({ id: 'evt_x', type: 'question.rejected', properties: { sessionID: SES, requestID: 'que_1' } }, '/tmp/another-project')
    await until(() => a.status() !== undefined && a.status()?.pendingRequests === undefined, 'none left')
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
    await until(() => deliveredCursors(a.events).length === 21, 'first batch')
    const mid = deliveredCursors(a.events)[9]
    // A reloaded tab that had applied up to `mid`.
    const late = tab()
    const tl = h.hub.connectTab(late.endpoint, 'late')
    await tl.receive({ type: 'hello', tabId: 'late', lockName: 'll', server, visible: true })
    const sub = tl.receive({ type: 'subscribe', cursor: mid })
    for (let i = 0; i < 20; i++) s.send(delta(`evt_b${i}`, 'prt_1', 'y'))
    await sub
    await until(() => deliveredCursors(a.events).length === 41 && deliveredCursors(late.events).length === 41 - 10, 'replay + live')
    expect(deliveredCursors(late.events)).toEqual(deliveredCursors(a.events).slice(10))
    expect(late.messages.find((m) => m.type === 'subscribed')).toMatchObject({ type: 'subscribed', from: mid })
    await h.hub.stop()
  })

  it('after the stream drops, catches up from /sync/history listing known seqs, and dedupes what it already had', async () => {
    const p1 = partUpdated('evt_1', 'prt_1', 'hello')
    const p2 = partUpdated('evt_2', 'prt_1', 'hello world')
    const h = harness({
      history: () => [historyRow(p1, 0), historyRow(p2, 1)],
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
    // Make every IndexedDB transaction fail as a full disk would.
    vi.spyOn(log.dexie, 'transaction').mockImplementation(() => {
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

  it('a tab that learned the new address first moves the relay, and every other tab is told', async () => {
    const h = harness({}, { launcher: async () => ({ kind: 'ready', server: A }) })
    const a = tab()
    const b = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    const tb = h.hub.connectTab(b.endpoint, 'b')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server: A, visible: true })
    await tb.receive({ type: 'hello', tabId: 'b', lockName: 'lb', server: A, visible: true })
    await until(() => h.streams.length === 1, 'stream on A')
    // A newly opened tab read /relay-config.json (the launcher restarted on B) before the relay noticed.
    const c = tab()
    const tc = h.hub.connectTab(c.endpoint, 'c')
    await tc.receive({ type: 'hello', tabId: 'c', lockName: 'lc', server: B, visible: true })
    expect(h.hub.status().server).toBe(B.url)
    for (const t of [a, b]) expect(t.messages.find((m) => m.type === 'server-moved')).toEqual({ type: 'server-moved', server: B })
    expect(h.opened).toEqual(['launcher:/p'])
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

describe('RelayHub catch-up after a gap', () => {
  it('never logs a recovered state after a newer live state of the same message or status', async () => {
    // A catch-up's REST reads describe the server as it was when they were read; live events that
    // arrive while they are in flight are newer. Once a live full-state event for an entity
    // (message, part, session status) was logged during a catch-up, no recovered event for that
    // entity may follow it, or a tab applying the log in order ends older than the live stream.
    const historyGate = gate()
    const h = harness({
      sessions: () => [{ id: SES, time: { created: 1, updated: Date.now() } }],
      history: async () => {
        // The server is read here, while the reply is still running…
        await historyGate.wait
        return [historyRow(replyUpdated('evt_gap', false, 5), 2)]
      },
      // …and so are the status (busy) and the busy session's snapshot (not completed).
      status: () => ({ [SES]: { type: 'busy' } }),
      messages: (id) => (id === SES ? [{ info: reply(false, 5), parts: [] }] : undefined),
    })
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await until(() => h.streams.length === 1, 'the first stream')
    await ta.receive({ type: 'subscribe', cursor: 'head' })

    // Live: the reply starts (seq 1), then the stream drops.
    const started = replyUpdated('evt_start', false, 0)
    h.streams[0].send(started)
    h.streams[0].send(syncTwin(started, 1))
    h.streams[0].send(busy('evt_busy'))
    await until(() => a.events.length === 2, 'the first live events')
    h.streams[0].end()

    // Reconnected: the catch-up starts and waits on /sync/history; meanwhile the reply finishes live.
    await until(() => h.streams.length === 2, 'the reconnect')
    const done = replyUpdated('evt_done', true, 9)
    h.streams[1].send(done)
    h.streams[1].send(syncTwin(done, 3))
    h.streams[1].send({ id: 'evt_idle', type: 'session.status', properties: { sessionID: SES, status: { type: 'idle' } } })
    await until(() => a.events.some((e) => e.id === 'evt_idle'), 'the live completion')
    historyGate.open()
    await until(() => h.hub.status().catchingUp === false && a.events.length >= 4, 'the catch-up')
    await h.hub.flushNow()
    await new Promise((r) => setTimeout(r, 50))

    // A tab applying the log in cursor order must end with the server's final state.
    const dir = applied(a.events)
    expect(dir.messages[SES].map((m) => m.id)).toEqual(['msg_a'])
    expect(dir.messages[SES][0].time).toEqual({ created: 1, completed: 2 })
    expect(dir.status[SES]).toEqual({ type: 'idle' })
    await h.hub.stop()
  })

  it('retries a failed catch-up while the stream stays up, from the same gap start, then tells the tabs to resync', async () => {
    let historyCalls = 0
    const h = harness({
      sessions: () => [{ id: SES, time: { created: 1, updated: 1 } }],
      history: () => {
        historyCalls++
        // The first attempt fails (the network is still coming back); the second works.
        if (historyCalls === 1) throw new TypeError('Failed to fetch')
        return [historyRow(partUpdated('evt_gap', 'prt_1', 'Hello world'), 2)]
      },
    })
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await until(() => h.streams.length === 1, 'the first stream', 10_000)
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    const first = partUpdated('evt_1', 'prt_1', 'Hello')
    h.streams[0].send(first)
    h.streams[0].send(syncTwin(first, 1))
    await until(() => a.events.length === 1, 'the first event', 10_000)
    h.streams[0].end()

    // Reconnected; the first catch-up fails, the stream stays up: the gap must still be recovered.
    await until(() => h.streams.length === 2, 'the reconnect', 10_000)
    await until(() => a.events.some((e) => e.id === 'evt_gap'), 'the gap event recovered by a retried catch-up', 10_000)
    expect(h.streams.length).toBe(2)
    expect(historyCalls).toBe(2)
    await until(() => a.messages.some((m) => m.type === 'resync'), 'a resync after the successful catch-up', 10_000)
    await h.hub.stop()
  })

  it('runs a catch-up asked for during another one right after it, so the newer gap is recovered too', async () => {
    // The running catch-up read the server before the newer gap (say, a sleep during it): had the
    // second request been dropped, what happened in that gap (here: the reply finished, its
    // `idle`) would never reach the tabs, and the session would stay busy for good.
    const firstHistory = gate()
    let historyCalls = 0
    let statusCalls = 0
    const h = harness(
      {
        sessions: () => [{ id: SES, time: { created: 1, updated: 1 } }],
        history: async () => {
          // The first catch-up hangs here (its page was frozen) until the test releases it.
          if (++historyCalls === 1) await firstHistory.wait
          return []
        },
        // The first catch-up read the server while the reply was still running; later reads see it finished.
        status: () => (++statusCalls === 1 ? { [SES]: { type: 'busy' } } : {}),
        messages: (id) => (id === SES ? [] : undefined),
      },
      { mode: 'leader-tab' },
    )
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await until(() => h.streams.length === 1, 'the first stream', 10_000)
    await ta.receive({ type: 'subscribe', cursor: 'head' })
    const started = { id: 'evt_1', type: 'message.updated', properties: { sessionID: SES, info: { id: 'msg_1', sessionID: SES, role: 'user', time: { created: 1 } } } }
    h.streams[0].send(started)
    h.streams[0].send(syncTwin(started, 1))
    h.streams[0].send(busy('evt_busy'))
    await until(() => a.events.length === 2, 'the live events', 10_000)

    // Gap 1: the stream drops; the reconnect's catch-up starts and hangs.
    h.streams[0].end()
    await until(() => h.streams.length === 2 && historyCalls === 1, 'the first catch-up', 10_000)
    // Gap 2 (the sleep): the stream drops again; the session finishes meanwhile.
    h.streams[1].end()
    await until(() => h.streams.length === 3, 'the second reconnect', 10_000)
    firstHistory.open()
    await until(() => statusCalls >= 2 && !h.hub.status().catchingUp, 'a catch-up that reads the server after gap 2', 10_000)
    await h.hub.flushNow()
    await new Promise((r) => setTimeout(r, 50))

    expect(applied(a.events).status[SES]).toEqual({ type: 'idle' })
    await h.hub.stop()
  })
})

describe('RelayHub storage', () => {
  it('after a relay died with events handed out but never written, tells a tab holding one of those cursors to reset, and one holding a written cursor to replay', async () => {
    // Live events reach the tabs before IndexedDB has them (write-behind). When the relay dies
    // first (the last tab of a SharedWorker closed, the fallback's leader tab closed), a surviving
    // tab holds cursors the log never wrote: the next relay neither reuses them nor replays from
    // them as if nothing was missing; the tab re-reads over REST and continues from the new head.
    const factory = new IDBFactory()
    // The relay that died: events 1–3 written, 4–5 handed out and never written.
    const dead = await EventLog.open({ name: server.url, indexedDB: factory, IDBKeyRange })
    await dead.append([loggedIdle(1), loggedIdle(2), loggedIdle(3)])
    vi.spyOn(dead.dexie.events, 'bulkAdd').mockRejectedValue(new DOMException('the worker is gone', 'AbortError'))
    expect((await dead.appendLive([loggedIdle(4), loggedIdle(5)])).accepted.map((e) => e.cursor)).toEqual([4, 5])
    // Its write behind has failed (the mock stays until then), and then it is gone.
    await dead.flushWrites()
    expect(dead.storageError).toBeDefined()
    dead.close()
    vi.restoreAllMocks()

    // The upstream never answers: this test is about the log and the handshake only.
    const h = harness({}, { indexedDB: factory, fetch: () => new Promise<Response>(() => undefined) })
    const hello = async (tabId: string) => {
      const t = tab()
      const session = h.hub.connectTab(t.endpoint, tabId)
      await session.receive({ type: 'hello', tabId, lockName: `l-${tabId}`, server, visible: true })
      return { session, messages: t.messages }
    }
    const answer = (messages: RelayToTab[]) => messages.find((m) => m.type === 'reset' || m.type === 'subscribed')
    try {
      const first = await hello('first')
      // The new relay has logged a live event since: its cursor is above the lost ones.
      const log = h.getLog()
      if (!log) throw new Error('the hub opened no log')
      const [next] = (await log.append([loggedIdle(6)])).accepted
      expect(next.cursor).toBeGreaterThan(5)

      await first.session.receive({ type: 'subscribe', cursor: 5 })
      expect(answer(first.messages)).toMatchObject({ type: 'reset', head: next.cursor })
      const written = await hello('holds-2')
      await written.session.receive({ type: 'subscribe', cursor: 2 })
      expect(answer(written.messages)).toEqual({ type: 'subscribed', from: 2, head: next.cursor })
    } finally {
      await h.hub.stop()
    }
  })

  it('once space is back after a quota error, writes the events kept in memory and reports storage ok without any further event', async () => {
    // With write-behind no later append may come to retry the write (the reply's last event was
    // the one that failed): the hub retries it while the error lasts and reports the outcome.
    const h = harness()
    const a = tab()
    const ta = h.hub.connectTab(a.endpoint, 'a')
    try {
      await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
      await ta.receive({ type: 'subscribe', cursor: 'head' })
      await until(() => h.streams.length === 1 && a.status()?.state === 'connected', 'the stream')
      const log = h.getLog()
      if (!log) throw new Error('the hub opened no log')

      // The quota is exhausted; a short reply arrives and ends.
      const quota = vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(new DOMException('The quota has been exceeded.', 'QuotaExceededError'))
      for (let i = 0; i < 3; i++) h.streams[0].send({ id: `evt_q_${i}`, type: 'session.idle', properties: { sessionID: SES } })
      await until(() => a.status()?.storage.ok === false, 'the storage error to be reported')
      expect(a.status()?.storage.error).toMatch(/quota/i)

      // Space is back. No event follows.
      quota.mockRestore()
      await until(() => a.status()?.storage.ok === true, 'storage ok without a further event', 5000)
      expect(await log.dexie.events.count()).toBe(3)
    } finally {
      await h.hub.stop()
    }
  })
})

describe('isOnThisMachine (the short reconnect cap)', () => {
  it('counts every loopback address, any scheme, as this machine, and nothing else', () => {
    for (const url of ['http://127.0.0.1:4096', 'https://127.3.2.1', 'http://localhost:1', 'http://[::1]:4096']) expect(isOnThisMachine(url), url).toBe(true)
    for (const url of ['http://opencode.test', 'http://10.0.0.1:4096', 'http://128.0.0.1', 'not a url']) expect(isOnThisMachine(url), url).toBe(false)
  })
})
