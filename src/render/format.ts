/** Small display formatters (pure; `now` is injectable for tests). */

// `toLocale*String` builds a new Intl formatter on every call (~0.1 ms each): with hundreds of
// messages on screen that was a visible share of the first paint. One lazily made formatter each.
let dayFormat: Intl.DateTimeFormat | undefined
let clockFormat: Intl.DateTimeFormat | undefined

/** Relative time like `now`, `5m`, `3h`, `2d`, or a date for older times. `at`/`now` in epoch ms. */
export function relativeTime(at: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000))
  if (s < 45) return 'now'
  const m = Math.round(s / 60)
  if (m < 60) return `${m}m`
  const h = Math.round(m / 60)
  if (h < 24) return `${h}h`
  const d = Math.round(h / 24)
  if (d < 7) return `${d}d`
  dayFormat ??= new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })
  return dayFormat.format(at)
}

/** Clock time (`14:05`) of an epoch-ms timestamp. */
export function clockTime(at: number): string {
  clockFormat ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
  return clockFormat.format(at)
}

/** Duration in ms as `850ms`, `4.2s`, `3m 05s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
  const m = Math.floor(ms / 60_000)
  const s = Math.floor((ms % 60_000) / 1000)
  return `${m}m ${String(s).padStart(2, '0')}s`
}

/** Token count as `950`, `12.3k`, `1.2M`. */
export function tokens(n: number): string {
  if (n < 1000) return String(n)
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`
  return `${(n / 1_000_000).toFixed(1)}M`
}

/** Cost in USD as `$0.0042` / `$1.23`; `$0` for zero. */
export function cost(usd: number): string {
  if (usd === 0) return '$0'
  if (usd < 0.01) return `$${usd.toFixed(4)}`
  return `$${usd.toFixed(2)}`
}
