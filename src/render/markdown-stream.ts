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
import type { Env, MarkdownIt, Token } from 'markdown-it'
import { markdownRenderer, renderMarkdown } from './markdown.ts'

/** One rendered block. `key` is stable for the block's life (the tail keeps the key it will be kept under). */
export interface MarkdownBlock {
  key: number
  /** The block's HTML; empty when it is shown as {@link MarkdownBlock.runs}. */
  html: string
  /**
   * A long paragraph still streaming, as runs of its inline HTML to show inside one `<p>`: every run
   * but the last is rendered once and kept (its DOM too), the last is the part still growing.
   */
  runs?: Array<{ key: number; html: string }>
}

/** A streaming tail paragraph longer than this (chars) is shown as runs. */
export const LONG_PARAGRAPH_CHARS = 2_000
/** About how long one kept run is (chars). */
const RUN_CHARS = 1_000
/** The last this many chars of a paragraph never go into a kept run (the words being streamed). */
const RUN_GUARD_CHARS = 64
/**
 * Characters a kept run may hold: text and emphasis/code/strike markers, but nothing that starts a
 * link, an image, an autolink, an entity or an escape (those can reach across a space).
 */
const RUN_CHARSET = /^[\p{L}\p{N} .,;:'"?()/%+=#|@$^{}*_~`!-]*$/u

/**
 * Whether a run of inline source renders the same alone as inside the whole paragraph: its
 * characters are in {@link RUN_CHARSET} and every emphasis, strike and code marker in it was used
 * within it (none is left as literal text outside code, except `_` inside a word, which can open or
 * close nothing), so no marker after it can pair with one in it.
 */
function selfContained(source: string, html: string): boolean {
  if (!RUN_CHARSET.test(source.replace(/\n/g, ' '))) return false
  const text = html.replace(/<code>[^<]*<\/code>/g, '').replace(/<[^>]+>/g, '')
  return !/[*~`]/.test(text) && !/(^|[^\p{L}\p{N}])_|_($|[^\p{L}\p{N}])/u.test(text)
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
 * Where each line of `text` starts (line 0 at 0), counting line breaks as markdown-it does
 * (`\r\n`, `\r` and `\n` each end a line): `length - 1` lines are complete.
 */
function lineStarts(text: string): number[] {
  const starts = [0]
  if (!text.includes('\r')) {
    // The common case, by native search rather than a loop over every character of the tail.
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
    return starts
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++
    if (c === 10 || c === 13) starts.push(i + 1)
  }
  return starts
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

/**
 * `s` as a string of its own, sharing no memory with the text it was cut from, for HTML that is
 * kept. V8 (and SpiderMonkey alike) keep a slice of a string as a view on the whole parent and a
 * concatenation as a rope of its pieces; markdown-it's output is such a rope of slices of its
 * source, and the source here is a slice of the whole streamed text as it was at that update. So a
 * kept block's HTML of 1 KB held that whole version of the reply alive: one copy of the reply per
 * kept block, a heap quadratic in the reply's length (+76 MB for a 450 KB reply). A concatenation
 * sliced again is flattened into a new string with the characters copied (O(length), once per
 * kept block or run).
 */
function detached(s: string): string {
  return (' ' + s).slice(1)
}

/**
 * Whether `text` starts with `prefix`, by a slice compared with `===`. Equality of two strings is a
 * block compare in V8, while `String.prototype.startsWith` compares character by character: on a
 * streaming reply of 200 KB checked once a frame, startsWith took ~0.8 ms a frame (2 s over the
 * long-reply bench), this takes microseconds. The slice is a view, not a copy.
 */
export function extendsText(text: string, prefix: string): boolean {
  return text.length >= prefix.length && text.slice(0, prefix.length) === prefix
}

/** markdown-it's input normalization (its core `normalize` rule), for the block parser run alone. */
function normalize(text: string): string {
  return /[\r\0]/.test(text) ? text.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD') : text
}

/** Block tokens of `src` without their inline content parsed (cheap: a scan of the lines). */
function parseBlocks(md: MarkdownIt, src: string, env: Env): Token[] {
  const tokens: Token[] = []
  md.block.parse(normalize(src), md, env, tokens)
  return tokens
}

/**
 * Renders block tokens after running the core chain's inline rules on them (inline parse,
 * linkify, text joining): with an empty source the chain's block rule adds nothing.
 */
function renderTokens(md: MarkdownIt, tokens: Token[], env: Env): string {
  const state = new md.core.State('', md, env)
  state.tokens = tokens
  md.core.process(state)
  return md.renderer.render(tokens, md.options, env)
}

/**
 * The first position at or after `from` (before `end`) just after a single space between two
 * non-blank characters: a cut there leaves both sides' inline rendering as in the whole (no
 * trailing space before a line break is dropped, no leading one kept).
 */
function runBoundary(content: string, from: number, end: number): number | undefined {
  for (let i = Math.max(from, 2); i < end; i++) {
    if (content[i - 1] === ' ' && !/\s/.test(content[i - 2]) && !/\s/.test(content[i])) return i
  }
  return undefined
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
    if (!extendsText(text, this.text)) this.reset()
    this.text = text
    if (this.whole) return [{ key: 0, html: renderMarkdown(text) }]
    const md = markdownRenderer()
    const tail = text.slice(this.keptChars)
    const env: Env = {}
    const tokens = parseBlocks(md, tail, env)
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
    const starts = lineStarts(tail)
    let open = all.length - 1
    if (open > 0 && all[open].startLine >= starts.length - 1 && !closedBefore(all[open - 1], all[open])) open--
    for (let b = 0; b < open; b++) {
      const { from, to } = all[b]
      this.kept.push({ key: this.nextKey++, html: detached(renderTokens(md, tokens.slice(from, to), env)) })
    }
    if (open > 0) this.keptChars += starts[all[open].startLine] ?? tail.length
    const lastTokens = tokens.slice(all[open].from, all[all.length - 1].to)
    const final = tokens[all[all.length - 1].from]
    const source = text.slice(this.keptChars)
    // In code (a fence, indented code, a fence's opening line being typed) markers are text.
    const isCode = final.type === 'fence' || final.type === 'code_block' || /(^|\n) {0,3}(`{3,}|~{3,})[^\n]*$/.test(source)
    const inline = lastTokens[1]
    if (streaming && lastTokens.length === 3 && lastTokens[0].type === 'paragraph_open' && inline.type === 'inline' && inline.content.length >= LONG_PARAGRAPH_CHARS) {
      return [...this.kept, { key: this.nextKey, html: '', runs: this.paragraphRuns(inline.content) }]
    }
    this.runs = []
    this.runsChars = 0
    const shown = streaming && !isCode ? closeDanglingMarkers(source) : source
    const html = shown === source ? renderTokens(md, lastTokens, env) : md.render(shown)
    return [...this.kept, { key: this.nextKey, html }]
  }

  /** Kept runs of the streaming long paragraph, and the characters of its content they cover. */
  private runs: Array<{ key: number; source: string; html: string }> = []
  private runsChars = 0

  /**
   * The runs of a long streaming paragraph whose inline content is `content`: the kept runs still
   * valid (their text still starts the content: a line that became a table's header, say, drops
   * them), new ones cut at a space between two words where the run is {@link selfContained}, and
   * the rest rendered now. Only the rest is parsed on each update (plus each new run once); a run
   * that is not self-contained (an open `**`, a link) waits until it is, or until the paragraph ends.
   */
  private paragraphRuns(content: string): Array<{ key: number; html: string }> {
    const md = markdownRenderer()
    let covered = 0
    let valid = 0
    for (const run of this.runs) {
      if (!content.startsWith(run.source, covered)) break
      covered += run.source.length
      valid++
    }
    if (valid < this.runs.length) this.runs = this.runs.slice(0, valid)
    this.runsChars = covered
    for (;;) {
      const end = content.length - RUN_GUARD_CHARS
      const target = this.runsChars + RUN_CHARS
      if (target >= end) break
      // A marker opened in the run may close a little later: try a few longer cuts.
      let run: { source: string; html: string; cut: number } | undefined
      for (let attempt = 0; attempt < 4 && !run; attempt++) {
        const cut = runBoundary(content, target + attempt * (RUN_CHARS / 4), end)
        if (cut === undefined) break
        const source = content.slice(this.runsChars, cut)
        const html = md.renderInline(source)
        if (selfContained(source, html)) run = { source, html, cut }
      }
      if (!run) break
      this.runs.push({ key: this.runs.length, source: detached(run.source), html: detached(run.html) })
      this.runsChars = run.cut
    }
    const rest = content.slice(this.runsChars)
    return [...this.runs.map(({ key, html }) => ({ key, html })), { key: this.runs.length, html: md.renderInline(closeDanglingMarkers(rest)) }]
  }

  /** Forgets every kept block: the next update renders the whole text again (e.g. the UI language changed). */
  reset(): void {
    this.runs = []
    this.runsChars = 0
    this.text = ''
    this.keptChars = 0
    this.kept = []
    this.whole = false
  }
}
