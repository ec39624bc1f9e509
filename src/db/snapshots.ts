/**
 * The tab-side warm-start cache: a small Dexie database `opencode-relay-ui` (separate from the
 * relay's event log) holding one snapshot per session that was shown. A reloaded tab paints the
 * snapshot before the network answers, subscribes to the relay from the snapshot's cursor (the
 * relay replays its event log after it), then reconciles with REST.
 *
 * Snapshots are a cache: every failure (quota, private mode, deleted DB) is swallowed and reported
 * as "no snapshot"; the app then does a cold start.
 */
import type { Dexie, EntityTable } from 'dexie'
import { lazyDatabase } from './lazy-dexie.ts'
import { SNAPSHOT_DB_NAME, takePrefetchedSnapshot, type SessionSnapshot } from './snapshot-prefetch.ts'

export type { SessionSnapshot } from './snapshot-prefetch.ts'

/** Maximum messages kept per snapshot (the tail of the transcript). */
export const SNAPSHOT_MESSAGE_LIMIT = 150
/** Maximum snapshots kept; older ones (by `savedAt`) are pruned on write. */
export const SNAPSHOT_KEEP = 30

type SnapshotDb = Dexie & { snapshots: EntityTable<SessionSnapshot, 'sessionID'> }

const database = lazyDatabase<SnapshotDb>(SNAPSHOT_DB_NAME, { snapshots: '&sessionID, directory, savedAt' })

/** Closes the database (tests, or before deleting it). */
export function closeSnapshotDb(): void {
  database.close()
}

/**
 * Reads the snapshot of a session.
 * @returns `undefined` when absent, from another server, or when IndexedDB fails.
 */
export async function loadSnapshot(sessionID: string, server: string): Promise<SessionSnapshot | undefined> {
  // Read at page start by src/prefetch.ts (src/db/snapshot-prefetch.ts); else, or if that failed, here.
  const early = await takePrefetchedSnapshot(sessionID)
  if (early) return early.server === server ? early : undefined
  try {
    const snap = await (await database.open()).snapshots.get(sessionID)
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
    const table = (await database.open()).snapshots
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
    await (await database.open()).snapshots.delete(sessionID)
  } catch {
    // best effort
  }
}
