/**
 * Runs of deltas carried as one event (sw/shared/delta-runs.ts): the merged text and its index,
 * runs merged again, the fan-out's cut at a new receive time, and a reader at any cursor inside a
 * run getting exactly the text after it.
 */
import { describe, expect, it } from 'vitest'
import type { Event } from '@opencode-ai/sdk/v2/types'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import { eventAfter, mergeForFanOut, mergeIndexedRun } from '../sw/shared/delta-runs.ts'
import { deltaText } from '../sw/shared/opencode-events.ts'

const DIR = '/work/project'

function relayed(cursor: number, payload: Event, receivedAt = 0): RelayedEvent {
  return { cursor, id: `evt_${cursor}`, directory: DIR, payload, receivedAt }
}
const delta = (cursor: number, text: string, receivedAt = 0, partID = 'prt_1') =>
  relayed(cursor, { id: `e${cursor}`, type: 'message.part.delta', properties: { sessionID: 'ses_a', messageID: 'msg_1', partID, field: 'text', delta: text } }, receivedAt)
const idle = (cursor: number) => relayed(cursor, { id: `e${cursor}`, type: 'session.idle', properties: { sessionID: 'ses_a' } })

const text = (ev: RelayedEvent | undefined) => (ev ? deltaText(ev.payload) : undefined)

describe('delta runs', () => {
  it('merges a run into one delta with the last cursor, id and receive time, and indexes every delta', () => {
    const merged = mergeIndexedRun([delta(3, 'Hel', 10), delta(4, 'lo', 11), delta(5, '!', 12)])
    expect(text(merged)).toBe('Hello!')
    expect(merged).toMatchObject({ cursor: 5, id: 'evt_5', receivedAt: 12, run: { cursors: [3, 4, 5], ends: [3, 5, 6] } })
    // A run of one is the event itself.
    const one = delta(7, 'x')
    expect(mergeIndexedRun([one])).toBe(one)
  })

  it('keeps the index of runs merged again (a stored row followed by live deltas)', () => {
    const row = mergeIndexedRun([delta(1, 'ab'), delta(2, 'c')])
    const merged = mergeIndexedRun([row, delta(3, 'de'), mergeIndexedRun([delta(4, 'f'), delta(5, 'gh')])])
    expect(text(merged)).toBe('abcdefgh')
    expect(merged.run).toEqual({ cursors: [1, 2, 3, 4, 5], ends: [2, 3, 5, 6, 8] })
  })

  it('cuts the fan-out’s runs where the receive time changes, and leaves other events and other parts alone', () => {
    const batch = [delta(1, 'a', 5), delta(2, 'b', 5), delta(3, 'c', 6), delta(4, 'x', 6, 'prt_2'), idle(5), delta(6, 'd', 6), delta(7, 'e', 6)]
    const copy = structuredClone(batch)
    const out = mergeForFanOut(batch)
    expect(out.map((e) => [e.cursor, text(e) ?? e.payload.type])).toEqual([
      [2, 'ab'],
      [3, 'c'],
      [4, 'x'],
      [5, 'session.idle'],
      [7, 'de'],
    ])
    expect(out[1]).toBe(batch[2])
    expect(batch).toEqual(copy)
  })

  it('gives a reader at any cursor inside a run exactly the text of the deltas after it', () => {
    const deltas = ['He', 'l', '', 'lo', ' wor', 'ld', '!'].map((t, i) => delta(10 + i, t))
    const merged = mergeIndexedRun(deltas)
    for (let after = 8; after <= 17; after++) {
      const rest = eventAfter(merged, after)
      const expected = deltas.filter((d) => d.cursor > after)
      if (expected.length === 0) {
        expect(rest).toBeUndefined()
        continue
      }
      expect(text(rest)).toBe(expected.map((d) => text(d)).join(''))
      expect(rest?.cursor).toBe(16)
      // The rest is indexed too: cutting it again gives what cutting the whole gives.
      for (let again = after; again <= 16; again++) expect(text(rest && eventAfter(rest, again))).toBe(text(eventAfter(merged, again)))
    }
  })

  it('passes any other event through a reader’s cursor unchanged, or drops it at or below it', () => {
    const ev = idle(4)
    expect(eventAfter(ev, 3)).toBe(ev)
    expect(eventAfter(ev, 4)).toBeUndefined()
    const single = delta(9, 'z')
    expect(eventAfter(single, 8)).toBe(single)
  })
})
