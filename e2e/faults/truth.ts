/**
 * The invariants of the fault suite: what a tab holds, what the server holds, and how they must
 * agree.
 *
 * - Server truth: `GET /session/{id}/message` (messages with their parts), `GET /session`,
 *   `GET /session/status`, `GET /permission` of `opencode serve` (read directly, not through a
 *   proxy).
 * - Tab state: read from the running app's Pinia stores (`sync`, `connection`) and its DOM
 *   (permission prompts), through the Vue app instance on `#app` (`__vue_app__`, present in
 *   production builds). The transcript is virtualized, so the DOM only holds the rows in view:
 *   the store is the tab's full state, the DOM is checked for what must be visible.
 * - Event log: the relay's IndexedDB database `opencode-relay:<server identity>` (the launcher's
 *   `launcher:<dir>`; the server URL for a server without identity), table `events`
 *   (primary key `cursor`, unique index `id`), read with the raw IndexedDB API.
 *
 * Both sides are projected to the same {@link MessageView} shape before they are compared, so a
 * difference is always about ids, order, text or state, never about representation.
 */
import type { Page } from '@playwright/test'

/** A part reduced to what must agree: id, type, text (text/reasoning), end mark, tool status. */
export interface PartView {
  id: string
  type: string
  /** Full text of a `text` or `reasoning` part. */
  text?: string
  /** Whether a `text`/`reasoning` part has `time.end` (its final `message.part.updated` arrived). */
  ended?: boolean
  /** `state.status` of a `tool` part (`pending` | `running` | `completed` | `error`). */
  status?: string
}

/** A message reduced to what must agree. */
export interface MessageView {
  id: string
  role: string
  /** Whether `time.completed` is set (assistant messages). */
  completed: boolean
  /** `error.name` of an assistant message, when any. */
  error?: string
  parts: PartView[]
}

/** What a tab holds about one session it has loaded. */
export interface TabSessionView {
  /** Load status in the sync store (`loading`, `ready`, `error`). */
  load: string
  messages: MessageView[]
  /** Ids of the pending permission requests in the store. */
  permissions: string[]
  /** Status type in the store (`idle` when absent). */
  status: string
}

/** The relay status as the tab last received it (see `RelayStatus` in sw/shared/protocol.ts). */
export interface TabRelayStatus {
  state: string
  lastError?: string
  storageOk: boolean
  storageError?: string
  badFrames: number
  catchingUp: boolean
  mode: string
  /** URL of the server the relay uses. */
  server?: string
  /** What the launcher told while the server did not answer (`checking`, `starting`, `unreachable`, `invalid`). */
  launcher?: string
}

/** Everything read from one tab in one go. */
export interface TabView {
  /** Route's session id (the session this tab shows), when on a session page. */
  shownSession?: string
  /** URL of the server the tab's REST client uses (the server store's current server). */
  serverUrl?: string
  lastCursor: number
  relay: TabRelayStatus
  /** Last REST error shown by the app (`connection.apiError`). */
  apiError?: string
  /** Ids of every session in the directory's session list. */
  sessionIds: string[]
  /** Sessions whose transcript the tab loaded. */
  sessions: Record<string, TabSessionView>
  /** Request ids of the permission prompts in the DOM. */
  promptIds: string[]
  /** Text of the connection badge's tooltip (what the user reads about the connection). */
  badgeTitle: string
  /** Whether the storage banner is shown, and its text. */
  storageBanner?: string
  failedEvents: number
  droppedDeltas: number
  unknownEvents: number
  unknownTypes: Record<string, number>
}

/** The server's truth about one session. */
export interface ServerSession {
  messages: MessageView[]
  /** Pending permission request ids. */
  permissions: string[]
  /** Status type (`idle` when absent from `/session/status`). */
  status: string
}

/** One discrepancy between a tab and the server. */
export interface Problem {
  /**
   * `lost`: the server has it, the tab does not (or holds a strict prefix of its text);
   * `duplicated`: the tab has it twice (or its text holds more than the server's, starting with it);
   * `extra`: the tab has something the server never had; `stale`: same ids, other state.
   */
  kind: 'lost' | 'duplicated' | 'extra' | 'stale'
  what: string
}

/** Result of comparing one tab's session with the server. */
export interface SessionCheck {
  messages: number
  parts: number
  problems: Problem[]
}

/** A plain JSON object. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined
}

function num(x: unknown, fallback = 0): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : fallback
}

/** Projects a part (`Part` of the SDK, from REST or from the store) to a {@link PartView}; undefined when malformed. */
export function projectPart(p: unknown): PartView | undefined {
  if (!isRecord(p)) return undefined
  const id = str(p.id)
  const type = str(p.type)
  if (!id || !type) return undefined
  const out: PartView = { id, type }
  if ((type === 'text' || type === 'reasoning') && typeof p.text === 'string') {
    out.text = p.text
    out.ended = isRecord(p.time) && typeof p.time.end === 'number'
  }
  if (type === 'tool' && isRecord(p.state)) {
    const status = str(p.state.status)
    if (status) out.status = status
  }
  return out
}

/** Projects a message info and its parts to a {@link MessageView}; undefined when malformed. */
export function projectMessage(info: unknown, parts: readonly unknown[]): MessageView | undefined {
  if (!isRecord(info)) return undefined
  const id = str(info.id)
  const role = str(info.role)
  if (!id || !role) return undefined
  const out: MessageView = {
    id,
    role,
    completed: isRecord(info.time) && typeof info.time.completed === 'number',
    parts: parts.map(projectPart).filter((p): p is PartView => p !== undefined),
  }
  if (isRecord(info.error)) {
    const name = str(info.error.name)
    if (name) out.error = name
  }
  return out
}

/** Reads a REST JSON document from `opencode serve`. @throws Error on a non-2xx answer. */
async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) })
  const text = await res.text()
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${text.slice(0, 200)}`)
  return text ? JSON.parse(text) : undefined
}

/** Server-side reads for the invariants (straight to `opencode serve`, never through a proxy). */
export class ServerTruth {
  /**
   * @param url base URL of `opencode serve`, e.g. `http://127.0.0.1:4096`
   * @param directory absolute project directory (the `?directory=` of every call)
   */
  constructor(
    readonly url: string,
    readonly directory: string,
  ) {}

  private q(path: string): string {
    const sep = path.includes('?') ? '&' : '?'
    return `${this.url}${path}${sep}directory=${encodeURIComponent(this.directory)}`
  }

  /**
   * Ids of every session (`GET /session?limit=…`). Without `limit` the endpoint answers only the
   * 100 most recently updated sessions (opencode 1.18.33), which made a world past 100 sessions
   * report the app's older sessions as "listed but not on the server" (soak seed 3984976017).
   */
  async sessionIds(): Promise<string[]> {
    const data = await getJson(this.q(`/session?limit=${Number.MAX_SAFE_INTEGER}`))
    if (!Array.isArray(data)) throw new Error('GET /session: not an array')
    return data.map((s: unknown) => (isRecord(s) ? str(s.id) : undefined)).filter((s): s is string => s !== undefined)
  }

  /** Status type by session id (`GET /session/status`, which lists only non-idle sessions). */
  async statuses(): Promise<Record<string, string>> {
    const data = await getJson(this.q('/session/status'))
    const out: Record<string, string> = {}
    if (isRecord(data)) for (const [id, st] of Object.entries(data)) if (isRecord(st) && typeof st.type === 'string') out[id] = st.type
    return out
  }

  /** Pending permission request ids by session id (`GET /permission`). */
  async permissions(): Promise<Record<string, string[]>> {
    const data = await getJson(this.q('/permission'))
    const out: Record<string, string[]> = {}
    if (Array.isArray(data)) {
      for (const p of data) {
        if (!isRecord(p)) continue
        const id = str(p.id)
        const sessionID = str(p.sessionID)
        if (id && sessionID) (out[sessionID] ??= []).push(id)
      }
    }
    for (const list of Object.values(out)) list.sort()
    return out
  }

  /** Messages of a session with their parts (`GET /session/{id}/message`), projected. */
  async messages(sessionID: string): Promise<MessageView[]> {
    const data = await getJson(this.q(`/session/${sessionID}/message`))
    if (!Array.isArray(data)) throw new Error(`GET /session/${sessionID}/message: not an array`)
    const out: MessageView[] = []
    for (const m of data) {
      if (!isRecord(m)) continue
      const view = projectMessage(m.info, Array.isArray(m.parts) ? m.parts : [])
      if (view) out.push(view)
    }
    return out
  }

  /** Everything about the given sessions at once. */
  async sessions(ids: readonly string[]): Promise<Record<string, ServerSession>> {
    const [statuses, permissions] = await Promise.all([this.statuses(), this.permissions()])
    const out: Record<string, ServerSession> = {}
    await Promise.all(
      ids.map(async (id) => {
        out[id] = { messages: await this.messages(id), permissions: permissions[id] ?? [], status: statuses[id] ?? 'idle' }
      }),
    )
    return out
  }

  /**
   * Replies to a pending permission (`POST /permission/{requestID}/reply`, body `{ reply }`).
   * @throws Error on a non-2xx answer.
   */
  async replyPermission(requestID: string, reply: 'once' | 'always' | 'reject' = 'once'): Promise<void> {
    const res = await fetch(this.q(`/permission/${requestID}/reply`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reply }),
      signal: AbortSignal.timeout(15_000),
    })
    if (!res.ok) throw new Error(`POST /permission/${requestID}/reply: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`)
  }
}

/** Raw data as it leaves the page (JSON-cloned), narrowed in Node by {@link readTab}. */
interface RawTab {
  error?: string
  shownSession?: string
  serverUrl?: unknown
  lastCursor?: unknown
  status?: unknown
  apiError?: unknown
  sessionIds?: unknown
  loads?: unknown
  messages?: unknown
  parts?: unknown
  statuses?: unknown
  permissions?: unknown
  promptIds?: unknown
  badgeTitle?: unknown
  storageBanner?: unknown
  counters?: unknown
}

/**
 * Reads a tab's state for `directory` (see the module comment for where it comes from).
 * @throws Error when the app is not mounted yet or its stores are missing (the caller retries).
 */
export async function readTab(page: Page, directory: string): Promise<TabView> {
  const raw: RawTab = await page.evaluate((dir: string): RawTab => {
    const rec = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null
    const el = document.querySelector('#app')
    const app: unknown = el && '__vue_app__' in el ? el.__vue_app__ : undefined
    if (!rec(app) || !rec(app.config) || !rec(app.config.globalProperties)) return { error: 'app not mounted' }
    const pinia = app.config.globalProperties.$pinia
    if (!rec(pinia) || !(pinia._s instanceof Map)) return { error: 'no pinia' }
    const sync: unknown = pinia._s.get('sync')
    const connection: unknown = pinia._s.get('connection')
    const server: unknown = pinia._s.get('server')
    if (!rec(sync) || !rec(connection) || !rec(sync.state)) return { error: 'stores not created yet' }
    const state = sync.state
    const dirs = rec(state.directories) ? state.directories : {}
    const d = rec(dirs[dir]) ? dirs[dir] : undefined
    const loads: Record<string, string> = {}
    const messages: Record<string, unknown> = {}
    const parts: Record<string, unknown> = {}
    const statuses: Record<string, unknown> = {}
    const permissions: Record<string, unknown> = {}
    const sessionLoads = rec(sync.sessionLoads) ? sync.sessionLoads : {}
    for (const [sid, load] of Object.entries(sessionLoads)) {
      if (!rec(load) || load.directory !== dir || load.status === 'idle') continue
      loads[sid] = load.status === 'error' && typeof load.error === 'string' ? `error (${load.error})` : String(load.status)
      const list = d && rec(d.messages) && Array.isArray(d.messages[sid]) ? d.messages[sid] : []
      messages[sid] = list
      for (const m of list) {
        const mid = rec(m) && typeof m.id === 'string' ? m.id : undefined
        if (mid && d && rec(d.parts)) parts[mid] = d.parts[mid] ?? []
      }
      statuses[sid] = d && rec(d.status) ? d.status[sid] : undefined
      permissions[sid] = d && rec(d.permissions) ? d.permissions[sid] : undefined
    }
    const sessionIds = d && Array.isArray(d.sessions) ? d.sessions.map((s: unknown) => (rec(s) ? s.id : undefined)) : []
    const promptIds = [...document.querySelectorAll<HTMLElement>('[data-testid="permission-prompt"]')].map((e) => e.dataset.requestId ?? '')
    const badge = document.querySelector<HTMLElement>('[data-testid="connection-badge"]')
    const banner = document.querySelector<HTMLElement>('[data-testid="storage-banner"]')
    const m = /^\/session\/([^/?#]+)/.exec(location.pathname)
    const out: RawTab = {
      shownSession: m ? decodeURIComponent(m[1]) : undefined,
      serverUrl: rec(server) && rec(server.config) ? server.config.url : undefined,
      lastCursor: state.lastCursor,
      status: connection.status,
      apiError: connection.apiError,
      sessionIds,
      loads,
      messages,
      parts,
      statuses,
      permissions,
      promptIds,
      badgeTitle: badge?.title ?? '',
      storageBanner: banner ? (banner.textContent ?? '').trim() : undefined,
      counters: {
        failedEvents: state.failedEvents,
        droppedDeltas: state.droppedDeltas,
        unknownEvents: state.unknownEvents,
        unknownTypes: state.unknownTypes,
      },
    }
    // Structured clone of Vue proxies can fail; a JSON round trip gives plain data.
    return JSON.parse(JSON.stringify(out))
  }, directory)
  if (raw.error) throw new Error(`tab not ready: ${raw.error}`)
  const st = isRecord(raw.status) ? raw.status : {}
  const storage = isRecord(st.storage) ? st.storage : {}
  const relay: TabRelayStatus = {
    state: str(st.state) ?? 'unknown',
    lastError: str(st.lastError),
    storageOk: storage.ok !== false,
    storageError: str(storage.error),
    badFrames: num(st.badFrames),
    catchingUp: st.catchingUp === true,
    mode: str(st.mode) ?? 'unknown',
    server: str(st.server),
    launcher: isRecord(st.launcher) ? str(st.launcher.state) : undefined,
  }
  const loads = isRecord(raw.loads) ? raw.loads : {}
  const msgs = isRecord(raw.messages) ? raw.messages : {}
  const parts = isRecord(raw.parts) ? raw.parts : {}
  const statuses = isRecord(raw.statuses) ? raw.statuses : {}
  const perms = isRecord(raw.permissions) ? raw.permissions : {}
  const sessions: Record<string, TabSessionView> = {}
  for (const [sid, load] of Object.entries(loads)) {
    const list = Array.isArray(msgs[sid]) ? msgs[sid] : []
    const views: MessageView[] = []
    for (const info of list) {
      const id = isRecord(info) ? str(info.id) : undefined
      const ps = id && Array.isArray(parts[id]) ? parts[id] : []
      const v = projectMessage(info, ps)
      if (v) views.push(v)
    }
    const pl = Array.isArray(perms[sid]) ? perms[sid] : []
    const st2 = statuses[sid]
    sessions[sid] = {
      load: str(load) ?? 'unknown',
      messages: views,
      permissions: pl.map((p: unknown) => (isRecord(p) ? str(p.id) : undefined)).filter((p): p is string => p !== undefined).sort(),
      status: isRecord(st2) ? (str(st2.type) ?? 'idle') : 'idle',
    }
  }
  const counters = isRecord(raw.counters) ? raw.counters : {}
  const unknownTypes: Record<string, number> = {}
  if (isRecord(counters.unknownTypes)) for (const [k, v] of Object.entries(counters.unknownTypes)) unknownTypes[k] = num(v)
  return {
    shownSession: raw.shownSession,
    serverUrl: str(raw.serverUrl),
    lastCursor: num(raw.lastCursor),
    relay,
    apiError: str(raw.apiError),
    sessionIds: Array.isArray(raw.sessionIds) ? raw.sessionIds.filter((s: unknown): s is string => typeof s === 'string') : [],
    sessions,
    promptIds: Array.isArray(raw.promptIds) ? raw.promptIds.filter((s: unknown): s is string => typeof s === 'string').sort() : [],
    badgeTitle: str(raw.badgeTitle) ?? '',
    storageBanner: str(raw.storageBanner),
    failedEvents: num(counters.failedEvents),
    droppedDeltas: num(counters.droppedDeltas),
    unknownEvents: num(counters.unknownEvents),
    unknownTypes,
  }
}

/** The most messages a tab is required to hold: its first REST page (`MESSAGE_PAGE_SIZE` in src/sync/session-load.ts). */
export const REQUIRED_WINDOW = 100

function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>()
  const dups: string[] = []
  for (const id of ids) {
    if (seen.has(id)) dups.push(id)
    seen.add(id)
  }
  return dups
}

/**
 * Compares a tab's session with the server's. The tab must hold a contiguous newest window of
 * the transcript (at least the newest {@link REQUIRED_WINDOW} messages, or all of them): every
 * server message from the oldest one the tab holds onwards, in order, each with the same parts
 * (ids, order, text, end mark, tool status) and the same completion and error.
 */
export function compareSession(sessionID: string, tab: TabSessionView, server: ServerSession): SessionCheck {
  const problems: Problem[] = []
  const tabIds = tab.messages.map((m) => m.id)
  for (const id of duplicates(tabIds)) problems.push({ kind: 'duplicated', what: `message ${id} of ${sessionID} held twice` })
  const serverIds = server.messages.map((m) => m.id)
  const serverSet = new Set(serverIds)
  for (const id of tabIds) if (!serverSet.has(id)) problems.push({ kind: 'extra', what: `message ${id} of ${sessionID} is not on the server` })
  const oldest = tabIds.length ? [...tabIds].sort()[0] : undefined
  const window = oldest === undefined ? server.messages : server.messages.filter((m) => m.id >= oldest)
  const need = Math.min(server.messages.length, REQUIRED_WINDOW)
  if (window.length < need) {
    for (const m of server.messages.slice(server.messages.length - need, server.messages.length - window.length)) {
      problems.push({ kind: 'lost', what: `message ${m.id} of ${sessionID} (older than the tab's window)` })
    }
  }
  const byId = new Map(tab.messages.map((m) => [m.id, m]))
  let parts = 0
  for (const sm of window) {
    const tm = byId.get(sm.id)
    if (!tm) {
      problems.push({ kind: 'lost', what: `message ${sm.id} (${sm.role}) of ${sessionID}` })
      continue
    }
    if (tm.completed !== sm.completed || tm.error !== sm.error || tm.role !== sm.role) {
      problems.push({ kind: 'stale', what: `message ${sm.id}: tab completed=${tm.completed} error=${tm.error ?? '-'}, server completed=${sm.completed} error=${sm.error ?? '-'}` })
    }
    const tabParts = tm.parts.map((p) => p.id)
    for (const id of duplicates(tabParts)) problems.push({ kind: 'duplicated', what: `part ${id} of message ${sm.id} held twice` })
    const tp = new Map(tm.parts.map((p) => [p.id, p]))
    const sp = new Set(sm.parts.map((p) => p.id))
    for (const p of tm.parts) if (!sp.has(p.id)) problems.push({ kind: 'extra', what: `part ${p.id} (${p.type}) of message ${sm.id} is not on the server` })
    for (const p of sm.parts) {
      parts++
      const t = tp.get(p.id)
      if (!t) {
        problems.push({ kind: 'lost', what: `part ${p.id} (${p.type}) of message ${sm.id}` })
        continue
      }
      if (p.text !== undefined && t.text !== p.text) {
        const tt = t.text ?? ''
        if (p.text.startsWith(tt)) problems.push({ kind: 'lost', what: `text of part ${p.id}: tab has ${tt.length} of ${p.text.length} chars` })
        else if (tt.length > p.text.length) problems.push({ kind: 'duplicated', what: `text of part ${p.id}: tab has ${tt.length} chars, server ${p.text.length} (…${JSON.stringify(tt.slice(-40))} vs …${JSON.stringify(p.text.slice(-40))})` })
        else problems.push({ kind: 'stale', what: `text of part ${p.id} differs: tab …${JSON.stringify(tt.slice(-40))}, server …${JSON.stringify(p.text.slice(-40))}` })
      } else if (t.ended !== p.ended || t.status !== p.status || t.type !== p.type) {
        problems.push({ kind: 'stale', what: `part ${p.id} (${p.type}): tab ended=${t.ended} status=${t.status}, server ended=${p.ended} status=${p.status}` })
      }
    }
    const order = tabParts.filter((id) => sp.has(id)).join(',')
    const serverOrder = sm.parts.map((p) => p.id).filter((id) => tp.has(id)).join(',')
    if (order !== serverOrder) problems.push({ kind: 'stale', what: `parts of message ${sm.id} in another order` })
  }
  if ((tab.status === 'idle') !== (server.status === 'idle')) {
    problems.push({ kind: 'stale', what: `status of ${sessionID}: tab ${tab.status}, server ${server.status}` })
  }
  const tp = tab.permissions.join(',')
  const spm = server.permissions.join(',')
  if (tp !== spm) {
    for (const id of server.permissions) if (!tab.permissions.includes(id)) problems.push({ kind: 'lost', what: `permission ${id} of ${sessionID}` })
    for (const id of tab.permissions) if (!server.permissions.includes(id)) problems.push({ kind: 'extra', what: `permission ${id} of ${sessionID} no longer pending on the server` })
  }
  return { messages: window.length, parts, problems }
}

/** Compares the session list: every server session must be listed once, nothing else. */
export function compareSessionList(tabIds: readonly string[], serverIds: readonly string[]): Problem[] {
  const problems: Problem[] = []
  for (const id of duplicates(tabIds)) problems.push({ kind: 'duplicated', what: `session ${id} listed twice` })
  const t = new Set(tabIds)
  const s = new Set(serverIds)
  for (const id of serverIds) if (!t.has(id)) problems.push({ kind: 'lost', what: `session ${id} missing from the session list` })
  for (const id of tabIds) if (!s.has(id)) problems.push({ kind: 'extra', what: `session ${id} listed but not on the server` })
  return problems
}

/** One row of the relay's event log as the duplicate check needs it. */
export interface LogRow {
  cursor: number
  id: string
}

/**
 * Reads the event log rows with a cursor above `after` from the relay's IndexedDB database `name`
 * (see {@link logDatabaseName}), in cursor order, as `{cursor, id}` only. Never creates the
 * database: when it does not exist yet, returns `[]`.
 * @throws Error when IndexedDB cannot be read.
 */
export async function readLogRows(page: Page, name: string, after: number): Promise<LogRow[]> {
  return page.evaluate(
    async ({ name, after }: { name: string; after: number }) => {
      const db = await new Promise<IDBDatabase | undefined>((resolve, reject) => {
        const req = indexedDB.open(name)
        req.onupgradeneeded = () => {
          // The database did not exist: do not create it (that would race the relay's own open).
          req.transaction?.abort()
        }
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => (req.error?.name === 'AbortError' ? resolve(undefined) : reject(new Error(String(req.error))))
        req.onblocked = () => undefined
      })
      if (!db) return []
      try {
        if (!db.objectStoreNames.contains('events')) return []
        const store = db.transaction('events', 'readonly').objectStore('events')
        const rows = await new Promise<unknown[]>((resolve, reject) => {
          const r = store.getAll(IDBKeyRange.lowerBound(after, true))
          r.onsuccess = () => resolve(r.result)
          r.onerror = () => reject(new Error(String(r.error)))
        })
        const out: Array<{ cursor: number; id: string }> = []
        for (const row of rows) {
          if (typeof row === 'object' && row !== null && 'cursor' in row && 'id' in row && typeof row.cursor === 'number' && typeof row.id === 'string') {
            out.push({ cursor: row.cursor, id: row.id })
          }
        }
        return out
      } finally {
        db.close()
      }
    },
    { name, after },
  )
}

/**
 * Name of the relay's event log database for a server (`logName(logKey(server))` in
 * sw/relay/runtime.ts): `key` is the server's identity (the launcher's `launcher:<dir>`), or its
 * URL when it has none.
 */
export function logDatabaseName(key: string): string {
  return `opencode-relay:${key}`
}

/** One relay status a tab received, as recorded by {@link recordStatuses}. */
export interface StatusRecord {
  /** Epoch ms in the page when the tab received it. */
  at: number
  state: string
  lastError?: string
  attempt: number
  badFrames: number
  catchingUp: boolean
  storageOk: boolean
  storageError?: string
  /** The relay was in degraded mode (polling over REST, sw/relay/degraded.ts): why. */
  degraded?: string
}

/**
 * Starts recording every relay status the tab receives (through the `connection` store's
 * `$subscribe`, synchronously), in `window.__relayStatusLog` (the last 200). Idempotent per page
 * load; returns false when the store is not there yet.
 */
export async function recordStatuses(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    if (Array.isArray(Reflect.get(window, '__relayStatusLog'))) return true
    const rec = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null
    const el = document.querySelector('#app')
    const app: unknown = el && '__vue_app__' in el ? el.__vue_app__ : undefined
    if (!rec(app) || !rec(app.config) || !rec(app.config.globalProperties)) return false
    const pinia = app.config.globalProperties.$pinia
    if (!rec(pinia) || !(pinia._s instanceof Map)) return false
    const connection: unknown = pinia._s.get('connection')
    if (!rec(connection) || typeof connection.$subscribe !== 'function') return false
    const log: unknown[] = []
    Reflect.set(window, '__relayStatusLog', log)
    const push = () => {
      const st = connection.status
      if (!rec(st)) return
      const storage = rec(st.storage) ? st.storage : {}
      const degraded = rec(st.degraded) ? String(st.degraded.reason) : undefined
      log.push({ at: Date.now(), state: st.state, lastError: st.lastError, attempt: st.attempt, badFrames: st.badFrames, catchingUp: st.catchingUp, storageOk: storage.ok !== false, storageError: storage.error, degraded })
      if (log.length > 200) log.splice(0, log.length - 200)
    }
    push()
    connection.$subscribe(push, { flush: 'sync', detached: true })
    return true
  })
}

/**
 * One line on what a tab holds, for failure reports: the last relay cursor it applied and each
 * session it asked for with its load status (`ses_x loaded`, `ses_y error (…)`), from the `sync`
 * store. Never throws: a tab whose stores are not there says so.
 */
export async function tabLoads(page: Page): Promise<string> {
  const raw: unknown = await page
    .evaluate(() => {
      const rec = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null
      const el = document.querySelector('#app')
      const app: unknown = el && '__vue_app__' in el ? el.__vue_app__ : undefined
      if (!rec(app) || !rec(app.config) || !rec(app.config.globalProperties)) return 'app not mounted'
      const pinia = app.config.globalProperties.$pinia
      const sync: unknown = rec(pinia) && pinia._s instanceof Map ? pinia._s.get('sync') : undefined
      if (!rec(sync) || !rec(sync.state)) return 'no sync store'
      const loads = rec(sync.sessionLoads) ? Object.entries(sync.sessionLoads) : []
      const each = loads.map(([sid, load]) => (rec(load) ? `${sid} ${String(load.status)}${typeof load.error === 'string' ? ` (${load.error})` : ''}` : sid))
      return `cursor ${String(sync.state.lastCursor)}; sessions: ${each.join(', ') || 'none asked for'}`
    })
    .catch((err: unknown) => `unreadable (${String(err).slice(0, 120)})`)
  return typeof raw === 'string' ? raw : 'unreadable'
}

/** The statuses recorded by {@link recordStatuses} (empty when not recording). */
export async function statusLog(page: Page): Promise<StatusRecord[]> {
  const raw: unknown = await page.evaluate(() => {
    const log: unknown = Reflect.get(window, '__relayStatusLog')
    return Array.isArray(log) ? JSON.parse(JSON.stringify(log)) : []
  })
  if (!Array.isArray(raw)) return []
  const out: StatusRecord[] = []
  for (const r of raw) {
    if (!isRecord(r)) continue
    out.push({
      at: num(r.at),
      state: str(r.state) ?? 'unknown',
      lastError: str(r.lastError),
      attempt: num(r.attempt),
      badFrames: num(r.badFrames),
      catchingUp: r.catchingUp === true,
      storageOk: r.storageOk !== false,
      storageError: str(r.storageError),
      degraded: str(r.degraded),
    })
  }
  return out
}

/**
 * The stored payload of the event log row with id `id` (through the unique `id` index), or
 * undefined when absent or when the database does not exist.
 */
export async function readLogPayload(page: Page, name: string, id: string): Promise<unknown> {
  return page.evaluate(
    async ({ name, id }: { name: string; id: string }) => {
      const db = await new Promise<IDBDatabase | undefined>((resolve, reject) => {
        const req = indexedDB.open(name)
        req.onupgradeneeded = () => req.transaction?.abort()
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => (req.error?.name === 'AbortError' ? resolve(undefined) : reject(new Error(String(req.error))))
      })
      if (!db) return undefined
      try {
        const store = db.transaction('events', 'readonly').objectStore('events')
        const row = await new Promise<unknown>((resolve, reject) => {
          const r = store.index('id').get(id)
          r.onsuccess = () => resolve(r.result)
          r.onerror = () => reject(new Error(String(r.error)))
        })
        return typeof row === 'object' && row !== null && 'payload' in row ? JSON.parse(JSON.stringify(row.payload)) : undefined
      } finally {
        db.close()
      }
    },
    { name, id },
  )
}
