/**
 * The outbox engine (sw/relay/outbox.ts) on a manual clock, an in-memory store and a fake server
 * that records what it performed: exactly once across ambiguous failures, order per session, the
 * server's truth before every send, and every state a user sees.
 */
import { describe, expect, it } from 'vitest'
import { ABORT_TOO_LATE, Outbox, OUTBOX_SETTLED_KEEP_MS, OutboxSendError, type OutboxAction, type OutboxEntry, type OutboxServer, type OutboxStore } from '../sw/relay/outbox.ts'
import { FakeClock } from './support/fake-clock.ts'

const DIR = '/tmp/project'

class MemoryStore implements OutboxStore {
  readonly rows = new Map<string, OutboxEntry>()
  failing = false
  all(): Promise<OutboxEntry[]> {
    return Promise.resolve([...this.rows.values()].map((e) => ({ ...e })))
  }
  put(entry: OutboxEntry): Promise<void> {
    if (this.failing) return Promise.reject(new Error('QuotaExceededError'))
    this.rows.set(entry.id, { ...entry })
    return Promise.resolve()
  }
  remove(id: string): Promise<void> {
    this.rows.delete(id)
    return Promise.resolve()
  }
}

/** A server that keeps messages and pending requests, and can fail the next calls. */
class FakeServer implements OutboxServer {
  readonly messages = new Set<string>()
  readonly pending = new Set<string>()
  readonly performed: string[] = []
  readonly deletedSessions = new Set<string>()
  /** The reply running per session, as the user message it answers (absent: idle). */
  readonly runs = new Map<string, string>()
  /** The next `perform` calls fail this way (after the request reached the server when `landed`). */
  failures: Array<{ transient: boolean; message: string; landed?: boolean }> = []

  messageState(_directory: string, sessionID: string, messageID: string): Promise<'exists' | 'missing' | 'session-gone'> {
    if (this.deletedSessions.has(sessionID)) return Promise.resolve('session-gone')
    return Promise.resolve(this.messages.has(messageID) ? 'exists' : 'missing')
  }
  requestPending(_directory: string, _kind: 'permission' | 'question', requestID: string): Promise<boolean> {
    return Promise.resolve(this.pending.has(requestID))
  }
  runState(_directory: string, sessionID: string, parentID: string | undefined): Promise<'running' | 'finished'> {
    const run = this.runs.get(sessionID)
    return Promise.resolve(run !== undefined && (parentID === undefined || run === parentID) ? 'running' : 'finished')
  }
  perform(_directory: string, action: OutboxAction): Promise<void> {
    const failure = this.failures.shift()
    if (failure && !failure.landed) return Promise.reject(new OutboxSendError(failure.message, failure.transient))
    const key = 'messageID' in action ? action.messageID : 'requestID' in action ? action.requestID : `abort:${action.sessionID}`
    this.performed.push(key)
    if ('messageID' in action) this.messages.add(action.messageID)
    if ('requestID' in action) this.pending.delete(action.requestID)
    if (action.kind === 'abort') this.runs.delete(action.sessionID)
    return failure ? Promise.reject(new OutboxSendError(failure.message, failure.transient)) : Promise.resolve()
  }
}

function setup(opts: { store?: MemoryStore; server?: FakeServer } = {}) {
  const clock = new FakeClock()
  const store = opts.store ?? new MemoryStore()
  const server = opts.server ?? new FakeServer()
  const net = { reachable: true }
  const seen: OutboxEntry[][] = []
  const outbox = new Outbox({ clock, random: () => 0.5, store, server, reachable: () => net.reachable, changed: (entries) => seen.push(entries.map((e) => ({ ...e }))) })
  const state = (id: string) => outbox.list().find((e) => e.id === id)
  return { clock, store, server, net, seen, outbox, state }
}

const abort = (sessionID: string, parentID: string): OutboxAction => ({ kind: 'abort', sessionID, parentID })
const prompt = (sessionID: string, messageID: string): OutboxAction => ({ kind: 'prompt', sessionID, messageID, body: { parts: [{ type: 'text', text: messageID }] } })

describe('Outbox', () => {
  it('writes an action to the store before sending it, then delivers it once', async () => {
    const t = setup()
    await t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))
    expect(t.seen[0]?.[0]?.state).toBe('pending')
    await t.clock.advance(0)
    expect(t.server.performed).toEqual(['msg_1'])
    expect(t.state('msg_1')?.state).toBe('delivered')
    expect(t.store.rows.get('msg_1')?.state).toBe('delivered')
  })

  it('never sends twice: a send cut after it reached the server is found there on the retry', async () => {
    const t = setup()
    t.server.failures.push({ transient: true, message: 'network error: terminated', landed: true })
    await t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))
    await t.clock.advance(0)
    expect(t.state('msg_1')).toMatchObject({ state: 'pending', error: 'network error: terminated' })
    await t.clock.advance(60_000)
    expect(t.server.performed).toEqual(['msg_1'])
    expect(t.state('msg_1')?.state).toBe('delivered')
  })

  it('retries transient failures with backoff, and at once when kicked (the server came back)', async () => {
    const t = setup()
    t.server.failures.push({ transient: true, message: 'HTTP 502' }, { transient: true, message: 'HTTP 502' })
    await t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))
    await t.clock.advance(0)
    const first = t.state('msg_1')?.nextAttemptAt ?? 0
    expect(first).toBeGreaterThan(t.clock.now())
    await t.clock.advance(first - t.clock.now())
    expect(t.state('msg_1')).toMatchObject({ state: 'pending', attempts: 2 })
    t.outbox.kick()
    await t.clock.advance(0)
    expect(t.state('msg_1')).toMatchObject({ state: 'delivered', attempts: 3 })
    expect(t.server.performed).toEqual(['msg_1'])
  })

  it('waits while the server is unreachable, and a refusal fails the entry with the server\'s words until retried', async () => {
    const t = setup()
    t.net.reachable = false
    await t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))
    await t.clock.advance(10_000)
    expect(t.state('msg_1')?.state).toBe('pending')
    t.net.reachable = true
    t.server.failures.push({ transient: false, message: 'HTTP 400: model not found' })
    t.outbox.kick()
    await t.clock.advance(0)
    expect(t.state('msg_1')).toMatchObject({ state: 'failed', error: 'HTTP 400: model not found' })
    await t.clock.advance(120_000)
    expect(t.server.performed).toEqual([])
    expect(await t.outbox.retry('msg_1')).toBe(true)
    await t.clock.advance(0)
    expect(t.state('msg_1')?.state).toBe('delivered')
  })

  it('keeps the order within a session (a later prompt waits for an earlier failed one), not across sessions', async () => {
    const t = setup()
    t.server.failures.push({ transient: false, message: 'HTTP 400' })
    await t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))
    await t.outbox.add('msg_2', DIR, prompt('ses_1', 'msg_2'))
    await t.outbox.add('msg_3', DIR, prompt('ses_2', 'msg_3'))
    await t.clock.advance(0)
    expect(t.server.performed).toEqual(['msg_3'])
    expect(t.state('msg_2')?.state).toBe('pending')
    expect(await t.outbox.cancel('msg_1')).toBe(true)
    await t.clock.advance(0)
    expect(t.server.performed).toEqual(['msg_3', 'msg_2'])
    expect(t.state('msg_1')).toMatchObject({ state: 'dropped', reason: 'cancelled' })
  })

  it('drops a reply whose request was answered elsewhere, and a prompt whose session was deleted', async () => {
    const t = setup()
    t.server.pending.add('per_live')
    t.server.deletedSessions.add('ses_gone')
    await t.outbox.add('permission-reply:per_old', DIR, { kind: 'permission-reply', sessionID: 'ses_1', requestID: 'per_old', reply: 'once' })
    await t.outbox.add('permission-reply:per_live', DIR, { kind: 'permission-reply', sessionID: 'ses_3', requestID: 'per_live', reply: 'reject' })
    await t.outbox.add('msg_x', DIR, prompt('ses_gone', 'msg_x'))
    await t.clock.advance(0)
    expect(t.state('permission-reply:per_old')).toMatchObject({ state: 'dropped', reason: 'the permission request was already answered' })
    expect(t.state('permission-reply:per_live')?.state).toBe('delivered')
    expect(t.state('msg_x')).toMatchObject({ state: 'dropped', reason: 'the session was deleted' })
    expect(t.server.performed).toEqual(['per_live'])
  })

  it('an entry left "sending" by a relay that died is checked against the server after a restore, never sent twice', async () => {
    const store = new MemoryStore()
    const server = new FakeServer()
    server.messages.add('msg_1')
    store.rows.set('msg_1', { id: 'msg_1', directory: DIR, action: prompt('ses_1', 'msg_1'), state: 'sending', createdAt: 1, attempts: 1 })
    store.rows.set('msg_2', { id: 'msg_2', directory: DIR, action: prompt('ses_1', 'msg_2'), state: 'pending', createdAt: 2, attempts: 0 })
    const t = setup({ store, server })
    await t.outbox.restore()
    await t.clock.advance(0)
    expect(server.performed).toEqual(['msg_2'])
    expect(t.outbox.list().map((e) => [e.id, e.state])).toEqual([
      ['msg_1', 'delivered'],
      ['msg_2', 'delivered'],
    ])
  })

  it('edits and cancels only what has not left; adding an id twice keeps one entry', async () => {
    const t = setup()
    t.net.reachable = false
    await t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))
    await t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))
    expect(t.outbox.list()).toHaveLength(1)
    expect(await t.outbox.edit('msg_1', { parts: [{ type: 'text', text: 'edited' }] })).toBe(true)
    t.net.reachable = true
    t.outbox.kick()
    await t.clock.advance(0)
    expect(t.store.rows.get('msg_1')?.action).toMatchObject({ body: { parts: [{ text: 'edited' }] } })
    expect(await t.outbox.edit('msg_1', {})).toBe(false)
    expect(await t.outbox.cancel('msg_1')).toBe(false)
  })

  it('delivers an abort kept while the server was unreachable when the reply it aims at still streams', async () => {
    const t = setup()
    t.net.reachable = false
    t.server.runs.set('ses_1', 'msg_u1')
    await t.outbox.add('abort:ses_1:1', DIR, abort('ses_1', 'msg_u1'))
    await t.clock.advance(30_000)
    expect(t.server.performed).toEqual([])
    t.net.reachable = true
    t.outbox.kick()
    await t.clock.advance(0)
    expect(t.server.performed).toEqual(['abort:ses_1'])
    expect(t.state('abort:ses_1:1')?.state).toBe('delivered')
    expect(t.server.runs.has('ses_1')).toBe(false)
  })

  it('drops an abort whose reply finished while the server was unreachable, and sends nothing', async () => {
    const t = setup()
    t.net.reachable = false
    t.server.runs.set('ses_1', 'msg_u1')
    await t.outbox.add('abort:ses_1:1', DIR, abort('ses_1', 'msg_u1'))
    t.server.runs.delete('ses_1')
    t.net.reachable = true
    t.outbox.kick()
    await t.clock.advance(0)
    expect(t.server.performed).toEqual([])
    expect(t.state('abort:ses_1:1')).toMatchObject({ state: 'dropped', reason: ABORT_TOO_LATE })
  })

  it('drops an abort when a later reply has started, so the later one keeps going', async () => {
    const t = setup()
    t.server.runs.set('ses_1', 'msg_u1')
    // The abort's first attempt is cut; by its retry the reply ended and a later prompt's runs.
    t.server.failures.push({ transient: true, message: 'network error: fetch failed' })
    await t.outbox.add('abort:ses_1:1', DIR, abort('ses_1', 'msg_u1'))
    await t.clock.advance(0)
    expect(t.state('abort:ses_1:1')?.state).toBe('pending')
    t.server.runs.set('ses_1', 'msg_u2')
    await t.clock.advance(60_000)
    expect(t.server.performed).toEqual([])
    expect(t.state('abort:ses_1:1')).toMatchObject({ state: 'dropped', reason: ABORT_TOO_LATE })
    expect(t.server.runs.get('ses_1')).toBe('msg_u2')
  })

  it('drops a reply the server refused because its request was answered meanwhile, instead of failing it', async () => {
    const t = setup()
    t.server.pending.add('per_1')
    // The reply took effect, yet the answer is a refusal (POST /permission/{id}/reply answers 404 once the request is gone).
    t.server.failures.push({ transient: false, message: 'HTTP 404: permission not found', landed: true })
    await t.outbox.add('permission-reply:per_1', DIR, { kind: 'permission-reply', sessionID: 'ses_1', requestID: 'per_1', reply: 'once' })
    await t.clock.advance(0)
    expect(t.state('permission-reply:per_1')).toMatchObject({ state: 'dropped', reason: 'the permission request was already answered' })
    expect(t.server.performed).toEqual(['per_1'])
  })

  it('a reply the server refused holds no later prompt of its session, and is forgotten like a settled one', async () => {
    const t = setup()
    t.server.pending.add('que_1')
    t.server.failures.push({ transient: false, message: 'HTTP 400: bad answers' })
    await t.outbox.add('question-reply:que_1', DIR, { kind: 'question-reply', sessionID: 'ses_1', requestID: 'que_1', answers: [['x']] })
    await t.outbox.add('msg_2', DIR, prompt('ses_1', 'msg_2'))
    await t.clock.advance(0)
    expect(t.state('question-reply:que_1')).toMatchObject({ state: 'failed', error: 'HTTP 400: bad answers' })
    expect(t.state('msg_2')?.state).toBe('delivered')
    await t.clock.advance(OUTBOX_SETTLED_KEEP_MS)
    expect(t.outbox.list()).toEqual([])
  })

  it('lets an abort pass a prompt of its session that the server refused, but not one still waiting', async () => {
    const t = setup()
    t.server.runs.set('ses_1', 'msg_u1')
    t.server.failures.push({ transient: false, message: 'HTTP 400: bad model' })
    await t.outbox.add('msg_2', DIR, prompt('ses_1', 'msg_2'))
    await t.clock.advance(0)
    expect(t.state('msg_2')?.state).toBe('failed')
    await t.outbox.add('abort:ses_1:1', DIR, abort('ses_1', 'msg_u1'))
    await t.clock.advance(0)
    expect(t.server.performed).toEqual(['abort:ses_1'])

    t.server.runs.set('ses_2', 'msg_u3')
    t.net.reachable = false
    await t.outbox.add('msg_4', DIR, prompt('ses_2', 'msg_4'))
    await t.clock.advance(1)
    await t.outbox.add('abort:ses_2:2', DIR, abort('ses_2', 'msg_u3'))
    t.server.failures.push({ transient: true, message: 'HTTP 502' })
    t.net.reachable = true
    t.outbox.kick()
    await t.clock.advance(0)
    expect(t.server.performed).toEqual(['abort:ses_1'])
    expect(t.state('msg_4')?.state).toBe('pending')
    expect(t.state('abort:ses_2:2')?.state).toBe('pending')
    await t.clock.advance(60_000)
    expect(t.server.performed).toEqual(['abort:ses_1', 'msg_4', 'abort:ses_2'])
  })

  it('forgets delivered and dropped entries after a while', async () => {
    const t = setup()
    await t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))
    await t.clock.advance(0)
    expect(t.outbox.list()).toHaveLength(1)
    await t.clock.advance(OUTBOX_SETTLED_KEEP_MS)
    expect(t.outbox.list()).toHaveLength(0)
    expect(t.store.rows.size).toBe(0)
  })

  it('refuses to queue what cannot be written, and keeps delivering when a later write fails', async () => {
    const t = setup()
    t.store.failing = true
    await expect(t.outbox.add('msg_1', DIR, prompt('ses_1', 'msg_1'))).rejects.toThrow('QuotaExceededError')
    expect(t.outbox.list()).toHaveLength(0)
    t.store.failing = false
    t.net.reachable = false
    await t.outbox.add('msg_2', DIR, prompt('ses_1', 'msg_2'))
    t.store.failing = true
    t.net.reachable = true
    t.outbox.kick()
    await t.clock.advance(0)
    expect(t.server.performed).toEqual(['msg_2'])
    expect(t.state('msg_2')).toMatchObject({ state: 'delivered', error: 'not saved: QuotaExceededError' })
  })
})

describe('DexieOutboxStore', () => {
  it('keeps entries across a reopen (a reload, a browser restart), oldest first, and forgets removed ones', async () => {
    const { IDBFactory, IDBKeyRange } = await import('fake-indexeddb')
    const { DexieOutboxStore } = await import('../sw/relay/outbox-store.ts')
    const indexedDB = new IDBFactory()
    const first = new DexieOutboxStore('opencode-relay:test:outbox', { indexedDB, IDBKeyRange })
    await first.put({ id: 'msg_2', directory: DIR, action: prompt('ses_1', 'msg_2'), state: 'pending', createdAt: 2, attempts: 0 })
    await first.put({ id: 'msg_1', directory: DIR, action: prompt('ses_1', 'msg_1'), state: 'sending', createdAt: 1, attempts: 1 })
    await first.put({ id: 'msg_3', directory: DIR, action: prompt('ses_1', 'msg_3'), state: 'pending', createdAt: 3, attempts: 0 })
    await first.remove('msg_3')
    first.close()
    const again = new DexieOutboxStore('opencode-relay:test:outbox', { indexedDB, IDBKeyRange })
    expect((await again.all()).map((e) => [e.id, e.state])).toEqual([
      ['msg_1', 'sending'],
      ['msg_2', 'pending'],
    ])
    again.close()
  })
})
