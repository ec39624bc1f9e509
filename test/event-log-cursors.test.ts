/**
 * The event log's cursors on their own (sw/relay/log/cursors.ts): where a log resumes on a
 * database a previous log used, the reservation that keeps cursors unique, and the floor. Pure
 * memory, no IndexedDB.
 */
import { describe, expect, it } from 'vitest'
import { Cursors, markerRows, type NewEvent } from '../sw/relay/log/cursors.ts'
import { CURSOR_RESERVATION, META_FLOOR, META_RESERVED } from '../sw/relay/log/schema.ts'

const DIR = '/home/dev/project'

let counter = 0
function idles(n: number): NewEvent[] {
  return Array.from({ length: n }, () => {
    const id = `evt_${(++counter).toString().padStart(6, '0')}curs`
    return { id, directory: DIR, payload: { id, type: 'session.idle', properties: { sessionID: 'ses_1' } }, receivedAt: 1 }
  })
}

describe('Cursors', () => {
  it('a fresh log hands out 1, 2, … and the head moves only when an event is committed', () => {
    const c = new Cursors()
    const batch = idles(2)
    const assigned = c.assign(batch)
    expect(assigned.map((e) => e.cursor)).toEqual([1, 2])
    expect(assigned.map((e) => e.id)).toEqual(batch.map((e) => e.id))
    expect(c.head).toBe(0)
    // Not committed (the write failed before it could): the same cursors are handed out again.
    expect(c.assign(idles(1)).map((e) => e.cursor)).toEqual([1])
    c.committed(1)
    expect(c.head).toBe(1)
    expect(c.assign(idles(1)).map((e) => e.cursor)).toEqual([2])
  })

  it('copies `recovered` only when the event has it', () => {
    const [plain, recovered] = idles(2)
    const out = new Cursors().assign([plain, { ...recovered, recovered: true }])
    expect('recovered' in out[0]).toBe(false)
    expect(out[1].recovered).toBe(true)
  })

  it('resumes above the previous reservation and reports the cursors in between as lost', () => {
    const c = Cursors.resume({ first: 3, last: 10, floor: 0, reserved: 500 })
    expect(c.head).toBe(10)
    expect(c.lost).toEqual({ after: 10, through: 500 })
    // Retention dropped a prefix: everything below the first stored cursor is gone.
    expect(c.floor).toBe(2)
    expect(c.assign(idles(1))[0].cursor).toBe(501)
    expect(c.reservation).toBe(500 + CURSOR_RESERVATION)
  })

  it('resumes an emptied log at its stored floor, with nothing lost when the reservation was not above it', () => {
    const c = Cursors.resume({ first: undefined, last: 0, floor: 42, reserved: 0 })
    expect(c.head).toBe(42)
    expect(c.floor).toBe(42)
    expect(c.lost).toBeUndefined()
    expect(c.assign(idles(1))[0].cursor).toBe(43)
  })

  it('asks for its reservation to be written on resume, and no longer once written', () => {
    const c = Cursors.resume({ first: 1, last: 5, floor: 0, reserved: 0 })
    const due = c.markersToWrite(false)
    expect(due).toEqual({ reserved: 5 + CURSOR_RESERVATION })
    expect(markerRows(due)).toEqual([{ key: META_RESERVED, value: 5 + CURSOR_RESERVATION }])
    c.markersWritten(due)
    expect(c.markersToWrite(false)).toEqual({})
    expect(c.markersToWrite(true)).toEqual({ reserved: 5 + CURSOR_RESERVATION, floor: 0 })
  })

  it('renews the reservation once half of it is used; a write captured before the renewal leaves it due', () => {
    const c = new Cursors()
    c.markersWritten(c.markersToWrite(true))
    const captured = c.markersToWrite(true)
    expect(captured.reserved).toBe(0)
    // A fresh log's reservation is 0: the first assignment renews it.
    c.assign(idles(1))
    expect(c.reservation).toBe(1 + CURSOR_RESERVATION)
    c.markersWritten(captured)
    expect(c.markersToWrite(false)).toEqual({ reserved: 1 + CURSOR_RESERVATION })
    c.markersWritten(c.markersToWrite(false))
    c.committed(1)
    // Below half used: no renewal.
    c.assign(idles(3))
    expect(c.markersToWrite(false)).toEqual({})
  })

  it('raises the floor, never lowers it, and keeps it due until the current value is written', () => {
    const c = new Cursors()
    expect(c.floorDue).toBe(false)
    c.raiseFloor(5)
    c.raiseFloor(3)
    expect(c.floor).toBe(5)
    expect(c.floorDue).toBe(true)
    const captured = c.markersToWrite(false)
    c.raiseFloor(7)
    c.markersWritten(captured)
    expect(c.floorDue).toBe(true)
    c.markersWritten({ floor: 7 })
    expect(c.floorDue).toBe(false)
    c.floorWriteFailed()
    expect(c.floorDue).toBe(true)
    expect(markerRows({ floor: 7 })).toEqual([{ key: META_FLOOR, value: 7 }])
  })
})
