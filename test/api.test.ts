import { describe, expect, it } from 'vitest'
import { createIdGenerator, newMessageId } from '../src/api/ids.ts'
import { createOpencodeApi } from '../src/api/opencode.ts'
import { basicAuthHeader, normalizeServerUrl } from '../src/api/server-auth.ts'
import { fetchRelayConfig, parseRelayConfig } from '../src/api/relayConfig.ts'

/** A fake `fetch` that records requests and answers from a handler. */
function fakeFetch(handler: (req: Request, url: URL) => Response | Promise<Response>) {
  const requests: Array<{ method: string; url: URL; body: string; headers: Headers }> = []
  const fn: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(String(input), init)
    const url = new URL(req.url, 'http://app.local')
    const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.clone().text()
    requests.push({ method: req.method, url, body, headers: req.headers })
    return handler(req, url)
  }
  return { fn, requests }
}

function json(value: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(value), { status: 200, ...init, headers: { 'content-type': 'application/json', ...init.headers } })
}

describe('message id generator', () => {
  it('matches the OpenCode shape: msg_ + 12 hex + 14 base62', () => {
    const id = newMessageId()
    expect(id).toMatch(/^msg_[0-9a-f]{12}[0-9A-Za-z]{14}$/)
  })

  it('is strictly increasing and unique, also within one millisecond and when the clock steps back', () => {
    const t = 1_795_271_240_319
    const clock = [0, 0, 0, 1, 1, -5, -5, 2, 2, 2]
    let i = 0
    const gen = createIdGenerator({ now: () => t + clock[i++ % clock.length] })
    const ids = Array.from({ length: 5000 }, () => gen('msg'))
    for (let k = 1; k < ids.length; k++) expect(ids[k] > ids[k - 1]).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('encodes the timestamp like OpenCode (low 48 bits of ms*0x1000 + counter)', () => {
    const gen = createIdGenerator({ now: () => 1_795_271_240_319, random: (b) => b.fill(0) })
    const expected = ((BigInt(1_795_271_240_319) * 0x1000n + 1n) & ((1n << 48n) - 1n)).toString(16).padStart(12, '0')
    expect(gen('msg')).toBe(`msg_${expected}00000000000000`)
    // A real id from `opencode serve` 1.18.33 sent at about this time starts with 1fe812a7f…
    expect(expected.slice(0, 9)).toBe('1fe812a7f')
  })
})

describe('server config helpers', () => {
  it('builds Basic auth only with a password, defaulting the user to opencode', () => {
    expect(basicAuthHeader({})).toBeUndefined()
    expect(basicAuthHeader({ password: 'pw' })).toBe(`Basic ${btoa('opencode:pw')}`)
    expect(basicAuthHeader({ username: 'me', password: 'pä' })).toBe(`Basic ${Buffer.from('me:pä').toString('base64')}`)
  })

  it('normalizes URLs', () => {
    expect(normalizeServerUrl(' http://127.0.0.1:4096/// ')).toBe('http://127.0.0.1:4096')
  })

  it('parses the launcher config and rejects wrong shapes', () => {
    expect(parseRelayConfig({ server: { url: 'http://127.0.0.1:5000/', password: 'x' } })).toEqual({ url: 'http://127.0.0.1:5000', password: 'x', followLauncher: true })
    expect(parseRelayConfig({ server: { url: 'javascript:alert(1)' } })).toBeUndefined()
    expect(parseRelayConfig({ server: {} })).toBeUndefined()
    expect(parseRelayConfig(null)).toBeUndefined()
  })

  it('fetchRelayConfig never throws', async () => {
    const failing: typeof fetch = async () => {
      throw new TypeError('network')
    }
    await expect(fetchRelayConfig(failing)).resolves.toBeUndefined()
    const notFound: typeof fetch = async () => new Response('nope', { status: 404 })
    await expect(fetchRelayConfig(notFound)).resolves.toBeUndefined()
    const ok: typeof fetch = async () => json({ server: { url: 'http://127.0.0.1:7777' } })
    await expect(fetchRelayConfig(ok)).resolves.toEqual({ url: 'http://127.0.0.1:7777', followLauncher: true })
  })
})

describe('OpencodeApi', () => {
  it('sends directory as a query parameter and Basic auth', async () => {
    const f = fakeFetch(() => json([]))
    const api = createOpencodeApi({ url: 'http://oc.local/', password: 'secret' }, { fetch: f.fn })
    await api.listSessions('/home/me/project')
    expect(f.requests).toHaveLength(1)
    const r = f.requests[0]
    expect(r.url.origin + r.url.pathname).toBe('http://oc.local/session')
    expect(r.url.searchParams.get('directory')).toBe('/home/me/project')
    expect(r.headers.get('authorization')).toBe(`Basic ${btoa('opencode:secret')}`)
  })

  it('reads the whole session list: asks again with a larger limit while GET /session fills it', async () => {
    // GET /session answers only the `limit` newest sessions (100 without it) and has no offset.
    const all = Array.from({ length: 1_500 }, (_, i) => ({ id: `ses_${i}` }))
    const f = fakeFetch((_req, url) => json(all.slice(0, Number(url.searchParams.get('limit') ?? 100))))
    const api = createOpencodeApi({ url: 'http://oc.local' }, { fetch: f.fn })
    const sessions = await api.listSessions('/p')
    expect(sessions.map((s) => s.id)).toEqual(all.map((s) => s.id))
    expect(f.requests.map((r) => r.url.searchParams.get('limit'))).toEqual(['1000', '4000'])
    // One request when the first answer is short, and no loop on a server that ignores `limit`.
    const few = fakeFetch(() => json(all.slice(0, 3)))
    await createOpencodeApi({ url: 'http://oc.local' }, { fetch: few.fn }).listSessions('/p')
    expect(few.requests).toHaveLength(1)
    const ignoring = fakeFetch(() => json([...all, ...all]))
    await expect(createOpencodeApi({ url: 'http://oc.local' }, { fetch: ignoring.fn }).listSessions('/p')).resolves.toHaveLength(3_000)
    expect(ignoring.requests).toHaveLength(1)
  })

  it('posts prompt_async with the client-generated messageID in the body', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }))
    const api = createOpencodeApi({ url: 'http://oc.local' }, { fetch: f.fn })
    const messageID = newMessageId()
    await api.promptAsync('/p', 'ses_1', { messageID, parts: [{ type: 'text', text: 'hi' }], model: { providerID: 'a', modelID: 'b' } })
    const r = f.requests[0]
    expect(r.method).toBe('POST')
    expect(r.url.pathname).toBe('/session/ses_1/prompt_async')
    const body: unknown = JSON.parse(r.body)
    expect(body).toMatchObject({ messageID, parts: [{ type: 'text', text: 'hi' }], model: { providerID: 'a', modelID: 'b' } })
  })

  it('reads the X-Next-Cursor header for message paging', async () => {
    const f = fakeFetch((_req, url) =>
      json([], { headers: url.searchParams.get('before') ? {} : { 'x-next-cursor': 'CUR1' } }),
    )
    const api = createOpencodeApi({ url: 'http://oc.local' }, { fetch: f.fn })
    const first = await api.listMessages('/p', 'ses_1', { limit: 100 })
    expect(first.nextCursor).toBe('CUR1')
    expect(f.requests[0].url.searchParams.get('limit')).toBe('100')
    const second = await api.listMessages('/p', 'ses_1', { limit: 100, before: 'CUR1' })
    expect(second.nextCursor).toBeUndefined()
    expect(f.requests[1].url.searchParams.get('before')).toBe('CUR1')
  })

  it('replies to permissions with once/always/reject', async () => {
    const f = fakeFetch(() => json(true))
    const api = createOpencodeApi({ url: 'http://oc.local' }, { fetch: f.fn })
    await api.replyPermission('/p', 'per_1', 'always')
    expect(f.requests[0].url.pathname).toBe('/permission/per_1/reply')
    expect(JSON.parse(f.requests[0].body)).toEqual({ reply: 'always' })
  })

  it('turns server errors into Errors with the server message and status', async () => {
    const f = fakeFetch(() => json({ name: 'NotFoundError', data: { message: 'Session not found' } }, { status: 404 }))
    const api = createOpencodeApi({ url: 'http://oc.local' }, { fetch: f.fn })
    const err = await api.getSession('/p', 'ses_x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err instanceof Error ? err.message : '').toBe('Session not found')
  })
})
