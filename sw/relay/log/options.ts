/**
 * The event log's options (`EventLog.open`), their defaults, and the settings they resolve to:
 * every bound clamped, the write-behind bound kept below half the ring.
 */
import type { RetentionSettings } from './retention.ts'
import type { RetrySettings } from './storage.ts'

/** Options of `EventLog.open`. */
export interface EventLogOptions {
  /** Database name; default `'opencode-relay'`. Use one database per server URL. */
  name?: string
  /** IndexedDB factory; default: the global `indexedDB` (tests pass a `fake-indexeddb` factory). */
  indexedDB?: IDBFactory
  /** Key range constructor matching `indexedDB`; default: the global `IDBKeyRange`. */
  IDBKeyRange?: typeof IDBKeyRange
  /** Retention applied by `EventLog.compact`. */
  retention?: {
    /** Events kept; default 50 000. The hard cap is twice this. */
    maxEvents?: number
    /** Age in ms after which events may be dropped (by `receivedAt`); default 7 days. */
    maxAgeMs?: number
  }
  /** Size (events) of the in-memory ring of recent events, used for fast replay and when IndexedDB fails; default 20 000. */
  memoryEvents?: number
  /** Size (ids) of the in-memory set of recent event ids used for deduplication; default 50 000. */
  recentIds?: number
  /** While writes fail, at most one write attempt per this many ms (others go to memory only); default 1 000. */
  retryIntervalMs?: number
  /** Events read per compaction transaction; default 2 000. */
  compactChunk?: number
  /**
   * Write-behind bound of `EventLog.appendLive`: past this many events not yet in IndexedDB
   * (while storage works) an append waits for the write. Default 8 000; kept below `memoryEvents`
   * so the ring never evicts an event that was not written.
   */
  maxUnpersisted?: number
  /**
   * Least time between the starts of two write-behind transactions of `EventLog.appendLive`, ms;
   * default 0 (each starts as soon as the one before ended). The relay uses
   * {@link RELAY_PERSIST_EVERY_MS}. `EventLog.flushWrites` never waits for it.
   */
  persistEveryMs?: number
  /** Wall clock in epoch ms (injected in tests); default `Date.now`. */
  now?: () => number
}

/**
 * The relay's `persistEveryMs`: at most ~10 write-behind transactions a second. At 1,000 tokens/s
 * the ingest flushes a batch every ~16 ms and each took its own IndexedDB transaction (~46 a
 * second, 3–5 requests each, the browser's IndexedDB thread at ~30 % of a core); events wait up to
 * this long in memory for their write (the tabs have them at once; a relay killed meanwhile
 * catches them up from the server).
 */
export const RELAY_PERSIST_EVERY_MS = 100

/** Default database name. */
export const DEFAULT_LOG_NAME = 'opencode-relay'
/** Default retention by count (events). */
export const DEFAULT_MAX_EVENTS = 50_000
/** Default retention by age: 7 days, in ms. */
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000
/** Default size of the in-memory ring (events). */
export const DEFAULT_MEMORY_EVENTS = 20_000

const DEFAULT_RECENT_IDS = 50_000
const DEFAULT_MAX_UNPERSISTED = 8_000
const DEFAULT_RETRY_INTERVAL_MS = 1_000
const DEFAULT_COMPACT_CHUNK = 2_000

/** {@link EventLogOptions} resolved: every value present and within bounds (see {@link resolveSettings}). */
export interface LogSettings extends RetentionSettings, RetrySettings {
  /** Ring size (events), ≥ 0. */
  memoryEvents: number
  /** Recent ids kept for deduplication, ≥ 1. */
  recentIds: number
  /** Write-behind bound (events), 1 … max(1, ⌊memoryEvents / 2⌋). */
  maxUnpersisted: number
  /** Least time between write-behind transactions, ms, ≥ 0. */
  persistEveryMs: number
}

/** The settings `options` ask for, with defaults for what they leave out and every bound clamped. */
export function resolveSettings(options: EventLogOptions): LogSettings {
  const memoryEvents = Math.max(0, options.memoryEvents ?? DEFAULT_MEMORY_EVENTS)
  return {
    maxEvents: Math.max(1, options.retention?.maxEvents ?? DEFAULT_MAX_EVENTS),
    maxAgeMs: options.retention?.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    memoryEvents,
    retryIntervalMs: Math.max(0, options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS),
    compactChunk: Math.max(1, options.compactChunk ?? DEFAULT_COMPACT_CHUNK),
    maxUnpersisted: Math.max(1, Math.min(options.maxUnpersisted ?? DEFAULT_MAX_UNPERSISTED, Math.floor(memoryEvents / 2) || 1)),
    recentIds: Math.max(1, options.recentIds ?? DEFAULT_RECENT_IDS),
    persistEveryMs: Math.max(0, options.persistEveryMs ?? 0),
    now: options.now ?? (() => Date.now()),
  }
}
