/**
 * Issue 16, Files: what the viewer makes of `GET /file/content` (src/api/file-content.ts) —
 * binary answers, huge files cut to their first lines, when highlighting stops — and how text
 * search hits are grouped by file (src/composables/useFilesSearch.ts).
 */
import { describe, expect, it } from 'vitest'
import {
  HUGE_BYTES,
  HUGE_LINES,
  PREVIEW_LINES,
  PREVIEW_LINE_CHARS,
  base64Bytes,
  classifyFileContent,
  languageOf,
  splitLines,
} from '../src/api/file-content.ts'
import { byteToCharOffset, groupTextMatches, MAX_TEXT_HITS } from '../src/composables/useFilesSearch.ts'
import type { TextMatch } from '../src/api/opencode.ts'

describe('binary files', () => {
  it('what the server calls binary, with its type and size from the base64', () => {
    // opencode 1.18.33's answer for a PNG.
    const body = classifyFileContent({ type: 'binary', content: 'iVBORwABAgP//g==', encoding: 'base64', mimeType: 'image/png' })
    expect(body).toEqual({ kind: 'binary', mime: 'image/png', bytes: 10 })
  })

  it('base64 content, or NUL characters in text, are binary too', () => {
    expect(classifyFileContent({ type: 'text', content: 'AAEC', encoding: 'base64' }).kind).toBe('binary')
    expect(classifyFileContent({ type: 'text', content: 'ab\u0000cd' }).kind).toBe('binary')
  })

  it('counts decoded bytes', () => {
    expect(base64Bytes('')).toBe(0)
    expect(base64Bytes('YQ==')).toBe(1)
    expect(base64Bytes('YWI=')).toBe(2)
    expect(base64Bytes('YWJj')).toBe(3)
  })
})

describe('text files', () => {
  it('are split into lines, a final newline adding none', () => {
    expect(splitLines('a\nb\n')).toEqual(['a', 'b'])
    expect(splitLines('a\r\nb')).toEqual(['a', 'b'])
    expect(splitLines('')).toEqual([''])
    const body = classifyFileContent({ type: 'text', content: 'export const a = 1\nconsole.log(a)\n' })
    expect(body).toEqual({ kind: 'text', lines: ['export const a = 1', 'console.log(a)'], totalLines: 2, chars: 34, truncated: false, highlight: true })
  })

  it('over 20,000 lines: only the first lines, with the whole count', () => {
    const content = 'line\n'.repeat(HUGE_LINES + 5)
    const body = classifyFileContent({ type: 'text', content })
    if (body.kind !== 'text') throw new Error('text expected')
    expect(body.truncated).toBe(true)
    expect(body.totalLines).toBe(HUGE_LINES + 5)
    expect(body.lines).toHaveLength(PREVIEW_LINES)
    expect(body.highlight).toBe(true)
  })

  it('over 1 MB: only the first lines, and a minified line is cut', () => {
    const long = 'x'.repeat(HUGE_BYTES + 10)
    const body = classifyFileContent({ type: 'text', content: long })
    if (body.kind !== 'text') throw new Error('text expected')
    expect(body.truncated).toBe(true)
    expect(body.lines).toHaveLength(1)
    expect(body.lines[0]).toHaveLength(PREVIEW_LINE_CHARS + 1)
    expect(body.chars).toBe(HUGE_BYTES + 10)
  })

  it('a long file below the huge limits is shown whole but not highlighted', () => {
    const body = classifyFileContent({ type: 'text', content: 'const x = 1\n'.repeat(10_000) })
    expect(body).toMatchObject({ kind: 'text', truncated: false, highlight: false, totalLines: 10_000 })
  })

  it('names the language by extension or file name', () => {
    expect(languageOf('src/app.ts')).toBe('ts')
    expect(languageOf('a/b/Component.VUE')).toBe('vue')
    expect(languageOf('Dockerfile')).toBe('dockerfile')
    expect(languageOf('.gitignore')).toBe('.gitignore')
  })
})

describe('text search hits', () => {
  const match = (path: string, line: number, text: string, start: number, end: number): TextMatch => ({
    path: { text: path },
    lines: { text: `${text}\n` },
    line_number: line,
    absolute_offset: 0,
    submatches: [{ match: { text: text.slice(start, end) }, start, end }],
  })

  it('are grouped by file in the server’s order, lines without their newline', () => {
    const groups = groupTextMatches([match('a.ts', 3, '// needle', 3, 9), match('b.ts', 1, 'needle', 0, 6), match('a.ts', 9, 'x needle', 2, 8)])
    expect(groups.map((g) => [g.path, g.hits.map((h) => h.line)])).toEqual([
      ['a.ts', [3, 9]],
      ['b.ts', [1]],
    ])
    expect(groups[0].hits[0]).toEqual({ path: 'a.ts', line: 3, text: '// needle', spans: [{ start: 3, end: 9 }] })
  })

  it('turn ripgrep’s byte offsets into character offsets', () => {
    expect(byteToCharOffset('héllo needle', 7)).toBe(6)
    const [group] = groupTextMatches([match('a.ts', 1, 'é needle', 3, 9)])
    expect(group.hits[0].spans).toEqual([{ start: 2, end: 8 }])
  })

  it('are capped', () => {
    const many = Array.from({ length: MAX_TEXT_HITS + 50 }, (_, i) => match('a.ts', i + 1, 'needle', 0, 6))
    expect(groupTextMatches(many)[0].hits).toHaveLength(MAX_TEXT_HITS)
  })
})
