/**
 * The project terminals (PTYs on the server) the Terminal panel shows, and which one is active.
 *
 * Per project (`directory`): the shown PTY ids persist in localStorage (src/terminal/persist.ts),
 * so after a reload {@link open} lists the server's PTYs (`GET /pty`) and keeps those it still
 * has. The live socket of each terminal is owned by its view (TerminalView.vue), which reports the
 * socket state here; `pty.exited` / `pty.deleted` events from the relay, when they arrive, add the
 * exit code and "removed on the server".
 *
 * Endpoints: `GET /pty`, `POST /pty`, `DELETE /pty/{id}`, `PUT /pty/{id}` (size),
 * `POST /pty/{id}/connect-token` (through src/api/opencode.ts).
 */
import { defineStore } from 'pinia'
import { reactive, ref } from 'vue'
import { errorMessage, httpStatus, type PtySize } from '../api/opencode.ts'
import { hasRelay, useRelay } from '../relay-client/provide.ts'
import { ptyChange } from '../../sw/shared/opencode-events.ts'
import { loadShownTerminals, reconcileShown, saveShownTerminals, type ShownTerminals } from '../terminal/persist.ts'
import { PtyGoneError, type PtySocketState } from '../terminal/pty-socket.ts'
import { ptyConnectUrl } from '../terminal/protocol.ts'
import { t } from '../i18n/index.ts'
import { useServerStore } from './server.ts'

/** What the panel knows of one terminal. */
export interface TerminalEntry {
  id: string
  directory: string
  title: string
  /** Socket state reported by the view; `connecting` until it reports. */
  state: PtySocketState
  /** Exit code from a `pty.exited` event, when one arrived. */
  exitCode?: number
  /** A `pty.deleted` event arrived without an exit first (removed on the server). */
  removed?: boolean
}

/** Per-project panel state: ids in tab order, the active id, the last load error. */
export interface ProjectTerminals {
  ids: string[]
  active?: string
  loading: boolean
  error?: string
}

/**
 * The status line of a terminal: `undefined` when open; else "Connecting…", "Reconnecting…",
 * "exited (code N)" / "exited", "closed by the server", "detached".
 */
export function terminalStatusText(entry: Pick<TerminalEntry, 'state' | 'exitCode' | 'removed'>): string | undefined {
  switch (entry.state) {
    case 'open':
      return undefined
    case 'connecting':
      return t('terminal.status.connecting')
    case 'reconnecting':
      return t('terminal.status.reconnecting')
    case 'ended':
    case 'exited':
      if (entry.exitCode !== undefined) return t('terminal.status.exitedWithCode', { code: entry.exitCode })
      return entry.removed ? t('terminal.status.closedByServer') : t('terminal.status.exited')
    case 'gone':
      return entry.exitCode !== undefined ? t('terminal.status.exitedWithCode', { code: entry.exitCode }) : t('terminal.status.closedByServer')
    case 'detached':
      return t('terminal.status.detached')
  }
}

/**
 * Terminals store. State: `projects` (by directory), `entries` (by PTY id). Actions: `open`,
 * `create`, `remove`, `select`, `report`, `resize`, `connectUrl`.
 */
export const useTerminalsStore = defineStore('terminals', () => {
  const server = useServerStore()
  const projects = reactive<Record<string, ProjectTerminals>>({})
  const entries = reactive<Record<string, TerminalEntry>>({})
  const listening = ref(false)

  function project(directory: string): ProjectTerminals {
    projects[directory] ??= { ids: [], loading: false }
    return projects[directory]
  }

  function persist(directory: string): void {
    const p = project(directory)
    const shown: ShownTerminals = p.active ? { ids: [...p.ids], active: p.active } : { ids: [...p.ids] }
    saveShownTerminals(server.storageKey, directory, shown)
  }

  function listen(): void {
    if (listening.value || !hasRelay()) return
    listening.value = true
    useRelay().onEvents((events) => {
      for (const e of events) {
        const change = ptyChange(e.payload)
        const entry = change && entries[change.ptyID]
        if (!change || !entry) continue
        if (change.kind === 'exited') entry.exitCode = change.exitCode
        else if (change.kind === 'deleted') {
          if (entry.exitCode === undefined) entry.removed = true
        } else entry.title = change.title
      }
    })
  }

  /**
   * Loads a project's terminals: the persisted shown ids that `GET /pty` still lists (the others are
   * forgotten). Safe to call on every open/focus; a failure is kept in `error`.
   */
  async function open(directory: string): Promise<void> {
    listen()
    const p = project(directory)
    p.loading = true
    try {
      const live = await server.api.listPtys(directory)
      const stored = loadShownTerminals(server.storageKey, directory)
      const merged: ShownTerminals = { ids: [...new Set([...stored.ids, ...p.ids])], active: p.active ?? stored.active }
      const kept = reconcileShown(merged, live.map((x) => x.id))
      // Terminals this tab already shows whose PTY ended stay visible (with their final state).
      const ended = p.ids.filter((id) => !kept.ids.includes(id) && entries[id] && entries[id].state !== 'open' && entries[id].state !== 'connecting')
      p.ids = [...kept.ids, ...ended]
      p.active = p.active && p.ids.includes(p.active) ? p.active : kept.active ?? p.ids[0]
      for (const pty of live) {
        if (!p.ids.includes(pty.id)) continue
        const entry = entries[pty.id]
        if (entry) entry.title = pty.title
        else entries[pty.id] = { id: pty.id, directory, title: pty.title, state: 'connecting' }
      }
      p.error = undefined
      persist(directory)
    } catch (err) {
      p.error = errorMessage(err)
    } finally {
      p.loading = false
    }
  }

  /** `POST /pty`: starts a shell in the project directory and shows it. */
  async function create(directory: string): Promise<TerminalEntry> {
    listen()
    const p = project(directory)
    const pty = await server.api.createPty(directory, { title: t('terminal.defaultTitle', { n: p.ids.length + 1 }) })
    entries[pty.id] = { id: pty.id, directory, title: pty.title, state: 'connecting' }
    p.ids.push(pty.id)
    p.active = pty.id
    persist(directory)
    return entries[pty.id]
  }

  /** Closes a terminal: `DELETE /pty/{id}` (unless it is already over) and drops its tab. */
  async function remove(directory: string, id: string): Promise<void> {
    const p = project(directory)
    const entry = entries[id]
    const over = entry && (entry.state === 'ended' || entry.state === 'exited' || entry.state === 'gone')
    if (!over) await server.api.removePty(directory, id)
    const index = p.ids.indexOf(id)
    p.ids = p.ids.filter((x) => x !== id)
    if (p.active === id) p.active = p.ids[Math.min(index, p.ids.length - 1)]
    delete entries[id]
    persist(directory)
  }

  /** Shows terminal `id`. */
  function select(directory: string, id: string): void {
    const p = project(directory)
    if (!p.ids.includes(id)) return
    p.active = id
    persist(directory)
  }

  /** The view reports its socket state. */
  function report(id: string, state: PtySocketState): void {
    const entry = entries[id]
    if (entry) entry.state = state
  }

  /** `PUT /pty/{id}` with the terminal's size in cells; errors are ignored (the next resize retries). */
  async function resize(directory: string, id: string, size: PtySize): Promise<void> {
    try {
      await server.api.resizePty(directory, id, size)
    } catch {
      // A resize racing the PTY's end or a network blip: harmless.
    }
  }

  /**
   * The URL of one WebSocket attempt: fetches a fresh single-use ticket (`POST /pty/{id}/connect-token`).
   * @throws PtyGoneError when the server answers 404 (the PTY is gone); other errors as is.
   */
  async function connectUrl(directory: string, id: string, cursor: number | undefined): Promise<string> {
    try {
      const { ticket } = await server.api.ptyConnectToken(directory, id)
      return ptyConnectUrl(server.api.baseUrl, directory, id, ticket, cursor)
    } catch (err) {
      if (httpStatus(err) === 404) throw new PtyGoneError(errorMessage(err))
      throw err
    }
  }

  return { projects, entries, project, open, create, remove, select, report, resize, connectUrl }
})
