/**
 * The project terminals (PTYs on the server) the Terminal panel shows, and which one is active.
 *
 * Per project (`directory`): the shown PTY ids persist in localStorage (src/terminal/persist.ts),
 * so after a reload {@link open} lists the server's PTYs (`GET /pty`) and keeps those it still
 * has. The live socket of each terminal is owned by its view (TerminalView.vue), which reports the
 * socket state here; `pty.exited` / `pty.deleted` events from the relay, when they arrive, add the
 * exit code and "removed on the server", and `pty.updated` a title another tab gave.
 *
 * The shell picker's options come from `GET /pty/shells` (once per server; a failure or an empty
 * list hides the picker and new terminals run the server's default shell); the chosen shell is
 * remembered per browser and server (src/terminal/shells.ts) and sent as `command` of `POST /pty`.
 *
 * Endpoints: `GET /pty`, `GET /pty/shells`, `POST /pty`, `DELETE /pty/{id}`, `PUT /pty/{id}` (size,
 * through src/api/opencode.ts; title, through src/api/pty.ts), `POST /pty/{id}/connect-token`.
 */
import { defineStore } from 'pinia'
import { reactive, ref } from 'vue'
import { errorMessage, httpStatus, type PtySize } from '../api/opencode.ts'
import { createPtyApi } from '../api/pty.ts'
import { hasRelay, useRelay } from '../relay-client/provide.ts'
import { ptyChange } from '../../sw/shared/opencode-events.ts'
import { loadShownTerminals, reconcileShown, saveShownTerminals, type ShownTerminals } from '../terminal/persist.ts'
import { PtyGoneError, type PtySocketState } from '../terminal/pty-socket.ts'
import { ptyConnectUrl } from '../terminal/protocol.ts'
import { effectiveShell, loadShellChoice, normalizeTerminalTitle, saveShellChoice, shellName, shellOptions, type ShellOption } from '../terminal/shells.ts'
import { t } from '../i18n/index.ts'
import { useServerStore } from './server.ts'

/** What the panel knows of one terminal. */
export interface TerminalEntry {
  id: string
  directory: string
  title: string
  /** The name of the program it runs (`bash`), from `Pty.command`. */
  shell?: string
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
  /** The server has no PTY API: `GET /pty` answered 404 (a build or proxy without terminals). */
  unsupported?: boolean
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
 * Terminals store. State: `projects` (by directory), `entries` (by PTY id), `shells` (the picker's
 * options, `GET /pty/shells`), `shellChoice` (the remembered shell path). Actions: `open`,
 * `create`, `remove`, `rename`, `select`, `chooseShell`, `report`, `resize`, `connectUrl`.
 */
export const useTerminalsStore = defineStore('terminals', () => {
  const server = useServerStore()
  const projects = reactive<Record<string, ProjectTerminals>>({})
  const entries = reactive<Record<string, TerminalEntry>>({})
  const listening = ref(false)
  /** The picker's options for the current server; empty (picker hidden) until loaded, or when the list failed or was empty. */
  const shells = ref<ShellOption[]>([])
  /** The remembered shell path, `undefined` = the server's default shell. */
  const shellChoice = ref<string | undefined>()
  /** The server (storage key) whose shells were asked for. */
  let shellsFor: string | undefined

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
    void loadShells(directory)
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
        if (entry) {
          entry.title = pty.title
          entry.shell = shellName(pty.command)
        } else entries[pty.id] = { id: pty.id, directory, title: pty.title, shell: shellName(pty.command), state: 'connecting' }
      }
      p.error = undefined
      p.unsupported = false
      persist(directory)
    } catch (err) {
      p.error = errorMessage(err)
      p.unsupported = httpStatus(err) === 404
    } finally {
      p.loading = false
    }
  }

  /**
   * `GET /pty/shells`, once per server: the picker's options ({@link shellOptions}) and the
   * remembered choice. A failure leaves no options (the picker hides; the default shell is used)
   * and is asked again on the next {@link open}.
   */
  async function loadShells(directory: string): Promise<void> {
    const key = server.storageKey
    if (shellsFor === key) return
    shellsFor = key
    shells.value = []
    shellChoice.value = loadShellChoice(key)
    try {
      const list = shellOptions(await server.api.ptyShells(directory))
      if (shellsFor === key) shells.value = list
    } catch {
      if (shellsFor !== key) return
      shells.value = []
      shellsFor = undefined
    }
  }

  /** Remembers the shell new terminals run (a path from {@link shells}); `undefined` = the server's default. */
  function chooseShell(path: string | undefined): void {
    const chosen = effectiveShell(path, shells.value)
    shellChoice.value = chosen
    saveShellChoice(server.storageKey, chosen)
  }

  /**
   * `POST /pty`: starts a shell in the project directory and shows it: the chosen shell as
   * `command` when the server offers it, else (no `command`) the server's default shell.
   */
  async function create(directory: string): Promise<TerminalEntry> {
    listen()
    const p = project(directory)
    const command = effectiveShell(shellChoice.value, shells.value)
    const pty = await server.api.createPty(directory, { title: t('terminal.defaultTitle', { n: p.ids.length + 1 }), ...(command ? { command } : {}) })
    entries[pty.id] = { id: pty.id, directory, title: pty.title, shell: shellName(pty.command), state: 'connecting' }
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

  /**
   * Renames a terminal: `PUT /pty/{id}` with `title` (src/api/pty.ts); the server keeps it for
   * the PTY's life and sends `pty.updated`, so other tabs show it too. The tab shows the new title
   * at once and gets the old one back when the call fails (then it throws). A blank or unchanged
   * title does nothing. A terminal that is over has no PTY left to rename: its tab is renamed here only.
   */
  async function rename(directory: string, id: string, input: string): Promise<void> {
    const entry = entries[id]
    const title = normalizeTerminalTitle(input)
    if (!entry || title === undefined || title === entry.title) return
    const before = entry.title
    entry.title = title
    if (entry.state === 'ended' || entry.state === 'exited' || entry.state === 'gone') return
    try {
      const pty = await createPtyApi(server.config).renamePty(directory, id, title)
      if (entries[id] && entries[id].title === title) entries[id].title = pty.title
    } catch (err) {
      if (entries[id] && entries[id].title === title) entries[id].title = before
      throw err
    }
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

  return { projects, entries, shells, shellChoice, project, open, create, remove, rename, select, chooseShell, report, resize, connectUrl }
})
