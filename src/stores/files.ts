/**
 * The Files panel's state per project (`directory`): the tree, read lazily one folder at a time
 * (`GET /file?path=<rel>`, SDK `file.list`) when it is expanded; the git status marks
 * (`GET /file/status`, SDK `file.status`, merged with `GET /vcs/status`, SDK `vcs.status`, because
 * opencode 1.18.33 answers `[]` on the first); and the file open in the viewer
 * (`GET /file/content?path=`, SDK `file.read`), classified by src/api/file-content.ts. A file the
 * server reads as empty is checked against its folder's listing, so a file that vanished says so
 * instead of showing as empty. Every REST call goes through src/api/opencode.ts.
 */
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import type { FileNode } from '@opencode-ai/sdk/v2/types'
import { serverErrorMessage } from '../api/opencode.ts'
import { classifyFileContent, type FileBody } from '../api/file-content.ts'
import { useServerStore } from './server.ts'

/** A git status mark of a file. */
export type FileMark = 'added' | 'modified' | 'deleted'

/** One folder of the tree: its entries once read, whether a read runs, the last read's error. */
export interface FolderState {
  entries?: FileNode[]
  loading: boolean
  error?: string
}

/** A row of the flattened tree: an entry, or a folder's "loading" / error line. */
export type TreeRow =
  | { kind: 'node'; key: string; node: FileNode; depth: number; expanded: boolean }
  | { kind: 'loading'; key: string; depth: number }
  | { kind: 'empty'; key: string; depth: number }
  | { kind: 'error'; key: string; depth: number; message: string }

/** The file shown in the viewer. */
export type OpenFile =
  | { path: string; state: 'loading' }
  | { path: string; state: 'error'; message: string }
  /** The server read nothing and the file is not in its folder (`reason`: why the folder could not be listed). */
  | { path: string; state: 'missing'; reason?: string }
  | { path: string; state: 'ready'; absolute: string; body: FileBody }

/** One project's panel state. */
export interface ProjectFiles {
  /** Folders by key (`''` the project root, `src`, `src/lib`: no trailing slash). */
  folders: Record<string, FolderState>
  /** Expanded folders by key. */
  expanded: Record<string, boolean>
  /** Status marks by file path (relative, as the tree's `path`). */
  marks: Record<string, FileMark>
  /** Why the status could not be read (both endpoints failed). */
  statusError?: string
  /** The file in the viewer, if any. */
  open?: OpenFile
  /** The line to show (and select) in the open file, from a text-search hit. */
  line?: number
}

/** The folder key of a path: no trailing slash, `''` for the root (`.`). */
export function folderKey(path: string): string {
  const p = path.replace(/\/+$/, '').replace(/^\.\/?/, '')
  return p === '.' ? '' : p
}

/** The folder that holds `path` (`src/app.ts` → `src`, `app.ts` → `''`). */
export function parentKey(path: string): string {
  const p = folderKey(path)
  const slash = p.lastIndexOf('/')
  return slash < 0 ? '' : p.slice(0, slash)
}

/** Entries as the tree lists them: folders first, then by name (case-insensitive, numeric). */
export function sortEntries(nodes: readonly FileNode[]): FileNode[] {
  return [...nodes].sort((a, b) => {
    if (a.type !== b.type) return a.type === 'directory' ? -1 : 1
    return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' })
  })
}

/**
 * The visible rows of the tree, depth first from the root: every entry of a read folder; under an
 * expanded folder its entries, or a `loading` row while they are read, an `error` row, or an
 * `empty` row for a folder without entries.
 */
export function visibleRows(folders: Readonly<Record<string, FolderState>>, expanded: Readonly<Record<string, boolean>>): TreeRow[] {
  const rows: TreeRow[] = []
  const walk = (key: string, depth: number): void => {
    const folder = folders[key]
    if (!folder?.entries) {
      if (folder?.error) rows.push({ kind: 'error', key: `${key}\u0000error`, depth, message: folder.error })
      else rows.push({ kind: 'loading', key: `${key}\u0000loading`, depth })
      return
    }
    if (folder.entries.length === 0) rows.push({ kind: 'empty', key: `${key}\u0000empty`, depth })
    for (const node of folder.entries) {
      const child = folderKey(node.path)
      const open = node.type === 'directory' && expanded[child] === true
      rows.push({ kind: 'node', key: node.path, node, depth, expanded: open })
      if (open) walk(child, depth + 1)
    }
  }
  walk('', 0)
  return rows
}

/** Status marks by path from `/file/status` (`path`) and `/vcs/status` (`file`) answers; the first listed wins. */
export function statusMarks(lists: ReadonlyArray<ReadonlyArray<{ path?: string; file?: string; status: FileMark }>>): Record<string, FileMark> {
  const marks: Record<string, FileMark> = {}
  for (const list of lists) {
    for (const entry of list) {
      const path = entry.path ?? entry.file
      if (path && !(path in marks)) marks[path] = entry.status
    }
  }
  return marks
}

/** Folder keys that hold a marked file at any depth (`src/a/b.ts` → `src`, `src/a`). */
export function changedFolders(marks: Readonly<Record<string, FileMark>>): Set<string> {
  const out = new Set<string>()
  for (const path of Object.keys(marks)) {
    for (let key = parentKey(path); key !== ''; key = parentKey(key)) out.add(key)
  }
  return out
}

/**
 * Files store. State: `projects` (by directory). Actions: `project`, `loadFolder`, `toggle`,
 * `refresh`, `loadStatus`, `openFile`, `closeFile`.
 */
export const useFilesStore = defineStore('files', () => {
  const server = useServerStore()
  const projects = reactive<Record<string, ProjectFiles>>({})
  /** The newest `openFile` request per directory: older answers are dropped. */
  const openSeq: Record<string, number> = {}

  /** A project's state (created empty on first use). */
  function project(directory: string): ProjectFiles {
    projects[directory] ??= { folders: {}, expanded: {}, marks: {} }
    return projects[directory]
  }

  /** Reads one folder (`GET /file?path=<key or .>`); a failure is kept on the folder. */
  async function loadFolder(directory: string, key: string): Promise<void> {
    const p = project(directory)
    const folder = (p.folders[key] ??= { loading: false })
    folder.loading = true
    try {
      const entries = await server.api.listFiles(directory, key === '' ? '.' : key)
      p.folders[key] = { entries: sortEntries(entries), loading: false }
    } catch (err) {
      p.folders[key] = { ...(folder.entries ? { entries: folder.entries } : {}), loading: false, error: serverErrorMessage(err) }
    }
  }

  /** Expands a folder (reading it the first time, or again after an error) or collapses it. */
  async function toggle(directory: string, path: string): Promise<void> {
    const p = project(directory)
    const key = folderKey(path)
    if (p.expanded[key]) {
      delete p.expanded[key]
      return
    }
    p.expanded[key] = true
    const folder = p.folders[key]
    if (!folder?.entries && !folder?.loading) await loadFolder(directory, key)
  }

  /**
   * Status marks: `GET /file/status` and `GET /vcs/status`, merged. Both failing keeps the old
   * marks and records the reason.
   */
  async function loadStatus(directory: string): Promise<void> {
    const p = project(directory)
    const [files, vcs] = await Promise.allSettled([server.api.fileStatus(directory), server.api.vcsStatus(directory)])
    const lists = [files, vcs].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    if (lists.length === 0) {
      p.statusError = serverErrorMessage(files.status === 'rejected' ? files.reason : undefined)
      return
    }
    p.marks = statusMarks(lists)
    p.statusError = undefined
  }

  /** Reads the root, every expanded folder and the status again (a refresh of what is shown). */
  async function refresh(directory: string): Promise<void> {
    const p = project(directory)
    const keys = ['', ...Object.keys(p.expanded)]
    await Promise.all([...keys.map((key) => loadFolder(directory, key)), loadStatus(directory)])
  }

  /**
   * Opens a file in the viewer (`GET /file/content?path=`), at `line` when given. An empty answer
   * is checked against the folder's listing (`GET /file?path=<folder>`): a file no longer there is
   * `missing`. A read error is `error` with the server's reason.
   */
  async function openFile(directory: string, path: string, line?: number): Promise<void> {
    const p = project(directory)
    const seq = (openSeq[directory] = (openSeq[directory] ?? 0) + 1)
    p.open = { path, state: 'loading' }
    p.line = line
    const current = () => openSeq[directory] === seq
    try {
      const content = await server.api.readFile(directory, path)
      if (!current()) return
      let absolute = `${directory.replace(/\/+$/, '')}/${path}`
      if (content.type === 'text' && content.content === '') {
        let siblings: FileNode[]
        try {
          siblings = await server.api.listFiles(directory, parentKey(path) || '.')
        } catch (err) {
          // The folder itself is gone (opencode answers 500 for it).
          if (current()) p.open = { path, state: 'missing', reason: serverErrorMessage(err) }
          return
        }
        if (!current()) return
        const node = siblings.find((n) => folderKey(n.path) === folderKey(path))
        if (!node) {
          p.open = { path, state: 'missing' }
          return
        }
        absolute = node.absolute
      }
      p.open = { path, state: 'ready', absolute, body: classifyFileContent(content) }
    } catch (err) {
      if (current()) p.open = { path, state: 'error', message: serverErrorMessage(err) }
    }
  }

  /** Closes the viewer (back to the tree on a phone). */
  function closeFile(directory: string): void {
    const p = project(directory)
    openSeq[directory] = (openSeq[directory] ?? 0) + 1
    p.open = undefined
    p.line = undefined
  }

  return { projects, project, loadFolder, toggle, loadStatus, refresh, openFile, closeFile }
})
