/**
 * What the bench page (`test/bench/page/main.ts`) exposes to the harness as `window.bench`, read
 * through Playwright's `page.evaluate`. Types only: shared by the page bundle and the Node harness.
 *
 * Clocks: every `…At` field is epoch ms from `Date.now()` in the page, the same system clock the
 * Node harness and the loopback source read, so differences across processes are meaningful at
 * 1 ms resolution.
 */

/** Counters of one bench tab. */
export interface BenchTabState {
  /** Relay connection state as last reported by the relay (`RelayStatus.state`). */
  relayState: string
  /** Events applied by the reducer (`applyRelayed`'s count). */
  applied: number
  /** Highest relay cursor applied. */
  lastCursor: number
  /** `events` messages received from the relay. */
  batches: number
  /** Epoch ms when the sentinel event (see {@link BenchPageApi.expectEnd}) was applied; null before. */
  endSeenAt: number | null
  /** Epoch ms when a part's text first ended with the watched suffix; null before. */
  textSeenAt: number | null
  /** Latency samples recorded so far. */
  latencyCount: number
  /** Events the reducer failed on (should stay 0). */
  failedEvents: number
  /** Relay `reset` messages received (should stay 0). */
  resets: number
}

/** Latency samples, ms, one per applied event that carried `payload.benchT`. */
export interface LatencySamples {
  /** Source write → applied by the tab's reducer. */
  total: number[]
  /** Source write → received by the relay (`RelayedEvent.receivedAt`, stamped in the worker). */
  upstream: number[]
}

/** Result of the in-page parse ceiling. */
export interface ParseCeiling {
  /** SSE events parsed. */
  events: number
  /** TextDecoder + eventsource-parser alone, ms. */
  parserMs: number
  /** TextDecoder + eventsource-parser + JSON.parse of every event, ms. */
  parseJsonMs: number
}

/** Result of the in-page Dexie ceilings. */
export interface DexieCeiling {
  /** Events written (the distinct events the relay stores for the same stream). */
  rows: number
  /** Total time of the `bulkPut` transactions, ms. */
  ms: number
}

/** `window.bench`. */
export interface BenchPageApi {
  /**
   * Starts the real relay client (`createRelayClient`, i.e. the SharedWorker) on `serverUrl`
   * with a fresh reducer state, and subscribes from the head. Resolves once subscribed.
   */
  start(serverUrl: string): Promise<void>
  /** Sets the id of the event that ends the current replay and clears `endSeenAt`. */
  expectEnd(eventId: string): void
  /** Records `Date.now() − payload.benchT` for every applied event that carries `benchT`. */
  recordLatency(on: boolean): void
  /** Watches the parts of session `sessionID` touched by applied events until one's text ends with `suffix`; clears `textSeenAt`. */
  watchText(suffix: string, sessionID: string): void
  state(): BenchTabState
  /** Latency samples (ms) recorded since the last call; clears them. */
  takeLatencies(): LatencySamples
  /** Detaches the tab from the relay (`bye`). */
  stop(): void
  /** Times parsing of the SSE body at `url` (fetched first, untimed). */
  parseCeiling(url: string): Promise<ParseCeiling>
  /**
   * Times Dexie `bulkPut` of the same events stored `perRow` to a row (one row holds an array of
   * events: the design alternative to one row per event), into a fresh database `{chunks: 'first'}`.
   */
  chunkCeiling(url: string, perRow: number): Promise<DexieCeiling>
  /** Times Dexie `bulkPut` of the rows the relay would store for the SSE body at `url`, in batches of `batch` rows, into a fresh database with the event log's schema. */
  dexieCeiling(url: string, batch: number): Promise<DexieCeiling>
}

declare global {
  interface Window {
    bench: BenchPageApi
  }
}
