/**
 * Incremental markdown for a text part that grows while the model streams it: the part is split
 * into top-level blocks (markdown-it's own block tokens: a paragraph, a list, a fence, a table…);
 * a block that is followed by another one is complete and is rendered once and kept, only the last
 * (tail) block is parsed and rendered again on each update. So an update costs the tail's length,
 * not the reply's, and a kept block's HTML string never changes (its DOM is never swapped).
 *
 * Why a block before the last one is final once the next block starts on a complete line:
 * CommonMark parses line by line and never reopens a closed block; text appended to the source can
 * only extend or close the blocks that are still open, and every open block lies on the last
 * top-level block's path. An incomplete last line is not yet a line: `2` is a paragraph that
 * would close the list above it, `2. b` continues that list; so a block before such a line is kept
 * only when nothing that line may become can continue it ({@link closedBefore}). One exception is
 * document-wide: a link reference definition (`[x]: url`) changes how `[x]` renders anywhere in the
 * text, before or after it. A text with one is rendered whole on every update instead.
 *
 * The blocks' HTML joined equals {@link renderMarkdown} of the whole text (test/markdown-stream.test.ts
 * checks it at every split point), with the same safety guarantees: the tokens are rendered by the
 * same markdown-it instance (./markdown.ts).
 *
 * While streaming, the tail's unterminated inline markers (`**`, `~~`, a code span's backtick) are
 * closed for display ({@link closeDanglingMarkers}), so a word does not flash from `**bold` to
 * **bold**; the final render uses the text as it is.
 */
import type { Env, Token } from 'markdown-it'
import { markdownRenderer, renderMarkdown } from './markdown.ts'

/** One rendered block. `key` is stable for the block's life (the tail keeps the key it will be kept under). */
export interface MarkdownBlock {
  key: number
  html: string
}

/** A top-level block of a token list: tokens `[from, to)`, source lines `[startLine, endLine)`. */
interface TokenRange {
  from: number
  to: number
  startLine: number
  /** The line after the block's last line. */
  endLine: number
  /** The block's first token type (`paragraph_open`, `bullet_list_open`, `fence`…). */
  type: string
}

/** Groups tokens into top-level blocks (an opening token at level 0 to its closing token). */
function topLevelBlocks(tokens: Token[]): TokenRange[] {
  const out: TokenRange[] = []
  let i = 0
  while (i < tokens.length) {
    const first = tokens[i]
    let j = i
    if (first.nesting === 1) {
      let depth = 0
      for (; j < tokens.length; j++) {
        depth += tokens[j].nesting
        if (depth === 0) break
      }
    }
    out.push({ from: i, to: j + 1, startLine: first.map?.[0] ?? 0, endLine: first.map?.[1] ?? 0, type: first.type })
    i = j + 1
  }
  return out
}

/**
 * The character offset where line `line` (0-based) of `text` starts, counting line breaks as
 * markdown-it does (`\r\n`, `\r` and `\n` each end a line).
 */
function lineOffset(text: string, line: number): number {
  let seen = 0
  for (let i = 0; i < text.length && seen < line; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      seen++
      if (seen === line) return i + 1
    } else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++
      seen++
      if (seen === line) return i + 1
    }
  }
  return seen >= line ? 0 : text.length
}

/**
 * Whether `block` stays closed whatever the incomplete line that starts `next` becomes: a heading,
 * a rule or a closed fence always; a paragraph, quote or table when a blank line separates them
 * (no lazy continuation or table row across one). A list or an indented code block may go on after
 * blank lines, so they wait for the line to complete.
 */
function closedBefore(block: TokenRange, next: TokenRange): boolean {
  switch (block.type) {
    case 'heading_open':
    case 'hr':
    case 'fence':
      return true
    case 'paragraph_open':
    case 'blockquote_open':
    case 'table_open':
      return next.startLine > block.endLine
    default:
      return false
  }
}

/** How many lines of `text` are complete (end in a line break). */
function countLineBreaks(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) n++
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++
      n++
    }
  }
  return n
}

/** The text outside code spans and the backtick run of a code span left open, if any. */
function codeSpans(text: string): { outside: string; open?: string } {
  const pieces = text.split(/(`+)/)
  let open: string | undefined
  let outside = ''
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]
    if (i % 2 === 1) {
      if (open === piece) open = undefined
      else if (open === undefined) open = piece
    } else if (open === undefined) outside += piece
  }
  return { outside, open }
}

function occurrences(text: string, marker: string): number {
  return text.split(marker).length - 1
}

/**
 * Closes the inline markers a streaming tail left open, for display only: an odd number of
 * backticks gets one more, and outside code spans an odd number of `**` or `~~` gets its closer.
 * A marker at the very end with nothing after it yet is dropped instead (it would show as text).
 * Returns `text` itself when nothing is open. A fence or indented code block is left alone (the
 * caller knows; see {@link IncrementalMarkdown}).
 */
export function closeDanglingMarkers(text: string): string {
  const end = /\s*$/.exec(text)?.[0] ?? ''
  let body = text.slice(0, text.length - end.length)
  let spans = codeSpans(body)
  if (spans.open !== undefined && body.endsWith(spans.open)) {
    body = body.slice(0, -spans.open.length)
    spans = codeSpans(body)
  }
  for (const marker of ['**', '~~']) {
    if (spans.open === undefined && occurrences(spans.outside, marker) % 2 === 1 && body.endsWith(marker)) {
      body = body.slice(0, -marker.length)
      spans = codeSpans(body)
    }
  }
  let suffix = spans.open ?? ''
  if (spans.open === undefined) {
    if (occurrences(spans.outside, '~~') % 2 === 1) suffix += '~~'
    if (occurrences(spans.outside, '**') % 2 === 1) suffix += '**'
  }
  if (!suffix && body.length + end.length === text.length) return text
  return body + suffix + end
}

/**
 * The incremental renderer of one text part (see the module comment). Feed it the whole text on
 * every change; it returns the blocks to show. A text that is not an extension of the previous
 * one (an edit, a revert) starts over.
 */
export class IncrementalMarkdown {
  private text = ''
  /** Characters of {@link text} covered by {@link kept}. */
  private keptChars = 0
  private kept: MarkdownBlock[] = []
  private nextKey = 0
  /** A reference definition was seen: render the whole text each time. */
  private whole = false

  /**
   * The blocks of `text`.
   * @param streaming whether more text may follow (the tail's open inline markers are closed for display)
   */
  update(text: string, streaming: boolean): MarkdownBlock[] {
    if (!text.startsWith(this.text)) this.reset()
    this.text = text
    if (this.whole) return [{ key: 0, html: renderMarkdown(text) }]
    const md = markdownRenderer()
    const tail = text.slice(this.keptChars)
    const env: Env = {}
    const tokens = md.parse(tail, env)
    if (env.references && Object.keys(env.references).length > 0) {
      this.reset()
      this.text = text
      this.whole = true
      return [{ key: 0, html: renderMarkdown(text) }]
    }
    const all = topLevelBlocks(tokens)
    if (!all.length) return this.kept.slice()
    // A block is final once the next one starts on a complete line: an incomplete last line may
    // still change what it is (`2` becomes the list item `2. b`, continuing the list above it).
    const completeLines = countLineBreaks(tail)
    let open = all.length - 1
    if (open > 0 && all[open].startLine >= completeLines && !closedBefore(all[open - 1], all[open])) open--
    for (let b = 0; b < open; b++) {
      const { from, to } = all[b]
      this.kept.push({ key: this.nextKey++, html: md.renderer.render(tokens.slice(from, to), md.options, env) })
    }
    if (open > 0) this.keptChars += lineOffset(tail, all[open].startLine)
    const lastTokens = tokens.slice(all[open].from, all[all.length - 1].to)
    const final = tokens[all[all.length - 1].from]
    const source = text.slice(this.keptChars)
    // In code (a fence, indented code, a fence's opening line being typed) markers are text.
    const isCode = final.type === 'fence' || final.type === 'code_block' || /(^|\n) {0,3}(`{3,}|~{3,})[^\n]*$/.test(source)
    const shown = streaming && !isCode ? closeDanglingMarkers(source) : source
    const html = shown === source ? md.renderer.render(lastTokens, md.options, env) : md.render(shown)
    return [...this.kept, { key: this.nextKey, html }]
  }

  /** Forgets every kept block: the next update renders the whole text again (e.g. the UI language changed). */
  reset(): void {
    this.text = ''
    this.keptChars = 0
    this.kept = []
    this.whole = false
  }
}
