/**
 * The event log's write-behind path (`EventLog.appendLive`, sw/relay/log/event-log.ts): live events
 * get cursors at once and fan out without waiting for IndexedDB; the write follows, coalesced,
 * with its seqs; backpressure bounds what is not written yet; ordered operations keep their order;
 * compaction and the small writes do not hold it; `unseen` checks recovered events beforehand.
 * fake-indexeddb, one `IDBFactory` per test.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { CURSOR_RESERVATION, EventLog, type EventLogOptions, type NewEvent } from '../sw/relay/log/event-log.ts'

const DIR = '/home/dev/project'
const T0 = 1_700_000_000_000

let counter = 0
function idle(sessionID = 'ses_1'): NewEvent {
  const id = `evt_${(++counter).toString().padStart(6, '0')}live`
  return { id, directory: DIR, payload: { id, type: 'session.idle', properties: { sessionID } }, receivedAt: T0 }
}
function idles(n: number): NewEvent[] {
  return Array.from({ length: n }, () => idle())
}

const logs: EventLog[] = []
async function openLog(factory: IDBFactory, opts: EventLogOptions = {}): Promise<EventLog> {
  const log = await EventLog.open({ name: 'relay-live', indexedDB: factory, IDBKeyRange, now: () => T0, ...opts })
  logs.push(log)
  return log
}

afterEach(() => {
  for (const log of logs.splice(0)) log.close()
  vi.restoreAllMocks()
})

describe('EventLog.appendLive (write-behind)', () => {
  it('assigns cursors before IndexedDB has the rows, serves them from memory, then writes them with their seqs', async () => {
    const factory = new IDBFactory()
    const log = await openLog(factory)
    const order: string[] = []
    const bulkAdd = log.dexie.events.bulkAdd.bind(log.dexie.events)
    vi.spyOn(log.dexie.events, 'bulkAdd').mockImplementation((...args: Parameters<typeof bulkAdd>) => {
      order.push('written')
      return bulkAdd(...args)
    })
    const batch = idles(3)
    const res = await log.appendLive(batch, [{ directory: DIR, aggregateID: 'ses_1', seq: 7 }])
    order.push('returned')
    expect(res.accepted.map((e) => e.cursor)).toEqual([1, 2, 3])
    expect(log.head()).toBe(3)
    expect((await log.readAfter(0)).map((e) => e.id)).toEqual(batch.map((e) => e.id))
    await log.flushWrites()
    expect(order).toEqual(['returned', 'written'])
    expect(await log.dexie.events.count()).toBe(3)
    log.close()
    const reopened = await openLog(factory)
    expect(reopened.head()).toBe(3)
    expect((await reopened.readAfter(0)).map((e) => e.id)).toEqual(batch.map((e) => e.id))
    expect(await reopened.getSeqs()).toEqual([{ directory: DIR, aggregateID: 'ses_1', seq: 7 }])
  })

  it('drops duplicate ids within a batch and against recent ids, and never stores an id twice', async () => {
    const log = await openLog(new IDBFactory())
    const [a, b] = idles(2)
    const first = await log.appendLive([a, a, b])
    expect(first.accepted.map((e) => e.id)).toEqual([a.id, b.id])
    const second = await log.appendLive([b, { ...a, receivedAt: T0 + 1 }])
    expect(second.accepted).toEqual([])
    await log.flushWrites()
    expect(await log.dexie.events.count()).toBe(2)
  })

  it('coalesces writes: many live appends while a write runs take one or two transactions, not one each', async () => {
    const log = await openLog(new IDBFactory())
    const tx = vi.spyOn(log.dexie, 'transaction')
    for (let i = 0; i < 20; i++) await log.appendLive(idles(5))
    await log.flushWrites()
    expect(await log.dexie.events.count()).toBe(100)
    expect(tx.mock.calls.length).toBeLessThan(20)
  })

  it('persistEveryMs: a stream of appends shares one transaction per interval (writesSettled waits for it); flushWrites does not wait', async () => {
    let now = T0
    const log = await openLog(new IDBFactory(), { persistEveryMs: 100, now: () => now })
    const tx = vi.spyOn(log.dexie, 'transaction')
    await log.appendLive(idles(1))
    await log.flushWrites()
    expect(tx).toHaveBeenCalledTimes(1)
    // Inside the interval: the next persist waits, and every append meanwhile joins it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      let settled = false
      for (let i = 0; i < 10; i++) {
        now += 5
        await log.appendLive(idles(2))
        void log.writesSettled().then(() => (settled = true))
      }
      await vi.advanceTimersByTimeAsync(40)
      expect(tx).toHaveBeenCalledTimes(1)
      expect(settled).toBe(false)
      expect(log.head()).toBe(21)
      await vi.advanceTimersByTimeAsync(100)
    } finally {
      vi.useRealTimers()
    }
    await log.flushWrites()
    expect(tx).toHaveBeenCalledTimes(2)
    expect(await log.dexie.events.count()).toBe(21)
    // flushWrites starts a waiting persist at once.
    await log.appendLive(idles(1))
    await log.flushWrites()
    expect(await log.dexie.events.count()).toBe(22)
  })

  it('persistEveryMs: a wall clock set back never holds a write longer than the interval', async () => {
    let now = T0
    const log = await openLog(new IDBFactory(), { persistEveryMs: 100, now: () => now })
    await log.appendLive(idles(1))
    await log.flushWrites()
    now -= 3_600_000
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      await log.appendLive(idles(1))
      await vi.advanceTimersByTimeAsync(100)
    } finally {
      vi.useRealTimers()
    }
    await expect.poll(() => log.dexie.events.count()).toBe(2)
  })

  it('keeps cursor order with ordered appends queued in between (recovered events)', async () => {
    const log = await openLog(new IDBFactory())
    const results = await Promise.all([
      log.appendLive(idles(3)),
      log.append(idles(2).map((e) => ({ ...e, recovered: true }))),
      log.appendLive(idles(3)),
      log.appendLive(idles(1)),
    ])
    const all = results.flatMap((r) => r.accepted.map((e) => e.cursor))
    expect([...all].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(new Set(all).size).toBe(9)
    await log.flushWrites()
    const stored = await log.dexie.events.orderBy('cursor').toArray()
    expect(stored.map((e) => e.cursor)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('compaction steps and seq writes never hold a live append: its cursors come at once, an ordered append still holds it', async () => {
    const log = await openLog(new IDBFactory())
    await log.appendLive(idles(3))
    const compacting = log.compact({ keepAfterCursor: 0 })
    const seqWrite = log.setSeqs([{ directory: DIR, aggregateID: 'ses_1', seq: 4 }])
    const live = log.appendLive(idles(2))
    // Assigned before any of the queued IndexedDB work ran.
    expect(log.head()).toBe(5)
    const ordered = log.append(idles(1))
    const held = log.appendLive(idles(1))
    expect(log.head()).toBe(5)
    await Promise.all([compacting, seqWrite, live, ordered])
    expect((await held).accepted.map((e) => e.cursor)).toEqual([7])
    await log.flushWrites()
    expect((await log.dexie.events.orderBy('cursor').primaryKeys())).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('unseen: leaves out ids in memory or stored by an earlier log, keeps the rest in order, each once', async () => {
    const factory = new IDBFactory()
    const first = await openLog(factory)
    const [old] = idles(1)
    await first.appendLive([old])
    await first.flushWrites()
    first.close()
    const log = await openLog(factory)
    const [recent, a, b] = idles(3)
    await log.appendLive([recent])
    expect((await log.unseen([a, old, recent, b, a])).map((e) => e.id)).toEqual([a.id, b.id])
  })

  it('backpressure: past maxUnpersisted unwritten events an append waits for the write', async () => {
    const log = await openLog(new IDBFactory(), { maxUnpersisted: 10 })
    await log.appendLive(idles(8))
    expect(await log.dexie.events.count()).toBeLessThanOrEqual(8)
    await log.appendLive(idles(8))
    // 16 > 10 unwritten: this call returned only after a write, so at most the last batch is unwritten.
    expect(await log.dexie.events.count()).toBeGreaterThanOrEqual(8)
  })

  it('backpressure does not wait out persistEveryMs: past maxUnpersisted the write starts at once', async () => {
    let now = T0
    const log = await openLog(new IDBFactory(), { maxUnpersisted: 10, persistEveryMs: 60_000, now: () => now })
    await log.appendLive(idles(1))
    await log.flushWrites()
    now += 1
    await log.appendLive(idles(8))
    expect(await log.dexie.events.count()).toBe(1)
    // 16 > 10 unwritten: returns once written, without the 60 s interval.
    await log.appendLive(idles(8))
    expect(await log.dexie.events.count()).toBe(17)
  })

  it('storage failure: the events keep their cursors in memory, the error is reported, the next good write persists them', async () => {
    const log = await openLog(new IDBFactory(), { retryIntervalMs: 0 })
    const spy = vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(new DOMException('The quota has been exceeded.', 'QuotaExceededError'))
    const r1 = await log.appendLive(idles(2))
    expect(r1.accepted.map((e) => e.cursor)).toEqual([1, 2])
    await log.flushWrites()
    expect(log.storageError).toMatch(/quota exceeded/i)
    const r2 = await log.appendLive(idles(1))
    expect(r2.storageError).toMatch(/quota exceeded/i)
    expect((await log.readAfter(0)).map((e) => e.cursor)).toEqual([1, 2, 3])
    spy.mockRestore()
    await log.appendLive(idles(1))
    await log.flushWrites()
    expect(log.storageError).toBeUndefined()
    expect(await log.dexie.events.count()).toBe(4)
  })

  it('never lets the ring evict an unwritten event: a batch larger than the ring takes the ordered path', async () => {
    const log = await openLog(new IDBFactory(), { memoryEvents: 4 })
    const res = await log.appendLive(idles(10))
    expect(res.accepted).toHaveLength(10)
    expect(await log.dexie.events.count()).toBe(10)
    expect(await log.oldestCursor()).toBe(1)
  })

  it('regression: a relay that dies before its write-behind commits never gets its cursors reused by the next one', async () => {
    // Found while measuring write-behind (session 2): cursors 4–5 reached the tabs, the worker
    // died before writing them, and the next worker handed out 4–5 again for other events — a tab
    // holding 5 then skipped them.
    const factory = new IDBFactory()
    const first = await openLog(factory)
    await first.appendLive(idles(3))
    await first.flushWrites()
    vi.spyOn(first.dexie.events, 'bulkAdd').mockRejectedValue(new DOMException('the worker is gone', 'AbortError'))
    const handedOut = (await first.appendLive(idles(2))).accepted.map((e) => e.cursor)
    expect(handedOut).toEqual([4, 5])
    first.close() // dies with 4–5 unwritten

    const second = await openLog(factory)
    expect(second.head()).toBe(3)
    expect(second.lostCursors()).toEqual({ after: 3, through: CURSOR_RESERVATION })
    const next = (await second.appendLive(idles(2))).accepted.map((e) => e.cursor)
    expect(Math.min(...next)).toBeGreaterThan(Math.max(...handedOut))
    await second.flushWrites()
    second.close()
    // The reservation moved on with the second log: a third one starts above everything again.
    const third = await openLog(factory)
    expect(Math.min(...(await third.append(idles(1))).accepted.map((e) => e.cursor))).toBeGreaterThan(CURSOR_RESERVATION + 2)
  })
})
