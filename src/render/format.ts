/**
 * Small display formatters (pure but for the locale; `now` is injectable for tests). Numbers,
 * units, dates and money go through `Intl` in the app's locale (src/i18n: `intlLocale()`), so
 * English reads `5m`, `4.2s`, `$1.23` and another locale gets its own separators and units.
 */
import { intlLocale, localized, t } from '../i18n/index.ts'

// An Intl formatter costs ~0.1 ms to build: with hundreds of messages on screen that was a
// visible share of the first paint. One lazily made formatter per locale and options.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>()

function numberFormat(name: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const locale = intlLocale()
  const key = `${locale}|n|${name}`
  let f = formatters.get(key)
  if (!(f instanceof Intl.NumberFormat)) formatters.set(key, (f = new Intl.NumberFormat(locale, options)))
  return f
}

function dateFormat(name: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const locale = intlLocale()
  const key = `${locale}|d|${name}`
  let f = formatters.get(key)
  if (!(f instanceof Intl.DateTimeFormat)) formatters.set(key, (f = new Intl.DateTimeFormat(locale, options)))
  return f
}

/** A count with a narrow unit (`5m`, `3h`, `850ms`; `Intl.NumberFormat` style `unit`). */
function unit(n: number, name: 'millisecond' | 'second' | 'minute' | 'hour' | 'day', digits = 0, pad = 1): string {
  return numberFormat(`${name}:${digits}:${pad}`, {
    style: 'unit',
    unit: name,
    unitDisplay: 'narrow',
    minimumIntegerDigits: pad,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(n)
}

/** Relative time like `now`, `5m`, `3h`, `2d`, or a date for older times. `at`/`now` in epoch ms. */
export function relativeTime(at: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000))
  if (s < 45) return t('common.time.now')
  const m = Math.round(s / 60)
  if (m < 60) return localized(unit(m, 'minute'))
  const h = Math.round(m / 60)
  if (h < 24) return localized(unit(h, 'hour'))
  const d = Math.round(h / 24)
  if (d < 7) return localized(unit(d, 'day'))
  return localized(dateFormat('day', { month: 'short', day: 'numeric' }).format(at))
}

/** Clock time (`14:05`) of an epoch-ms timestamp. */
export function clockTime(at: number): string {
  return localized(dateFormat('clock', { hour: '2-digit', minute: '2-digit' }).format(at))
}

/** Duration in ms as `850ms`, `4.2s`, `3m 05s`. */
export function duration(ms: number): string {
  if (ms < 1000) return localized(unit(Math.max(0, Math.round(ms)), 'millisecond'))
  if (ms < 60_000) return localized(unit(ms / 1000, 'second', ms < 10_000 ? 1 : 0))
  const m = Math.floor(ms / 60_000)
  const s = Math.floor((ms % 60_000) / 1000)
  return localized(`${unit(m, 'minute')} ${unit(s, 'second', 0, 2)}`)
}

/** Token count as `950`, `12.3k`, `1.2M` (the k/M of token counts, the locale's digits). */
export function tokens(n: number): string {
  if (n < 1000) return numberFormat('int', { maximumFractionDigits: 0 }).format(n)
  const digits = n < 10_000 || n >= 1_000_000 ? 1 : 0
  const f = numberFormat(`fixed:${digits}`, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false })
  return localized(n < 1_000_000 ? `${f.format(n / 1000)}k` : `${f.format(n / 1_000_000)}M`)
}

/** Cost in USD as `$0.0042` / `$1.23`; `$0` for zero. */
export function cost(usd: number): string {
  if (usd === 0) return localized(numberFormat('usd:0', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }).format(0))
  const digits = usd < 0.01 ? 4 : 2
  return localized(numberFormat(`usd:${digits}`, { style: 'currency', currency: 'USD', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(usd))
}
