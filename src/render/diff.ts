/**
 * Unified diff text → rows to render, unified (one column) or split (old | new side by side).
 * Parsing is jsdiff's `parsePatch` (the `diff` package), which reads both formats the server
 * sends: jsdiff's own (`Index:` / `===` headers, `UserMessage.summary.diffs[].patch`, `edit`'s
 * `filediff.patch`) and git's (`diff --git`, `GET /vcs/diff`). Text is never interpreted as HTML.
 */
import { parsePatch } from 'diff'

/** One rendered line of a unified diff. */
export interface UnifiedRow {
  kind: 'hunk' | 'add' | 'del' | 'ctx'
  text: string
  /** Line numbers in the old / new file (1-based); absent for the side a line does not exist in, and for hunk headers. */
  oldLine?: number
  newLine?: number
}

/** One side of a split row; `undefined` when that side has no line here. */
export interface SplitCell {
  kind: 'add' | 'del' | 'ctx'
  text: string
  line: number
}

/** One row of a split diff: a hunk header, or an old line beside a new one. */
export type SplitRow = { kind: 'hunk'; text: string } | { kind: 'pair'; old?: SplitCell; new?: SplitCell }

/** A parsed diff of one file. */
export interface ParsedDiff {
  unified: UnifiedRow[]
  split: SplitRow[]
  /** True when the patch says the file is binary (no lines to show). */
  binary: boolean
}

/**
 * Parses `patch` (the diff of one file; further files in the same text are appended in order).
 * Malformed text does not throw: what cannot be parsed yields no rows.
 */
export function parseDiff(patch: string): ParsedDiff {
  let files: ReturnType<typeof parsePatch>
  try {
    files = parsePatch(patch)
  } catch {
    return { unified: [], split: [], binary: false }
  }
  const unified: UnifiedRow[] = []
  let binary = false
  for (const file of files) {
    if (file.isBinary) binary = true
    for (const hunk of file.hunks) {
      if (![hunk.oldStart, hunk.oldLines, hunk.newStart, hunk.newLines].every(Number.isFinite)) continue
      unified.push({ kind: 'hunk', text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` })
      let oldLine = hunk.oldStart
      let newLine = hunk.newStart
      for (const line of hunk.lines) {
        const mark = line[0]
        const text = line.slice(1)
        if (mark === '+') unified.push({ kind: 'add', text, newLine: newLine++ })
        else if (mark === '-') unified.push({ kind: 'del', text, oldLine: oldLine++ })
        else if (mark === ' ') unified.push({ kind: 'ctx', text, oldLine: oldLine++, newLine: newLine++ })
        // '\' = "No newline at end of file": not a line of either file.
      }
    }
  }
  return { unified, split: toSplit(unified), binary }
}

/** Pairs each run of removed lines with the run of added lines after it; context lines sit on both sides. */
export function toSplit(rows: readonly UnifiedRow[]): SplitRow[] {
  const out: SplitRow[] = []
  let dels: SplitCell[] = []
  let adds: SplitCell[] = []
  const flush = (): void => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) out.push({ kind: 'pair', old: dels[i], new: adds[i] })
    dels = []
    adds = []
  }
  for (const row of rows) {
    if (row.kind === 'del' && row.oldLine !== undefined) {
      if (adds.length) flush()
      dels.push({ kind: 'del', text: row.text, line: row.oldLine })
    } else if (row.kind === 'add' && row.newLine !== undefined) adds.push({ kind: 'add', text: row.text, line: row.newLine })
    else {
      flush()
      if (row.kind === 'hunk') out.push({ kind: 'hunk', text: row.text })
      else if (row.oldLine !== undefined && row.newLine !== undefined) {
        out.push({ kind: 'pair', old: { kind: 'ctx', text: row.text, line: row.oldLine }, new: { kind: 'ctx', text: row.text, line: row.newLine } })
      }
    }
  }
  flush()
  return out
}
