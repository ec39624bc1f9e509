/**
 * Mentioning a project file, or some of its lines, in a prompt: the `file://` URL OpenCode's own
 * app (packages/app) sends for a selection, `file://<absolute path>?start=<n>&end=<m>` (1-based,
 * inclusive lines; the server then reads just those lines into the message), or
 * `file://<absolute path>` for the whole file; and the chip label `app.ts:3-7`. Pure.
 */

/** Lines `start`..`end` of a file, 1-based and inclusive (`start` ≤ `end`). */
export interface LineRange {
  start: number
  end: number
}

/**
 * The range between two clicked lines (in either order), or `undefined` when either is not a
 * positive whole number. `rangeBetween(7, 3)` → `{ start: 3, end: 7 }`.
 */
export function rangeBetween(a: number, b: number): LineRange | undefined {
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) return undefined
  return { start: Math.min(a, b), end: Math.max(a, b) }
}

/** `3-7`, or `3` for a single line. */
export function formatRange(range: LineRange): string {
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`
}

/** A mention's label: `src/app.ts:3-7`, `src/app.ts:3`, or the path alone without a range. */
export function mentionLabel(path: string, range?: LineRange): string {
  return range ? `${path}:${formatRange(range)}` : path
}

/**
 * The URL of a mention: `file://<absolute>?start=<n>&end=<m>`, or `file://<absolute>` without a
 * range. The path is written as is (OpenCode's app does the same; the server parses it with
 * `new URL`, so a `#` or `?` in a path would not survive — such names are rare in projects).
 */
export function fileMentionUrl(absolute: string, range?: LineRange): string {
  const base = `file://${absolute}`
  return range ? `${base}?start=${range.start}&end=${range.end}` : base
}

/**
 * Reads a mention URL back: the absolute path and the range, or `undefined` when `url` is not a
 * `file://` URL. A `start` without a usable `end` is a one-line range; an unusable `start` none.
 */
export function parseFileMentionUrl(url: string): { absolute: string; range?: LineRange } | undefined {
  if (!url.startsWith('file://')) return undefined
  const rest = url.slice('file://'.length)
  const q = rest.indexOf('?')
  const absolute = q < 0 ? rest : rest.slice(0, q)
  if (!absolute) return undefined
  if (q < 0) return { absolute }
  const params = new URLSearchParams(rest.slice(q + 1))
  const start = Number(params.get('start'))
  const endParam = params.get('end')
  const end = endParam === null ? start : Number(endParam)
  const range = rangeBetween(start, Number.isInteger(end) && end >= 1 ? end : start)
  return range ? { absolute, range } : { absolute }
}
