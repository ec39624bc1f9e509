/**
 * Sessions as the UI lists them, and the session actions (REST; the resulting state arrives as
 * events through the relay, so every tab updates, and each action also upserts the REST answer
 * at once so this tab never waits for the event).
 *
 * Endpoints: `POST /session`, `PATCH /session/{id}`, `DELETE /session/{id}`,
 * `POST /session/{id}/fork|share|summarize|revert|unrevert|init`, `DELETE /session/{id}/share`.
 *
 * Sharing, as opencode 1.18.33 does it: `POST /session/{id}/share` asks the share service
 * (`enterprise.url`, default https://opncd.ai) for a link and answers the session with
 * `share.url`; with `OPENCODE_DISABLE_SHARE` set it answers 200 with no `share` at all; when the
 * share service fails it answers 500 `{"_tag":"InternalServerError"}`; with `"share": "disabled"`
 * in its config 500 `UnknownError` (its log: "Sharing is disabled in configuration").
 * `DELETE /session/{id}/share` removes the link at the share service, and its `session.updated`
 * event has no `share`, but its answer (and every later `GET /session…`) still carries the old
 * `share.url`: the server never clears the stored link. So this store remembers links it stopped
 * (`localStorage` `opencode-relay:stopped-shares`, session id → url) and {@link shareUrl} hides them.
 */
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { Session, SessionStatus } from '@opencode-ai/sdk/v2/types'
import { errorMessage, serverErrorMessage, type ModelRef } from '../api/opencode.ts'
import { newMessageId } from '../api/ids.ts'
import type { ExportedMessage, SessionExport } from '../state/session-export.ts'
import { intlLocale, t } from '../i18n/index.ts'
import { useConnectionStore } from './connection.ts'
import { useServerStore } from './server.ts'
import { useSyncStore } from './sync.ts'
import { readJson, writeJson } from './storage.ts'

/** A session with its nested children (subagent sessions have `parentID`). */
export interface SessionNode {
  session: Session
  children: SessionNode[]
  /** Depth in the tree (0 for roots). */
  depth: number
}

/** How the sidebar orders sessions: latest activity (`time.updated`), newest first (`time.created`), or by title. */
export type SessionSort = 'updated' | 'created' | 'title'

/** The orders of {@link SessionSort}, in the sidebar's menu order. */
export const SESSION_SORTS: readonly SessionSort[] = ['updated', 'created', 'title']

const SORT_KEY = 'opencode-relay:session-sort'

function isSessionSort(x: unknown): x is SessionSort {
  return typeof x === 'string' && (SESSION_SORTS as readonly string[]).includes(x)
}

/** Compares two sessions for an order; ties go by id, so the order is stable. */
function sessionOrder(sort: SessionSort, locale: string): (a: Session, b: Session) => number {
  const byId = (a: Session, b: Session) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  switch (sort) {
    case 'updated':
      return (a, b) => b.time.updated - a.time.updated || byId(a, b)
    case 'created':
      return (a, b) => b.time.created - a.time.created || byId(a, b)
    case 'title': {
      const collator = new Intl.Collator(locale, { sensitivity: 'base', numeric: true })
      return (a, b) => collator.compare(a.title, b.title) || byId(a, b)
    }
  }
}

/**
 * Builds the session tree: roots in `sort` order (latest activity first by default), children
 * nested under their parent in the same order. A child whose parent is unknown is shown as a root.
 * With a `search` string, a session matches on title or id (case-insensitive) and is kept with its
 * ancestors. Titles compare in `locale` (Intl.Collator, numbers by value).
 */
export function buildSessionTree(sessions: readonly Session[], search = '', sort: SessionSort = 'updated', locale = 'en'): SessionNode[] {
  const byId = new Map<string, Session>()
  for (const s of sessions) byId.set(s.id, s)
  const childrenOf = new Map<string, Session[]>()
  const roots: Session[] = []
  for (const s of sessions) {
    if (s.parentID && byId.has(s.parentID)) {
      const list = childrenOf.get(s.parentID) ?? []
      list.push(s)
      childrenOf.set(s.parentID, list)
    } else roots.push(s)
  }
  const q = search.trim().toLowerCase()
  const matches = (s: Session) => !q || s.title.toLowerCase().includes(q) || s.id.toLowerCase().includes(q)
  const byOrder = sessionOrder(sort, locale)

  function build(s: Session, depth: number): SessionNode | undefined {
    const children = (childrenOf.get(s.id) ?? [])
      .slice()
      .sort(byOrder)
      .map((c) => build(c, depth + 1))
      .filter((n): n is SessionNode => n !== undefined)
    if (!matches(s) && children.length === 0) return undefined
    return { session: s, children, depth }
  }
  return roots
    .slice()
    .sort(byOrder)
    .map((s) => build(s, 0))
    .filter((n): n is SessionNode => n !== undefined)
}

/**
 * How many of `roots` the sidebar renders: at least `count`, extended (when `activeId` sits in a
 * later root's subtree) to include the active session, so opening an old session by URL or from
 * the switcher still shows it highlighted. At most `roots.length`.
 */
export function shownRootCount(roots: readonly SessionNode[], count: number, activeId?: string): number {
  if (activeId === undefined) return Math.min(count, roots.length)
  const contains = (n: SessionNode): boolean => n.session.id === activeId || n.children.some(contains)
  const at = roots.findIndex(contains)
  return Math.min(Math.max(count, at + 1), roots.length)
}

/** Flattens a tree depth-first (for keyboard navigation and the switcher). */
export function flattenTree(nodes: readonly SessionNode[]): SessionNode[] {
  const out: SessionNode[] = []
  const walk = (list: readonly SessionNode[]) => {
    for (const n of list) {
      out.push(n)
      walk(n.children)
    }
  }
  walk(nodes)
  return out
}

const STOPPED_SHARES_KEY = 'opencode-relay:stopped-shares'
/** Stopped links kept at most (the oldest are forgotten first). */
const STOPPED_SHARES_LIMIT = 200

/** Parses the stored stopped links: a `{ sessionID: url }` object of strings; anything else is `{}`. */
export function parseStoppedShares(json: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return out
  for (const [id, url] of Object.entries(json)) if (typeof url === 'string') out[id] = url
  return out
}

/**
 * The link a session is shared at: its `share.url`, unless that is a link this browser stopped
 * sharing (`stopped[session.id]`, see the module comment); `undefined` when not shared.
 */
export function liveShareUrl(session: Pick<Session, 'id' | 'share'> | undefined, stopped: Readonly<Record<string, string>>): string | undefined {
  const url = session?.share?.url
  return url && stopped[session.id] !== url ? url : undefined
}

/** Messages read per request when exporting a whole session. */
const EXPORT_PAGE_SIZE = 200

/**
 * Session queries and actions. Queries: `get(dir, id)`, `status(dir, id)`, `shareUrl(dir, id)`,
 * `tree(dir, search)` (in the persisted `sort` order), `busySessions`, `pendingPermissionCount`, `pendingRequestCount`. Actions (each throws the server's
 * Error and records it in the connection store): `create`, `rename`, `remove`, `fork`, `share`,
 * `unshare`, `summarize`, `revert`, `unrevert`, `init`, `readForExport`. (Stopping a reply, `POST
 * /session/{id}/abort`, goes through the relay's outbox: the chat store's `abort`.)
 */
export const useSessionsStore = defineStore('sessions', () => {
  const sync = useSyncStore()
  const server = useServerStore()
  const connection = useConnectionStore()

  /** The session with `id` in `directory`, if loaded. */
  function get(directory: string, id: string): Session | undefined {
    return sync.sessionOf(directory, id)
  }

  /** Links this browser stopped sharing, by session id (see the module comment). */
  const stoppedShares = ref<Record<string, string>>(parseStoppedShares(readJson(STOPPED_SHARES_KEY)))
  watch(stoppedShares, (v) => writeJson(STOPPED_SHARES_KEY, v), { deep: true })

  /** The link the session is shared at, `undefined` when it is not shared (or sharing was stopped). */
  function shareUrl(directory: string, id: string): string | undefined {
    return liveShareUrl(get(directory, id), stoppedShares.value)
  }

  /** Status of a session (idle when absent). */
  function status(directory: string, id: string): SessionStatus {
    return sync.statusOf(directory, id)
  }

  /** The sidebar's order, persisted in `localStorage` (`opencode-relay:session-sort`). */
  const stored = readJson(SORT_KEY)
  const sort = ref<SessionSort>(isSessionSort(stored) ? stored : 'updated')
  watch(sort, (v) => writeJson(SORT_KEY, v))

  /** The tree of a directory's sessions (archived ones hidden), filtered by `search`, in the chosen {@link sort}. */
  function tree(directory: string, search = ''): SessionNode[] {
    return buildSessionTree(
      sync.sessionsOf(directory).filter((s) => !s.time.archived),
      search,
      sort.value,
      intlLocale(),
    )
  }

  /** Ids of sessions that are busy or retrying, over every loaded directory. */
  const busySessions = computed(() => {
    const out: Array<{ directory: string; sessionID: string }> = []
    for (const directory of sync.knownDirectories()) {
      for (const [sessionID, st] of Object.entries(sync.statusesOf(directory))) {
        if (st.type !== 'idle') out.push({ directory, sessionID })
      }
    }
    return out
  })

  /** Pending permission requests over every loaded directory. */
  const pendingPermissionCount = computed(() => {
    let n = 0
    for (const directory of sync.knownDirectories()) n += sync.permissionCountOf(directory)
    return n
  })
  /**
   * Pending permission requests and questions, for the app badge: those of every directory the
   * tab knows (loaded, or touched by an event) together with those the relay saw asked over every
   * project (`status.pendingRequests`: asked before this tab opened in a project it never loaded),
   * each request once.
   */
  const pendingRequestCount = computed(() => {
    const ids = new Set(connection.status.pendingRequests ?? [])
    for (const directory of sync.knownDirectories()) for (const id of sync.pendingRequestIDsOf(directory)) ids.add(id)
    return ids.size
  })

  async function run<T>(action: () => Promise<T>): Promise<T> {
    try {
      const out = await action()
      connection.setApiError(undefined)
      return out
    } catch (err) {
      connection.setApiError(errorMessage(err))
      throw err
    }
  }

  /** Runs a REST call; a failure is rethrown with the server's reason as its message. */
  async function withServerReason<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (err) {
      throw new Error(serverErrorMessage(err), { cause: err })
    }
  }

  function remember(directory: string, session: Session): Session {
    sync.rememberSession(directory, session)
    return session
  }

  /** Creates a session (`POST /session`). @throws Error from the server. */
  function create(directory: string, input: { title?: string; parentID?: string } = {}): Promise<Session> {
    return run(async () => remember(directory, await server.api.createSession(directory, input)))
  }

  /** Renames a session (`PATCH /session/{id}`). @throws Error from the server. */
  function rename(directory: string, id: string, title: string): Promise<Session> {
    return run(async () => remember(directory, await server.api.renameSession(directory, id, title.trim())))
  }

  /** Deletes a session (`DELETE /session/{id}`). @throws Error from the server. */
  function remove(directory: string, id: string): Promise<void> {
    return run(() => server.api.deleteSession(directory, id))
  }

  /** Forks a session, optionally at a message (`POST /session/{id}/fork`). @throws Error from the server. */
  function fork(directory: string, id: string, messageID?: string): Promise<Session> {
    return run(async () => remember(directory, await server.api.forkSession(directory, id, messageID)))
  }

  /**
   * Shares a session (`POST /session/{id}/share`) and resolves with its link (`share.url`).
   * @throws Error with the server's reason ({@link serverErrorMessage}) when it refuses, or
   * the `sessions.store.noShareLink` message when it answers without a link (a server started with
   * `OPENCODE_DISABLE_SHARE`).
   */
  function share(directory: string, id: string): Promise<string> {
    return run(async () => {
      const session = remember(directory, await withServerReason(() => server.api.shareSession(directory, id)))
      const url = session.share?.url
      if (!url) throw new Error(t('sessions.store.noShareLink'))
      if (stoppedShares.value[id] !== undefined) {
        const { [id]: _was, ...rest } = stoppedShares.value
        stoppedShares.value = rest
      }
      return url
    })
  }

  /**
   * Stops sharing (`DELETE /session/{id}/share`) and resolves with the session as it is now: with
   * no `share` (the server's answer still carries the old link, see the module comment; that
   * link is remembered as stopped).
   * @throws Error with the server's reason ({@link serverErrorMessage}).
   */
  function unshare(directory: string, id: string): Promise<Session> {
    return run(async () => {
      const before = get(directory, id)?.share?.url
      const { share: stale, ...session } = await withServerReason(() => server.api.unshareSession(directory, id))
      const url = stale?.url ?? before
      if (url) {
        const kept = Object.entries(stoppedShares.value).filter(([sid]) => sid !== id).slice(-(STOPPED_SHARES_LIMIT - 1))
        stoppedShares.value = { ...Object.fromEntries(kept), [id]: url }
      }
      return remember(directory, session)
    })
  }

  /** Compacts the session with a model (`POST /session/{id}/summarize`). @throws Error from the server. */
  function summarize(directory: string, id: string, model: ModelRef): Promise<void> {
    return run(() => server.api.summarizeSession(directory, id, model))
  }

  /** Reverts the session to before a message (`POST /session/{id}/revert`). @throws Error from the server. */
  function revert(directory: string, id: string, messageID: string): Promise<Session> {
    return run(async () => remember(directory, await server.api.revertSession(directory, id, messageID)))
  }

  /** Restores reverted messages (`POST /session/{id}/unrevert`). @throws Error from the server. */
  function unrevert(directory: string, id: string): Promise<Session> {
    return run(async () => remember(directory, await server.api.unrevertSession(directory, id)))
  }

  /** Runs `/init` (writes AGENTS.md) with a model (`POST /session/{id}/init`). @throws Error from the server. */
  function init(directory: string, id: string, model: ModelRef): Promise<void> {
    return run(() => server.api.initSession(directory, id, { messageID: newMessageId(), model }))
  }

  /**
   * The whole session for an export: its info (`GET /session/{id}`) and every message, read page
   * by page (`GET /session/{id}/message?limit=&before=`, oldest first) whatever the tab has loaded.
   * @throws Error from the server.
   */
  function readForExport(directory: string, id: string): Promise<SessionExport> {
    return run(async () => {
      const info = await server.api.getSession(directory, id)
      const pages: ExportedMessage[][] = []
      let before: string | undefined
      do {
        const page = await server.api.listMessages(directory, id, { limit: EXPORT_PAGE_SIZE, ...(before ? { before } : {}) })
        pages.unshift(page.messages)
        before = page.nextCursor
      } while (before)
      return { info, messages: pages.flat() }
    })
  }

  return {
    get,
    status,
    shareUrl,
    sort,
    tree,
    busySessions,
    pendingPermissionCount,
    pendingRequestCount,
    create,
    rename,
    remove,
    fork,
    share,
    unshare,
    summarize,
    revert,
    unrevert,
    init,
    readForExport,
  }
})
