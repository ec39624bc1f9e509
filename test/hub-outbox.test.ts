/**
 * The relay's outbox wired into the hub (sw/relay/outbox-host.ts, issue 19): tabs hand actions to
 * the relay over the port, the relay writes them to the server's store first, checks the server's
 * truth and performs each once while the stream is connected, and every tab sees every entry's
 * state. Runs the real hub, SseConnection, event log and outbox engine in Node against a scripted
 * `opencode serve` (test/support/scripted-upstream.ts) that also answers the outbox's REST calls;
 * the outbox store is Dexie on fake-indexeddb, or an in-memory one that can refuse writes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { RelayHub, type TabEndpoint } from '../sw/relay/hub.ts'
import { systemDeps } from '../sw/relay/connection.ts'
import { EventLog } from '../sw/relay/log/event-log.ts'
import { DexieOutboxStore } from '../sw/relay/outbox-store.ts'
import { outboxServer } from '../sw/relay/outbox-server.ts'
import { EDIT_TOO_LATE, NO_OUTBOX, OutboxHost, type ClosableOutboxStore } from '../sw/relay/outbox-host.ts'
import { isOutboxAction, isPromptBody, isTabToRelay } from '../sw/relay/guards.ts'
import type { OutboxAction, OutboxEntry } from '../sw/shared/outbox-types.ts'
import { serverIdentity, type RelayToTab, type ServerConfig } from '../sw/shared/protocol.ts'
import { scriptedUpstream } from './support/scripted-upstream.ts'
import { jsonResponse } from './support/http.ts'
import { until } from './support/until.ts'

const DIR = '/tmp/project'
const SES = 'ses_1'
const server: ServerConfig = { url: 'http://opencode.test' }

/** An open promise the test resolves. */
function gate(): { wait: Promise<void>; open: () => void } {
  let release: (() => void) | undefined
  const wait = new Promise<void>((r) => (release = r))
  return { wait, open: () => release?.() }
}

/**
 * The server's side of the outbox: its sessions and messages, the calls the outbox made (in
 * order), and a hook that may hold a prompt's POST after the server took it (a send cut on its way back).
 */
class FakeOpencode {
  readonly sessions = new Set([SES])
  readonly messages = new Set<string>()
  readonly calls: string[] = []
  readonly prompts: Array<{ sessionID: string; body: unknown }> = []
  /** While set, a prompt's POST is taken by the server and its answer waits on this. */
  holdAnswer: Promise<void> | undefined

  /** Answers an outbox request, or undefined for what the scripted upstream answers. */
  async answer(req: Request): Promise<Response | undefined> {
    const url = new URL(req.url)
    const message = /^\/session\/([^/]+)\/message\/([^/]+)$/.exec(url.pathname)
    const prompt = /^\/session\/([^/]+)\/prompt_async$/.exec(url.pathname)
    const session = /^\/session\/([^/]+)$/.exec(url.pathname)
    if (message && req.method === 'GET') {
      this.calls.push(`GET ${url.pathname}`)
      return this.messages.has(message[2]) ? jsonResponse({ info: { id: message[2] }, parts: [] }) : notFound()
    }
    if (prompt && req.method === 'POST') {
      this.calls.push(`POST ${url.pathname}`)
      const body: unknown = await req.json()
      this.prompts.push({ sessionID: prompt[1], body })
      const id = typeof body === 'object' && body !== null && 'messageID' in body && typeof body.messageID === 'string' ? body.messageID : undefined
      if (id) this.messages.add(id)
      if (this.holdAnswer) await this.holdAnswer
      return new Response(null, { status: 204 })
    }
    if (session && req.method === 'GET' && session[1] !== 'status') {
      this.calls.push(`GET ${url.pathname}`)
      return this.sessions.has(session[1]) ? jsonResponse({ id: session[1] }) : notFound()
    }
    return undefined
  }
}

function notFound(): Response {
  return new Response(JSON.stringify({ name: 'NotFoundError', data: { message: 'not found' } }), { status: 404, headers: { 'content-type': 'application/json' } })
}

/** An in-memory outbox store that records its writes on `timeline` and can refuse them. */
class MemoryStore implements ClosableOutboxStore {
  readonly rows = new Map<string, OutboxEntry>()
  refuse = false
  closed = false
  constructor(private readonly timeline: string[] = []) {}
  all(): Promise<OutboxEntry[]> {
    return Promise.resolve([...this.rows.values()].map((e) => structuredClone(e)))
  }
  put(entry: OutboxEntry): Promise<void> {
    if (this.refuse) return Promise.reject(new Error('QuotaExceededError: the disk is full'))
    this.timeline.push(`put ${entry.id} ${entry.state}`)
    this.rows.set(entry.id, structuredClone(entry))
    return Promise.resolve()
  }
  remove(id: string): Promise<void> {
    this.rows.delete(id)
    return Promise.resolve()
  }
  close(): void {
    this.closed = true
  }
}

interface HarnessOptions {
  /** The outbox store per server; absent: a Dexie store on `indexedDB`. Null: a relay without an outbox. */
  store?: ((server: ServerConfig) => ClosableOutboxStore) | null
  /** Where the Dexie stores live (one a previous relay wrote to), fresh unless given. */
  indexedDB?: IDBFactory
  /** The server (shared by the relays of one test). */
  opencode?: FakeOpencode
  /** While given, `GET /global/event` waits for it (the stream is not connected). */
  streamGate?: Promise<void>
}

/** A hub on the scripted upstream and the outbox's fake server; the outbox store per `opts.store`. */
function harness(opts: HarnessOptions = {}) {
  const opencode = opts.opencode ?? new FakeOpencode()
  const upstream = scriptedUpstream({}, { directory: DIR })
  const factory = opts.indexedDB ?? new IDBFactory()
  const fetchImpl: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(String(input), init)
    if (new URL(req.url).pathname === '/global/event' && opts.streamGate) await opts.streamGate
    return (await opencode.answer(req.clone())) ?? upstream.fetch(req)
  }
  const logs = new IDBFactory()
  const hub = new RelayHub({
    fetch: fetchImpl,
    clock: systemDeps().clock,
    random: () => 0,
    mode: 'shared-worker',
    openLog: (s) => EventLog.open({ name: serverIdentity(s), indexedDB: logs, IDBKeyRange }),
    openOutboxStore: opts.store === null ? undefined : (opts.store ?? ((s) => new DexieOutboxStore(`${serverIdentity(s)}:outbox`, { indexedDB: factory, IDBKeyRange }))),
  })
  return { hub, opencode, streams: upstream.streams, indexedDB: factory }
}

/** A fake tab collecting what the hub posts to it. */
function tab() {
  const messages: RelayToTab[] = []
  // Cloned, as a port would.
  const endpoint: TabEndpoint = { post: (msg) => messages.push(structuredClone(msg)) }
  const outbox = () => messages.flatMap((m) => (m.type === 'outbox' ? [m.entries] : []))
  /** The entry as the last `outbox` message showed it. */
  const entry = (id: string) => outbox().at(-1)?.find((e) => e.id === id)
  const refused = () => messages.flatMap((m) => (m.type === 'outbox-refused' ? [m] : []))
  return { endpoint, messages, outbox, entry, refused }
}

/** Two tabs that said hello to `hub`. */
async function twoTabs(hub: RelayHub) {
  const a = tab()
  const b = tab()
  const ta = hub.connectTab(a.endpoint, 'a')
  const tb = hub.connectTab(b.endpoint, 'b')
  await ta.receive({ type: 'hello', tabId: 'a', lockName: 'la', server, visible: true })
  await tb.receive({ type: 'hello', tabId: 'b', lockName: 'lb', server, visible: true })
  return { a, b, ta, tb }
}

const prompt = (messageID: string, text = 'hello'): OutboxAction => ({ kind: 'prompt', sessionID: SES, messageID, body: { parts: [{ type: 'text', text }], agent: 'build', model: { providerID: 'anthropic', modelID: 'claude' } } })

afterEach(() => vi.restoreAllMocks())

describe('the relay outbox', () => {
  it('writes a tab’s prompt first, checks the server, sends it once with its message id, and every tab sees it delivered', async () => {
    const timeline: string[] = []
    const store = new MemoryStore(timeline)
    const h = harness({ store: () => store })
    const { a, b, ta } = await twoTabs(h.hub)
    expect(a.outbox().at(-1)).toEqual([])
    await until(() => h.hub.status().state === 'connected', 'the stream connected')
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') } })
    await until(() => a.entry('msg_1')?.state === 'delivered' && b.entry('msg_1')?.state === 'delivered', 'both tabs see it delivered')
    expect(h.opencode.calls).toEqual([`GET /session/${SES}/message/msg_1`, `GET /session/${SES}`, `POST /session/${SES}/prompt_async`])
    expect(h.opencode.prompts).toEqual([{ sessionID: SES, body: { messageID: 'msg_1', parts: [{ type: 'text', text: 'hello' }], agent: 'build', model: { providerID: 'anthropic', modelID: 'claude' } } }])
    expect(timeline.slice(0, 3)).toEqual(['put msg_1 pending', 'put msg_1 sending', 'put msg_1 delivered'])
    expect(store.rows.get('msg_1')?.state).toBe('delivered')
    // Each tab saw it pending first (both are told of every change, not only the one that added it).
    for (const t of [a, b]) expect(t.outbox().find((entries) => entries.some((e) => e.id === 'msg_1'))?.[0]?.state).toBe('pending')
    // Adding the same id again (the tab sent twice) sends nothing more.
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') } })
    await new Promise((r) => setTimeout(r, 30))
    expect(h.opencode.prompts).toHaveLength(1)
    await h.hub.stop()
    expect(store.closed).toBe(true)
  })

  it('keeps a prompt added while the stream is not connected pending, and delivers it once the stream connects', async () => {
    const stream = gate()
    const h = harness({ streamGate: stream.wait })
    const { a, ta } = await twoTabs(h.hub)
    expect(h.hub.status().state).toBe('connecting')
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') } })
    await until(() => a.entry('msg_1')?.state === 'pending', 'pending')
    await new Promise((r) => setTimeout(r, 50))
    expect(a.entry('msg_1')?.state).toBe('pending')
    expect(h.opencode.calls).toEqual([])
    stream.open()
    await until(() => a.entry('msg_1')?.state === 'delivered', 'delivered after the stream connected')
    expect(h.opencode.prompts.map((p) => p.body)).toMatchObject([{ messageID: 'msg_1' }])
    await h.hub.stop()
  })

  it('edits a waiting prompt for every tab and sends the edited text once; an edit after it left is refused to the editing tab only', async () => {
    const stream = gate()
    const h = harness({ streamGate: stream.wait })
    const { a, b, ta } = await twoTabs(h.hub)
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1', 'first') } })
    const edited = { parts: [{ type: 'text' as const, text: 'second' }], agent: 'build' }
    await ta.receive({ type: 'outbox', request: { op: 'edit', id: 'msg_1', body: edited } })
    await until(() => [a, b].every((t) => t.entry('msg_1')?.action.kind === 'prompt' && JSON.stringify(t.entry('msg_1')?.action) === JSON.stringify({ ...prompt('msg_1'), body: edited })), 'both tabs see the edited text')
    for (const t of [a, b]) expect(t.entry('msg_1')?.state).toBe('pending')
    stream.open()
    await until(() => a.entry('msg_1')?.state === 'delivered', 'delivered after the stream connected')
    expect(h.opencode.prompts).toEqual([{ sessionID: SES, body: { messageID: 'msg_1', ...edited } }])
    await ta.receive({ type: 'outbox', request: { op: 'edit', id: 'msg_1', body: { parts: [{ type: 'text', text: 'third' }] } } })
    await until(() => a.refused().length > 0, 'the late edit refused')
    expect(a.refused()).toEqual([{ type: 'outbox-refused', op: 'edit', id: 'msg_1', error: EDIT_TOO_LATE }])
    expect(b.refused()).toEqual([])
    expect(h.opencode.prompts).toHaveLength(1)
    await h.hub.stop()
  })

  it('tells only the sending tab when the store refuses the entry, and sends nothing', async () => {
    const store = new MemoryStore()
    store.refuse = true
    const h = harness({ store: () => store })
    const { a, b, ta } = await twoTabs(h.hub)
    await until(() => h.hub.status().state === 'connected', 'the stream connected')
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') } })
    await until(() => a.refused().length > 0, 'refused')
    expect(a.refused()).toEqual([{ type: 'outbox-refused', op: 'add', id: 'msg_1', error: 'QuotaExceededError: the disk is full' }])
    expect(b.refused()).toEqual([])
    await new Promise((r) => setTimeout(r, 30))
    expect(h.opencode.calls).toEqual([])
    for (const t of [a, b]) expect(t.outbox().flat()).toEqual([])
    await h.hub.stop()
  })

  it('refuses an add when the relay has no outbox store, so the tab sends it itself', async () => {
    const h = harness({ store: null })
    const { a, b, ta } = await twoTabs(h.hub)
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') } })
    expect(a.refused()).toEqual([{ type: 'outbox-refused', op: 'add', id: 'msg_1', error: NO_OUTBOX }])
    expect(b.refused()).toEqual([])
    expect(a.outbox()).toEqual([[]])
    expect(h.opencode.calls).toEqual([])
    await h.hub.stop()
  })

  it('a relay that died while sending leaves the entry to the next one, which finds the message on the server and does not send it again', async () => {
    const opencode = new FakeOpencode()
    const answer = gate()
    opencode.holdAnswer = answer.wait
    const first = harness({ opencode })
    const one = await twoTabs(first.hub)
    await until(() => first.hub.status().state === 'connected', 'the first relay connected')
    await one.ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') } })
    // The server took the prompt; its answer never reaches the relay, which dies meanwhile.
    await until(() => opencode.prompts.length === 1, 'the prompt reached the server')
    expect(one.a.entry('msg_1')?.state).toBe('sending')
    await first.hub.stop()
    opencode.holdAnswer = undefined
    opencode.calls.length = 0

    const second = harness({ opencode, indexedDB: first.indexedDB })
    const two = await twoTabs(second.hub)
    await until(() => two.a.entry('msg_1')?.state === 'delivered' && two.b.entry('msg_1')?.state === 'delivered', 'the next relay delivered it')
    expect(opencode.calls).toEqual([`GET /session/${SES}/message/msg_1`])
    expect(opencode.prompts).toHaveLength(1)
    answer.open()
    await second.hub.stop()
  })

  it('cancels an entry that has not left, edits one, retries nothing that did not fail', async () => {
    const stream = gate()
    const h = harness({ streamGate: stream.wait })
    const { a, ta } = await twoTabs(h.hub)
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1', 'first') } })
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_2', directory: DIR, action: prompt('msg_2', 'second') } })
    await ta.receive({ type: 'outbox', request: { op: 'cancel', id: 'msg_1' } })
    await ta.receive({ type: 'outbox', request: { op: 'edit', id: 'msg_2', body: { parts: [{ type: 'text', text: 'second, edited' }] } } })
    await ta.receive({ type: 'outbox', request: { op: 'retry', id: 'msg_2' } })
    const edited = (e: OutboxEntry | undefined) => e?.action.kind === 'prompt' && e.action.body.parts?.[0]?.type === 'text' && e.action.body.parts[0].text === 'second, edited'
    await until(() => a.entry('msg_1')?.state === 'dropped' && edited(a.entry('msg_2')), 'the first one cancelled, the second edited')
    expect(a.entry('msg_1')).toMatchObject({ state: 'dropped', reason: 'cancelled' })
    expect(a.entry('msg_2')).toMatchObject({ state: 'pending', action: { body: { parts: [{ type: 'text', text: 'second, edited' }] } } })
    stream.open()
    await until(() => a.entry('msg_2')?.state === 'delivered', 'the edited prompt delivered')
    expect(h.opencode.prompts.map((p) => p.body)).toEqual([{ messageID: 'msg_2', parts: [{ type: 'text', text: 'second, edited' }] }])
    await h.hub.stop()
  })

  it('shows another server’s entries after a switch, and closes the previous server’s store', async () => {
    const stores = new Map<string, MemoryStore>()
    const openStore = (s: ServerConfig) => {
      const store = stores.get(s.url) ?? new MemoryStore()
      stores.set(s.url, store)
      return store
    }
    const h = harness({ store: openStore })
    const { a, ta } = await twoTabs(h.hub)
    await until(() => h.hub.status().state === 'connected', 'the stream connected')
    await ta.receive({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') } })
    await until(() => a.entry('msg_1')?.state === 'delivered', 'delivered')
    await ta.receive({ type: 'configure', server: { url: 'http://other.test' } })
    expect(stores.get(server.url)?.closed).toBe(true)
    await until(() => a.outbox().at(-1)?.length === 0, 'the other server’s (empty) outbox')
    await h.hub.stop()
  })
})

describe('OutboxHost', () => {
  it('delivers what waited as soon as the server becomes reachable another way than the stream (degraded mode polling)', async () => {
    const opencode = new FakeOpencode()
    const net = { reachable: false }
    const seen: OutboxEntry[][] = []
    const host = new OutboxHost({
      fetch: async (input, init) => (await opencode.answer(input instanceof Request ? input : new Request(String(input), init))) ?? notFound(),
      clock: systemDeps().clock,
      random: () => 0,
      openStore: () => new MemoryStore(),
      reachable: () => net.reachable,
      changed: (entries) => seen.push(entries),
      failed: (message) => expect.fail(message),
    })
    host.switchTo(server)
    const t = tab()
    await host.handle({ op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') }, t.endpoint)
    host.reachabilityChanged()
    expect(host.entries()[0]?.state).toBe('pending')
    net.reachable = true
    host.reachabilityChanged()
    await until(() => seen.at(-1)?.[0]?.state === 'delivered', 'delivered once reachable')
    expect(opencode.prompts).toHaveLength(1)
    expect(t.messages).toEqual([])
    host.stop()
  })
})

describe('OutboxHost at a moved address', () => {
  it('sends to the server’s new address after the launcher moved it, not to the old port', async () => {
    const opencode = new FakeOpencode()
    const hosts: string[] = []
    const seen: OutboxEntry[][] = []
    const host = new OutboxHost({
      fetch: async (input, init) => {
        const req = input instanceof Request ? input : new Request(String(input), init)
        hosts.push(new URL(req.url).host)
        // The old port is held by a program that never answers.
        if (new URL(req.url).host === 'opencode.test') return new Promise<Response>(() => undefined)
        return (await opencode.answer(req)) ?? notFound()
      },
      clock: systemDeps().clock,
      random: () => 0,
      openStore: () => new MemoryStore(),
      reachable: () => true,
      changed: (entries) => seen.push(entries),
      failed: (message) => expect.fail(message),
    })
    host.switchTo({ ...server, identity: 'launcher:/p' })
    host.switchTo({ url: 'http://moved.test', identity: 'launcher:/p' })
    await host.handle({ op: 'add', id: 'msg_1', directory: DIR, action: prompt('msg_1') }, tab().endpoint)
    await until(() => seen.at(-1)?.[0]?.state === 'delivered', 'delivered at the new address')
    expect(new Set(hosts)).toEqual(new Set(['moved.test']))
    expect(opencode.prompts).toHaveLength(1)
    host.stop()
  })

  it('abandons a request the server never answers (transient), so the entry is retried, not stuck sending', async () => {
    // A server that takes the request and never answers; only the request's signal ends the wait (as in a browser).
    const never: typeof fetch = (input) =>
      new Promise<Response>((_, reject) => {
        const signal = input instanceof Request ? input.signal : undefined
        signal?.addEventListener('abort', () => reject(signal.reason))
      })
    const hung = outboxServer(server, never, 50)
    await expect(hung.perform(DIR, prompt('msg_1'))).rejects.toMatchObject({ transient: true })
  })
})

describe('outbox request guards', () => {
  const add = (action: unknown, extra: Record<string, unknown> = {}) => ({ type: 'outbox', request: { op: 'add', id: 'msg_1', directory: DIR, action, ...extra } })
  const file = { type: 'file', mime: 'image/png', url: 'data:image/png;base64,AAAA', filename: 'a.png' }

  it('accepts every well-formed request and action kind', () => {
    const actions: unknown[] = [
      { kind: 'prompt', sessionID: SES, messageID: 'msg_1', body: { parts: [{ type: 'text', text: 'hi' }, file, { type: 'agent', name: 'explore' }, { type: 'subtask', prompt: 'p', description: 'd', agent: 'general' }], agent: 'build', model: { providerID: 'p', modelID: 'm' }, variant: 'high' } },
      { kind: 'command', sessionID: SES, messageID: 'msg_1', body: { command: 'review', arguments: '', agent: 'build', model: 'p/m', parts: [file] } },
      { kind: 'permission-reply', sessionID: SES, requestID: 'per_1', reply: 'always' },
      { kind: 'question-reply', sessionID: SES, requestID: 'que_1', answers: [['yes'], []] },
      { kind: 'question-reject', sessionID: SES, requestID: 'que_1' },
      { kind: 'abort', sessionID: SES },
      { kind: 'abort', sessionID: SES, parentID: 'msg_0' },
    ]
    for (const action of actions) {
      expect(isOutboxAction(action)).toBe(true)
      expect(isTabToRelay(add(action))).toBe(true)
    }
    for (const request of [{ op: 'cancel', id: 'msg_1' }, { op: 'retry', id: 'msg_1' }, { op: 'edit', id: 'msg_1', body: { parts: [] } }]) {
      expect(isTabToRelay({ type: 'outbox', request })).toBe(true)
    }
  })

  it('rejects malformed requests: unknown ops, empty ids, no directory, unknown kinds and parts, wrong field types', () => {
    const ok = prompt('msg_1')
    const malformed: unknown[] = [
      { type: 'outbox' },
      { type: 'outbox', request: { op: 'send', id: 'msg_1' } },
      { type: 'outbox', request: { op: 'cancel', id: '' } },
      { type: 'outbox', request: { op: 'retry' } },
      { type: 'outbox', request: { op: 'edit', id: 'msg_1', body: { parts: 'hi' } } },
      { type: 'outbox', request: { op: 'add', id: 'msg_1', action: ok } },
      add(ok, { id: 42 }),
      add({ ...ok, kind: 'shell' }),
      add({ ...ok, sessionID: '' }),
      add({ ...ok, messageID: undefined }),
      add({ ...ok, body: {} }),
      add({ ...ok, body: { parts: [{ type: 'text' }] } }),
      add({ ...ok, body: { parts: [{ type: 'image', url: 'x' }] } }),
      add({ ...ok, body: { parts: [{ type: 'file', url: 'data:,' }] } }),
      add({ ...ok, body: { parts: [{ type: 'agent' }] } }),
      add({ ...ok, body: { parts: [null] } }),
      add({ ...ok, body: { parts: [], model: 'p/m' } }),
      add({ ...ok, body: { parts: [], agent: 1 } }),
      add({ kind: 'command', sessionID: SES, messageID: 'msg_1', body: { command: 'review' } }),
      add({ kind: 'command', sessionID: SES, messageID: 'msg_1', body: { command: 'review', arguments: '', files: [{ type: 'text', text: 'x' }] } }),
      add({ kind: 'permission-reply', sessionID: SES, requestID: 'per_1', reply: 'maybe' }),
      add({ kind: 'permission-reply', sessionID: SES, reply: 'once' }),
      add({ kind: 'question-reply', sessionID: SES, requestID: 'que_1', answers: [[1]] }),
      add({ kind: 'question-reply', sessionID: SES, requestID: 'que_1', answers: ['yes'] }),
      add({ kind: 'question-reject', sessionID: SES }),
      add({ kind: 'abort' }),
      add({ kind: 'abort', sessionID: SES, parentID: '' }),
      add({ kind: 'abort', sessionID: SES, parentID: 7 }),
    ]
    for (const msg of malformed) expect(isTabToRelay(msg), JSON.stringify(msg)).toBe(false)
    expect(isPromptBody({ parts: [{ type: 'text', text: 'x' }], model: { providerID: 'p' } })).toBe(false)
  })
})
