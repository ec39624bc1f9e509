/**
 * Which project (directory) the tab works in, and the list to pick from: the server's projects
 * (`GET /project`, kept fresh by `project.updated`) plus directories opened by absolute path
 * (remembered in `localStorage` under `opencode-relay:recent-directories`).
 */
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { readJson, writeJson } from './storage.ts'
import { useSyncStore } from './sync.ts'

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

function parseRecent(json: unknown): string[] {
  return Array.isArray(json) ? json.filter((x): x is string => typeof x === 'string').slice(0, RECENT_LIMIT) : []
}

/**
 * Current project and the picker's list. State: `recent`, `currentDirectory`. Getters: `entries`,
 * `current`, `fallbackDirectory`. Actions: `open(directory)` (throws on a relative path),
 * `forget(directory)`.
 */
export const useProjectsStore = defineStore('projects', () => {
  const sync = useSyncStore()
  const recent = ref<string[]>(parseRecent(readJson(RECENT_KEY)))
  /** The directory the tab works in; undefined until known (route, recent, or the server's `/path`). */
  const currentDirectory = ref<string>()

  watch(recent, (v) => writeJson(RECENT_KEY, v), { deep: true })

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

  /**
   * Makes `directory` current and starts loading it (sessions, agents, commands, providers).
   * @throws Error when the path is not absolute.
   */
  function open(directory: string): Promise<void> {
    const d = directory.trim().replace(/(.)[\\/]+$/, '$1')
    if (!isAbsolutePath(d)) throw new Error('Enter an absolute path, e.g. /home/me/project')
    currentDirectory.value = d
    recent.value = [d, ...recent.value.filter((x) => x !== d)].slice(0, RECENT_LIMIT)
    return sync.ensureDirectory(d).catch(() => undefined)
  }

  /** Forgets a directory opened by path (server projects stay listed). */
  function forget(directory: string): void {
    recent.value = recent.value.filter((x) => x !== directory)
  }

  return { recent, currentDirectory, entries, current, fallbackDirectory, open, forget }
})
