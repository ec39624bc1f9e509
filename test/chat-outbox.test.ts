/**
 * Issue 19, the tab side of the outbox (src/stores/chat-outbox.ts through the chat store): a
 * prompt is handed to the relay's outbox instead of being sent by the tab; the relay's entries
 * become the ghost bubble's states in every tab; a refusal (the relay could not store it) makes
 * the tab send it itself. The relay side is test/outbox.test.ts and test/hub-outbox.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { OutboxRequest } from '../sw/shared/protocol.ts'
import type { OutboxEntry } from '../sw/shared/outbox-types.ts'
import type { OutboxRefusal } from '../src/relay-client/types.ts'
import { withPromptText } from '../src/stores/chat-outbox.ts'
import { useToastsStore } from '../src/stores/toasts.ts'
import { clearRelay } from '../src/relay-client/provide.ts'
import { setStorage } from '../src/stores/storage.ts'
import type { UserMessage } from '@opencode-ai/sdk/v2/types'
import { useChatStore } from '../src/stores/chat.ts'
import { runningReplyOf } from '../src/stores/prompt-input.ts'
import { useConnectionStore } from '../src/stores/connection.ts'
import { startSyncStore, StubRelay } from './support/stub-relay.ts'
import { jsonResponse } from './support/http.ts'
import { assistantMessage } from './support/messages.ts'

const DIR = '/work/project'

/** A relay whose outbox records requests; the test answers with entries or a refusal. */
class OutboxRelay extends StubRelay {
  readonly requests: OutboxRequest[] = []
  private readonly entryListeners = new Set<(entries: OutboxEntry[]) => void>()
  private readonly refusedListeners = new Set<(info: OutboxRefusal) => void>()
  override readonly outbox = (request: OutboxRequest): void => void this.requests.push(request)
  override readonly onOutbox = (cb: (entries: OutboxEntry[]) => void) => {
    this.entryListeners.add(cb)
    return () => void this.entryListeners.delete(cb)
  }
  override readonly onOutboxRefused = (cb: (info: OutboxRefusal) => void) => {
    this.refusedListeners.add(cb)
    return () => void this.refusedListeners.delete(cb)
  }
  entries(entries: OutboxEntry[]): void {
    for (const cb of this.entryListeners) cb(entries)
  }
  refuse(id: string, op: OutboxRefusal['op'] = 'add'): void {
    for (const cb of this.refusedListeners) cb({ op, id, error: op === 'add' ? 'QuotaExceededError' : 'the prompt is not waiting any more' })
  }
}

/** Starts the stores over `relay`; REST calls are recorded and answered 204/[] . */
async function start(relay: OutboxRelay): Promise<{ chat: ReturnType<typeof useChatStore>; posts: string[] }> {
  const posts: string[] = []
  await startSyncStore(async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    if ((init?.method ?? (input instanceof Request ? input.method : 'GET')) === 'POST') {
      posts.push(url.pathname)
      return new Response(null, { status: 204 })
    }
    return jsonResponse([])
  }, relay)
  return { chat: useChatStore(), posts }
}

function entry(id: string, state: OutboxEntry['state'], extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id,
    directory: DIR,
    state,
    createdAt: 1,
    attempts: 1,
    action: { kind: 'prompt', sessionID: 'ses_1', messageID: id, body: { parts: [{ type: 'text', text: 'kept safe' }] } },
    ...extra,
  }
}

describe('chat store through the relay outbox', () => {
  afterEach(() => {
    clearRelay()
    setStorage(undefined)
  })

  it('hands a prompt to the outbox with its message id and sends nothing itself', async () => {
    const relay = new OutboxRelay()
    const { chat, posts } = await start(relay)
    const id = await chat.send(DIR, 'ses_1', 'hello outbox')
    expect(relay.requests).toHaveLength(1)
    const [request] = relay.requests
    expect(request.op).toBe('add')
    if (request.op !== 'add' || request.action.kind !== 'prompt') throw new Error('not a prompt add')
    expect(request.id).toBe(id)
    expect(request.directory).toBe(DIR)
    expect(request.action.messageID).toBe(id)
    expect(request.action.body.parts?.[0]).toMatchObject({ type: 'text', text: 'hello outbox' })
    expect(posts).toEqual([])
    expect(chat.pending[id].status).toBe('sending')
  })

  it('posts plain data the port can clone, also with a model chosen in the (reactive) picker', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    chat.select('ses_1', { model: { providerID: 'scripted', modelID: 'scripted-model' } })
    await chat.send(DIR, 'ses_1', 'with a model')
    const [request] = relay.requests
    expect(() => structuredClone(request)).not.toThrow()
    if (request.op !== 'add' || request.action.kind !== 'prompt') throw new Error('not a prompt add')
    expect(request.action.body.model).toEqual({ providerID: 'scripted', modelID: 'scripted-model' })
  })

  it('shows the outbox states: waiting with the reason, failed with the error, gone once dropped', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    const id = await chat.send(DIR, 'ses_1', 'hello')
    relay.entries([entry(id, 'pending', { error: 'network error: Failed to fetch' })])
    expect(chat.pending[id].status).toBe('waiting')
    expect(chat.pending[id].error).toContain('Failed to fetch')
    relay.entries([entry(id, 'failed', { error: 'HTTP 400: bad model' })])
    expect(chat.pending[id].status).toBe('failed')
    chat.retry(id)
    expect(relay.requests.at(-1)).toEqual({ op: 'retry', id })
    relay.entries([entry(id, 'dropped', { reason: 'the session was deleted' })])
    expect(chat.pending[id]).toBeUndefined()
  })

  it('shows a prompt another tab or an earlier page left waiting, and cancels it on discard', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    relay.entries([entry('msg_other', 'pending', { error: 'HTTP 503' })])
    expect(chat.pendingFor('ses_1').map((p) => [p.messageID, p.text, p.status])).toEqual([['msg_other', 'kept safe', 'waiting']])
    chat.discard('msg_other')
    expect(relay.requests.at(-1)).toEqual({ op: 'cancel', id: 'msg_other' })
    expect(chat.pending.msg_other).toBeUndefined()
    expect(chat.drafts.ses_1).toBe('kept safe')
  })

  it('sends the prompt itself when the relay could not store it', async () => {
    const relay = new OutboxRelay()
    const { chat, posts } = await start(relay)
    const id = await chat.send(DIR, 'ses_1', 'no disk left')
    relay.refuse(id)
    await new Promise((r) => setTimeout(r, 0))
    expect(posts).toEqual(['/session/ses_1/prompt_async'])
  })

  it('hands a permission reply to the outbox and shows a refusal of it', async () => {
    const relay = new OutboxRelay()
    const { chat, posts } = await start(relay)
    const request = { id: 'per_1', sessionID: 'ses_1', permission: 'bash', patterns: ['ls'], metadata: {}, always: [] }
    await chat.replyPermission(DIR, request, 'once')
    expect(relay.requests).toEqual([{ op: 'add', id: 'permission-reply:per_1', directory: DIR, action: { kind: 'permission-reply', sessionID: 'ses_1', requestID: 'per_1', reply: 'once' } }])
    expect(posts).toEqual([])
    const failed: OutboxEntry = { id: 'permission-reply:per_1', directory: DIR, state: 'failed', createdAt: 1, attempts: 1, error: 'HTTP 400: nope', action: { kind: 'permission-reply', sessionID: 'ses_1', requestID: 'per_1', reply: 'once' } }
    relay.entries([failed])
    expect(useConnectionStore().apiError).toBe('HTTP 400: nope')
  })

  it('edits a waiting prompt through the outbox, keeping its id, agent and model, and the bubble shows the text the relay holds', async () => {
    const relay = new OutboxRelay()
    const { chat, posts } = await start(relay)
    chat.select('ses_1', { agent: 'build', model: { providerID: 'scripted', modelID: 'scripted-model' } })
    const id = await chat.send(DIR, 'ses_1', 'first words')
    const add = relay.requests[0]
    if (add.op !== 'add' || add.action.kind !== 'prompt') throw new Error('not a prompt add')
    relay.entries([{ ...entry(id, 'pending', { error: 'network error: Failed to fetch' }), action: add.action }])

    expect(chat.edit(id, '  second words  ')).toBe(true)
    const edit = relay.requests.at(-1)
    if (edit?.op !== 'edit') throw new Error('no edit request')
    expect(() => structuredClone(edit)).not.toThrow()
    expect(edit.id).toBe(id)
    expect(edit.body).toEqual({ ...add.action.body, parts: [{ id: add.action.body.parts?.[0]?.id, type: 'text', text: 'second words' }] })
    expect(posts).toEqual([])
    // The bubble follows the relay: unchanged until the entries say so (as in every other tab).
    expect(chat.pending[id].text).toBe('first words')
    relay.entries([{ ...entry(id, 'pending', { error: 'network error: Failed to fetch' }), action: { ...add.action, body: edit.body } }])
    expect(chat.pending[id].text).toBe('second words')
    expect(chat.pending[id].status).toBe('waiting')
    if (chat.pending[id].request.kind !== 'prompt') throw new Error('not a prompt')
    expect(chat.pending[id].request.input.parts).toEqual(edit.body.parts)
  })

  it('shows an edit made in another tab in the ghost bubble of a prompt this tab did not send', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    relay.entries([entry('msg_other', 'pending')])
    const edited = entry('msg_other', 'pending', { action: { kind: 'prompt', sessionID: 'ses_1', messageID: 'msg_other', body: { parts: [{ type: 'text', text: 'edited elsewhere' }] } } })
    relay.entries([edited])
    expect(chat.pendingFor('ses_1').map((p) => p.text)).toEqual(['edited elsewhere'])
  })

  it('says plainly when an edit came after the prompt left, and keeps the edited text in the empty prompt box', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    const id = await chat.send(DIR, 'ses_1', 'as typed')
    const add = relay.requests[0]
    if (add.op !== 'add') throw new Error('no add')
    relay.entries([{ ...entry(id, 'pending', { error: 'HTTP 503' }), action: add.action }])
    chat.edit(id, 'too late')
    // The prompt left while the edit was on its way: the relay says so before it hears the edit.
    relay.entries([{ ...entry(id, 'delivered'), action: add.action }])
    relay.refuse(id, 'edit')
    expect(chat.drafts.ses_1).toBe('too late')
    expect(useToastsStore().toasts.map((toast) => [toast.kind, toast.text])).toEqual([['error', 'Not edited: the prompt had already been sent as it was. Your edited text is in the prompt box.']])
    // The prompt itself is untouched (it goes, or went, as it was).
    expect(chat.pending[id].text).toBe('as typed')
  })

  it('edits a failed send this tab made itself when there is no outbox to hold it', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    const id = await chat.send(DIR, 'ses_1', 'no disk left')
    relay.refuse(id)
    await new Promise((r) => setTimeout(r, 0))
    chat.pending[id].status = 'failed'
    expect(chat.edit(id, 'fixed it')).toBe(true)
    expect(relay.requests.filter((r) => r.op === 'edit')).toEqual([])
    expect(chat.pending[id].text).toBe('fixed it')
  })
})

describe('Stop through the outbox', () => {
  afterEach(() => {
    clearRelay()
    setStorage(undefined)
  })

  it('hands Stop to the outbox and sends nothing itself; the relay keeping nothing makes the tab abort at once', async () => {
    const relay = new OutboxRelay()
    const { chat, posts } = await start(relay)
    await chat.abort(DIR, 'ses_1')
    const [request] = relay.requests
    if (request?.op !== 'add') throw new Error('no add')
    expect(request.id).toMatch(/^abort:ses_1:\d+$/)
    // No message of the session is known here: it aims at whatever runs.
    expect(request.action).toEqual({ kind: 'abort', sessionID: 'ses_1' })
    expect(posts).toEqual([])
    relay.refuse(request.id)
    await new Promise((r) => setTimeout(r, 0))
    expect(posts).toEqual(['/session/ses_1/abort'])
  })

  it('tells the user when the relay dropped a reply or a Stop instead of sending it, but not when it was cancelled', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    const request = { id: 'per_2', sessionID: 'ses_1', permission: 'bash', patterns: ['ls'], metadata: {}, always: [] }
    await chat.replyPermission(DIR, request, 'once')
    await chat.abort(DIR, 'ses_1')
    const [reply, stop] = relay.requests
    if (reply?.op !== 'add' || stop?.op !== 'add') throw new Error('no add')
    relay.entries([
      { id: reply.id, directory: DIR, state: 'dropped', createdAt: 1, attempts: 1, reason: 'the permission request was already answered', action: reply.action },
      { id: stop.id, directory: DIR, state: 'dropped', createdAt: 2, attempts: 1, reason: 'the reply had already finished', action: stop.action },
    ])
    expect(useToastsStore().toasts.map((t) => t.text)).toEqual(['Your answer was not sent: the permission request was already answered.', 'Stop was not sent: the reply had already finished.'])
    await chat.replyPermission(DIR, { ...request, id: 'per_3' }, 'once')
    const cancelled = relay.requests.at(-1)
    if (cancelled?.op !== 'add') throw new Error('no add')
    relay.entries([{ id: cancelled.id, directory: DIR, state: 'dropped', createdAt: 3, attempts: 0, reason: 'cancelled', action: cancelled.action }])
    expect(useToastsStore().toasts).toHaveLength(2)
  })

  it('says a Stop is waiting (in every tab) while the outbox holds it, and no longer once it left', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    // Another tab's Stop, reported by the relay.
    const action = { kind: 'abort', sessionID: 'ses_1', parentID: 'msg_1' } as const
    relay.entries([{ id: 'abort:ses_1:1', directory: DIR, state: 'pending', createdAt: 1, attempts: 1, error: 'network error', action }])
    expect(chat.stopWaiting('ses_1')).toBe(true)
    expect(chat.stopWaiting('ses_2')).toBe(false)
    relay.entries([{ id: 'abort:ses_1:1', directory: DIR, state: 'sending', createdAt: 1, attempts: 2, action }])
    expect(chat.stopWaiting('ses_1')).toBe(true)
    relay.entries([{ id: 'abort:ses_1:1', directory: DIR, state: 'delivered', createdAt: 1, attempts: 2, settledAt: 2, action }])
    expect(chat.stopWaiting('ses_1')).toBe(false)
  })

  it('shows an abort the server refused', async () => {
    const relay = new OutboxRelay()
    const { chat } = await start(relay)
    await chat.abort(DIR, 'ses_1')
    const [request] = relay.requests
    if (request?.op !== 'add') throw new Error('no add')
    relay.entries([{ id: request.id, directory: DIR, state: 'failed', createdAt: 1, attempts: 1, error: 'HTTP 400: no', action: request.action }])
    expect(useConnectionStore().apiError).toBe('HTTP 400: no')
  })
})

describe('runningReplyOf', () => {
  const user = (id: string): UserMessage => ({ id, sessionID: 'ses_1', role: 'user', time: { created: 1 }, agent: 'build', model: { providerID: 'p', modelID: 'm' } })
  const assistant = (id: string, parentID: string, completed?: number) => assistantMessage({ id, sessionID: 'ses_1', parentID, directory: DIR, time: { created: 1, ...(completed ? { completed } : {}) } })

  it('aims at the user message the streaming reply answers, also from its second step', () => {
    expect(runningReplyOf([user('msg_1'), assistant('msg_2', 'msg_1', 5), assistant('msg_3', 'msg_1')])).toBe('msg_1')
    // Between two steps (the newest step finished, the run goes on).
    expect(runningReplyOf([user('msg_1'), assistant('msg_2', 'msg_1', 5)])).toBe('msg_1')
  })

  it('aims at the streaming reply, not at a prompt queued behind it', () => {
    expect(runningReplyOf([user('msg_1'), assistant('msg_2', 'msg_1'), user('msg_3')])).toBe('msg_1')
  })

  it('aims at a prompt whose reply has not written a message yet, and at nothing in an empty session', () => {
    expect(runningReplyOf([user('msg_1'), assistant('msg_2', 'msg_1', 5), user('msg_3')])).toBe('msg_3')
    expect(runningReplyOf([])).toBeUndefined()
  })
})

describe('withPromptText', () => {
  it('replaces the text and moves the @mentions\' source offsets to where they are now', () => {
    const source = { type: 'file' as const, path: 'src/a.ts', text: { value: '@src/a.ts', start: 5, end: 14 } }
    const input = { messageID: 'msg_1', agent: 'build', parts: [{ id: 'prt_t', type: 'text' as const, text: 'look @src/a.ts' }, { id: 'prt_f', type: 'file' as const, mime: 'text/plain', url: 'file:///p/src/a.ts', source }] }
    expect(withPromptText(input, ' see @src/a.ts now ')).toEqual({
      messageID: 'msg_1',
      agent: 'build',
      parts: [
        { id: 'prt_t', type: 'text', text: 'see @src/a.ts now' },
        { id: 'prt_f', type: 'file', mime: 'text/plain', url: 'file:///p/src/a.ts', source: { ...source, text: { value: '@src/a.ts', start: 4, end: 13 } } },
      ],
    })
  })

  it('sends no text part for blank text when there are files, and an empty one when there are none', () => {
    const file = { id: 'prt_f', type: 'file' as const, mime: 'image/png', url: 'data:image/png;base64,AA==' }
    expect(withPromptText({ messageID: 'msg_1', parts: [{ id: 'prt_t', type: 'text', text: 'x' }, file] }, '  ').parts).toEqual([file])
    expect(withPromptText({ messageID: 'msg_1', parts: [{ id: 'prt_t', type: 'text', text: 'x' }] }, '').parts).toEqual([{ id: 'prt_t', type: 'text', text: '' }])
  })
})
