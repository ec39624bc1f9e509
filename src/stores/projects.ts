/**
 * Which project (directory) the tab works in, and the list to pick from: the server's projects
 * (`GET /project`, kept fresh by `project.updated`) plus directories opened by absolute path
 * (remembered in `localStorage` under `opencode-relay:recent-directories`).
 *
 * A directory is remembered only once the server has listed it (`GET /file?path=.&directory=D`,
 * see `listDirectory` in src/api/opencode.ts): opencode 1.18.33 accepts any `directory` on its
 * other routes (`GET /path`, `GET /project/current`, `GET /session` answer 200 for
 * `/does/not/exist`, as an empty project "global" at `/`), and only reading the directory fails.
 */
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { readJson, writeJson } from './storage.ts'
import { useSyncStore } from './sync.ts'
import { useServerStore } from './server.ts'
import { httpStatus, serverErrorMessage } from '../api/opencode.ts'
import { t } from '../i18n/index.ts'

const RECENT_KEY = 'opencode-relay:recent-directories'
const RECENT_LIMIT = 12

/** An entry of the project picker. */
export interface ProjectEntry {
  /** Absolute directory (the project's worktree for server projects). */
  directory: string
  /** Display name: the project's name, else the last path segment. */
  name: string
  /** Server project id when the server knows it. */
  projectID?: string
  /** Last activity (epoch ms) when known. */
  updated?: number
}

/** Last path segment of an absolute path (`/a/b/` → `b`). */
export function basename(path: string): string {
  const parts = path.replace(/[\\/]+$/, '').split(/[\\/]/)
  return parts[parts.length - 1] || path
}

/** Whether `path` looks absolute (POSIX `/…`, Windows `C:\…`, or `~`). */
export function isAbsolutePath(path: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|~)/.test(path.trim())
}

/** Trims `path` and drops trailing slashes (a lone `/` stays). */
export function normalizePath(path: string): string {
  return path.trim().replace(/(.)[\\/]+$/, '$1')
}

/** Why the server refuses to open `directory`, from its error (see {@link serverErrorMessage}), in the current locale. */
export function refusalMessage(directory: string, err: unknown): string {
  return t('shell.projects.refused', { directory, reason: serverErrorMessage(err) })
}

function parseRecent(json: unknown): string[] {
  return Array.isArray(json) ? json.filter((x): x is string => typeof x === 'string').slice(0, RECENT_LIMIT) : []
}

/**
 * Current project and the picker's list (both per server). State: `recent`, `currentDirectory`, `refused`
 * (directory → why the server cannot open it). Getters: `entries`, `current`,
 * `fallbackDirectory`. Actions: `open(directory)` (throws on a relative path), `openPath(input)`
 * (the picker's "open by path": checked with the server first), `forget(directory)`.
 */
export const useProjectsStore = defineStore('projects', () => {
  const sync = useSyncStore()
  const server = useServerStore()
  /** Each server has its own recent list (its directories mean nothing to another server). */
  const recentKey = (): string => `${RECENT_KEY}:${server.storageKey}`
  /** The server's list; the one list kept before lists were per server serves as a start. */
  const readRecent = (): string[] => parseRecent(readJson(recentKey()) ?? readJson(RECENT_KEY))
  const recent = ref<string[]>(readRecent())
  /** The directory the tab works in; undefined until known (route, recent, or the server's `/path`). */
  const currentDirectory = ref<string>()
  /** Directories the server refused to list, with the message to show (see {@link refusalMessage}). */
  const refused = ref<Record<string, string>>({})
  /** Directories the current server listed during this page's life (checked once each). */
  let listed = new Set<string>()
  watch(
    () => server.key,
    () => {
      listed = new Set()
      refused.value = {}
    },
  )
  // Another server: its own recent list, and no current directory until the route names one (the
  // previous server's project is not this one's).
  watch(
    () => server.storageKey,
    () => {
      recent.value = readRecent()
      currentDirectory.value = undefined
    },
  )

  watch(recent, (v) => writeJson(recentKey(), v), { deep: true })

  /** Projects for the picker: server projects first (newest activity first), then recent paths. */
  const entries = computed<ProjectEntry[]>(() => {
    const out: ProjectEntry[] = []
    const seen = new Set<string>()
    const projects = [...sync.projects]
      .filter((p) => p.worktree && p.worktree !== '/')
      .sort((a, b) => b.time.updated - a.time.updated)
    for (const p of projects) {
      if (seen.has(p.worktree)) continue
      seen.add(p.worktree)
      out.push({ directory: p.worktree, name: p.name || basename(p.worktree), projectID: p.id, updated: p.time.updated })
    }
    for (const d of [...recent.value, ...(sync.homeDirectory ? [sync.homeDirectory] : [])]) {
      if (seen.has(d)) continue
      seen.add(d)
      out.push({ directory: d, name: basename(d) })
    }
    return out
  })

  const current = computed<ProjectEntry | undefined>(() => {
    const d = currentDirectory.value
    if (!d) return undefined
    return entries.value.find((e) => e.directory === d) ?? { directory: d, name: basename(d) }
  })

  /** Directory to use when the route names none: the last used, else the server's own. */
  const fallbackDirectory = computed(() => recent.value[0] ?? sync.homeDirectory)

  function remember(d: string): void {
    recent.value = [d, ...recent.value.filter((x) => x !== d)].slice(0, RECENT_LIMIT)
  }

  /**
   * Asks the server to list `d` (`GET /file?path=.&directory=d`) unless it did already.
   * @throws Error from the API (the server's error body in `cause`, or a network error).
   */
  async function check(d: string): Promise<void> {
    if (listed.has(d)) return
    await server.api.listDirectory(d)
    listed.add(d)
    if (refused.value[d] !== undefined) {
      const { [d]: _was, ...rest } = refused.value
      refused.value = rest
    }
  }

  /**
   * Makes `directory` current and starts loading it (sessions, agents, commands, providers). It
   * joins the recent list once the server has listed it; when the server answers with an error
   * instead, `refused[directory]` says why and it leaves the recent list. A network failure
   * changes neither.
   * @throws Error when the path is not absolute.
   */
  function open(directory: string): Promise<void> {
    const d = normalizePath(directory)
    if (!isAbsolutePath(d)) throw new Error(t('shell.projects.notAbsolute'))
    currentDirectory.value = d
    const checked = check(d).then(
      () => remember(d),
      (err: unknown) => {
        if (httpStatus(err) === undefined) return
        refused.value = { ...refused.value, [d]: refusalMessage(d, err) }
        forget(d)
      },
    )
    return Promise.all([checked, sync.ensureDirectory(d).catch(() => undefined)]).then(() => undefined)
  }

  /**
   * Opens a directory typed by the user: it must be absolute and the server must list it
   * (`GET /file?path=.&directory=D`). Resolves with the normalized directory, now current and
   * first in the recent list.
   * @throws Error with the message to show next to the input: a relative path, or why the server
   * refused ({@link refusalMessage}); nothing is opened or remembered then.
   */
  async function openPath(input: string): Promise<string> {
    const d = normalizePath(input)
    if (!isAbsolutePath(d)) throw new Error(t('shell.projects.notAbsolute'))
    try {
      await check(d)
    } catch (err) {
      const reason = serverErrorMessage(err)
      throw new Error(httpStatus(err) === undefined ? t('shell.projects.cannotCheck', { directory: d, reason }) : refusalMessage(d, err), { cause: err })
    }
    remember(d)
    void open(d)
    return d
  }

  /** Forgets a directory opened by path (server projects stay listed). */
  function forget(directory: string): void {
    recent.value = recent.value.filter((x) => x !== directory)
  }

  return { recent, currentDirectory, refused, entries, current, fallbackDirectory, open, openPath, forget }
})
