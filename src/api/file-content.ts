/**
 * What the Files viewer makes of a `GET /file/content` answer (SDK `FileContent`): a binary file
 * (the server says `type: 'binary'` or sends base64, or the text holds NUL characters) gets a
 * message; a huge text file (over {@link HUGE_BYTES} characters or {@link HUGE_LINES} lines) shows
 * only its first {@link PREVIEW_LINES} lines (each cut at {@link PREVIEW_LINE_CHARS}) with a note; highlighting stops at
 * {@link HIGHLIGHT_MAX_LINES} lines / {@link HIGHLIGHT_MAX_CHARS} characters so nothing hangs. Pure.
 */
import type { FileContent } from '@opencode-ai/sdk/v2/types'

/** A text file larger than this many characters (~1 MB) is huge. */
export const HUGE_BYTES = 1024 * 1024
/** A text file with more lines than this is huge. */
export const HUGE_LINES = 20_000
/** How many lines of a huge file are shown. */
export const PREVIEW_LINES = 2_000
/** Longest line shown of a huge file, in characters (a minified file's one line is cut here). */
export const PREVIEW_LINE_CHARS = 10_000
/** Longest text highlighted with shiki, in lines. */
export const HIGHLIGHT_MAX_LINES = 5_000
/** Longest text highlighted with shiki, in characters. */
export const HIGHLIGHT_MAX_CHARS = 256 * 1024

/** The viewer's body for one file. */
export type FileBody =
  | {
      kind: 'binary'
      /** The server's `mimeType`, when it sent one. */
      mime?: string
      /** Size in bytes, from the base64 length when the server sent base64. */
      bytes?: number
    }
  | {
      kind: 'text'
      /** The lines shown (all of them, or the first {@link PREVIEW_LINES} of a huge file). */
      lines: string[]
      /** Lines in the whole file. */
      totalLines: number
      /** Characters in the whole file. */
      chars: number
      /** Whether only the first lines are shown (the file is huge). */
      truncated: boolean
      /** Whether the shown lines are small enough to highlight. */
      highlight: boolean
    }

/** Bytes a base64 string decodes to. */
export function base64Bytes(b64: string): number {
  const clean = b64.replace(/\s+/g, '')
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0
  return Math.max(0, Math.floor((clean.length * 3) / 4) - pad)
}

/** The lines of a text, without the empty line after a final newline (`'a\nb\n'` → `['a', 'b']`). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/)
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Number of lines of `text`, counted without splitting a huge string. */
function countLines(text: string): number {
  if (text === '') return 1
  let n = 1
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return text.endsWith('\n') ? n - 1 : n
}

/** The first `max` lines of `text`, splitting no more of it than needed. */
function firstLines(text: string, max: number): string[] {
  let end = 0
  for (let i = 0; i < max; i++) {
    const next = text.indexOf('\n', end)
    if (next < 0) return splitLines(text)
    end = next + 1
  }
  return splitLines(text.slice(0, end))
}

/** Classifies a `/file/content` answer for the viewer (see the module comment). */
export function classifyFileContent(content: FileContent): FileBody {
  if (content.type === 'binary' || content.encoding === 'base64') {
    return {
      kind: 'binary',
      ...(content.mimeType ? { mime: content.mimeType } : {}),
      ...(content.encoding === 'base64' ? { bytes: base64Bytes(content.content) } : {}),
    }
  }
  const text = content.content
  // A NUL in the first 8 KB: a binary file the server read as text.
  if (text.slice(0, 8192).includes('\u0000')) return { kind: 'binary', ...(content.mimeType ? { mime: content.mimeType } : {}) }
  const totalLines = countLines(text)
  const huge = text.length > HUGE_BYTES || totalLines > HUGE_LINES
  const lines = huge ? firstLines(text, PREVIEW_LINES).map((l) => (l.length > PREVIEW_LINE_CHARS ? `${l.slice(0, PREVIEW_LINE_CHARS)}…` : l)) : splitLines(text)
  const shownChars = huge ? lines.reduce((n, l) => n + l.length + 1, 0) : text.length
  return {
    kind: 'text',
    lines,
    totalLines,
    chars: text.length,
    truncated: huge,
    highlight: lines.length <= HIGHLIGHT_MAX_LINES && shownChars <= HIGHLIGHT_MAX_CHARS,
  }
}

/** The language id shiki is asked for: the file's extension (`app.ts` → `ts`), or its name (`Dockerfile`). */
export function languageOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : name.toLowerCase()
}
