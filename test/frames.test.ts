import { describe, expect, it } from 'vitest'
import {
  isBusPayload,
  isMirroredBusType,
  isSyncHistoryRow,
  isSyncPayload,
  parseFrame,
  payloadToEvent,
  syncToBusEvent,
  type UpstreamFrame,
} from '../sw/shared/frames.ts'

// Real frames of `GET /global/event` (OpenCode 1.18), ids shortened where irrelevant.
const CONNECTED = '{"payload":{"id":"evt_1fe7c00ff001u1zaD3uWS2pURM","type":"server.connected","properties":{}}}'
const DELTA =
  '{"directory":"/tmp/x/project","project":"d74f0c1e","payload":{"id":"evt_1fe7c0100002","type":"message.part.delta","properties":{"sessionID":"ses_1","messageID":"msg_1","partID":"prt_1","field":"text","delta":" bravo1"}}}'
const PART = {
  id: 'prt_1',
  sessionID: 'ses_1',
  messageID: 'msg_1',
  type: 'text',
  text: 'alpha bravo1',
}
const SYNC_TWIN = JSON.stringify({
  directory: '/tmp/x/project',
  project: 'd74f0c1e',
  payload: {
    type: 'sync',
    syncEvent: {
      id: 'evt_1fe7c0100003',
      type: 'message.part.updated.1',
      seq: 3,
      aggregateID: 'ses_1',
      data: { sessionID: 'ses_1', part: PART, time: 1_760_000_000_000 },
    },
    id: 'evt_1fe7c0100003',
  },
})
const BUS_TWIN = JSON.stringify({
  directory: '/tmp/x/project',
  project: 'd74f0c1e',
  payload: {
    id: 'evt_1fe7c0100003',
    type: 'message.part.updated',
    properties: { sessionID: 'ses_1', part: PART, time: 1_760_000_000_000 },
  },
})

function parsed(data: string): UpstreamFrame {
  const r = parseFrame(data)
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`)
  return r.frame
}

function parseError(data: string): string {
  const r = parseFrame(data)
  if (r.ok) throw new Error(`expected an error for ${data}`)
  return r.error
}

describe('parseFrame', () => {
  it('parses a server-wide frame without directory as directory "global"', () => {
    const frame = parsed(CONNECTED)
    expect(frame.directory).toBe('global')
    expect(frame.payload).toEqual({ id: 'evt_1fe7c00ff001u1zaD3uWS2pURM', type: 'server.connected', properties: {} })
  })

  it('keeps an explicit "global" directory', () => {
    const frame = parsed('{"directory":"global","payload":{"id":"evt_2","type":"server.heartbeat","properties":{}}}')
    expect(frame.directory).toBe('global')
    expect(frame.payload.type).toBe('server.heartbeat')
  })

  it('parses a message.part.delta of a project directory', () => {
    const frame = parsed(DELTA)
    expect(frame.directory).toBe('/tmp/x/project')
    const p = frame.payload
    if (p.type !== 'message.part.delta') throw new Error('wrong type')
    expect(p.properties.delta).toBe(' bravo1')
    expect(p.properties.partID).toBe('prt_1')
    expect(p.id).toBe('evt_1fe7c0100002')
  })

  it('parses a sync twin, which has the same id as its bus event', () => {
    const sync = parsed(SYNC_TWIN)
    const bus = parsed(BUS_TWIN)
    expect(sync.directory).toBe('/tmp/x/project')
    const p = sync.payload
    if (p.type !== 'sync') throw new Error('wrong type')
    expect(p.syncEvent.type).toBe('message.part.updated.1')
    expect(p.syncEvent.seq).toBe(3)
    expect(p.syncEvent.aggregateID).toBe('ses_1')
    expect(p.id).toBe(bus.payload.id)
  })

  it('passes unknown event types through (not an error)', () => {
    const frame = parsed('{"directory":"/p","payload":{"id":"evt_9","type":"brand.new.thing","properties":{"x":1}}}')
    expect(frame.payload.type).toBe('brand.new.thing')
    const sync = parsed(
      '{"payload":{"type":"sync","id":"evt_8","syncEvent":{"id":"evt_8","type":"brand.new.thing.1","seq":1,"aggregateID":"a","data":{}}}}',
    )
    expect(sync.payload.type).toBe('sync')
  })

  it('rejects bad JSON with the first 80 characters of the frame', () => {
    const data = `{"payload": ${'x'.repeat(200)}`
    const error = parseError(data)
    expect(error).toMatch(/^bad JSON \(.+\) in frame: /)
    expect(error).toContain(`${data.slice(0, 80)}…`)
    expect(error).not.toContain(data.slice(0, 81))
    expect(parseError('')).toMatch(/^bad JSON/)
    expect(parseError('{"payload":{"id":"e","type":"t","properties":{}}')).toMatch(/^bad JSON/)
  })

  it.each([
    ['[]', 'frame is array, expected an object'],
    ['42', 'frame is number, expected an object'],
    ['null', 'frame is null, expected an object'],
    ['"hello"', 'frame is string, expected an object'],
    ['{}', 'payload is missing'],
    ['{"directory":"/p"}', 'payload is missing'],
    ['{"payload":null}', 'payload is null, expected an object'],
    ['{"payload":[1]}', 'payload is array, expected an object'],
    ['{"directory":7,"payload":{"id":"e","type":"t","properties":{}}}', 'directory is number, expected a string'],
    ['{"payload":{"id":"e","properties":{}}}', 'payload.type is missing or not a string'],
    ['{"payload":{"id":"e","type":5,"properties":{}}}', 'payload.type is missing or not a string'],
    ['{"payload":{"type":"t","properties":{}}}', 'payload.id is missing or not a string'],
    ['{"payload":{"id":12,"type":"t","properties":{}}}', 'payload.id is missing or not a string'],
    ['{"payload":{"id":"e","type":"t"}}', 'payload.properties is missing or not an object'],
    ['{"payload":{"id":"e","type":"t","properties":"x"}}', 'payload.properties is missing or not an object'],
    ['{"payload":{"id":"e","type":"sync"}}', 'payload.syncEvent is missing or not an object'],
    [
      '{"payload":{"id":"e","type":"sync","syncEvent":{"id":"e","seq":1,"aggregateID":"a","data":{}}}}',
      'syncEvent.type is missing or not a string',
    ],
    [
      '{"payload":{"id":"e","type":"sync","syncEvent":{"type":"x.1","seq":1,"aggregateID":"a","data":{}}}}',
      'syncEvent.id is missing or not a string',
    ],
    [
      '{"payload":{"id":"e","type":"sync","syncEvent":{"id":"e","type":"x.1","seq":1,"data":{}}}}',
      'syncEvent.aggregateID is missing or not a string',
    ],
    [
      '{"payload":{"id":"e","type":"sync","syncEvent":{"id":"e","type":"x.1","seq":"1","aggregateID":"a","data":{}}}}',
      'syncEvent.seq is missing or not a number',
    ],
    [
      '{"payload":{"id":"e","type":"sync","syncEvent":{"id":"e","type":"x.1","seq":1,"aggregateID":"a"}}}',
      'syncEvent.data is missing or not an object',
    ],
  ])('rejects %s', (data, problem) => {
    const error = parseError(data)
    const preview = data.length > 80 ? `${data.slice(0, 80)}…` : data
    expect(error).toBe(`${problem} in frame: ${preview}`)
  })

  it('never throws on garbage', () => {
    const garbage = ['\uFFFD', '{"payload":', 'undefined', 'NaN', '{"__proto__":{"payload":1}}', '\u0000', '{'.repeat(10_000)]
    for (const g of garbage) expect(() => parseFrame(g)).not.toThrow()
    for (const g of garbage) expect(parseFrame(g).ok).toBe(false)
  })
})

describe('guards', () => {
  it('isBusPayload / isSyncPayload split the two envelopes', () => {
    const bus = JSON.parse(BUS_TWIN).payload
    const sync = JSON.parse(SYNC_TWIN).payload
    expect(isBusPayload(bus)).toBe(true)
    expect(isSyncPayload(bus)).toBe(false)
    expect(isSyncPayload(sync)).toBe(true)
    expect(isBusPayload(sync)).toBe(false)
    expect(isBusPayload(null)).toBe(false)
    expect(isSyncPayload('sync')).toBe(false)
  })

  it('isMirroredBusType knows the bus types the sync log mirrors', () => {
    for (const t of ['session.created', 'session.updated', 'session.deleted', 'message.updated', 'message.removed']) {
      expect(isMirroredBusType(t)).toBe(true)
    }
    expect(isMirroredBusType('message.part.updated')).toBe(true)
    expect(isMirroredBusType('session.next.step.ended')).toBe(true)
    expect(isMirroredBusType('message.part.delta')).toBe(false)
    expect(isMirroredBusType('toString')).toBe(false)
    expect(isMirroredBusType('__proto__')).toBe(false)
  })

  it('isSyncHistoryRow checks the /sync/history row shape', () => {
    expect(isSyncHistoryRow({ id: 'e', aggregate_id: 'a', seq: 1, type: 'session.created.1', data: {} })).toBe(true)
    expect(isSyncHistoryRow({ id: 'e', aggregateID: 'a', seq: 1, type: 'session.created.1', data: {} })).toBe(false)
    expect(isSyncHistoryRow({ id: 'e', aggregate_id: 'a', seq: '1', type: 'x.1', data: {} })).toBe(false)
    expect(isSyncHistoryRow({ id: 'e', aggregate_id: 'a', seq: 1, type: 'x.1', data: null })).toBe(false)
  })
})

describe('syncToBusEvent', () => {
  it('converts a live sync event into its bus twin', () => {
    const sync = parsed(SYNC_TWIN).payload
    const bus = parsed(BUS_TWIN).payload
    if (sync.type !== 'sync') throw new Error('wrong type')
    const event = syncToBusEvent(sync.syncEvent)
    expect(event).toEqual(bus)
    expect(event?.type).toBe('message.part.updated')
  })

  it('converts a /sync/history row (aggregate_id)', () => {
    const row = {
      id: 'evt_h1',
      aggregate_id: 'ses_1',
      seq: 7,
      type: 'session.updated.1',
      data: { sessionID: 'ses_1', info: { id: 'ses_1', title: 'T' } },
    }
    expect(isSyncHistoryRow(row)).toBe(true)
    expect(syncToBusEvent(row)).toEqual({ id: 'evt_h1', type: 'session.updated', properties: row.data })
  })

  it('strips any numeric version (session.next.step.ended.2, message.removed.13)', () => {
    const base = { id: 'e', seq: 1, aggregateID: 'ses_1', data: { sessionID: 'ses_1' } }
    expect(syncToBusEvent({ ...base, type: 'session.next.step.ended.2' })?.type).toBe('session.next.step.ended')
    expect(syncToBusEvent({ ...base, type: 'message.removed.13' })?.type).toBe('message.removed')
  })

  it('returns null for unknown types, a missing version, or non-object data', () => {
    const base = { id: 'e', seq: 1, aggregateID: 'a', data: {} }
    expect(syncToBusEvent({ ...base, type: 'brand.new.thing.1' })).toBeNull()
    expect(syncToBusEvent({ ...base, type: 'message.part.delta.1' })).toBeNull()
    expect(syncToBusEvent({ ...base, type: 'session.created' })).toBeNull()
    expect(syncToBusEvent({ ...base, type: '.1' })).toBeNull()
    expect(syncToBusEvent({ ...base, type: 'session.created.1', data: null })).toBeNull()
    expect(syncToBusEvent({ ...base, type: 'session.created.1', data: [1] })).toBeNull()
  })

  it('payloadToEvent returns a bus payload as is and converts a sync twin', () => {
    const bus = parsed(BUS_TWIN).payload
    expect(payloadToEvent(bus)).toBe(bus)
    expect(payloadToEvent(parsed(SYNC_TWIN).payload)).toEqual(bus)
    const delta = parsed(DELTA).payload
    expect(payloadToEvent(delta)).toBe(delta)
  })
})
