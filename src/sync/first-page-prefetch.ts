/**
 * A cold page's first transcript read, started by the tiny prefetch entry (src/prefetch.ts) while
 * the main bundle is still being fetched and compiled: `GET /session/{id}/message?directory=&limit=`
 * {@link PROVISIONAL_PAGE_SIZE} on the server the app will use, exactly as the SDK client sends it
 * (same base URL, Basic auth, query). The session loader (src/sync/session-load.ts) paints it as
 * its provisional page (see `ensureSession`) instead of asking again once the bundle runs.
 *
 * Why: on a fresh profile every byte of a transcript waited for the bundle's compile and start,
 * then `/relay-config.json`, then this read; started from the prefetch entry they overlap the
 * bundle (2,000-message bench, cold first paint).
 *
 * Started only for a session route with a `?directory=` and no warm-start snapshot (a warm page
 * paints its snapshot, src/db/snapshot-prefetch.ts). Every failure resolves `undefined` (the
 * loader then reads through the SDK as before); the answer is handed out once, and only to a
 * loader of the same server (URL and credentials), directory and session.
 */
import type { MessagePage, MessageWithParts } from '../api/opencode.ts'
import { READ_TIMEOUT_MS, authHeaders, basicAuthHeader, normalizeServerUrl } from '../api/server-auth.ts'
import { isRecord } from '../../sw/shared/guards.ts'
import type { ServerConfig } from '../../sw/shared/protocol.ts'

/**
 * Messages of the provisional first paint of a cold page: a screenful, so the server answers and
 * the tab renders it sooner; the loader's gated read brings the whole first page.
 */
export const PROVISIONAL_PAGE_SIZE = 30

/** Which transcript a prefetch reads. */
export interface FirstPageTarget {
  sessionID: string
  /** Absolute project directory (the route's `?directory=`). */
  directory: string
}

interface Prefetched extends FirstPageTarget {
  read: Promise<{ server: string; page: MessagePage } | undefined>
}

let prefetched: Prefetched | undefined

/** What identifies a server for reuse of a read: its URL and the credentials sent. */
function serverKey(server: ServerConfig): string {
  return `${normalizeServerUrl(server.url)}\n${basicAuthHeader(server) ?? ''}`
}

/**
 * Starts the read (once per page) as soon as `server` resolves; `undefined` from it (a warm page,
 * no server known) starts nothing. Never throws.
 * @param server the server the app will read from, when known before the bundle runs.
 * @param fetchImpl fetch to use (tests pass a fake); default the global fetch.
 * @returns the page read (for the first-paint preview), or `undefined` when none was (nothing
 *   started, a failed read, a second call). Never rejects.
 */
export function prefetchFirstPage(target: FirstPageTarget, server: Promise<ServerConfig | undefined>, fetchImpl?: typeof fetch): Promise<MessagePage | undefined> {
  if (prefetched) return Promise.resolve(undefined)
  const read = server.then(
    async (s) => {
      if (!s) return undefined
      const page = await readFirstPage(s, target, fetchImpl ?? globalThis.fetch)
      return page && { server: serverKey(s), page }
    },
    () => undefined,
  )
  prefetched = { ...target, read }
  return read.then((r) => r?.page)
}

/**
 * The prefetched page of `directory`/`sessionID` on `server`, handed out once: `undefined` when no
 * prefetch was started for that transcript (the caller reads itself); a promise of `undefined`
 * when it was, but failed or read another server. Never rejects.
 */
export function takePrefetchedFirstPage(server: ServerConfig, directory: string, sessionID: string): Promise<MessagePage | undefined> | undefined {
  if (!prefetched || prefetched.sessionID !== sessionID || prefetched.directory !== directory) return undefined
  const { read } = prefetched
  prefetched = undefined
  const key = serverKey(server)
  return read.then((r) => (r?.server === key ? r.page : undefined))
}

/** Forgets a pending prefetch (tests). */
export function resetFirstPagePrefetch(): void {
  prefetched = undefined
}

async function readFirstPage(server: ServerConfig, target: FirstPageTarget, fetchImpl: typeof fetch): Promise<MessagePage | undefined> {
  const query = new URLSearchParams({ directory: target.directory, limit: String(PROVISIONAL_PAGE_SIZE) })
  const url = `${normalizeServerUrl(server.url)}/session/${encodeURIComponent(target.sessionID)}/message?${query.toString()}`
  try {
    const res = await fetchImpl(url, { headers: authHeaders(server), signal: AbortSignal.timeout(READ_TIMEOUT_MS) })
    if (!res.ok) return undefined
    const body: unknown = await res.json()
    if (!isMessageList(body)) return undefined
    return { messages: body, nextCursor: res.headers.get('x-next-cursor') || undefined }
  } catch {
    return undefined
  }
}

/**
 * Whether a response body has the shape of `GET /session/{id}/message`: a list of `{ info, parts }`
 * with an `info.id` (the parts are the server's own and are not checked one by one, as the SDK
 * client does not check them either).
 */
export function isMessageList(x: unknown): x is MessageWithParts[] {
  return Array.isArray(x) && x.every((m) => isRecord(m) && isRecord(m.info) && typeof m.info.id === 'string' && Array.isArray(m.parts))
}
