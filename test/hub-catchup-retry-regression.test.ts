/**
 * Regression (found by the fault suite, e2e/faults, `npm run test:faults` seed 2140871883
 * cycle 101: the browser went offline while the fallback's leader tab closed; the new leader's
 * stream opened but its catch-up's REST calls failed). A failed catch-up was only reported
 * (`catch-up failed: …` in the status) and never tried again while the stream stayed up: what
 * happened during the gap was never recovered — the tab kept 121 of a reply's 225 characters.
 *
 * Expected: while connected, a failed catch-up is retried (with backoff) until it succeeds, from
 * the same gap start, and the tabs are then told to resync.
 */
import { describe, expect, it } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { RelayHub, type TabEndpoint } from '../sw/relay/hub.ts'
import { EventLog } from '../sw/relay/log/event-log.ts'
import { systemDeps } from '../sw/relay/connection.ts'
import type { RelayedEvent, RelayToTab } from '../sw/shared/protocol.ts'
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

function partUpdated(id: string, text: string) {
  return { id, type: 'message.part.updated', properties: { sessionID: SES, time: 1, part: { id: 'prt_1', messageID: 'msg_1', sessionID: SES, type: 'text', text } } }
}

function twin(ev: { id: string; type: string; properties: object }, seq: number) {
  return { type: 'sync', id: ev.id, syncEvent: { id: ev.id, type: `${ev.type}.1`, seq, aggregateID: SES, data: ev.properties } }
}

describe('RelayHub: a failed catch-up (regression)', () => {
  it('is retried while the stream stays up, until the gap is recovered', async () => {
    const streams: Stream[] = []
    let historyCalls = 0
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
        historyCalls++
        // The first attempt fails (the network is still coming back); the second works.
        if (historyCalls === 1) throw new TypeError('Failed to fetch')
        const gap = partUpdated('evt_gap', 'Hello world')
        return json([{ id: gap.id, aggregate_id: SES, seq: 2, type: 'message.part.updated.1', data: gap.properties }])
      }
      if (url.pathname === '/session/status') return json({})
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
    const resyncs: RelayToTab[] = []
    const endpoint: TabEndpoint = {
      post(msg) {
        if (msg.type === 'events') events.push(...msg.events)
        if (msg.type === 'resync') resyncs.push(msg)
      },
    }
    const t = hub.connectTab(endpoint, 'a')
    await t.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
    await until(() => streams.length === 1, 'the first stream', 10_000)
    await t.receive({ type: 'subscribe', cursor: 'head' })
    const first = partUpdated('evt_1', 'Hello')
    streams[0].send(first)
    streams[0].send(twin(first, 1))
    await until(() => events.length === 1, 'the first event', 10_000)
    streams[0].end()

    // Reconnected; the first catch-up fails, the stream stays up: the gap must still be recovered.
    await until(() => streams.length === 2, 'the reconnect', 10_000)
    await until(() => events.some((e) => e.id === 'evt_gap'), 'the gap event recovered by a retried catch-up', 10_000)
    expect(streams.length).toBe(2)
    expect(historyCalls).toBe(2)
    await until(() => resyncs.length > 0, 'a resync after the successful catch-up', 10_000)
    await hub.stop()
  })
})
