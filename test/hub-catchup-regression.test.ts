/**
 * Regression (found by the fault suite, e2e/faults, seed 2 cycle 4: "all tabs close" in the
 * leader-tab fallback while replies stream): a catch-up's results were appended to the event log
 * AFTER the live events that arrived while its REST calls were in flight. Those results describe
 * the server as it was when they were read (a gap-era `message.updated` from `POST /sync/history`,
 * the busy-session snapshot `message.updated`, the `/session/status` status), so a tab applying
 * the log in order ended with an older state than the live stream had already delivered: a
 * finished reply shown as still running, a session shown busy while the server is idle.
 *
 * The invariant: once a live full-state event for an entity (message, part, session status) was
 * logged during a catch-up, no recovered event for that entity may follow it.
 */
import { describe, expect, it } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { RelayHub, type TabEndpoint } from '../sw/relay/hub.ts'
import { EventLog } from '../sw/relay/log/event-log.ts'
import { systemDeps } from '../sw/relay/connection.ts'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import { applyRelayed, createClientState } from '../src/state/reducer.ts'
import { until } from './support/until.ts'

const DIR = '/tmp/project'
const SES = 'ses_1'
const server = { url: 'http://opencode.test' }

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

function gate(): { wait: Promise<void>; open: () => void } {
  let release: (() => void) | undefined
  const wait = new Promise<void>((r) => (release = r))
  return { wait, open: () => release?.() }
}

function info(completed: boolean, output: number) {
  return {
    id: 'msg_a',
    sessionID: SES,
    role: 'assistant',
    parentID: 'msg_u',
    modelID: 'm',
    providerID: 'p',
    mode: 'build',
    agent: 'build',
    path: { cwd: DIR, root: DIR },
    cost: 0,
    tokens: { input: 1, output, reasoning: 0, cache: { read: 0, write: 0 } },
    time: completed ? { created: 1, completed: 2 } : { created: 1 },
  }
}

function messageUpdated(id: string, completed: boolean, output: number) {
  return { id, type: 'message.updated', properties: { sessionID: SES, info: info(completed, output) } }
}

function twin(ev: { id: string; type: string; properties: object }, seq: number) {
  return { type: 'sync', id: ev.id, syncEvent: { id: ev.id, type: `${ev.type}.1`, seq, aggregateID: SES, data: ev.properties } }
}

describe('RelayHub catch-up vs live events (regression)', () => {
  it('never appends a recovered state after a newer live state of the same message or status', async () => {
    const streams: Stream[] = []
    const historyGate = gate()
    const fetchImpl: typeof fetch = async (input, init) => {
      const req = input instanceof Request ? input : new Request(String(input), init)
      const url = new URL(req.url)
      const json = (data: unknown) => new Response(JSON.stringify(data), { status: 200, headers: { 'content-type': 'application/json' } })
      if (url.pathname === '/global/event') {
        const s = new Stream()
        streams.push(s)
        return new Response(s.body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
      }
      if (url.pathname === '/session') return json([{ id: SES, time: { created: 1, updated: Date.now() } }])
      if (url.pathname === '/sync/history') {
        // The server is read here, while the reply is still running…
        await historyGate.wait
        const gapEvent = messageUpdated('evt_gap', false, 5)
        return json([{ id: gapEvent.id, aggregate_id: SES, seq: 2, type: 'message.updated.1', data: gapEvent.properties }])
      }
      // …and so are the status (busy) and the busy session's snapshot (not completed).
      if (url.pathname === '/session/status') return json({ [SES]: { type: 'busy' } })
      if (url.pathname === `/session/${SES}/message`) return json([{ info: info(false, 5), parts: [] }])
      return new Response('not found', { status: 404 })
    }
    const factory = new IDBFactory()
    const hub = new RelayHub({
      fetch: fetchImpl,
      clock: systemDeps().clock,
      random: () => 0,
      mode: 'shared-worker',
      openLog: async (s) => EventLog.open({ name: s.url, indexedDB: factory, IDBKeyRange }),
    })
    const events: RelayedEvent[] = []
    const endpoint: TabEndpoint = {
      post(msg) {
        if (msg.type === 'events') events.push(...msg.events)
      },
    }
    const t = hub.connectTab(endpoint, 'a')
    await t.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await until(() => streams.length === 1, 'the first stream')
    await t.receive({ type: 'subscribe', cursor: 'head' })

    // Live: the reply starts (seq 1), then the stream drops.
    const started = messageUpdated('evt_start', false, 0)
    streams[0].send(started)
    streams[0].send(twin(started, 1))
    streams[0].send({ id: 'evt_busy', type: 'session.status', properties: { sessionID: SES, status: { type: 'busy' } } })
    await until(() => events.length === 2, 'the first live events')
    streams[0].end()

    // Reconnected: the catch-up starts and waits on /sync/history; meanwhile the reply finishes live.
    await until(() => streams.length === 2, 'the reconnect')
    const done = messageUpdated('evt_done', true, 9)
    streams[1].send(done)
    streams[1].send(twin(done, 3))
    streams[1].send({ id: 'evt_idle', type: 'session.status', properties: { sessionID: SES, status: { type: 'idle' } } })
    await until(() => events.some((e) => e.id === 'evt_idle'), 'the live completion')
    historyGate.open()
    await until(() => hub.status().catchingUp === false && events.length >= 4, 'the catch-up')
    await hub.flushNow()
    await new Promise((r) => setTimeout(r, 50))

    // A tab applying the log in cursor order must end with the server's final state.
    const state = createClientState()
    applyRelayed(state, [...events].sort((a, b) => a.cursor - b.cursor))
    const dir = state.directories[DIR]
    expect(dir.messages[SES].map((m) => m.id)).toEqual(['msg_a'])
    expect(dir.messages[SES][0].time).toEqual({ created: 1, completed: 2 })
    expect(dir.status[SES]).toEqual({ type: 'idle' })
    await hub.stop()
  })
})
