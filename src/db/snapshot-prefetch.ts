/**
 * Starts reading the routed session's warm-start snapshot (src/db/snapshots.ts) as early as the
 * page allows: `src/prefetch.ts`, a separate few-hundred-byte entry, calls
 * {@link prefetchSnapshot} while the main bundle is still being fetched and compiled, and the
 * sync store takes the result with {@link takePrefetchedSnapshot}.
 *
 * Why: IndexedDB requests of one origin are served in order, and once the app boots the relay's
 * SharedWorker opens and reads its event log on the same origin; a snapshot read issued after boot
 * waited 100+ ms behind it (2,000-message bench, warm first paint). Issued first, it is answered
 * before the main bundle has finished evaluating.
 *
 * Plain IndexedDB, no Dexie, so the entry stays tiny. The database is only read: if it does not
 * exist yet, the open is aborted in `upgradeneeded` (so Dexie later creates it with its own
 * schema), and the connection is closed right after the read (a schema upgrade by a newer app
 * version is never blocked by it). Every failure resolves to `undefined`: the store then reads
 * through Dexie as before.
 */
import type { Message, Part, Session } from '@opencode-ai/sdk/v2/types'

/** Name of the tab-side cache database (Dexie's `opencode-relay-ui`). */
export const SNAPSHOT_DB_NAME = 'opencode-relay-ui'
/** Object store of the snapshots, keyed by `sessionID`. */
export const SNAPSHOT_STORE = 'snapshots'

/** One cached session: enough to paint its transcript at once (stored by src/db/snapshots.ts). */
export interface SessionSnapshot {
  /** Primary key. */
  sessionID: string
  /** Absolute project directory of the session. */
  directory: string
  /** Server base URL the data came from; a snapshot from another server is ignored. */
  server: string
  session: Session
  /** The newest messages (oldest first) with their parts. */
  messages: Array<{ info: Message; parts: Part[] }>
  /** Whether older messages exist on the server beyond `messages` (cursor for "load earlier" is re-read over REST). */
  truncated: boolean
  /** Relay cursor the snapshot is consistent with: every event up to it is reflected. */
  cursor: number
  /** Epoch ms when written. */
  savedAt: number
}

/**
 * Whether a value read from the database has the snapshot's shape (top-level fields; the
 * messages are this app's own writes and are not re-validated one by one).
 */
export function isSessionSnapshot(x: unknown): x is SessionSnapshot {
  if (typeof x !== 'object' || x === null) return false
  const r: Record<string, unknown> = { ...x }
  return (
    typeof r.sessionID === 'string' &&
    typeof r.directory === 'string' &&
    typeof r.server === 'string' &&
    typeof r.session === 'object' &&
    r.session !== null &&
    Array.isArray(r.messages) &&
    typeof r.truncated === 'boolean' &&
    typeof r.cursor === 'number' &&
    typeof r.savedAt === 'number'
  )
}

let prefetched: { sessionID: string; snapshot: Promise<SessionSnapshot | undefined> } | undefined

/**
 * Starts reading the snapshot of `sessionID` (once per page). `idb` is the IndexedDB factory
 * (tests pass fake-indexeddb's). Never throws.
 * @returns the read (the same promise {@link takePrefetchedSnapshot} hands out), `undefined` when
 * none was started (no IndexedDB, or one already started).
 */
export function prefetchSnapshot(sessionID: string, idb: IDBFactory | undefined = globalThis.indexedDB): Promise<SessionSnapshot | undefined> | undefined {
  if (prefetched || !idb) return undefined
  prefetched = { sessionID, snapshot: readSnapshot(idb, sessionID) }
  return prefetched.snapshot
}

/**
 * The prefetched read for `sessionID`, handed out once; `undefined` when none was started for
 * that session (the caller reads through Dexie instead).
 */
export function takePrefetchedSnapshot(sessionID: string): Promise<SessionSnapshot | undefined> | undefined {
  if (prefetched?.sessionID !== sessionID) return undefined
  const { snapshot } = prefetched
  prefetched = undefined
  return snapshot
}

function readSnapshot(idb: IDBFactory, sessionID: string): Promise<SessionSnapshot | undefined> {
  return new Promise((resolve) => {
    let req: IDBOpenDBRequest
    try {
      req = idb.open(SNAPSHOT_DB_NAME)
    } catch {
      resolve(undefined)
      return
    }
    // The database does not exist yet: do not create it (Dexie owns its schema).
    req.onupgradeneeded = () => req.transaction?.abort()
    req.onerror = () => resolve(undefined)
    req.onblocked = () => resolve(undefined)
    req.onsuccess = () => {
      const db = req.result
      try {
        if (!db.objectStoreNames.contains(SNAPSHOT_STORE)) {
          db.close()
          resolve(undefined)
          return
        }
        const get = db.transaction(SNAPSHOT_STORE, 'readonly').objectStore(SNAPSHOT_STORE).get(sessionID)
        get.onsuccess = () => {
          db.close()
          resolve(isSessionSnapshot(get.result) ? get.result : undefined)
        }
        get.onerror = () => {
          db.close()
          resolve(undefined)
        }
      } catch {
        db.close()
        resolve(undefined)
      }
    }
  })
}

/** Forgets a pending prefetch (tests). */
export function resetSnapshotPrefetch(): void {
  prefetched = undefined
}
