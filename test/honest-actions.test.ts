/**
 * Issue 17, "Honest actions": sharing says where the link is or why there is none; unsharing
 * sticks even though opencode 1.18.33 keeps answering the old `share.url`; a project path the
 * server cannot list is refused with the server's reason and never remembered. The fake server
 * answers with the bodies the real one sends (recorded with `opencode serve` 1.18.33).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Session } from '@opencode-ai/sdk/v2/types'
import { createOpencodeApi, serverErrorMessage } from '../src/api/opencode.ts'
import { liveShareUrl, parseStoppedShares, useSessionsStore } from '../src/stores/sessions.ts'
import { normalizePath, useProjectsStore } from '../src/stores/projects.ts'
import { setStorage, storage } from '../src/stores/storage.ts'
import { startSyncStore } from './support/stub-relay.ts'
import { jsonResponse } from './support/http.ts'

const DIR = '/work/project'
const URL_SHARED = 'https://share.example/s/abc'
/** What 1.18.33 answers for a directory it cannot read (GET /file, /find/file, /api/fs/list…). */
const UNKNOWN_ERROR = { name: 'UnknownError', data: { message: 'Unexpected server error. Check server logs for details.', ref: 'err_4357cbc4' } }

function session(extra: Partial<Session> = {}): Session {
  return { id: 'ses_1', slug: 's', projectID: 'p1', directory: DIR, title: 'One', version: '1.18.33', time: { created: 1, updated: 2 }, ...extra }
}

function errorResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

type Handler = (req: Request, url: URL) => Response | Promise<Response>

/** A fake server: `routes['METHOD /path']` answers; anything else is `[]`. Records every request. */
function fakeServer(routes: Record<string, Handler>) {
  const requests: string[] = []
  const fetchImpl: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(String(input), init)
    const url = new URL(req.url)
    const key = `${req.method} ${url.pathname}`
    requests.push(`${key}?${url.searchParams.toString()}`)
    const route = routes[key]
    return route ? route(req, url) : jsonResponse([])
  }
  return { fetch: fetchImpl, requests, routes }
}

afterEach(() => setStorage(undefined))

describe('serverErrorMessage', () => {
  async function failWith(res: () => Response): Promise<string> {
    const api = createOpencodeApi({ url: 'http://oc.test' }, { fetch: async () => res() })
    try {
      await api.shareSession(DIR, 'ses_1')
    } catch (err) {
      return serverErrorMessage(err)
    }
    throw new Error('expected a failure')
  }

  it('gives a named error’s message, with the log ref when there is one', async () => {
    expect(await failWith(() => errorResponse(404, { name: 'NotFoundError', data: { message: 'Session not found: ses_1' } }))).toBe('Session not found: ses_1')
    expect(await failWith(() => errorResponse(500, UNKNOWN_ERROR))).toBe('Unexpected server error. Check server logs for details. (ref err_4357cbc4)')
  })

  it('names a bare tagged error with its status instead of the request URL', async () => {
    // POST /session/{id}/share when the share service fails.
    expect(await failWith(() => errorResponse(500, { _tag: 'InternalServerError' }))).toBe('InternalServerError (HTTP 500)')
  })

  it('keeps text bodies and network errors as they are', async () => {
    expect(await failWith(() => new Response('bad gateway', { status: 502 }))).toBe('bad gateway')
    expect(await failWith(() => { throw new TypeError('Failed to fetch') })).toBe('Failed to fetch')
    expect(serverErrorMessage('plain')).toBe('plain')
  })
})

describe('share links', () => {
  it('a stopped link is not live; anything else that is not a string map parses as none', () => {
    expect(liveShareUrl(session({ share: { url: URL_SHARED } }), {})).toBe(URL_SHARED)
    expect(liveShareUrl(session({ share: { url: URL_SHARED } }), { ses_1: URL_SHARED })).toBeUndefined()
    expect(liveShareUrl(session({ share: { url: 'https://share.example/s/new' } }), { ses_1: URL_SHARED })).toBe('https://share.example/s/new')
    expect(liveShareUrl(session(), {})).toBeUndefined()
    expect(liveShareUrl(undefined, {})).toBeUndefined()
    expect(parseStoppedShares({ ses_1: URL_SHARED, ses_2: 3 })).toEqual({ ses_1: URL_SHARED })
    expect(parseStoppedShares([URL_SHARED])).toEqual({})
    expect(parseStoppedShares(undefined)).toEqual({})
  })

  it('share resolves with the link and the session shows it', async () => {
    const server = fakeServer({ 'POST /session/ses_1/share': () => jsonResponse(session({ share: { url: URL_SHARED } })) })
    await startSyncStore(server.fetch)
    const sessions = useSessionsStore()
    await expect(sessions.share(DIR, 'ses_1')).resolves.toBe(URL_SHARED)
    expect(sessions.shareUrl(DIR, 'ses_1')).toBe(URL_SHARED)
  })

  it('a 200 without a link (OPENCODE_DISABLE_SHARE) is a failure that says so', async () => {
    const server = fakeServer({ 'POST /session/ses_1/share': () => jsonResponse(session()) })
    await startSyncStore(server.fetch)
    const sessions = useSessionsStore()
    await expect(sessions.share(DIR, 'ses_1')).rejects.toThrow('The server returned no share link')
    expect(sessions.shareUrl(DIR, 'ses_1')).toBeUndefined()
  })

  it('a refusal carries the server’s reason', async () => {
    const server = fakeServer({ 'POST /session/ses_1/share': () => errorResponse(500, UNKNOWN_ERROR) })
    await startSyncStore(server.fetch)
    await expect(useSessionsStore().share(DIR, 'ses_1')).rejects.toThrow('Unexpected server error. Check server logs for details. (ref err_4357cbc4)')
  })

  it('unshare sticks although the server still answers the old link, across a reload, until shared again', async () => {
    // 1.18.33: DELETE /session/{id}/share answers (and GET keeps answering) the old share.url.
    const stale = session({ share: { url: URL_SHARED }, time: { created: 1, updated: 3 } })
    const server = fakeServer({
      'POST /session/ses_1/share': () => jsonResponse(session({ share: { url: URL_SHARED } })),
      'DELETE /session/ses_1/share': () => jsonResponse(stale),
    })
    const sync = await startSyncStore(server.fetch)
    const sessions = useSessionsStore()
    await sessions.share(DIR, 'ses_1')
    const now = await sessions.unshare(DIR, 'ses_1')
    expect(now.share).toBeUndefined()
    expect(sessions.shareUrl(DIR, 'ses_1')).toBeUndefined()
    // A later read (or a stale event) brings the old link back into the state: still not shared.
    sync.rememberSession(DIR, stale)
    expect(sessions.shareUrl(DIR, 'ses_1')).toBeUndefined()
    await Promise.resolve()
    const saved = storage().getItem('opencode-relay:stopped-shares')
    expect(saved && JSON.parse(saved)).toEqual({ ses_1: URL_SHARED })
    // Sharing again (same link) makes it live again.
    await sessions.share(DIR, 'ses_1')
    expect(sessions.shareUrl(DIR, 'ses_1')).toBe(URL_SHARED)
  })

  it('an unshare refusal says why and changes nothing', async () => {
    const server = fakeServer({
      'POST /session/ses_1/share': () => jsonResponse(session({ share: { url: URL_SHARED } })),
      'DELETE /session/ses_1/share': () => errorResponse(500, { _tag: 'InternalServerError' }),
    })
    await startSyncStore(server.fetch)
    const sessions = useSessionsStore()
    await sessions.share(DIR, 'ses_1')
    await expect(sessions.unshare(DIR, 'ses_1')).rejects.toThrow('InternalServerError (HTTP 500)')
    expect(sessions.shareUrl(DIR, 'ses_1')).toBe(URL_SHARED)
  })
})

describe('opening a project by path', () => {
  const GOOD = '/home/me/project'
  const BAD = '/does/not/exist'

  function directoryServer() {
    return fakeServer({
      'GET /file': (_req, url) =>
        url.searchParams.get('directory') === GOOD && url.searchParams.get('path') === '.'
          ? jsonResponse([{ name: 'README.md', path: 'README.md', absolute: `${GOOD}/README.md`, type: 'file', ignored: false }])
          : errorResponse(500, UNKNOWN_ERROR),
    })
  }

  /** Lets the background check of `open` settle. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0))
  }

  it('normalizes: trims, drops trailing slashes, keeps the root', () => {
    expect(normalizePath('  /a/b//  ')).toBe('/a/b')
    expect(normalizePath('/')).toBe('/')
  })

  it('refuses a path the server cannot list with its reason, opening and remembering nothing', async () => {
    const server = directoryServer()
    await startSyncStore(server.fetch)
    const projects = useProjectsStore()
    await expect(projects.openPath(`${BAD}/`)).rejects.toThrow(
      `Cannot open ${BAD}: the server could not list it (Unexpected server error. Check server logs for details. (ref err_4357cbc4))`,
    )
    expect(server.requests).toContain(`GET /file?directory=${encodeURIComponent(BAD)}&path=.`)
    expect(projects.recent).toEqual([])
    expect(projects.currentDirectory).toBeUndefined()
    expect(server.requests.filter((r) => !r.startsWith('GET /file'))).toEqual([])
  })

  it('refuses a relative path before asking the server', async () => {
    const server = directoryServer()
    await startSyncStore(server.fetch)
    await expect(useProjectsStore().openPath('project')).rejects.toThrow('Enter an absolute path')
    expect(server.requests).toEqual([])
  })

  it('opens and remembers a directory the server lists, checking it once', async () => {
    const server = directoryServer()
    await startSyncStore(server.fetch)
    const projects = useProjectsStore()
    await expect(projects.openPath(GOOD)).resolves.toBe(GOOD)
    expect(projects.currentDirectory).toBe(GOOD)
    expect(projects.recent).toEqual([GOOD])
    await settle()
    expect(server.requests.filter((r) => r.startsWith('GET /file'))).toHaveLength(1)
  })

  it('a directory opened by URL joins the recent list only once listed; a refused one says why and leaves it', async () => {
    const server = directoryServer()
    await startSyncStore(server.fetch)
    const projects = useProjectsStore()
    projects.recent = [BAD]
    await projects.open(BAD)
    expect(projects.currentDirectory).toBe(BAD)
    expect(projects.refused[BAD]).toMatch(/^Cannot open \/does\/not\/exist: the server could not list it \(Unexpected server error/)
    expect(projects.recent).toEqual([])
    await projects.open(GOOD)
    expect(projects.recent).toEqual([GOOD])
    expect(projects.refused[GOOD]).toBeUndefined()
  })

  it('a network failure neither refuses nor remembers', async () => {
    const server = fakeServer({
      'GET /file': () => {
        throw new TypeError('Failed to fetch')
      },
    })
    await startSyncStore(server.fetch)
    const projects = useProjectsStore()
    projects.recent = [GOOD]
    await projects.open('/elsewhere')
    expect(projects.refused).toEqual({})
    expect(projects.recent).toEqual([GOOD])
    await expect(projects.openPath('/elsewhere')).rejects.toThrow('Cannot check /elsewhere: Failed to fetch')
  })
})
