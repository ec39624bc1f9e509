/**
 * Incremental markdown (src/render/markdown-stream.ts): whatever the points at which a text part
 * arrives, the blocks' HTML joined equals a one-shot render of the final text; kept blocks never
 * change; each update parses only the tail; streamed output stays inert.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeDanglingMarkers, extendsText, IncrementalMarkdown, LONG_PARAGRAPH_CHARS, type MarkdownBlock } from '../src/render/markdown-stream.ts'
import { markdownRenderer, renderMarkdown } from '../src/render/markdown.ts'
import { XSS_CORPUS } from './support/scripted-model.ts'
import { expectInert } from './support/inert-html.ts'

/** One document per construct (and a mix), each small enough to split at every character. */
const CONSTRUCTS: Record<string, string> = {
  paragraphs: 'First paragraph with *em* and **strong**.\nA second line of it.\n\nSecond paragraph.\n\n\nThird, after two blank lines.',
  headings: '# Title\n\nText\n\n## Sub *title*\nSetext heading\n===\n\nAnother\n---\nend',
  'tight and loose lists': '- one\n- two\n  - nested\n  - nested 2\n- three\n\nafter\n\n1. a\n\n2. b\n3. c\n\n7) seven\n8) eight\n\n* star\n+ plus',
  'list with lazy line and code': '- item\nlazy continuation\n\n      indented code in item\n\n- next\n\nplain',
  blockquote: '> quoted\nlazy line\n> > nested\n\n> second quote\n\nout',
  fences: 'Before\n\n```ts\nconst a = 1\n\nconst b = `x`\n```\n\n~~~\ntilde fence\n~~~\n\n````md\n```\ninner\n```\n````\n\nafter',
  'open fence': 'Text\n\n```py\nprint("never closed")\n\nmore',
  'indented code': 'para\n\n    code line 1\n\n    code line 3\n\nafter',
  tables: '| a | b | c |\n|:--|:-:|--:|\n| 1 | **2** | `3` |\n| 4 | 5 | 6 |\n\nafter table\n\n| solo |\n|---|\n| row |',
  'thematic breaks': 'a\n\n---\n\nb\n\n***\n* * *\nc',
  inline: 'Code `span` and ``double ` tick``, ~~strike~~, [link](https://example.com "t"), <https://auto.example>, www.linkify.example, a\\*b, &amp; &copy;, hard  \nbreak',
  'reference links': 'See [the docs][docs] and [other].\n\nMiddle paragraph.\n\n[docs]: https://example.com/docs\n[other]: https://example.com/other "Other"\n\nAfter the definitions [docs].',
  'crlf line endings': 'One\r\nline two\r\n\r\n- a\r\n- b\r\n\r\n```\r\ncode\r\n```\r\n\r\nend\rlone cr',
  'html-like text': '<div>not html</div>\n\n<script>alert(1)</script>\n\nText <b>bold?</b>',
  'blocks interrupting blocks': 'para\n# heading\npara\n---\npara\n> quote\nlazy\n\n    code\n\n    more code\n\n- a\n\n\n- b\n\nend\n#not heading\n\n##\nx\n\n| t |\n|---|\n| r |\nrow?\n\n```\nopen',
  mix: '# Plan\n\n1. Read `src/a.ts`\n2. Edit it:\n\n   ```diff\n   - old\n   + new\n   ```\n\n3. Run **tests**\n\n> Note: done.\n\n| file | change |\n|---|---|\n| a.ts | +1 −1 |\n\nDone.',
}

function joined(blocks: MarkdownBlock[]): string {
  return blocks.map((b) => b.html).join('')
}

describe('incremental markdown', () => {
  afterEach(() => vi.restoreAllMocks())

  it.each(Object.entries(CONSTRUCTS))('%s: split in two at every character, the result equals a one-shot render', (_name, doc) => {
    const expected = renderMarkdown(doc)
    for (let i = 0; i <= doc.length; i++) {
      const r = new IncrementalMarkdown()
      r.update(doc.slice(0, i), true)
      expect(joined(r.update(doc, false)), `split at ${i}`).toBe(expected)
    }
  })

  it.each(Object.entries(CONSTRUCTS))('%s: streamed a character at a time, the result equals a one-shot render', (_name, doc) => {
    const r = new IncrementalMarkdown()
    for (let i = 0; i <= doc.length; i++) r.update(doc.slice(0, i), true)
    expect(joined(r.update(doc, false))).toBe(renderMarkdown(doc))
  })

  it('each prefix, without the display closers, renders as the one-shot render of that prefix', () => {
    const doc = CONSTRUCTS.mix
    const r = new IncrementalMarkdown()
    for (let i = 0; i <= doc.length; i++) expect(joined(r.update(doc.slice(0, i), false)), `prefix ${i}`).toBe(renderMarkdown(doc.slice(0, i)))
  })

  it('never changes a kept block: only the last block is new on each update', () => {
    const doc = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} with **bold** text.\n\n- item ${i}\n- item ${i}b`).join('\n\n')
    const r = new IncrementalMarkdown()
    let previous: MarkdownBlock[] = []
    for (let i = 0; i <= doc.length; i += 3) {
      const blocks = r.update(doc.slice(0, i), true)
      for (const old of previous.slice(0, -1)) expect(blocks.find((b) => b.key === old.key)).toBe(old)
      previous = blocks
    }
    expect(previous.length).toBeGreaterThan(50)
  })

  it('parses only the tail: a long reply costs each update its last block, not its length', () => {
    const paragraph = 'A sentence of a long reply, repeated to make the reply long. '.repeat(4)
    const doc = Array.from({ length: 200 }, (_, i) => `Paragraph ${i}: ${paragraph}`).join('\n\n')
    const parse = vi.spyOn(markdownRenderer().inline, 'parse')
    const r = new IncrementalMarkdown()
    for (let i = 0; i <= doc.length; i += 7) r.update(doc.slice(0, i), true)
    const longest = Math.max(...parse.mock.calls.map(([src]) => src.length))
    expect(doc.length).toBeGreaterThan(40_000)
    expect(longest).toBeLessThan(paragraph.length * 3)
  })

  it('shows a long streaming paragraph as runs: kept runs never change, the text is the one-shot render, inline parsing stays short', () => {
    // The burst bench's reply: one paragraph of 5,000 words, here with markup near its end.
    const words = Array.from({ length: 5_000 }, (_, i) => `word${i}`).join(' ')
    const doc = `${words} and **bold** then \`code\` and _em_ ${words.slice(0, 1_800)} **across ${words.slice(0, 900)} the cut** ${words.slice(0, 3_000)}`
    const parse = vi.spyOn(markdownRenderer().inline, 'parse')
    const r = new IncrementalMarkdown()
    let previous: MarkdownBlock['runs'] = []
    let longest = 0
    for (let i = 0; i <= doc.length; i += 97) {
      const prefix = doc.slice(0, i)
      const before = parse.mock.calls.length
      const [block] = r.update(prefix, true)
      for (const [src] of parse.mock.calls.slice(before)) longest = Math.max(longest, src.length)
      if (prefix.length < LONG_PARAGRAPH_CHARS) continue
      expect(block.runs, `at ${i}`).toBeDefined()
      const runs = block.runs ?? []
      expect(`<p>${runs.map((x) => x.html).join('')}</p>\n`, `at ${i}`).toBe(renderMarkdown(closeDanglingMarkers(prefix)))
      for (const old of (previous ?? []).slice(0, -1)) expect(runs.find((x) => x.key === old.key), `at ${i}`).toEqual(old)
      previous = runs
    }
    expect((previous ?? []).length).toBeGreaterThan(30)
    // Kept runs are parsed once; each update parses the rest (under ~2 runs plus the guard).
    expect(longest).toBeLessThan(2_500)
    expect(joined(r.update(doc, false))).toBe(renderMarkdown(doc))
  })

  it('drops the runs of a paragraph that stops being one (a setext underline makes it a heading)', () => {
    const words = Array.from({ length: 600 }, (_, i) => `w${i}`).join(' ')
    const r = new IncrementalMarkdown()
    expect(r.update(words, true)[0].runs).toBeDefined()
    const heading = `${words}\n===`
    expect(joined(r.update(heading, true))).toBe(renderMarkdown(heading))
  })

  it('starts over when the text is not an extension of the previous one', () => {
    const r = new IncrementalMarkdown()
    r.update('# One\n\nfirst text\n\nmore', true)
    expect(joined(r.update('# Two\n\nother', false))).toBe(renderMarkdown('# Two\n\nother'))
    expect(joined(r.update('', false))).toBe('')
  })

  it('starts over when a kept block changed, even when the text grew', () => {
    const r = new IncrementalMarkdown()
    r.update('first paragraph\n\nsecond paragraph\n\nthi', true)
    const edited = 'First paragraph\n\nsecond paragraph\n\nthird, longer'
    expect(joined(r.update(edited, false))).toBe(renderMarkdown(edited))
  })

  it('renders a reference definition that arrives after its use (the whole text, from then on)', () => {
    const r = new IncrementalMarkdown()
    const before = joined(r.update('Read [the docs].\n\nMore text.\n\n', true))
    expect(before).not.toContain('<a ')
    const after = joined(r.update('Read [the docs].\n\nMore text.\n\n[the docs]: https://example.com\n', true))
    expect(after).toContain('<a href="https://example.com"')
  })

  it('streams the XSS corpus inert at every character', () => {
    const r = new IncrementalMarkdown()
    for (let i = 0; i <= XSS_CORPUS.length; i++) expectInert(joined(r.update(XSS_CORPUS.slice(0, i), true)))
    expect(joined(r.update(XSS_CORPUS, false))).toBe(renderMarkdown(XSS_CORPUS))
  })

  it('shows an unterminated bold, strike or code span closed while streaming, and the text as is when done', () => {
    const r = new IncrementalMarkdown()
    expect(joined(r.update('Some **bold', true))).toContain('<strong>bold</strong>')
    expect(joined(r.update('Some **bold', false))).toBe(renderMarkdown('Some **bold'))
    expect(joined(new IncrementalMarkdown().update('a `code', true))).toContain('<code>code</code>')
    // Inside an open fence nothing is added.
    expect(joined(new IncrementalMarkdown().update('```\nx **y', true))).toContain('x **y')
    expect(joined(new IncrementalMarkdown().update('text\n\n```py', true))).toBe(renderMarkdown('text\n\n```py'))
  })
})

describe('extendsText', () => {
  it('is startsWith: a prefix, the text itself, not a changed or longer one', () => {
    const text = 'abc'.repeat(1000)
    expect(extendsText(text, '')).toBe(true)
    expect(extendsText(text, text)).toBe(true)
    expect(extendsText(text + 'more', text)).toBe(true)
    expect(extendsText(text, text + 'x')).toBe(false)
    expect(extendsText(text.slice(0, 1500) + 'X' + text.slice(1501) + 'tail', text)).toBe(false)
  })
})

describe('closeDanglingMarkers', () => {
  it('closes what is open and leaves balanced text alone', () => {
    expect(closeDanglingMarkers('a **b')).toBe('a **b**')
    expect(closeDanglingMarkers('a **b** c')).toBe('a **b** c')
    expect(closeDanglingMarkers('a ~~b')).toBe('a ~~b~~')
    expect(closeDanglingMarkers('a `b')).toBe('a `b`')
    expect(closeDanglingMarkers('a ``b ` c')).toBe('a ``b ` c``')
    expect(closeDanglingMarkers('a **b ')).toBe('a **b** ')
    // Markers inside a code span do not count.
    expect(closeDanglingMarkers('a `**` b')).toBe('a `**` b')
    expect(closeDanglingMarkers('plain')).toBe('plain')
  })

  it('drops a marker at the very end that has nothing to close yet', () => {
    expect(closeDanglingMarkers('a **')).toBe('a ')
    expect(closeDanglingMarkers('a ~~ ')).toBe('a  ')
    expect(closeDanglingMarkers('a `')).toBe('a ')
    expect(closeDanglingMarkers('**a** and **')).toBe('**a** and ')
  })
})
