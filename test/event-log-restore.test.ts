/**
 * Opening the event log's database and its health, on their own: what a log reads on open
 * (sw/relay/log/restore.ts `readStoredState`), how it tells that its database was deleted under
 * it (`DatabaseInstance`), and the storage-error state with its retry throttle
 * (sw/relay/log/storage.ts). fake-indexeddb, one `IDBFactory` per test; clocks are injected.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { DatabaseInstance, readStoredState } from '../sw/relay/log/restore.ts'
import { LogStorage } from '../sw/relay/log/storage.ts'
import { META_COLLAPSED, META_FLOOR, META_INSTANCE, META_RESERVED, RelayDatabase, type StoredEvent } from '../sw/relay/log/schema.ts'

const DIR = '/home/dev/project'
const dbs: RelayDatabase[] = []

function database(factory = new IDBFactory()): RelayDatabase {
  const db = new RelayDatabase('restore-test', { indexedDB: factory, IDBKeyRange, cache: 'disabled' })
  dbs.push(db)
  return db
}

function row(cursor: number): StoredEvent {
  const id = `evt_${cursor.toString().padStart(6, '0')}rest`
  return { cursor, id, directory: DIR, payload: { id, type: 'session.idle', properties: { sessionID: 'ses_1' } }, receivedAt: 1, type: 'session.idle', sessionID: 'ses_1' }
}

afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
})

describe('readStoredState', () => {
  it('reads an empty database as nothing stored', async () => {
    expect(await readStoredState(database())).toEqual({
      cursors: { first: undefined, last: 0, floor: 0, reserved: 0 },
      instance: '',
      collapsedThrough: undefined,
      seqs: [],
      meta: [],
    })
  })

  it('reads cursors, markers, seqs and the caller meta, and ignores markers of the wrong type', async () => {
    const db = database()
    await db.open()
    await db.events.bulkAdd([row(4), row(5), row(9)])
    await db.seqs.put({ directory: DIR, aggregateID: 'ses_1', seq: 3 })
    await db.meta.bulkPut([
      { key: META_INSTANCE, value: 'abc' },
      { key: META_FLOOR, value: 3 },
      { key: META_COLLAPSED, value: 'not a number' },
      { key: META_RESERVED, value: Number.POSITIVE_INFINITY },
      { key: '__eventlog/future', value: 1 },
      { key: 'server', value: { url: 'http://x' } },
    ])
    expect(await readStoredState(db)).toEqual({
      cursors: { first: 4, last: 9, floor: 3, reserved: 0 },
      instance: 'abc',
      collapsedThrough: undefined,
      seqs: [{ directory: DIR, aggregateID: 'ses_1', seq: 3 }],
      meta: [{ key: 'server', value: { url: 'http://x' } }],
    })
  })
})

describe('DatabaseInstance', () => {
  it('knows its own database, and a database whose id is gone or different as lost', async () => {
    const db = database()
    await db.open()
    const instance = DatabaseInstance.resume('abc')
    await db.meta.put({ key: META_INSTANCE, value: 'abc' })
    expect(await instance.isLost(db)).toBe(false)
    await db.meta.put({ key: META_INSTANCE, value: 'other' })
    expect(await instance.isLost(db)).toBe(true)
    await db.meta.delete(META_INSTANCE)
    expect(await instance.isLost(db)).toBe(true)
  })

  it('a new id not written yet: its absence is not a loss, and it is due until written', async () => {
    const db = database()
    await db.open()
    const instance = DatabaseInstance.resume('')
    expect(instance.due).toBe(true)
    expect(await instance.isLost(db)).toBe(false)
    const idRow = instance.rowToWrite(false)
    expect(idRow?.key).toBe(META_INSTANCE)
    expect(idRow?.value).toMatch(/^[0-9a-f]{32}$/)
    instance.written(false)
    expect(instance.due).toBe(false)
    expect(instance.rowToWrite(false)).toBeUndefined()
    expect(await instance.isLost(db)).toBe(true)
  })

  it('once lost, restores until a write that restored everything commits', () => {
    const instance = DatabaseInstance.resume('abc')
    instance.lost()
    expect(instance.restoring).toBe(true)
    expect(instance.rowToWrite(true)).toEqual({ key: META_INSTANCE, value: 'abc' })
    instance.written(false)
    expect(instance.restoring).toBe(true)
    instance.written(true)
    expect(instance.restoring).toBe(false)
    expect(instance.due).toBe(false)
  })
})

describe('LogStorage', () => {
  it('reports a failure on every call and allows one attempt per retry interval until a write succeeds', () => {
    let now = 1_000
    const storage = new LogStorage(database(), { retryIntervalMs: 500, now: () => now })
    expect(storage.report()).toEqual({})
    expect(storage.canAttemptWrite()).toBe(true)
    storage.fail(new DOMException('The quota has been exceeded.', 'QuotaExceededError'))
    expect(storage.report()).toEqual({ storageError: 'IndexedDB quota exceeded: The quota has been exceeded.' })
    expect(storage.canAttemptWrite()).toBe(false)
    now += 500
    expect(storage.canAttemptWrite()).toBe(true)
    storage.succeeded()
    expect(storage.error).toBeUndefined()
    expect(storage.report()).toEqual({})
  })

  it('never attempts a write when memory-only or closed, and rejects use after close', () => {
    const unavailable = new LogStorage(database(), { retryIntervalMs: 0, now: () => 0 })
    unavailable.unavailable(new DOMException('IndexedDB is disabled', 'SecurityError'))
    expect(unavailable.memoryOnly).toBe(true)
    expect(unavailable.canAttemptWrite()).toBe(false)
    expect(unavailable.error).toMatch(/^IndexedDB unavailable/)

    const closed = new LogStorage(database(), { retryIntervalMs: 0, now: () => 0 })
    closed.close()
    closed.close()
    expect(closed.closed).toBe(true)
    expect(closed.canAttemptWrite()).toBe(false)
    expect(() => closed.assertOpen()).toThrow('EventLog is closed')
  })

  it('reopens a connection closed under it and runs the operation again, once', async () => {
    const db = database()
    await db.open()
    const storage = new LogStorage(db, { retryIntervalMs: 0, now: () => 0 })
    await db.meta.put({ key: 'k', value: 1 })
    db.close()
    expect(await storage.withReopen(async () => (await db.meta.get('k'))?.value)).toBe(1)
    storage.close()
    await expect(storage.withReopen(() => db.meta.get('k'))).rejects.toThrow()
  })
})
