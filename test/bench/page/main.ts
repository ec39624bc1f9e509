/**
 * The bench page: one "tab" of the relay without the Vue UI. It runs the real tab client
 * (`createRelayClient` → the real SharedWorker built from `sw/shared-worker.ts`) and the real
 * reducer (`applyRelayed`) on a plain state object, and records when events were applied. The
 * harness drives it through `window.bench` (see `api.ts`).
 *
 * It also hosts the raw ceilings, measured in the same browser engine on the same bytes:
 * eventsource-parser alone, and Dexie `bulkPut` alone into a database with the event log's schema.
 */
import Dexie, { type Table } from 'dexie'
import { createParser } from 'eventsource-parser'
import type { Part } from '@opencode-ai/sdk/v2/types'
import { createRelayClient, type RelayClient } from '../../../src/relay-client/index.ts'
import { createClientState, type ClientState } from '../../../src/state/client-state.ts'
import { applyRelayed } from '../../../src/state/reducer.ts'
import { getSorted } from '../../../src/state/sorted.ts'
import { RelayDatabase, type StoredEvent } from '../../../sw/relay/log/event-log.ts'
import { indexFields } from '../../../sw/shared/opencode-events.ts'
import type { OpencodeEvent, RelayedEvent } from '../../../sw/shared/protocol.ts'
import type { BenchPageApi, BenchTabState, DexieCeiling, LatencySamples, ParseCeiling } from './api.ts'

let client: RelayClient | undefined
let state: ClientState = createClientState()
let endId: string | undefined
let textSuffix: string | undefined
let textSession: string | undefined
let recording = false
let latencies: LatencySamples = { total: [], upstream: [] }
const counters: BenchTabState = {
  relayState: 'idle',
  applied: 0,
  lastCursor: 0,
  batches: 0,
  endSeenAt: null,
  textSeenAt: null,
  latencyCount: 0,
  failedEvents: 0,
  resets: 0,
}

/** `payload.benchT` (epoch ms stamped by the loopback source), when present. */
function sentAt(payload: OpencodeEvent): number | undefined {
  return 'benchT' in payload && typeof payload.benchT === 'number' ? payload.benchT : undefined
}

function partOf(directory: string, messageID: string, partID: string): Part | undefined {
  const list = state.directories[directory]?.parts[messageID]
  return list ? getSorted(list, partID) : undefined
}

/** True when a part touched by `e` now has text ending with the watched suffix. */
function textReached(e: RelayedEvent, suffix: string): boolean {
  const p = e.payload
  let part: Part | undefined
  if (p.type === 'message.part.delta') part = partOf(e.directory, p.properties.messageID, p.properties.partID)
  else if (p.type === 'message.part.updated') part = partOf(e.directory, p.properties.part.messageID, p.properties.part.id)
  else return false
  return part !== undefined && part.type === 'text' && part.sessionID === textSession && part.text.endsWith(suffix)
}

function onEvents(events: RelayedEvent[]): void {
  counters.batches++
  counters.applied += applyRelayed(state, events)
  counters.lastCursor = state.lastCursor
  counters.failedEvents = state.failedEvents
  const now = Date.now()
  if (recording) {
    for (const e of events) {
      const t = sentAt(e.payload)
      if (t === undefined) continue
      latencies.total.push(now - t)
      latencies.upstream.push(e.receivedAt - t)
    }
    counters.latencyCount = latencies.total.length
  }
  if (textSuffix !== undefined && counters.textSeenAt === null) {
    for (const e of events) {
      if (textReached(e, textSuffix)) {
        counters.textSeenAt = now
        break
      }
    }
  }
  if (endId !== undefined && counters.endSeenAt === null && events.some((e) => e.id === endId)) counters.endSeenAt = now
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`)
  return res.arrayBuffer()
}

function timeParse(buf: ArrayBuffer, withJson: boolean): { events: number; ms: number } {
  const bytes = new Uint8Array(buf)
  let events = 0
  const parser = createParser({
    onEvent: (ev) => {
      if (withJson) JSON.parse(ev.data)
      events++
    },
  })
  const t0 = performance.now()
  const decoder = new TextDecoder()
  for (let i = 0; i < bytes.length; i += 65536) parser.feed(decoder.decode(bytes.subarray(i, i + 65536), { stream: true }))
  parser.feed(decoder.decode())
  return { events, ms: performance.now() - t0 }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null
}

/** A bus payload (not a sync twin, not transport noise) with an id, as the relay would store it. */
function storable(x: unknown): x is { directory?: unknown; payload: OpencodeEvent } {
  if (!isRecord(x) || !isRecord(x.payload)) return false
  const p = x.payload
  return typeof p.id === 'string' && typeof p.type === 'string' && p.type !== 'sync' && p.type !== 'server.heartbeat' && p.type !== 'server.connected'
}

/** The rows the relay's event log would store for the SSE body at `url` (sync twins and transport noise dropped, ids deduplicated). */
async function storedRows(url: string): Promise<StoredEvent[]> {
  const text = new TextDecoder().decode(await fetchBytes(url))
  const rows: StoredEvent[] = []
  const seen = new Set<string>()
  const now = Date.now()
  const parser = createParser({
    onEvent: (ev) => {
      const frame: unknown = JSON.parse(ev.data)
      if (!storable(frame) || seen.has(frame.payload.id)) return
      seen.add(frame.payload.id)
      const directory = typeof frame.directory === 'string' ? frame.directory : 'global'
      rows.push({ cursor: rows.length + 1, id: frame.payload.id, directory, payload: frame.payload, receivedAt: now, ...indexFields(frame.payload) })
    },
  })
  parser.feed(text)
  return rows
}

/** A database holding events in chunks (the batched-row alternative measured by `chunkCeiling`). */
class ChunkDatabase extends Dexie {
  declare chunks: Table<{ first: number; events: StoredEvent[] }, number>
  constructor(name: string) {
    super(name)
    this.version(1).stores({ chunks: 'first' })
  }
}

const api: BenchPageApi = {
  async start(serverUrl) {
    client?.close()
    state = createClientState()
    Object.assign(counters, { applied: 0, lastCursor: 0, batches: 0, endSeenAt: null, textSeenAt: null, latencyCount: 0, failedEvents: 0, resets: 0 })
    latencies = { total: [], upstream: [] }
    const c = createRelayClient({ url: serverUrl })
    client = c
    c.onStatus((s) => (counters.relayState = s.state))
    c.onEvents(onEvents)
    c.onReset(() => counters.resets++)
    await c.subscribe('head')
  },
  expectEnd(id) {
    endId = id
    counters.endSeenAt = null
  },
  recordLatency(on) {
    recording = on
  },
  watchText(suffix, sessionID) {
    textSuffix = suffix
    textSession = sessionID
    counters.textSeenAt = null
  },
  state: () => ({ ...counters }),
  takeLatencies() {
    const out = latencies
    latencies = { total: [], upstream: [] }
    counters.latencyCount = 0
    return out
  },
  stop() {
    client?.close()
    client = undefined
  },
  async parseCeiling(url): Promise<ParseCeiling> {
    const buf = await fetchBytes(url)
    const raw = timeParse(buf, false)
    const json = timeParse(buf, true)
    return { events: raw.events, parserMs: raw.ms, parseJsonMs: json.ms }
  },
  async dexieCeiling(url, batch): Promise<DexieCeiling> {
    const rows = await storedRows(url)
    const name = `bench-ceiling-${crypto.randomUUID()}`
    const db = new RelayDatabase(name, {})
    await db.open()
    const t0 = performance.now()
    for (let i = 0; i < rows.length; i += batch) await db.events.bulkPut(rows.slice(i, i + batch))
    const ms = performance.now() - t0
    db.close()
    await Dexie.delete(name)
    return { rows: rows.length, ms }
  },
  async chunkCeiling(url, perRow): Promise<DexieCeiling> {
    const rows = await storedRows(url)
    const name = `bench-chunks-${crypto.randomUUID()}`
    const db = new ChunkDatabase(name)
    await db.open()
    const t0 = performance.now()
    for (let i = 0; i < rows.length; i += perRow) await db.chunks.bulkPut([{ first: rows[i].cursor, events: rows.slice(i, i + perRow) }])
    const ms = performance.now() - t0
    db.close()
    await Dexie.delete(name)
    return { rows: rows.length, ms }
  },
}

window.bench = api
document.title = 'bench ready'
