/**
 * The SharedWorker port's wire format for event batches (`events-json`, sw/relay/runtime.ts
 * `BatchEncoder`) and its decoding guard on the tab side (src/relay/guards.ts `isRelayedEvents`).
 */
import { describe, expect, it, vi } from 'vitest'
import { BatchEncoder } from '../sw/relay/runtime.ts'
import { isRelayedEvents, isRelayToTab } from '../src/relay/guards.ts'
import type { RelayedEvent, RelayToTab } from '../sw/protocol.ts'

function ev(cursor: number): RelayedEvent {
  return { cursor, id: `evt_${cursor}`, directory: '/p', receivedAt: 1_700_000_000_000 + cursor, payload: { id: `evt_${cursor}`, type: 'session.idle', properties: { sessionID: 'ses_1' } } }
}

describe('BatchEncoder', () => {
  it('encodes a batch once for every tab pumped from the same cursor, and decodes to the same events', () => {
    const enc = new BatchEncoder()
    const stringify = vi.spyOn(JSON, 'stringify')
    const a = enc.encode({ type: 'events', events: [ev(1), ev(2)] })
    const b = enc.encode({ type: 'events', events: [ev(1), ev(2)] })
    expect(stringify).toHaveBeenCalledTimes(1)
    stringify.mockRestore()
    expect(a).toEqual(b)
    expect(isRelayToTab(a)).toBe(true)
    if (a.type !== 'events-json') throw new Error('expected events-json')
    const decoded: unknown = JSON.parse(a.json)
    expect(isRelayedEvents(decoded)).toBe(true)
    expect(decoded).toEqual([ev(1), ev(2)])
  })

  it('passes other messages through and forgets old batches', () => {
    const enc = new BatchEncoder(2)
    const status: RelayToTab = { type: 'resync', directory: '/p', reason: 'x' }
    expect(enc.encode(status)).toBe(status)
    const empty: RelayToTab = { type: 'events', events: [] }
    expect(enc.encode(empty)).toBe(empty)
    const stringify = vi.spyOn(JSON, 'stringify')
    for (const c of [1, 2, 3, 1]) enc.encode({ type: 'events', events: [ev(c)] })
    expect(stringify).toHaveBeenCalledTimes(4)
    stringify.mockRestore()
  })
})

describe('isRelayedEvents', () => {
  it('rejects what is not a batch of relayed events', () => {
    expect(isRelayedEvents([ev(1)])).toBe(true)
    expect(isRelayedEvents({})).toBe(false)
    expect(isRelayedEvents([{ ...ev(1), cursor: '1' }])).toBe(false)
    expect(isRelayedEvents([{ ...ev(1), payload: null }])).toBe(false)
    expect(isRelayedEvents([{ ...ev(1), payload: { id: 'x' } }])).toBe(false)
    expect(isRelayToTab({ type: 'events-json', json: 42 })).toBe(false)
  })
})
