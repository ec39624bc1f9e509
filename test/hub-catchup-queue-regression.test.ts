/**
 * Regression (found by the fault suite, e2e/faults, `npm run test:faults` seed 2140871883
 * cycle 137: a simulated sleep froze the fallback's leader tab while its relay was catching up).
 * A catch-up asked for while another one was still running was dropped (`if (catchingUp) return`).
 * The running one had read the server BEFORE the new gap (here: before the sleep), so the new gap
 * was never recovered: the session finished during the sleep, its `idle` was never relayed, and
 * the tab showed it busy for good.
 *
 * Expected: a catch-up requested during another one runs right after it.
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

describe('RelayHub: a catch-up asked for during another one (regression)', () => {
  it('runs after the running one, so the newer gap is recovered too', async () => {
    const streams: Stream[] = []
    let release: (() => void) | undefined
    const held = new Promise<void>((r) => (release = r))
    let historyCalls = 0
    let statusCalls = 0
    const fetchImpl: typeof fetch = async (input, init) => {
      const req = input instanceof Request ? input : new Request(String(input), init)
      const url = new URL(req.url)
      const json = (data: unknown) => new Response(JSON.stringify(data), { status: 200, headers: { 'content-type': 'application/json' } })
      if (url.pathname === '/global/event') {
        const s = new Stream()
        streams.push(s)
        return new Response(s.body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
      }
      if (url.pathname === '/session') return json([{ id: SES, time: { created: 1, updated: 1 } }])
      if (url.pathname === '/sync/history') {
        // The first catch-up hangs here (its page was frozen) until the test releases it.
        if (++historyCalls === 1) await held
        return json([])
      }
      // The first catch-up read the server while the reply was still running; later reads see it finished.
      if (url.pathname === '/session/status') return json(++statusCalls === 1 ? { [SES]: { type: 'busy' } } : {})
      if (url.pathname === `/session/${SES}/message`) return json([])
      return new Response('not found', { status: 404 })
    }
    const factory = new IDBFactory()
    const hub = new RelayHub({
      fetch: fetchImpl,
      clock: systemDeps().clock,
      random: () => 0,
      mode: 'leader-tab',
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
    await until(() => streams.length === 1, 'the first stream', 10_000)
    await t.receive({ type: 'subscribe', cursor: 'head' })
    const started = { id: 'evt_1', type: 'message.updated', properties: { sessionID: SES, info: { id: 'msg_1', sessionID: SES, role: 'user', time: { created: 1 } } } }
    streams[0].send(started)
    streams[0].send({ type: 'sync', id: 'evt_1', syncEvent: { id: 'evt_1', type: 'message.updated.1', seq: 1, aggregateID: SES, data: started.properties } })
    streams[0].send({ id: 'evt_busy', type: 'session.status', properties: { sessionID: SES, status: { type: 'busy' } } })
    await until(() => events.length === 2, 'the live events', 10_000)

    // Gap 1: the stream drops; the reconnect's catch-up starts and hangs.
    streams[0].end()
    await until(() => streams.length === 2 && historyCalls === 1, 'the first catch-up', 10_000)
    // Gap 2 (the sleep): the stream drops again; the session finishes meanwhile.
    streams[1].end()
    await until(() => streams.length === 3, 'the second reconnect', 10_000)
    release?.()
    await until(() => statusCalls >= 2 && !hub.status().catchingUp, 'a catch-up that reads the server after gap 2', 10_000)
    await hub.flushNow()
    await new Promise((r) => setTimeout(r, 50))

    const state = createClientState()
    applyRelayed(state, [...events].sort((a, b) => a.cursor - b.cursor))
    expect(state.directories[DIR].status[SES]).toEqual({ type: 'idle' })
    await hub.stop()
  })
})
