/**
 * What every benchmark suite gets from the runner, and what it gives back: table rows (one metric
 * each, the relay beside the official web UI where the issue asks for it) and free-form details
 * for the JSON report.
 */
import type { Stat } from './stats.ts'

/** Names of the suites, in run order (`--only=` takes a comma-separated subset). */
export const SUITES = ['ingest', 'latency', 'burst', 'catchup', 'long', 'tabs', 'degraded', 'rates', 'longreply'] as const
export type SuiteName = (typeof SUITES)[number]

/** One table row. */
export interface Row {
  /** Suite, e.g. `1. Ingest`. */
  bench: string
  /** What is measured, e.g. `events/s, 4 tabs`. */
  metric: string
  /** This project's value: a summary over runs, or a note such as `n/a (app not built)`. */
  relay: Stat | string
  /** The official web UI (`opencode web`) measured the same way, when the issue asks for it. */
  official?: Stat | string
  /** Relay ÷ reference (official UI or ceiling), as printed, e.g. `0.42×`. */
  ratio?: string
  /** The target, e.g. `≥ 20,000 events/s`. */
  target?: string
  /** Whether the target is met by the median (null: no target, or not measurable). */
  met?: boolean | null
}

/** What a suite returns. */
export interface SuiteResult {
  rows: Row[]
  /** Anything worth keeping in the JSON (per-run raw numbers, sizes, notes). */
  details: Record<string, unknown>
}

/** Options and shared services handed to every suite. */
export interface BenchContext {
  /** `--quick`: one run, small sizes (the smoke test). */
  quick: boolean
  /** Runs per measurement (≥ 5 unless quick). */
  runs: number
  /** Progress line to stderr. */
  log(line: string): void
  /** Registers a cleanup run at the very end, even after a failure (LIFO). */
  defer(fn: () => Promise<void>): void
}
