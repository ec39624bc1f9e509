/**
 * The tab's ordering rule between relay events and REST reads (src/sync/scope-gate.ts) and the
 * load dedupe (src/sync/load-once.ts), alone: no store, no relay.
 */
import { describe, expect, it } from 'vitest'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import { ScopeGate } from '../src/sync/scope-gate.ts'
import { createLoadOnce } from '../src/sync/load-once.ts'

const DIR = '/p'
function delta(cursor: number, sessionID: string, receivedAt: number): RelayedEvent {
  return { cursor, id: `evt_${cursor}`, directory: DIR, receivedAt, payload: { id: `evt_${cursor}`, type: 'message.part.delta', properties: { sessionID, messageID: 'msg', partID: 'prt', field: 'text', delta: 'x' } } }
}

describe('ScopeGate', () => {
  it('holds events of a scope being read, then drops those the read already has and releases the rest', () => {
    const gate = new ScopeGate()
    const flight = gate.begin({ kind: 'session', directory: DIR, sessionID: 'ses_a' }, 100)
    expect(gate.admit([delta(1, 'ses_a', 90), delta(2, 'ses_b', 95), delta(3, 'ses_a', 110)]).map((e) => e.cursor)).toEqual([2])
    expect(gate.idle).toBe(false)
    expect(gate.end(flight, true).map((e) => e.cursor)).toEqual([3])
    expect(gate.idle).toBe(true)
    // A late replay of an event older than the newest read of its scope is dropped on arrival.
    expect(gate.admit([delta(4, 'ses_a', 99), delta(5, 'ses_a', 120)]).map((e) => e.cursor)).toEqual([5])
  })

  it('a failed read releases everything it held; a second read of the same scope keeps holding', () => {
    const gate = new ScopeGate()
    const first = gate.begin({ kind: 'session', directory: DIR, sessionID: 'ses_a' }, 100)
    const second = gate.begin({ kind: 'session', directory: DIR, sessionID: 'ses_a' }, 105)
    gate.admit([delta(1, 'ses_a', 90)])
    expect(gate.end(first, false)).toEqual([])
    expect(gate.end(second, false).map((e) => e.cursor)).toEqual([1])
  })
})

describe('createLoadOnce', () => {
  it('joins a load in flight, and runs a forced one once more after it', async () => {
    const once = createLoadOnce()
    let runs = 0
    let release: () => void = () => undefined
    const load = () => new Promise<void>((ok) => ((runs++, (release = ok))))
    const a = once.run('k', load)
    expect(once.run('k', load)).toBe(a)
    const forced = once.run('k', load, true)
    expect(once.run('k', load, true)).toBe(forced)
    release()
    await a
    await new Promise((r) => setTimeout(r, 0))
    release()
    await forced
    expect(runs).toBe(2)
    expect(once.running('k')).toBeUndefined()
  })
})
