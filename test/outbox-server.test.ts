/** The outbox's server adapter (sw/relay/outbox-server.ts) on a fake fetch: the endpoints it asks and how it classifies failures. */
import { describe, expect, it } from 'vitest'
import { outboxServer } from '../sw/relay/outbox-server.ts'
import { OutboxSendError } from '../sw/relay/outbox.ts'

const DIR = '/tmp/project'
type Route = (method: string, path: string, body: unknown) => Response | undefined

function fakeFetch(route: Route) {
  const calls: Array<{ method: string; path: string; directory: string | null; body: unknown; auth: string | null }> = []
  const fetchImpl: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(String(input), init)
    const url = new URL(req.url)
    const text = req.method === 'GET' ? '' : await req.text()
    const body: unknown = text ? JSON.parse(text) : undefined
    calls.push({ method: req.method, path: url.pathname, directory: url.searchParams.get('directory'), body, auth: req.headers.get('authorization') })
    return route(req.method, url.pathname, body) ?? new Response(JSON.stringify({ name: 'NotFoundError', data: { message: 'not found' } }), { status: 404, headers: { 'content-type': 'application/json' } })
  }
  return { calls, fetchImpl }
}
const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })

describe('outboxServer', () => {
  it('tells a message that is there, one that is not, and a deleted session apart', async () => {
    const { fetchImpl } = fakeFetch((_m, path) => {
      if (path === '/session/ses_1/message/msg_here') return json({ info: { id: 'msg_here' }, parts: [] })
      if (path === '/session/ses_1') return json({ id: 'ses_1' })
      return undefined
    })
    const server = outboxServer({ url: 'http://opencode.test' }, fetchImpl)
    expect(await server.messageState(DIR, 'ses_1', 'msg_here')).toBe('exists')
    expect(await server.messageState(DIR, 'ses_1', 'msg_missing')).toBe('missing')
    expect(await server.messageState(DIR, 'ses_gone', 'msg_missing')).toBe('session-gone')
  })

  it('sends a prompt with its message id, directory and Basic auth, and asks whether requests are pending', async () => {
    const { calls, fetchImpl } = fakeFetch((method, path) => {
      if (method === 'POST' && path === '/session/ses_1/prompt_async') return new Response(null, { status: 204 })
      if (path === '/permission') return json([{ id: 'per_1', sessionID: 'ses_1', permission: 'bash', patterns: [], metadata: {}, always: [] }])
      if (path === '/question') return json([])
      return undefined
    })
    const server = outboxServer({ url: 'http://opencode.test', password: 'pw' }, fetchImpl)
    await server.perform(DIR, { kind: 'prompt', sessionID: 'ses_1', messageID: 'msg_1', body: { parts: [{ type: 'text', text: 'hi' }] } })
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/session/ses_1/prompt_async', directory: DIR, auth: `Basic ${btoa('opencode:pw')}` })
    expect(calls[0]?.body).toMatchObject({ messageID: 'msg_1', parts: [{ type: 'text', text: 'hi' }] })
    expect(await server.requestPending(DIR, 'permission', 'per_1')).toBe(true)
    expect(await server.requestPending(DIR, 'question', 'que_1')).toBe(false)
  })

  it('calls a 5xx, 429 or a network error transient, and any other refusal final with the server\'s words', async () => {
    const answer = (status: number) =>
      outboxServer({ url: 'http://opencode.test' }, fakeFetch(() => json({ name: 'Error', data: { message: 'model not found' } }, status)).fetchImpl)
    const abort = { kind: 'abort', sessionID: 'ses_1' } as const
    await expect(answer(502).perform(DIR, abort)).rejects.toMatchObject({ transient: true })
    await expect(answer(429).perform(DIR, abort)).rejects.toMatchObject({ transient: true })
    const refused = answer(400).perform(DIR, abort)
    await expect(refused).rejects.toBeInstanceOf(OutboxSendError)
    await expect(refused).rejects.toMatchObject({ transient: false, message: 'HTTP 400: model not found' })
    const down = outboxServer({ url: 'http://opencode.test' }, () => Promise.reject(new TypeError('fetch failed')))
    await expect(down.perform(DIR, abort)).rejects.toMatchObject({ transient: true, message: 'network error: fetch failed' })
  })

  it('tells whether the reply an abort aims at still runs: busy and its user message answered last, or not answered yet', async () => {
    const assistant = (id: string, parentID: string) => ({ info: { id, role: 'assistant', parentID, sessionID: 'ses_1', time: { created: 1 } }, parts: [] })
    const user = (id: string) => ({ info: { id, role: 'user', sessionID: 'ses_1', time: { created: 1 } }, parts: [] })
    let status: Record<string, unknown> = {}
    let messages: unknown[] = []
    const { calls, fetchImpl } = fakeFetch((_m, path) => {
      if (path === '/session/status') return json(status)
      if (path === '/session/ses_1/message') return json(messages)
      return undefined
    })
    const server = outboxServer({ url: 'http://opencode.test' }, fetchImpl)
    // Idle (or not listed): the reply is over.
    expect(await server.runState(DIR, 'ses_1', 'msg_a1')).toBe('finished')
    status = { ses_1: { type: 'idle' } }
    expect(await server.runState(DIR, 'ses_1', 'msg_a1')).toBe('finished')
    expect(calls.map((c) => c.path)).toEqual(['/session/status', '/session/status'])
    // Busy on the aimed reply (its second step streams; a prompt queued after it does not matter).
    status = { ses_1: { type: 'busy' } }
    messages = [user('msg_a1'), assistant('msg_a2', 'msg_a1'), assistant('msg_a3', 'msg_a1'), user('msg_a4')]
    expect(await server.runState(DIR, 'ses_1', 'msg_a1')).toBe('running')
    // Busy on a later reply: the aimed one is over.
    messages = [user('msg_a1'), assistant('msg_a2', 'msg_a1'), user('msg_a4'), assistant('msg_a5', 'msg_a4')]
    expect(await server.runState(DIR, 'ses_1', 'msg_a1')).toBe('finished')
    // The aimed prompt's reply has not written a message yet.
    messages = [user('msg_a1'), assistant('msg_a2', 'msg_a1'), user('msg_a4')]
    expect(await server.runState(DIR, 'ses_1', 'msg_a4')).toBe('running')
    // Retrying counts as running; without an aim, any busy session runs.
    status = { ses_1: { type: 'retry', attempt: 1, message: 'overloaded', next: 2 } }
    expect(await server.runState(DIR, 'ses_1', undefined)).toBe('running')
    expect(calls.at(-2)).toMatchObject({ method: 'GET', path: '/session/ses_1/message', directory: DIR })
  })
})
