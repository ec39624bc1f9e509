/**
 * The early snapshot read (src/db/snapshot-prefetch.ts, started by src/prefetch.ts before the main
 * bundle runs) against the database Dexie writes (src/db/snapshots.ts), on fake-indexeddb.
 */
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, it } from 'vitest'
import Dexie from 'dexie'
import type { Session } from '@opencode-ai/sdk/v2/types'
import { closeSnapshotDb, loadSnapshot, saveSnapshot, type SessionSnapshot } from '../src/db/snapshots.ts'
import {
  isSessionSnapshot,
  prefetchSnapshot,
  resetSnapshotPrefetch,
  SNAPSHOT_DB_NAME,
  takePrefetchedSnapshot,
} from '../src/db/snapshot-prefetch.ts'

const SERVER = 'http://127.0.0.1:4096'
const session: Session = {
  id: 'ses_a',
  slug: 'a',
  projectID: 'p',
  directory: '/tmp/p',
  title: 'a',
  version: '1.18.33',
  time: { created: 1, updated: 2 },
}

function snapshot(sessionID: string, server = SERVER): SessionSnapshot {
  return { sessionID, directory: '/tmp/p', server, session: { ...session, id: sessionID }, messages: [], truncated: false, cursor: 42, savedAt: 1 }
}

afterEach(async () => {
  resetSnapshotPrefetch()
  closeSnapshotDb()
  await Dexie.delete(SNAPSHOT_DB_NAME)
})

describe('early snapshot read', () => {
  it('reads what Dexie wrote, hands it out once, and loadSnapshot uses it', async () => {
    expect(await saveSnapshot(snapshot('ses_a'))).toBe(true)
    closeSnapshotDb()
    prefetchSnapshot('ses_a')
    const early = takePrefetchedSnapshot('ses_a')
    expect(await early).toEqual(snapshot('ses_a'))
    expect(takePrefetchedSnapshot('ses_a')).toBeUndefined()

    prefetchSnapshot('ses_a')
    expect(await loadSnapshot('ses_a', SERVER)).toEqual(snapshot('ses_a'))
    // Another server's snapshot is ignored, as through Dexie.
    prefetchSnapshot('ses_a')
    expect(await loadSnapshot('ses_a', 'http://other:1')).toBeUndefined()
  })

  it('only serves the session it was started for; a missing snapshot falls back to Dexie', async () => {
    await saveSnapshot(snapshot('ses_b'))
    prefetchSnapshot('ses_a')
    expect(takePrefetchedSnapshot('ses_b')).toBeUndefined()
    expect(await takePrefetchedSnapshot('ses_a')).toBeUndefined()
    prefetchSnapshot('ses_b')
    expect((await loadSnapshot('ses_b', SERVER))?.cursor).toBe(42)
  })

  it('never creates the database, so Dexie still creates it with its schema', async () => {
    const idb = new IDBFactory()
    prefetchSnapshot('ses_a', idb)
    expect(await takePrefetchedSnapshot('ses_a')).toBeUndefined()
    expect(await idb.databases()).toEqual([])
    // And with the global factory: Dexie writes and reads normally afterwards.
    prefetchSnapshot('ses_a')
    expect(await takePrefetchedSnapshot('ses_a')).toBeUndefined()
    expect(await saveSnapshot(snapshot('ses_a'))).toBe(true)
    expect((await loadSnapshot('ses_a', SERVER))?.sessionID).toBe('ses_a')
  })

  it('rejects values without the snapshot shape', () => {
    expect(isSessionSnapshot(snapshot('ses_a'))).toBe(true)
    expect(isSessionSnapshot({ ...snapshot('ses_a'), cursor: '42' })).toBe(false)
    expect(isSessionSnapshot({ sessionID: 'x' })).toBe(false)
    expect(isSessionSnapshot(null)).toBe(false)
    expect(isSessionSnapshot('ses_a')).toBe(false)
  })
})
