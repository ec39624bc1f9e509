/**
 * Parsing of the upstream SSE stream's frames.
 *
 * Source of the shapes: OpenCode's `GET /global/event` (typed as `GlobalEvent` in
 * `@opencode-ai/sdk/v2/types`). Every SSE `data:` line is one JSON object:
 *
 * - bus event, server-wide (no `directory`):
 *   `{"payload":{"id":"evt_…","type":"server.connected","properties":{}}}`
 * - bus event of a project instance:
 *   `{"directory":"/tmp/x/project","project":"d74f…","payload":{"id":"evt_…","type":"message.part.delta","properties":{…}}}`
 * - sync twin of a bus event (same `id` as the bus event it mirrors):
 *   `{"directory":"…","project":"…","payload":{"type":"sync","id":"evt_…","syncEvent":{"id":"evt_…","type":"message.part.updated.1","seq":3,"aggregateID":"ses_…","data":{…}}}}`
 *
 * Validation is done with type guards that check the envelope (`directory`, `payload.id`,
 * `payload.type`, `properties` / `syncEvent`); the inner `properties` of each event type are
 * OpenCode's contract and are not validated here, so the reducer must tolerate missing fields.
 * Unknown event `type` strings are passed through (a newer server may add types); the reducer
 * counts them.
 */
import type { Event, GlobalEvent } from '@opencode-ai/sdk/v2/types'
import { isRecord } from './guards.ts'

/** Every payload `GET /global/event` can carry: a bus event or a sync twin. */
export type UpstreamPayload = GlobalEvent['payload']

/** A bus event payload (`{ id, type, properties }`); structurally the SDK's `Event` union. */
export type BusPayload = Exclude<UpstreamPayload, { type: 'sync' }>

/** A sync twin payload (`{ type: 'sync', id, syncEvent }`). */
export type SyncPayload = Extract<UpstreamPayload, { type: 'sync' }>

/** The `syncEvent` of a sync twin: `{ id, type: '<bus type>.<version>', seq, aggregateID, data }`. */
export type SyncEvent = SyncPayload['syncEvent']

/**
 * One row of `POST /sync/history` (OpenCode's sync log, see `SyncHistoryListResponses` in the SDK):
 * `{ id, aggregate_id, seq, type: '<bus type>.<version>', data }`.
 */
export interface SyncHistoryRow {
  id: string
  aggregate_id: string
  seq: number
  type: string
  data: Record<string, unknown>
}

/** What {@link syncToBusEvent} accepts: a live `syncEvent` or a `/sync/history` row. */
export type SyncEventLike =
  | { id: string; type: string; seq: number; aggregateID: string; data: unknown }
  | { id: string; type: string; seq: number; aggregate_id: string; data: unknown }

/** One parsed frame of `GET /global/event`. */
export interface UpstreamFrame {
  /** Project instance directory the event belongs to; `'global'` for server-wide events (also when absent). */
  directory: string
  payload: UpstreamPayload
}

/** Result of {@link parseFrame}: never throws, a failure carries a human-readable reason. */
export type ParseFrameResult = { ok: true; frame: UpstreamFrame } | { ok: false; error: string }

/** Directory OpenCode uses for server-wide events (and our default when a frame has none). */
export const GLOBAL_DIRECTORY = 'global'

const PREVIEW_CHARS = 80

type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9'
type StripVersion<T extends string> = T extends `${infer Base}.${Digit}` ? Base : never

/** Bus event types that the sync log mirrors (`session.created.1` → `session.created`, …). */
export type MirroredBusType = Extract<StripVersion<SyncEvent['type']>, Event['type']>

/** A bus event whose type the sync log mirrors; what {@link syncToBusEvent} returns. */
export type MirroredBusEvent = Extract<Event, { type: MirroredBusType }>

/**
 * Every mirrored bus type, once. Typed as a `Record` over the SDK's union so that the compiler
 * rejects both a missing and an extra entry when the SDK changes.
 */
const MIRRORED_BUS_TYPES: Record<MirroredBusType, true> = {
  'session.created': true,
  'session.updated': true,
  'session.deleted': true,
  'message.updated': true,
  'message.removed': true,
  'message.part.updated': true,
  'message.part.removed': true,
  'session.next.agent.switched': true,
  'session.next.model.switched': true,
  'session.next.moved': true,
  'session.next.prompted': true,
  'session.next.prompt.admitted': true,
  'session.next.context.updated': true,
  'session.next.synthetic': true,
  'session.next.shell.started': true,
  'session.next.shell.ended': true,
  'session.next.step.started': true,
  'session.next.step.ended': true,
  'session.next.step.failed': true,
  'session.next.text.started': true,
  'session.next.text.ended': true,
  'session.next.reasoning.started': true,
  'session.next.reasoning.ended': true,
  'session.next.tool.input.started': true,
  'session.next.tool.input.ended': true,
  'session.next.tool.called': true,
  'session.next.tool.progress': true,
  'session.next.tool.success': true,
  'session.next.tool.failed': true,
  'session.next.retried': true,
  'session.next.compaction.started': true,
  'session.next.compaction.ended': true,
  'session.next.revert.staged': true,
  'session.next.revert.cleared': true,
  'session.next.revert.committed': true,
}

/** A plain JSON object (not `null`, not an array). */

/** First {@link PREVIEW_CHARS} characters of the frame, for error messages. */
function preview(data: string): string {
  return data.length > PREVIEW_CHARS ? `${data.slice(0, PREVIEW_CHARS)}…` : data
}

/** Name of a JSON value's kind, for error messages. */
function kindOf(x: unknown): string {
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'array'
  return typeof x
}

/**
 * Why `x` is not a valid envelope of a bus event or a sync twin, or `undefined` when it is.
 * Kept next to the guards below: they accept exactly what this accepts.
 */
function payloadProblem(x: unknown): string | undefined {
  if (!isRecord(x)) return `payload is ${kindOf(x)}, expected an object`
  if (typeof x.type !== 'string' || x.type === '') return 'payload.type is missing or not a string'
  if (typeof x.id !== 'string' || x.id === '') return 'payload.id is missing or not a string'
  if (x.type === 'sync') {
    const s = x.syncEvent
    if (!isRecord(s)) return 'payload.syncEvent is missing or not an object'
    if (typeof s.type !== 'string' || s.type === '') return 'syncEvent.type is missing or not a string'
    if (typeof s.id !== 'string' || s.id === '') return 'syncEvent.id is missing or not a string'
    if (typeof s.aggregateID !== 'string') return 'syncEvent.aggregateID is missing or not a string'
    if (typeof s.seq !== 'number' || !Number.isFinite(s.seq)) return 'syncEvent.seq is missing or not a number'
    if (!isRecord(s.data)) return 'syncEvent.data is missing or not an object'
    return undefined
  }
  if (!isRecord(x.properties)) return 'payload.properties is missing or not an object'
  return undefined
}

/**
 * Type guard: `x` has the envelope of a sync twin (`type: 'sync'`, string `id`, `syncEvent` with
 * string `type`/`id`/`aggregateID`, numeric `seq`, object `data`). The `data` shape per type is
 * OpenCode's contract and not checked; an unknown `syncEvent.type` is accepted.
 */
export function isSyncPayload(x: unknown): x is SyncPayload {
  return isRecord(x) && x.type === 'sync' && payloadProblem(x) === undefined
}

/**
 * Type guard: `x` has the envelope of a bus event (string `id`, string `type` other than `'sync'`,
 * object `properties`). The `properties` shape per type is OpenCode's contract and not checked; an
 * unknown `type` is accepted (passed through for the reducer to count).
 */
export function isBusPayload(x: unknown): x is BusPayload {
  return isRecord(x) && x.type !== 'sync' && payloadProblem(x) === undefined
}

/**
 * Parses one SSE `data` string of `GET /global/event` into a typed frame.
 *
 * Never throws. Fails (with a reason that quotes the first 80 characters of `data`) on bad JSON,
 * a non-object frame, a `directory` that is not a string, a missing or malformed `payload`
 * (see {@link isBusPayload} / {@link isSyncPayload}). Unknown event types are not failures.
 * `directory` defaults to `'global'` when absent.
 */
export function parseFrame(data: string): ParseFrameResult {
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return { ok: false, error: `bad JSON (${reason}) in frame: ${preview(data)}` }
  }
  const fail = (problem: string): ParseFrameResult => ({ ok: false, error: `${problem} in frame: ${preview(data)}` })
  if (!isRecord(json)) return fail(`frame is ${kindOf(json)}, expected an object`)
  const directory = json.directory ?? GLOBAL_DIRECTORY
  if (typeof directory !== 'string') return fail(`directory is ${kindOf(directory)}, expected a string`)
  if (json.payload === undefined) return fail('payload is missing')
  const payload = json.payload
  if (isBusPayload(payload) || isSyncPayload(payload)) {
    return { ok: true, frame: { directory: directory === '' ? GLOBAL_DIRECTORY : directory, payload } }
  }
  return fail(payloadProblem(payload) ?? 'payload is invalid')
}

/** Whether `type` is a bus event type that the sync log mirrors. */
export function isMirroredBusType(type: string): type is MirroredBusType {
  return Object.hasOwn(MIRRORED_BUS_TYPES, type)
}

/**
 * Type guard: a `{ id, type, properties }` candidate whose `type` is one of the mirrored bus types.
 * Only the discriminant is checked: `properties` is OpenCode's payload for that type (the sync
 * event's `data`, which is by construction the bus event's `properties`).
 */
function isMirroredBusEvent(x: { id: string; type: string; properties: Record<string, unknown> }): x is MirroredBusEvent {
  return isMirroredBusType(x.type)
}

/**
 * Type guard: a row of `POST /sync/history` (`{ id, aggregate_id, seq, type, data }`, see
 * `SyncHistoryListResponses` in the SDK). `data`'s shape per type is not checked.
 */
export function isSyncHistoryRow(x: unknown): x is SyncHistoryRow {
  return (
    isRecord(x) &&
    typeof x.id === 'string' &&
    typeof x.aggregate_id === 'string' &&
    typeof x.seq === 'number' &&
    Number.isFinite(x.seq) &&
    typeof x.type === 'string' &&
    isRecord(x.data)
  )
}

/**
 * Converts a sync event into the bus event it mirrors:
 * `{ id, type: 'message.part.updated.1', seq, aggregateID, data }` → `{ id, type: 'message.part.updated', properties: data }`.
 * Accepts the live `syncEvent` of a sync twin and a `/sync/history` row (`aggregate_id`).
 * The trailing `.<version>` is stripped whatever the version (forward-compatible: the bus shape
 * of a type is its latest version).
 *
 * Returns `null` (never throws) when the type has no `.<version>` suffix, is not one of the bus types
 * the sync union mirrors (session.created/updated/deleted, message.updated/removed,
 * message.part.updated/removed, session.next.*), or `data` is not an object.
 */
export function syncToBusEvent(syncEvent: SyncEventLike): MirroredBusEvent | null {
  const match = /^(.+)\.\d+$/.exec(syncEvent.type)
  if (!match) return null
  const data = syncEvent.data
  if (!isRecord(data)) return null
  const candidate = { id: syncEvent.id, type: match[1], properties: data }
  return isMirroredBusEvent(candidate) ? candidate : null
}

/**
 * The SDK `Event` a frame's payload stands for: a bus payload as is, a sync twin converted with
 * {@link syncToBusEvent} (`null` when it mirrors no known bus type). Note that a sync twin has the
 * same `id` as its bus event, so a consumer that deduplicates by id sees each event once.
 */
export function payloadToEvent(payload: UpstreamPayload): Event | null {
  return payload.type === 'sync' ? syncToBusEvent(payload.syncEvent) : payload
}
