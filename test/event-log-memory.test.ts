/**
 * What the event log holds in memory, on its own: the ring with its unwritten events
 * (sw/relay/log/memory.ts) and the seqs/meta with the rows due to be written
 * (sw/relay/log/seqs-meta.ts). Pure memory, no IndexedDB.
 */
import { describe, expect, it } from 'vitest'
import { EventMemory } from '../sw/relay/log/memory.ts'
import { SeqsAndMeta } from '../sw/relay/log/seqs-meta.ts'
import type { NewEvent } from '../sw/relay/log/cursors.ts'
import type { RelayedEvent } from '../sw/shared/protocol.ts'

const DIR = '/home/dev/project'

function event(cursor: number, id = `evt_${cursor.toString().padStart(6, '0')}mem`): RelayedEvent {
  return { cursor, id, directory: DIR, payload: { id, type: 'session.idle', properties: { sessionID: 'ses_1' } }, receivedAt: 1 }
}

function events(from: number, to: number): RelayedEvent[] {
  return Array.from({ length: to - from + 1 }, (_, i) => event(from + i))
}

function cursors(list: readonly RelayedEvent[]): number[] {
  return list.map((e) => e.cursor)
}

function newEvent(e: RelayedEvent): NewEvent {
  return { id: e.id, directory: e.directory, payload: e.payload, receivedAt: e.receivedAt }
}

describe('EventMemory', () => {
  it('drops ids repeated in a batch or among the recent ids, and forgets the oldest ids beyond its bound', () => {
    const m = new EventMemory(10, 2, 0)
    const [a, b, c] = events(1, 3)
    expect(m.unseen([a, a, b].map(newEvent)).map((e) => e.id)).toEqual([a.id, b.id])
    m.add([a, b, c], true)
    expect(m.unseen([a, b, c].map(newEvent)).map((e) => e.id)).toEqual([a.id])
  })

  it('keeps the newest events; an unwritten one pushed out of the ring is reported lost, a written one is not', () => {
    const m = new EventMemory(3, 100, 0)
    expect(m.add(events(1, 2), true)).toBeUndefined()
    expect(m.add(events(3, 4), false)).toBeUndefined() // evicts 1, which was written
    expect(m.coversAfter).toBe(1)
    expect(m.add(events(5, 6), false)).toBe(3) // evicts 2 (written) and 3 (not written)
    expect(m.coversAfter).toBe(3)
    expect(cursors(m.sliceAfter(0, 10))).toEqual([4, 5, 6])
    expect(m.unwrittenCount).toBe(3)
    expect(m.add(events(7, 8), false)).toBe(5) // the highest of the lost ones
  })

  it('tracks which events are unwritten until told they are written, or that the database lost them', () => {
    const m = new EventMemory(10, 100, 0)
    m.add(events(1, 3), true)
    m.add(events(4, 6), false)
    expect(cursors(m.unwrittenEvents())).toEqual([4, 5, 6])
    expect(cursors(m.unwrittenAfter(4))).toEqual([5, 6])
    expect(m.wouldEvictUnwritten(7)).toBe(false)
    expect(m.wouldEvictUnwritten(8)).toBe(true)
    m.written([4, 5])
    expect(cursors(m.unwrittenEvents())).toEqual([6])
    m.forgetWritten()
    expect(cursors(m.unwrittenEvents())).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('drops a retention prefix and removes collapsed events, returning the unwritten ones it removed', () => {
    const m = new EventMemory(10, 100, 0)
    m.add(events(1, 3), true)
    m.add(events(4, 6), false)
    m.dropThrough(4)
    expect(m.coversAfter).toBe(4)
    expect(cursors(m.sliceAfter(0, 10))).toEqual([5, 6])
    expect(cursors(m.unwrittenEvents())).toEqual([5, 6])
    expect(cursors(m.removeWhere((e) => e.cursor === 5))).toEqual([5])
    expect(cursors(m.sliceAfter(0, 10))).toEqual([6])
  })

  it('covers everything above the head it opened at, and above the head it was cleared at', () => {
    const m = new EventMemory(10, 100, 7)
    expect(m.coversAfter).toBe(7)
    m.add(events(8, 9), false)
    m.clear(9)
    expect(m.coversAfter).toBe(9)
    expect(m.unwrittenCount).toBe(0)
    expect(m.unseen([newEvent(event(8))])).toHaveLength(1)
  })
})

describe('SeqsAndMeta', () => {
  it('keeps the highest seq per aggregate, ignores non-finite ones, and marks only changes as due', () => {
    const v = new SeqsAndMeta([{ directory: '/a', aggregateID: 'ses_1', seq: 5 }])
    expect(v.unwritten).toBe(false)
    v.noteSeqs([
      { directory: '/a', aggregateID: 'ses_1', seq: 4 },
      { directory: '/a', aggregateID: 'ses_2', seq: Number.NaN },
    ])
    expect(v.unwritten).toBe(false)
    v.noteSeqs([{ directory: '/b', aggregateID: 'ses_1', seq: 1 }])
    expect(v.rowsToWrite(false)).toEqual({ seqs: [{ directory: '/b', aggregateID: 'ses_1', seq: 1 }], meta: [] })
    expect(v.rowsToWrite(true).seqs).toHaveLength(2)
    expect(v.seqsOf('/a')).toEqual([{ directory: '/a', aggregateID: 'ses_1', seq: 5 }])
    v.written(v.rowsToWrite(false))
    expect(v.unwritten).toBe(false)
  })

  it('serves meta through a guard, and clears what is due once written', () => {
    const v = new SeqsAndMeta([], [{ key: 'server', value: { url: 'http://x' } }])
    const isNumber = (x: unknown): x is number => typeof x === 'number'
    expect(v.getMeta('server', isNumber)).toBeUndefined()
    v.setMeta('n', 1)
    v.noteSeqs([{ directory: '/a', aggregateID: 'ses_1', seq: 1 }])
    expect(v.rowsToWrite(false).meta).toEqual([{ key: 'n', value: 1 }])
    expect(v.getMeta('n', isNumber)).toBe(1)
    v.written(v.rowsToWrite(false))
    expect(v.unwritten).toBe(false)
    v.clear()
    expect(v.getMeta('n', isNumber)).toBeUndefined()
    expect(v.seqsOf(undefined)).toEqual([])
  })

  it('keeps a row due that changed again while its write was under way', () => {
    const v = new SeqsAndMeta()
    v.noteSeqs([{ directory: '/a', aggregateID: 'ses_1', seq: 1 }])
    v.setMeta('n', 1)
    const inFlight = v.rowsToWrite(false)
    v.noteSeqs([{ directory: '/a', aggregateID: 'ses_1', seq: 2 }])
    v.setMeta('n', 2)
    v.written(inFlight)
    expect(v.unwritten).toBe(true)
    expect(v.rowsToWrite(false)).toEqual({ seqs: [{ directory: '/a', aggregateID: 'ses_1', seq: 2 }], meta: [{ key: 'n', value: 2 }] })
  })
})
