/**
 * A cold page's first transcript read started before the main bundle runs
 * (src/sync/first-page-prefetch.ts) and the launcher config read with it (src/api/relayConfig.ts):
 * the request the SDK client would send, handed out once and only to the same server, every
 * failure an `undefined` the loader reads past.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Message, Part } from '@opencode-ai/sdk/v2/types'
import { isMessageList, prefetchFirstPage, PROVISIONAL_PAGE_SIZE, resetFirstPagePrefetch, takePrefetchedFirstPage } from '../src/sync/first-page-prefetch.ts'
import { fetchRelayConfig, prefetchRelayConfig, resetRelayConfigPrefetch } from '../src/api/relayConfig.ts'
import { basicAuthHeader } from '../src/api/server-auth.ts'

const SERVER = { url: 'http://127.0.0.1:4096/' }
const DIR = '/work/project a'
const SES = 'ses_a'

function message(n: number): { info: Message; parts: Part[] } {
  const id = `msg_${n}`
  return {
    info: { id, sessionID: SES, role: 'user', time: { created: n }, agent: 'build', model: { providerID: 'p', modelID: 'm' } },
    parts: [{ id: `prt_${n}`, messageID: id, sessionID: SES, type: 'text', text: `m${n}` }],
  }
}

function answering(body: unknown, init: ResponseInit = {}) {
  const calls: Array<{ url: URL; headers: Headers }> = []
  const fetchImpl: typeof fetch = async (input, reqInit) => {
    calls.push({ url: new URL(String(input)), headers: new Headers(reqInit?.headers) })
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' }, ...init })
  }
  return { fetchImpl, calls }
}

afterEach(() => {
  resetFirstPagePrefetch()
  resetRelayConfigPrefetch()
  vi.unstubAllGlobals()
})

describe('first page read before the app runs', () => {
  it('sends the request the SDK client sends and hands the page out once, to the same server', async () => {
    const server = { ...SERVER, password: 'pw' }
    const { fetchImpl, calls } = answering([message(1), message(2)], { headers: { 'content-type': 'application/json', 'x-next-cursor': 'c9' } })
    prefetchFirstPage({ sessionID: SES, directory: DIR }, Promise.resolve(server), fetchImpl)
    const page = await takePrefetchedFirstPage({ url: 'http://127.0.0.1:4096', password: 'pw' }, DIR, SES)
    expect(page?.messages.map((m) => m.info.id)).toEqual(['msg_1', 'msg_2'])
    expect(page?.nextCursor).toBe('c9')
    expect(calls).toHaveLength(1)
    expect(calls[0].url.pathname).toBe(`/session/${SES}/message`)
    expect(calls[0].url.searchParams.get('directory')).toBe(DIR)
    expect(calls[0].url.searchParams.get('limit')).toBe(String(PROVISIONAL_PAGE_SIZE))
    expect(calls[0].headers.get('authorization')).toBe(basicAuthHeader(server))
    expect(takePrefetchedFirstPage(server, DIR, SES)).toBeUndefined()
  })

  it('gives another server, another password, directory or session nothing of it', async () => {
    const { fetchImpl } = answering([message(1)])
    prefetchFirstPage({ sessionID: SES, directory: DIR }, Promise.resolve(SERVER), fetchImpl)
    expect(takePrefetchedFirstPage(SERVER, '/elsewhere', SES)).toBeUndefined()
    expect(takePrefetchedFirstPage(SERVER, DIR, 'ses_b')).toBeUndefined()
    await expect(takePrefetchedFirstPage({ ...SERVER, password: 'other' }, DIR, SES)).resolves.toBeUndefined()

    resetFirstPagePrefetch()
    prefetchFirstPage({ sessionID: SES, directory: DIR }, Promise.resolve(SERVER), fetchImpl)
    await expect(takePrefetchedFirstPage({ url: 'http://127.0.0.1:5000' }, DIR, SES)).resolves.toBeUndefined()
  })

  it('starts nothing when no server is known before the app runs (a warm page, no launcher)', async () => {
    const { fetchImpl, calls } = answering([])
    prefetchFirstPage({ sessionID: SES, directory: DIR }, Promise.resolve(undefined), fetchImpl)
    await expect(takePrefetchedFirstPage(SERVER, DIR, SES)).resolves.toBeUndefined()
    expect(calls).toHaveLength(0)
  })

  it('resolves undefined on an error status, a network error or a body of another shape', async () => {
    const failures: Array<typeof fetch> = [
      answering({ name: 'NotFoundError' }, { status: 404 }).fetchImpl,
      async () => {
        throw new TypeError('Failed to fetch')
      },
      answering({ messages: [] }).fetchImpl,
      async () => new Response('<html>', { status: 200 }),
    ]
    for (const fetchImpl of failures) {
      resetFirstPagePrefetch()
      prefetchFirstPage({ sessionID: SES, directory: DIR }, Promise.resolve(SERVER), fetchImpl)
      await expect(takePrefetchedFirstPage(SERVER, DIR, SES)).resolves.toBeUndefined()
    }
  })

  it('tells a message list from other JSON', () => {
    expect(isMessageList([message(1)])).toBe(true)
    expect(isMessageList([])).toBe(true)
    expect(isMessageList([{ info: {}, parts: [] }])).toBe(false)
    expect(isMessageList([{ info: { id: 'm' } }])).toBe(false)
    expect(isMessageList({})).toBe(false)
  })
})

describe('launcher config read before the app runs', () => {
  it('is the answer the server store takes, asked once', async () => {
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify({ server: { url: 'http://127.0.0.1:7777' } }), { headers: { 'content-type': 'application/json' } }))
    vi.stubGlobal('fetch', fetchImpl)
    await expect(prefetchRelayConfig()).resolves.toMatchObject({ kind: 'ready', server: { url: 'http://127.0.0.1:7777' } })
    await expect(fetchRelayConfig()).resolves.toEqual({ url: 'http://127.0.0.1:7777', followLauncher: true })
    expect(fetchImpl).toHaveBeenCalledTimes(1)
    // Taken once: a later read asks again.
    await fetchRelayConfig()
    expect(fetchImpl).toHaveBeenCalledTimes(2)
  })
})
