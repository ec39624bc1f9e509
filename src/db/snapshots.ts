/**
 * The tab-side warm-start cache: a small Dexie database `opencode-relay-ui` (separate from the
 * relay's event log) holding one snapshot per session that was shown. A reloaded tab paints the
 * snapshot before the network answers, subscribes to the relay from the snapshot's cursor (the
 * relay replays its event log after it), then reconciles with REST.
 *
 * Snapshots are a cache: every failure (quota, private mode, deleted DB) is swallowed and reported
 * as "no snapshot"; the app then does a cold start.
 */
import Dexie, { type EntityTable } from 'dexie'
import type { Message, Part, Session } from '@opencode-ai/sdk/v2/types'

/** One cached session: enough to paint its transcript at once. */
export interface SessionSnapshot {
  /** Primary key. */
  sessionID: string
  /** Absolute project directory of the session. */
  directory: string
  /** Server base URL the data came from; a snapshot from another server is ignored. */
  server: string
  session: Session
  /** The newest messages (oldest first) with their parts, at most {@link SNAPSHOT_MESSAGE_LIMIT}. */
  messages: Array<{ info: Message; parts: Part[] }>
  /** Whether older messages exist on the server beyond `messages` (cursor for "load earlier" is re-read over REST). */
  truncated: boolean
  /** Relay cursor the snapshot is consistent with: every event up to it is reflected. */
  cursor: number
  /** Epoch ms when written. */
  savedAt: number
}

/** Maximum messages kept per snapshot (the tail of the transcript). */
export const SNAPSHOT_MESSAGE_LIMIT = 150
/** Maximum snapshots kept; older ones (by `savedAt`) are pruned on write. */
export const SNAPSHOT_KEEP = 30

type SnapshotDb = Dexie & { snapshots: EntityTable<SessionSnapshot, 'sessionID'> }

let db: SnapshotDb | undefined

function open(): SnapshotDb {
  if (db) return db
  const created = new Dexie('opencode-relay-ui') as SnapshotDb
  created.version(1).stores({ snapshots: '&sessionID, directory, savedAt' })
  db = created
  return created
}

/** Closes the database (tests, or before deleting it). */
export function closeSnapshotDb(): void {
  db?.close()
  db = undefined
}

/**
 * Reads the snapshot of a session.
 * @returns `undefined` when absent, from another server, or when IndexedDB fails.
 */
export async function loadSnapshot(sessionID: string, server: string): Promise<SessionSnapshot | undefined> {
  try {
    const snap = await open().snapshots.get(sessionID)
    return snap && snap.server === server ? snap : undefined
  } catch {
    return undefined
  }
}

/**
 * Writes (replaces) a snapshot and prunes the oldest beyond {@link SNAPSHOT_KEEP}.
 * The value must be structured-cloneable (plain data, no Vue proxies).
 * @returns false when IndexedDB failed (the cache is best effort).
 */
export async function saveSnapshot(snapshot: SessionSnapshot): Promise<boolean> {
  try {
    const table = open().snapshots
    await table.put(snapshot)
    const count = await table.count()
    if (count > SNAPSHOT_KEEP) {
      const stale = await table.orderBy('savedAt').limit(count - SNAPSHOT_KEEP).primaryKeys()
      await table.bulkDelete(stale)
    }
    return true
  } catch {
    return false
  }
}

/** Deletes the snapshot of a session (after `session.deleted` or a server switch); never throws. */
export async function deleteSnapshot(sessionID: string): Promise<void> {
  try {
    await open().snapshots.delete(sessionID)
  } catch {
    // best effort
  }
}
