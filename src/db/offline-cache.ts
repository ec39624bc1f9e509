/**
 * The offline cache of lists: the server's project list (`GET /project`) and each directory's
 * session list (`GET /session?directory=…`), kept in a small Dexie database `opencode-relay-offline`
 * (separate from the relay's event log and from the per-session warm-start snapshots of
 * src/db/snapshots.ts). When the server is unreachable, the installed app paints these lists
 * read-only, next to the transcripts it has snapshots of.
 *
 * Like the snapshots this is a cache: every IndexedDB failure (quota, private mode, a deleted
 * database) is swallowed; reads then answer "nothing cached".
 */
import type { Dexie, EntityTable } from 'dexie'
import { lazyDatabase } from './lazy-dexie.ts'
import type { Project, Session } from '@opencode-ai/sdk/v2/types'

/** The cached project list of one server. */
export interface CachedProjectList {
  /** Primary key: the server base URL the list came from. */
  server: string
  projects: Project[]
  /** Epoch ms when written. */
  savedAt: number
}

/** The cached session list of one directory on one server. */
export interface CachedSessionList {
  /** Primary key: `<server>\n<directory>` (see {@link sessionListKey}). */
  key: string
  server: string
  /** Absolute project directory. */
  directory: string
  /** At most {@link SESSION_LIST_LIMIT} sessions, the most recently updated. */
  sessions: Session[]
  /** Epoch ms when written. */
  savedAt: number
}

/** Maximum sessions kept per directory (the most recently updated). */
export const SESSION_LIST_LIMIT = 500
/** Maximum directories kept per database; the oldest lists (by `savedAt`) are pruned on write. */
export const SESSION_LIST_KEEP = 50

type OfflineDb = Dexie & {
  projects: EntityTable<CachedProjectList, 'server'>
  sessionLists: EntityTable<CachedSessionList, 'key'>
}

const database = lazyDatabase<OfflineDb>('opencode-relay-offline', { projects: '&server', sessionLists: '&key, savedAt' })

/** Closes the database (tests, or before deleting it). */
export function closeOfflineCacheDb(): void {
  database.close()
}

/** Primary key of a session list: server URL and directory joined by a newline (neither contains one). */
export function sessionListKey(server: string, directory: string): string {
  return `${server}\n${directory}`
}

function plain<T>(value: T): T {
  // JSON round trip: callers may pass Vue proxies, which IndexedDB's structured clone rejects.
  return JSON.parse(JSON.stringify(value))
}

/**
 * Writes (replaces) the project list of `server`.
 * @returns false when IndexedDB failed (the cache is best effort).
 */
export async function saveProjectList(server: string, projects: readonly Project[]): Promise<boolean> {
  try {
    await (await database.open()).projects.put({ server, projects: plain([...projects]), savedAt: Date.now() })
    return true
  } catch {
    return false
  }
}

/** Reads the project list of `server`; `undefined` when none is cached or IndexedDB fails. */
export async function loadProjectList(server: string): Promise<Project[] | undefined> {
  try {
    return (await (await database.open()).projects.get(server))?.projects
  } catch {
    return undefined
  }
}

/**
 * Writes (replaces) the session list of `directory` on `server`, keeping the
 * {@link SESSION_LIST_LIMIT} most recently updated sessions, and prunes the oldest lists beyond
 * {@link SESSION_LIST_KEEP}.
 * @returns false when IndexedDB failed.
 */
export async function saveSessionList(server: string, directory: string, sessions: readonly Session[]): Promise<boolean> {
  try {
    const kept = [...sessions].sort((a, b) => b.time.updated - a.time.updated).slice(0, SESSION_LIST_LIMIT)
    const table = (await database.open()).sessionLists
    await table.put({ key: sessionListKey(server, directory), server, directory, sessions: plain(kept), savedAt: Date.now() })
    const count = await table.count()
    if (count > SESSION_LIST_KEEP) {
      const stale = await table.orderBy('savedAt').limit(count - SESSION_LIST_KEEP).primaryKeys()
      await table.bulkDelete(stale)
    }
    return true
  } catch {
    return false
  }
}

/** Reads the session list of `directory` on `server`; `undefined` when none is cached or IndexedDB fails. */
export async function loadSessionList(server: string, directory: string): Promise<Session[] | undefined> {
  try {
    return (await (await database.open()).sessionLists.get(sessionListKey(server, directory)))?.sessions
  } catch {
    return undefined
  }
}
