/**
 * Unit tests of the relay's event log (sw/relay/log/event-log.ts) on fake-indexeddb: every test gets
 * its own `IDBFactory`, so databases never leak between tests. Clocks are injected.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBDatabase, IDBFactory, IDBKeyRange, IDBObjectStore } from 'fake-indexeddb'
import {
  CURSOR_RESERVATION,
  EventLog,
  describeStorageError,
  isQuotaError,
  type EventLogOptions,
  type NewEvent,
} from '../sw/relay/log/event-log.ts'
import type { OpencodeEvent, RelayedEvent } from '../sw/shared/protocol.ts'
import Dexie from 'dexie'
import { EVENT_LOG_SCHEMA_V1 } from '../sw/relay/log/schema.ts'
import { indexFields } from '../sw/shared/opencode-events.ts'

const DIR = '/home/dev/project'
const T0 = 1_700_000_000_000
const DAY = 24 * 60 * 60 * 1000

let evtCounter = 0
function nextId(): string {
  evtCounter++
  return `evt_${evtCounter.toString().padStart(6, '0')}K6OZj3QLKxWL5e`
}

function wrap(payload: OpencodeEvent, receivedAt = T0, directory = DIR): NewEvent {
  return { id: payload.id, directory, payload, receivedAt }
}

function delta(partID: string, text: string, receivedAt = T0): NewEvent {
  return wrap(
    {
      id: nextId(),
      type: 'message.part.delta',
      properties: { sessionID: 'ses_1', messageID: 'msg_1', partID, field: 'text', delta: text },
    },
    receivedAt,
  )
}

function updated(partID: string, text: string, receivedAt = T0): NewEvent {
  return wrap(
    {
      id: nextId(),
      type: 'message.part.updated',
      properties: {
        sessionID: 'ses_1',
        part: { id: partID, messageID: 'msg_1', sessionID: 'ses_1', type: 'text', text },
        time: receivedAt,
      },
    },
    receivedAt,
  )
}

function idle(receivedAt = T0, sessionID = 'ses_1'): NewEvent {
  return wrap({ id: nextId(), type: 'session.idle', properties: { sessionID } }, receivedAt)
}

function idles(n: number, receivedAt = T0): NewEvent[] {
  return Array.from({ length: n }, () => idle(receivedAt))
}

const logs: EventLog[] = []

async function openLog(factory: IDBFactory, opts: EventLogOptions = {}): Promise<EventLog> {
  const log = await EventLog.open({ name: 'relay-test', indexedDB: factory, IDBKeyRange, now: () => T0, ...opts })
  logs.push(log)
  return log
}

function cursors(events: readonly RelayedEvent[]): number[] {
  return events.map((e) => e.cursor)
}

function quotaError(): DOMException {
  return new DOMException('The quota has been exceeded.', 'QuotaExceededError')
}

function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = factory.deleteDatabase(name)
    req.onsuccess = () => resolve()
    req.onerror = () => reject(req.error)
  })
}

/** The naive reducer a tab runs on text parts: `updated` replaces the text, `delta` appends. */
function applyText(state: Map<string, string>, e: RelayedEvent): void {
  const p = e.payload
  if (p.type === 'message.part.updated' && p.properties.part.type === 'text') {
    state.set(p.properties.part.id, p.properties.part.text)
  } else if (p.type === 'message.part.delta') {
    state.set(p.properties.partID, (state.get(p.properties.partID) ?? '') + p.properties.delta)
  }
}

afterEach(() => {
  for (const log of logs.splice(0)) log.close()
  vi.restoreAllMocks()
})

describe('EventLog append and dedupe', () => {
  it('assigns cursors head+1… in batch order and drops duplicate ids within a batch', async () => {
    const log = await openLog(new IDBFactory())
    expect(log.head()).toBe(0)
    const a = idle()
    const b = delta('prt_1', 'abc')
    const res = await log.append([a, b, { ...a, receivedAt: T0 + 5 }])
    expect(res.storageError).toBeUndefined()
    expect(res.accepted.map((e) => [e.cursor, e.id])).toEqual([
      [1, a.id],
      [2, b.id],
    ])
    expect(log.head()).toBe(2)
  })

  it('drops ids already appended in an earlier batch (memory) and keeps `recovered`', async () => {
    const log = await openLog(new IDBFactory())
    const a = idle()
    await log.append([a])
    const b = { ...idle(), recovered: true }
    const res = await log.append([{ ...a, recovered: true }, b])
    expect(res.accepted).toHaveLength(1)
    expect(res.accepted[0]).toMatchObject({ cursor: 2, id: b.id, recovered: true })
  })

  it('drops ids persisted before a restart (database check) and continues cursors above the previous reservation', async () => {
    const factory = new IDBFactory()
    const first = await openLog(factory)
    const a = idle()
    const b = idle()
    await first.append([a, b])
    first.close()

    const second = await openLog(factory)
    expect(second.head()).toBe(2)
    const c = idle()
    const res = await second.append([b, c, a])
    // The first log reserved cursors up to 0 + CURSOR_RESERVATION before handing any out.
    expect(second.lostCursors()).toEqual({ after: 2, through: CURSOR_RESERVATION })
    expect(res.accepted.map((e) => [e.cursor, e.id])).toEqual([[CURSOR_RESERVATION + 1, c.id]])
    const all = await second.readAfter(0)
    expect(cursors(all)).toEqual([1, 2, CURSOR_RESERVATION + 1])
    expect(all.map((e) => e.id)).toEqual([a.id, b.id, c.id])
  })

  it('serializes concurrent appends so cursors never interleave', async () => {
    const log = await openLog(new IDBFactory())
    const batchA = idles(50)
    const batchB = idles(50)
    const [ra, rb] = await Promise.all([log.append(batchA), log.append(batchB)])
    expect(cursors(ra.accepted)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    expect(cursors(rb.accepted)).toEqual(Array.from({ length: 50 }, (_, i) => i + 51))
    expect(rb.accepted.map((e) => e.id)).toEqual(batchB.map((e) => e.id))
  })

  it('uses exactly one IndexedDB transaction per append', async () => {
    // Dexie binds IDBDatabase#transaction when it opens: spy before opening.
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction')
    const log = await openLog(new IDBFactory())
    await log.append(idles(3))
    spy.mockClear()
    await log.append(idles(200))
    expect(spy).toHaveBeenCalledTimes(1)
    expect(spy.mock.calls[0][1]).toBe('readwrite')
  })

  it('stores the denormalized index fields type, sessionID and partID', async () => {
    const log = await openLog(new IDBFactory())
    await log.append([delta('prt_1', 'a'), updated('prt_2', 'b'), idle()])
    const rows = await log.dexie.events.toArray()
    expect(rows.map((r) => [r.type, r.sessionID, r.partID])).toEqual([
      ['message.part.delta', 'ses_1', 'prt_1'],
      ['message.part.updated', 'ses_1', 'prt_2'],
      ['session.idle', 'ses_1', undefined],
    ])
    // Indexed: only what the log queries (cursor, id, partID); the other fields are stored, not indexed.
    expect(log.dexie.events.schema.indexes.map((i) => i.name).sort()).toEqual(['id', 'partID'])
    expect(await log.dexie.events.where('partID').equals('prt_1').count()).toBe(1)
    expect(indexFields({ id: 'evt_x', type: 'server.connected', properties: {} })).toEqual({ type: 'server.connected' })
  })

  it('opens a database written with the version 1 schema: its rows stay and read as before, its unused indexes are dropped', async () => {
    // A log written by the current code, copied table by table into a version 1 database.
    const first = await openLog(new IDBFactory())
    await first.append([delta('prt_1', 'a'), updated('prt_2', 'b'), idle()])
    const [events, seqs, meta] = await Promise.all([first.dexie.events.toArray(), first.dexie.seqs.toArray(), first.dexie.meta.toArray()])
    await first.close()
    const factory = new IDBFactory()
    const v1 = new Dexie('relay-test', { indexedDB: factory, IDBKeyRange })
    v1.version(1).stores(EVENT_LOG_SCHEMA_V1)
    await v1.table('events').bulkPut(events)
    await v1.table('seqs').bulkPut(seqs)
    await v1.table('meta').bulkPut(meta)
    expect(v1.table('events').schema.indexes).toHaveLength(6)
    v1.close()

    const log = await openLog(factory)
    expect(log.dexie.verno).toBe(2)
    expect(log.dexie.events.schema.indexes.map((i) => i.name).sort()).toEqual(['id', 'partID'])
    expect(cursors(await log.readAfter(0))).toEqual([1, 2, 3])
    // Deduplication by id still finds the stored rows.
    const again = await log.append([(await log.dexie.events.get(1)) ?? idle()])
    expect(again.accepted).toEqual([])
  })
})

describe('EventLog readAfter', () => {
  it('returns events after a cursor, ascending, up to the limit (from memory)', async () => {
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction')
    const log = await openLog(new IDBFactory())
    await log.append(idles(10))
    spy.mockClear()
    expect(cursors(await log.readAfter(3, 4))).toEqual([4, 5, 6, 7])
    expect(cursors(await log.readAfter(8))).toEqual([9, 10])
    expect(await log.readAfter(10)).toEqual([])
    expect(await log.readAfter(0, 0)).toEqual([])
    expect(spy).not.toHaveBeenCalled()
  })

  it('reads from IndexedDB when the ring does not cover the range', async () => {
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction')
    const log = await openLog(new IDBFactory(), { memoryEvents: 3 })
    await log.append(idles(10))
    spy.mockClear()
    expect(cursors(await log.readAfter(0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(cursors(await log.readAfter(2, 3))).toEqual([3, 4, 5])
    expect(spy).toHaveBeenCalledTimes(2)
    spy.mockClear()
    expect(cursors(await log.readAfter(7))).toEqual([8, 9, 10])
    expect(spy).not.toHaveBeenCalled()
  })

  it('serves a restarted log from IndexedDB with the original payloads', async () => {
    const factory = new IDBFactory()
    const first = await openLog(factory)
    const d = delta('prt_1', 'hello')
    await first.append([idle(), d])
    first.close()
    const second = await openLog(factory)
    const [, replayed] = await second.readAfter(0)
    expect(replayed).toEqual({ cursor: 2, id: d.id, directory: DIR, payload: d.payload, receivedAt: T0 })
  })

  it('rejects with a clear error when the range is not in memory and IndexedDB cannot be read', async () => {
    const log = await openLog(new IDBFactory(), { memoryEvents: 1 })
    await log.append(idles(3))
    vi.spyOn(log.dexie.events, 'where').mockImplementation(() => {
      throw new DOMException('disk I/O error', 'UnknownError')
    })
    await expect(log.readAfter(0)).rejects.toThrow(/event log read failed: IndexedDB error \(UnknownError\)/)
  })
})

describe('EventLog delta runs', () => {
  it('stores a run of deltas to one part field as one row, and a read from any cursor inside it gets only the rest of its text', async () => {
    const factory = new IDBFactory()
    const first = await openLog(factory)
    const other = (text: string) => {
      const e = delta('prt_1', text)
      return e.payload.type === 'message.part.delta' ? { ...e, payload: { ...e.payload, properties: { ...e.payload.properties, field: 'other' } } } : e
    }
    const { accepted: all } = await first.append([
      updated('prt_1', ''), // 1
      delta('prt_1', 'Hé'), // 2
      delta('prt_1', 'llo 😀'), // 3
      delta('prt_1', ' wo'), // 4
      delta('prt_2', 'x'), // 5
      delta('prt_1', 'rld'), // 6
      other('y'), // 7
      idle(), // 8
      delta('prt_1', '!'), // 9
    ])
    // Runs: 2–4 (one part, one field), then each delta on its own: another part or field, or an event between.
    const rows = await first.dexie.events.toArray()
    expect(rows.map((r) => r.cursor)).toEqual([1, 4, 5, 6, 7, 8, 9])
    expect(rows[1]).toMatchObject({ id: all[3].id, run: { cursors: [2, 3, 4], ends: [2, 8, 11] } })
    first.close()
    // Reopened: the ring is empty, every read comes from IndexedDB.
    const second = await openLog(factory)
    const expected = new Map<string, string>()
    for (const e of all) applyText(expected, e)
    for (let c = 0; c <= second.head(); c++) {
      const state = new Map<string, string>()
      for (const e of all) if (e.cursor <= c) applyText(state, e)
      const read = await second.readAfter(c)
      for (const e of read) applyText(state, e)
      expect(state, `replay from cursor ${c}`).toEqual(expected)
      expect(read.every((e) => e.cursor > c)).toBe(true)
    }
  })

  it('writes the deltas a failed write left in memory together with the next ones, as one run', async () => {
    const log = await openLog(new IDBFactory(), { retryIntervalMs: 0 })
    const bulkAdd = vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(quotaError())
    await log.appendLive([delta('prt_1', 'a'), delta('prt_1', 'b')])
    await log.flushWrites()
    expect(log.storageError).toBeDefined()
    bulkAdd.mockRestore()
    await log.appendLive([delta('prt_1', 'c')])
    await log.flushWrites()
    const rows = await log.dexie.events.toArray()
    expect(rows.map((r) => [r.cursor, r.payload.type === 'message.part.delta' ? r.payload.properties.delta : ''])).toEqual([[3, 'abc']])
  })
})

describe('EventLog delta collapse', () => {
  it('drops deltas superseded by a later part.updated, keeps everything else, and any replay ends with the right text', async () => {
    const log = await openLog(new IDBFactory(), { compactChunk: 3 })
    const original: NewEvent[] = [
      updated('prt_1', ''), // 1
      delta('prt_1', 'Hel'), // 2
      delta('prt_1', 'lo'), // 3
      idle(), // 4
      updated('prt_1', 'Hello'), // 5
      delta('prt_1', ' wor'), // 6
      delta('prt_1', 'ld'), // 7
      updated('prt_2', 'x'), // 8
      delta('prt_2', 'y'), // 9
    ]
    const { accepted } = await log.append(original)
    const all = [...accepted]

    const expectReplays = async (expected: Record<string, string>) => {
      for (let c = 0; c <= log.head(); c++) {
        const state = new Map<string, string>()
        for (const e of all) if (e.cursor <= c) applyText(state, e)
        for (const e of await log.readAfter(c)) applyText(state, e)
        expect(Object.fromEntries(state), `replay from cursor ${c}`).toEqual(expected)
      }
    }

    // keepAfterCursor 0: every tab still needs everything, yet the collapse is safe.
    const r1 = await log.compact({ keepAfterCursor: 0 })
    expect(r1).toEqual({ deltasDropped: 2, expired: 0 })
    expect(cursors(await log.readAfter(0))).toEqual([1, 4, 5, 6, 7, 8, 9])
    // In IndexedDB, deltas 6 and 7 are one row (a run), under the run's last cursor.
    expect(cursors(await log.dexie.events.toArray())).toEqual([1, 4, 5, 7, 8, 9])
    await expectReplays({ prt_1: 'Hello world', prt_2: 'xy' })

    const { accepted: more } = await log.append([updated('prt_1', 'Hello world')]) // 10
    all.push(...more)
    const r2 = await log.compact({ keepAfterCursor: 0 })
    expect(r2).toEqual({ deltasDropped: 2, expired: 0 })
    expect(cursors(await log.readAfter(0))).toEqual([1, 4, 5, 8, 9, 10])
    await expectReplays({ prt_1: 'Hello world', prt_2: 'xy' })
    expect(await log.oldestCursor()).toBe(1)

    expect(await log.compact({ keepAfterCursor: 0 })).toEqual({ deltasDropped: 0, expired: 0 })
  })

  it('collapses from IndexedDB after a restart (the ring is empty)', async () => {
    const factory = new IDBFactory()
    const first = await openLog(factory)
    await first.append([delta('prt_1', 'a'), delta('prt_1', 'b'), updated('prt_1', 'ab'), delta('prt_1', 'c')])
    first.close()
    const second = await openLog(factory)
    expect(await second.compact({ keepAfterCursor: 4 })).toEqual({ deltasDropped: 2, expired: 0 })
    const state = new Map<string, string>()
    for (const e of await second.readAfter(0)) applyText(state, e)
    expect(state.get('prt_1')).toBe('abc')
  })

  it('collapses a part with more deltas than a chunk in several transactions, none deleting more than the chunk', async () => {
    const factory = new IDBFactory()
    const first = await openLog(factory)
    const text = 'abcdefghij'
    // Each delta a row of its own: an event between two deltas ends a run (see the next test).
    await first.append([updated('prt_1', ''), ...[...text].flatMap((c) => [delta('prt_1', c), idle()]), updated('prt_1', text), delta('prt_1', '!')])
    first.close()
    // Reopened: the ring is empty, so every superseded delta is deleted from IndexedDB.
    const second = await openLog(factory, { compactChunk: 3 })
    const deletes: number[] = []
    const bulkDelete = second.dexie.events.bulkDelete.bind(second.dexie.events)
    vi.spyOn(second.dexie.events, 'bulkDelete').mockImplementation((keys) => {
      deletes.push(keys.length)
      return bulkDelete(keys)
    })
    // The caller's pace comes before every transaction (each delete follows one).
    const paced: number[] = []
    const pace = async () => void paced.push(deletes.length)
    expect(await second.compact({ keepAfterCursor: 0, pace })).toEqual({ deltasDropped: 10, expired: 0 })
    expect(deletes).toEqual([3, 3, 3, 1])
    expect(new Set(paced)).toEqual(new Set([0, 1, 2, 3, 4]))
    const state = new Map<string, string>()
    for (const e of await second.readAfter(0)) applyText(state, e)
    expect(state.get('prt_1')).toBe('abcdefghij!')
    expect(await second.compact({ keepAfterCursor: 0 })).toEqual({ deltasDropped: 0, expired: 0 })
  })

  it('does not collapse deltas of a same-named part in another directory', async () => {
    const log = await openLog(new IDBFactory())
    const other = { ...delta('prt_1', 'z'), directory: '/elsewhere' }
    await log.append([other, delta('prt_1', 'a'), updated('prt_1', 'a')])
    expect(await log.compact({ keepAfterCursor: 0 })).toEqual({ deltasDropped: 1, expired: 0 })
    expect(cursors(await log.readAfter(0))).toEqual([1, 3])
  })
})

describe('EventLog retention', () => {
  it('drops the oldest events beyond maxEvents, but never above keepAfterCursor', async () => {
    const log = await openLog(new IDBFactory(), { retention: { maxEvents: 10 }, now: () => T0 })
    await log.append(idles(15))
    expect(await log.compact({ keepAfterCursor: 3 })).toEqual({ deltasDropped: 0, expired: 3 })
    expect(await log.oldestCursor()).toBe(4)
    expect(cursors(await log.readAfter(3))[0]).toBe(4)

    expect(await log.compact({ keepAfterCursor: 15 })).toEqual({ deltasDropped: 0, expired: 2 })
    expect(await log.oldestCursor()).toBe(6)
    // Ring and database agree.
    expect(cursors(await log.readAfter(0))).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    expect(await log.dexie.events.count()).toBe(10)
  })

  it('keeps the floor across a restart', async () => {
    const factory = new IDBFactory()
    const first = await openLog(factory, { retention: { maxEvents: 4 }, now: () => T0 })
    await first.append(idles(6))
    await first.compact({ keepAfterCursor: 6 })
    first.close()
    const second = await openLog(factory, { retention: { maxEvents: 4 }, now: () => T0 })
    expect(second.head()).toBe(6)
    expect(await second.oldestCursor()).toBe(3)
    expect(cursors(await second.readAfter(2))).toEqual([3, 4, 5, 6])
  })

  it('hard cap: beyond 2 × maxEvents drops down to maxEvents even above keepAfterCursor', async () => {
    const log = await openLog(new IDBFactory(), { retention: { maxEvents: 5 }, now: () => T0, compactChunk: 2 })
    await log.append(idles(10))
    // Exactly 2 × maxEvents: not over the hard cap, the tab at cursor 0 is protected.
    expect(await log.compact({ keepAfterCursor: 0 })).toEqual({ deltasDropped: 0, expired: 0 })
    await log.append(idles(2))
    expect(await log.compact({ keepAfterCursor: 0 })).toEqual({ deltasDropped: 0, expired: 7 })
    expect(await log.oldestCursor()).toBe(8)
    expect(cursors(await log.readAfter(0))).toEqual([8, 9, 10, 11, 12])
  })

  it('drops events older than maxAgeMs, only up to keepAfterCursor', async () => {
    let now = T0
    const log = await openLog(new IDBFactory(), { retention: { maxAgeMs: DAY }, now: () => now })
    await log.append(idles(5, T0))
    await log.append(idles(5, T0 + 2 * DAY))
    now = T0 + 2 * DAY + 1
    expect(await log.compact({ keepAfterCursor: 3 })).toEqual({ deltasDropped: 0, expired: 3 })
    expect(await log.oldestCursor()).toBe(4)
    expect(await log.compact({ keepAfterCursor: 10 })).toEqual({ deltasDropped: 0, expired: 2 })
    expect(await log.oldestCursor()).toBe(6)
    expect(cursors(await log.readAfter(0))).toEqual([6, 7, 8, 9, 10])
  })

  it('drops a prefix only: an old event behind a fresh one stays (clock went backwards)', async () => {
    const now = T0 + 2 * DAY
    const log = await openLog(new IDBFactory(), { retention: { maxAgeMs: DAY }, now: () => now })
    await log.append([idle(T0), idle(T0 + 2 * DAY), idle(T0)])
    expect(await log.compact({ keepAfterCursor: 3 })).toEqual({ deltasDropped: 0, expired: 1 })
    expect(cursors(await log.readAfter(0))).toEqual([2, 3])
  })
})

describe('EventLog storage failures', () => {
  it('quota error: events still get cursors and are served from memory; the next good write clears the error and persists them', async () => {
    const factory = new IDBFactory()
    const log = await openLog(factory, { retryIntervalMs: 0 })
    await log.append(idles(2))
    const bulkAdd = vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(quotaError())

    const r1 = await log.append(idles(3))
    expect(cursors(r1.accepted)).toEqual([3, 4, 5])
    expect(r1.storageError).toMatch(/^IndexedDB quota exceeded: /)
    expect(log.storageError).toBe(r1.storageError)
    const r2 = await log.append(idles(1))
    expect(cursors(r2.accepted)).toEqual([6])
    expect(r2.storageError).toMatch(/^IndexedDB quota exceeded: /)
    expect(cursors(await log.readAfter(0))).toEqual([1, 2, 3, 4, 5, 6])

    bulkAdd.mockRestore()
    const r3 = await log.append(idles(1))
    expect(r3.storageError).toBeUndefined()
    expect(cursors(r3.accepted)).toEqual([7])
    expect(log.storageError).toBeUndefined()
    log.close()

    const reopened = await openLog(factory)
    expect(reopened.head()).toBe(7)
    expect(cursors(await reopened.readAfter(0))).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('quota error raised by IndexedDB itself (object store add) is reported the same way', async () => {
    const log = await openLog(new IDBFactory(), { retryIntervalMs: 0 })
    const add = vi.spyOn(IDBObjectStore.prototype, 'add').mockImplementation(() => {
      throw quotaError()
    })
    const res = await log.append(idles(2))
    expect(cursors(res.accepted)).toEqual([1, 2])
    expect(res.storageError).toMatch(/^IndexedDB quota exceeded/)
    add.mockRestore()
    expect((await log.append([])).storageError).toBeUndefined()
    expect(await log.dexie.events.count()).toBe(2)
  })

  it('still dedupes in memory while storage fails, and reports the error on every call', async () => {
    const log = await openLog(new IDBFactory(), { retryIntervalMs: 0 })
    vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(quotaError())
    const a = idle()
    expect(cursors((await log.append([a])).accepted)).toEqual([1])
    const again = await log.append([a])
    expect(again.accepted).toEqual([])
    expect(again.storageError).toMatch(/quota/)
  })

  it('throttles write attempts while failing (injected clock)', async () => {
    let now = T0
    const log = await openLog(new IDBFactory(), { retryIntervalMs: 1000, now: () => now })
    const bulkAdd = vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(quotaError())
    expect((await log.append(idles(1))).storageError).toBeDefined()
    expect(bulkAdd).toHaveBeenCalledTimes(1)
    expect((await log.append(idles(1))).storageError).toBeDefined()
    expect(bulkAdd).toHaveBeenCalledTimes(1)
    bulkAdd.mockRestore()
    // Still inside the retry interval: no attempt, the last error stands.
    expect((await log.append(idles(1))).storageError).toBeDefined()
    now += 1000
    const ok = await log.append(idles(1))
    expect(ok.storageError).toBeUndefined()
    expect(cursors(ok.accepted)).toEqual([4])
    expect(cursors(await log.dexie.events.toArray())).toEqual([1, 2, 3, 4])
  })

  it('raises the floor when unwritten events fall out of the ring (they are lost)', async () => {
    const factory = new IDBFactory()
    const log = await openLog(factory, { memoryEvents: 2, retryIntervalMs: 0 })
    await log.append(idles(1))
    const bulkAdd = vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(quotaError())
    for (let i = 0; i < 4; i++) await log.append(idles(1))
    expect(log.head()).toBe(5)
    expect(await log.oldestCursor()).toBe(4)
    expect(cursors(await log.readAfter(3))).toEqual([4, 5])
    bulkAdd.mockRestore()
    expect((await log.append(idles(1))).storageError).toBeUndefined()
    log.close()
    const reopened = await openLog(factory)
    expect(reopened.head()).toBe(6)
    expect(await reopened.oldestCursor()).toBe(4)
    expect(cursors(await reopened.readAfter(3))).toEqual([4, 5, 6])
  })

  it('merges unwritten events into reads served from IndexedDB', async () => {
    const log = await openLog(new IDBFactory(), { memoryEvents: 3, retryIntervalMs: 0 })
    await log.append(idles(5))
    vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(quotaError())
    await log.append(idles(1))
    expect(cursors(await log.readAfter(1))).toEqual([2, 3, 4, 5, 6])
    expect(cursors(await log.readAfter(1, 2))).toEqual([2, 3])
  })

  it('recreates and refills the database when it is deleted while open', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const factory = new IDBFactory()
    const log = await openLog(factory, { memoryEvents: 2 })
    await log.setSeqs([{ directory: DIR, aggregateID: 'ses_1', seq: 7 }])
    await log.setMeta('server', { url: 'http://127.0.0.1:4096' })
    await log.append(idles(4))
    await deleteDatabase(factory, 'relay-test')

    const res = await log.append(idles(1))
    expect(res.storageError).toBeUndefined()
    expect(cursors(res.accepted)).toEqual([5])
    // Events 1–2 were only in the deleted database: a tab behind cursor 2 must reset.
    expect(await log.oldestCursor()).toBe(3)
    expect(cursors(await log.readAfter(2))).toEqual([3, 4, 5])
    log.close()

    const reopened = await openLog(factory)
    expect(reopened.head()).toBe(5)
    expect(await reopened.oldestCursor()).toBe(3)
    expect(cursors(await reopened.readAfter(2))).toEqual([3, 4, 5])
    expect(await reopened.getSeqs()).toEqual([{ directory: DIR, aggregateID: 'ses_1', seq: 7 }])
    const isServer = (v: unknown): v is { url: string } => typeof v === 'object' && v !== null && 'url' in v && typeof v.url === 'string'
    expect(await reopened.getMeta('server', isServer)).toEqual({ url: 'http://127.0.0.1:4096' })
  })

  it('notices a deleted database on read and answers from memory with a raised floor', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const factory = new IDBFactory()
    const log = await openLog(factory, { memoryEvents: 2 })
    await log.append(idles(4))
    await deleteDatabase(factory, 'relay-test')
    expect(cursors(await log.readAfter(0))).toEqual([3, 4])
    expect(await log.oldestCursor()).toBe(3)
  })

  it('reopens a database closed under it (DatabaseClosedError)', async () => {
    const log = await openLog(new IDBFactory())
    await log.append(idles(1))
    log.dexie.close()
    const res = await log.append(idles(1))
    expect(res.storageError).toBeUndefined()
    expect(cursors(res.accepted)).toEqual([2])
    expect(await log.dexie.events.count()).toBe(2)
  })

  it('works in memory only when IndexedDB cannot be opened', async () => {
    class BrokenFactory extends IDBFactory {
      override open(): IDBOpenDBRequest {
        throw new DOMException('IndexedDB is disabled', 'SecurityError')
      }
    }
    const log = await openLog(new BrokenFactory())
    expect(log.storageError).toMatch(/^IndexedDB/)
    const r1 = await log.append(idles(2))
    expect(cursors(r1.accepted)).toEqual([1, 2])
    expect(r1.storageError).toBeDefined()
    expect((await log.append(idles(1))).storageError).toBeDefined()
    expect(cursors(await log.readAfter(0))).toEqual([1, 2, 3])
    expect(await log.compact({ keepAfterCursor: 0 })).toEqual({ deltasDropped: 0, expired: 0 })
  })
})

describe('EventLog seqs, meta, clear, close', () => {
  it('keeps the highest seq per aggregate, in memory and across restarts', async () => {
    const factory = new IDBFactory()
    const log = await openLog(factory)
    await log.setSeqs([
      { directory: '/a', aggregateID: 'ses_1', seq: 5 },
      { directory: '/a', aggregateID: 'ses_2', seq: 1 },
      { directory: '/b', aggregateID: 'ses_9', seq: 3 },
    ])
    await log.setSeqs([
      { directory: '/a', aggregateID: 'ses_1', seq: 4 },
      { directory: '/a', aggregateID: 'ses_2', seq: 2 },
    ])
    const byKey = <R extends { aggregateID: string }>(rows: R[]): R[] => [...rows].sort((x, y) => x.aggregateID.localeCompare(y.aggregateID))
    expect(byKey(await log.getSeqs('/a'))).toEqual([
      { directory: '/a', aggregateID: 'ses_1', seq: 5 },
      { directory: '/a', aggregateID: 'ses_2', seq: 2 },
    ])
    expect(await log.getSeqs()).toHaveLength(3)
    log.close()
    const reopened = await openLog(factory)
    expect(byKey(await reopened.getSeqs('/a')).map((r) => r.seq)).toEqual([5, 2])
    expect(await reopened.getSeqs('/b')).toEqual([{ directory: '/b', aggregateID: 'ses_9', seq: 3 }])
  })

  it('writes seqs that failed to persist with the next successful append', async () => {
    const factory = new IDBFactory()
    const log = await openLog(factory, { retryIntervalMs: 0 })
    const bulkPut = vi.spyOn(log.dexie.seqs, 'bulkPut').mockRejectedValueOnce(quotaError())
    const res = await log.setSeqs([{ directory: '/a', aggregateID: 'ses_1', seq: 5 }])
    expect(res.storageError).toMatch(/quota/)
    expect(await log.getSeqs()).toEqual([{ directory: '/a', aggregateID: 'ses_1', seq: 5 }])
    bulkPut.mockRestore()
    expect((await log.append(idles(1))).storageError).toBeUndefined()
    log.close()
    expect(await (await openLog(factory)).getSeqs()).toEqual([{ directory: '/a', aggregateID: 'ses_1', seq: 5 }])
  })

  it('stores meta values and checks them with a guard', async () => {
    const factory = new IDBFactory()
    const log = await openLog(factory)
    const isNumber = (v: unknown): v is number => typeof v === 'number'
    const isString = (v: unknown): v is string => typeof v === 'string'
    expect(await log.getMeta('lastCatchUp', isNumber)).toBeUndefined()
    expect(await log.setMeta('lastCatchUp', 42)).toEqual({})
    expect(await log.getMeta('lastCatchUp', isNumber)).toBe(42)
    expect(await log.getMeta('lastCatchUp', isString)).toBeUndefined()
    await expect(log.setMeta('__eventlog/floor', 1)).rejects.toThrow(RangeError)
    log.close()
    const reopened = await openLog(factory)
    expect(await reopened.getMeta('lastCatchUp', isNumber)).toBe(42)
  })

  it('clear() empties the log but cursors keep growing, also after a restart', async () => {
    const factory = new IDBFactory()
    const log = await openLog(factory)
    await log.append(idles(3))
    await log.setSeqs([{ directory: '/a', aggregateID: 'ses_1', seq: 1 }])
    await log.clear()
    expect(log.head()).toBe(3)
    expect(await log.oldestCursor()).toBe(4)
    expect(await log.readAfter(0)).toEqual([])
    expect(await log.getSeqs()).toEqual([])
    log.close()

    const reopened = await openLog(factory)
    expect(reopened.head()).toBe(3)
    expect(await reopened.oldestCursor()).toBe(4)
    expect(cursors((await reopened.append(idles(1))).accepted)).toEqual([CURSOR_RESERVATION + 1])
  })

  it('rejects calls after close()', async () => {
    const log = await openLog(new IDBFactory())
    log.close()
    await expect(log.append(idles(1))).rejects.toThrow(/closed/)
    await expect(log.readAfter(0)).rejects.toThrow(/closed/)
  })
})

describe('isQuotaError / describeStorageError', () => {
  it('recognizes quota errors, also nested in Dexie errors', () => {
    expect(isQuotaError(quotaError())).toBe(true)
    expect(isQuotaError({ name: 'AbortError', message: 'aborted', inner: quotaError() })).toBe(true)
    expect(isQuotaError({ name: 'BulkError', failures: [quotaError()] })).toBe(true)
    expect(isQuotaError(new Error('QuotaExceededError'))).toBe(false)
    expect(isQuotaError(null)).toBe(false)
    expect(describeStorageError(quotaError())).toBe('IndexedDB quota exceeded: The quota has been exceeded.')
    expect(describeStorageError({ name: 'DatabaseClosedError', message: 'Database has been closed' })).toBe(
      'IndexedDB database closed: Database has been closed',
    )
  })
})

describe('EventLog randomized invariants', () => {
  it('keeps cursors increasing, ids unique and replays complete through appends, duplicates, compaction and restarts', async () => {
    let seed = 12345
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const factory = new IDBFactory()
    const opts: EventLogOptions = { memoryEvents: 50, retention: { maxEvents: 200 }, compactChunk: 17 }
    let log = await openLog(factory, opts)
    const model: RelayedEvent[] = []
    const sent: NewEvent[] = []
    const texts = new Map<string, string>()

    const check = async () => {
      const oldest = await log.oldestCursor()
      const held: RelayedEvent[] = []
      for (let c = oldest - 1; ; ) {
        const page = await log.readAfter(c, 37)
        if (page.length === 0) break
        held.push(...page)
        c = page[page.length - 1].cursor
      }
      const cs = cursors(held)
      expect(cs).toEqual([...cs].sort((a, b) => a - b))
      expect(new Set(cs).size).toBe(cs.length)
      expect(new Set(held.map((e) => e.id)).size).toBe(held.length)
      const modelByCursor = new Map(model.map((e) => [e.cursor, e]))
      for (const e of held) expect(modelByCursor.get(e.cursor)?.id).toBe(e.id)
      // Everything from `oldest` on is held, except superseded deltas.
      const heldSet = new Set(cs)
      for (const e of model) {
        if (e.cursor < oldest || heldSet.has(e.cursor)) continue
        expect(e.payload.type, `cursor ${e.cursor} missing`).toBe('message.part.delta')
      }
      // A tab that applied everything up to oldest-1 replays to the right text.
      const state = new Map<string, string>()
      for (const e of model) if (e.cursor < oldest) applyText(state, e)
      for (const e of held) applyText(state, e)
      for (const [part, text] of texts) {
        const touched = model.some((e) => e.cursor >= oldest && indexFields(e.payload).partID === part)
        if (touched) expect(state.get(part), part).toBe(text)
      }
    }

    for (let step = 0; step < 300; step++) {
      const op = rand(10)
      if (op < 6) {
        const batch: NewEvent[] = []
        for (let i = rand(6); i >= 0; i--) {
          const kind = rand(10)
          const part = `prt_${rand(4)}`
          if (kind < 5) {
            const d = ['a', 'b', 'c'][rand(3)]
            texts.set(part, (texts.get(part) ?? '') + d)
            batch.push(delta(part, d))
          } else if (kind < 7) {
            batch.push(updated(part, texts.get(part) ?? ''))
          } else if (kind < 8 && sent.length) {
            batch.push(sent[rand(sent.length)]) // a duplicate (sync twin or recovered event)
          } else {
            batch.push(idle())
          }
        }
        const { accepted, storageError } = await log.append(batch)
        expect(storageError).toBeUndefined()
        for (const e of accepted) expect(e.cursor).toBeGreaterThan(model.length ? model[model.length - 1].cursor : 0)
        model.push(...accepted)
        sent.push(...batch)
      } else if (op < 8) {
        await log.compact({ keepAfterCursor: log.head() - rand(100) })
      } else if (op < 9) {
        log.close()
        log = await openLog(factory, opts)
        expect(log.head()).toBe(model.length ? model[model.length - 1].cursor : 0)
      }
      if (step % 10 === 0) await check()
    }
    await check()
    const ids = (await log.dexie.events.toArray()).map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
  })
})
