/**
 * Small statistics for the benchmarks: medians of runs with min and max, and percentiles of
 * latency samples. Pure functions, no IO.
 */

/** Summary of one metric over several runs; every value is in `unit`. */
export interface Stat {
  median: number
  min: number
  max: number
  /** Every run's value, in run order. */
  runs: number[]
  /** e.g. `events/s`, `ms`, `MB`; empty for plain counts. */
  unit: string
}

/**
 * Nearest-rank percentile (`p` in [0, 100]) of `values`; `NaN` for an empty list.
 * Sorts a copy; `values` is left untouched.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const n = values.length
  if (n === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * n)
  return sorted[Math.min(Math.max(rank - 1, 0), n - 1)]
}

/**
 * The largest of `values`; `empty` for an empty list. A loop, not `Math.max(...values)`: a trace's
 * task list (tens of thousands of entries) overflows the call stack as spread arguments.
 */
export function maximum(values: ArrayLike<number>, empty = Number.NaN): number {
  if (values.length === 0) return empty
  let max = -Infinity
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i]
  return max
}

/** Median (the mean of the two middle values for an even count); `NaN` for an empty list. */
export function median(values: ArrayLike<number>): number {
  const n = values.length
  if (n === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/** Builds a {@link Stat} from run values (non-finite values, i.e. failed runs, are ignored for median/min/max). */
export function summarize(runs: number[], unit: string): Stat {
  const ok = runs.filter((v) => Number.isFinite(v))
  return {
    median: median(ok),
    min: ok.length ? Math.min(...ok) : Number.NaN,
    max: maximum(ok),
    runs,
    unit,
  }
}

/** Formats a number for the table: thousands separators, at most `digits` decimals, `n/a` for NaN. */
export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a'
  const abs = Math.abs(value)
  const d = abs >= 1000 ? 0 : abs >= 100 ? Math.min(digits, 0) : abs >= 10 ? Math.min(digits, 1) : digits
  return value.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 })
}

/** `median [min–max] unit`, or just `value unit` for a single run. */
export function fmtStat(s: Stat): string {
  if (!Number.isFinite(s.median)) return 'n/a'
  const unit = s.unit ? ` ${s.unit}` : ''
  if (s.runs.length <= 1 || s.min === s.max) return `${fmt(s.median)}${unit}`
  return `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]${unit}`
}
