/**
 * The recorded trace (`fixtures/trace.jsonl`, see `record-trace.ts`) and its replay: scaled to any
 * number of events by repeating it, every repetition with fresh ids, so the relay's
 * deduplication, the reducer and IndexedDB see what a longer real stream would give them.
 *
 * Wire format produced (what `opencode serve` sends on `GET /global/event`): one SSE event per
 * line of the trace, `data: <json>\n\n`, the JSON being `{directory?, project?, payload}`.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** The committed trace, one `data:` payload (JSON) per line. */
export const TRACE_FILE = join(here, '..', 'fixtures', 'trace.jsonl')

/** OpenCode ids as they appear in the trace: `evt_…`, `ses_…`, `msg_…`, `prt_…`, `per_…`, `que_…`. */
const ID_PATTERN = /\b(evt|ses|msg|prt|per|que)_([0-9A-Za-z]{16,})/g
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** `n` in base 62, 4 characters (copy numbers up to 14.7 million). */
function code4(n: number): string {
  let out = ''
  for (let i = 0; i < 4; i++) {
    out = BASE62[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out
}

/** One replayable event: the JSON split where a timestamp can be inserted into `payload`. */
export interface TraceEvent {
  /** JSON text up to and including `"payload":{`. */
  head: string
  /** The rest of the JSON text after `"payload":{`. */
  tail: string
  /** `payload.type`, e.g. `message.part.delta` or `sync`. */
  type: string
}

/**
 * Loads the trace, without its `server.connected` (the loopback source sends its own on connect).
 * @throws Error when the file is missing or a line is not a `{…"payload":{…}}` object.
 */
export function loadTrace(file = TRACE_FILE): string[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '')
  return lines.filter((line) => {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed !== 'object' || parsed === null || !('payload' in parsed)) throw new Error(`bad trace line: ${line.slice(0, 80)}`)
    const payload = parsed.payload
    return !(typeof payload === 'object' && payload !== null && 'type' in payload && payload.type === 'server.connected')
  })
}

/**
 * The trace repeated to exactly `count` events; repetition `k` (0-based) gets fresh ids: the
 * last 4 characters of every OpenCode id are replaced by `k` in base 62, so ids stay the same
 * length and keep their order within a repetition. Sync twins keep pointing at their bus event.
 */
export function scaleTrace(lines: readonly string[], count: number, salt = 0): TraceEvent[] {
  const out: TraceEvent[] = []
  for (let copy = 0; out.length < count; copy++) {
    const code = code4(copy + salt * 100_000)
    for (const line of lines) {
      if (out.length >= count) break
      const text = line.replace(ID_PATTERN, (_m, prefix: string, rest: string) => `${prefix}_${rest.slice(0, -4)}${code}`)
      out.push(splitEvent(text))
    }
  }
  return out
}

/** Splits one JSON line at `"payload":{`. @throws Error when the line has no payload object. */
export function splitEvent(text: string): TraceEvent {
  const at = text.indexOf('"payload":{')
  if (at < 0) throw new Error(`trace line without payload: ${text.slice(0, 80)}`)
  const head = text.slice(0, at + '"payload":{'.length)
  const tail = text.slice(head.length)
  const type = /"type":"([^"]+)"/.exec(tail)?.[1] ?? 'unknown'
  return { head, tail, type }
}

/** One SSE frame for `event`, with `payload.benchT = sentAt` (epoch ms) when given. */
export function frame(event: TraceEvent, sentAt?: number): string {
  return sentAt === undefined
    ? `data: ${event.head}${event.tail}\n\n`
    : `data: ${event.head}"benchT":${sentAt},${event.tail}\n\n`
}

/** Id of the sentinel event that ends every replay (see {@link sentinel}). */
export function sentinelId(tag: string): string {
  return `evt_bench_end_${tag}`
}

/**
 * The last event of a replay: a `session.status` idle for a session nobody shows, with a known
 * id, so a tab knows it has applied everything before it (the log keeps cursor order).
 */
export function sentinel(tag: string, directory: string): TraceEvent {
  return splitEvent(
    JSON.stringify({
      directory,
      payload: { id: sentinelId(tag), type: 'session.status', properties: { sessionID: 'ses_bench_sentinel', status: { type: 'idle' } } },
    }),
  )
}

/** The directory of the first event of the trace that has one (the recorded project). */
export function traceDirectory(lines: readonly string[]): string {
  for (const line of lines) {
    const m = /^\{"directory":("(?:[^"\\]|\\.)*")/.exec(line)
    if (m) {
      const dir: unknown = JSON.parse(m[1])
      if (typeof dir === 'string' && dir !== 'global') return dir
    }
  }
  return '/bench/project'
}
