import { describe, expect, it } from 'vitest'
import { CHUNK_BLOCKS, chunkBlocks } from '../src/render/markdown-chunks.ts'
import { IncrementalMarkdown, type MarkdownBlock } from '../src/render/markdown-stream.ts'

const block = (key: number, html: string): MarkdownBlock => ({ key, html })
const paragraphs = (n: number): MarkdownBlock[] => Array.from({ length: n }, (_, i) => block(i, `<p>p${i}</p>\n`))
const sizes = (blocks: readonly MarkdownBlock[], followed = false) => chunkBlocks(blocks, followed).map((c) => [c.blocks.length, c.sealed])

describe('chunkBlocks', () => {
  it('cuts paragraphs into sealed chunks of 16 and leaves the last one open', () => {
    expect(CHUNK_BLOCKS).toBe(16)
    expect(sizes(paragraphs(40))).toEqual([
      [16, true],
      [16, true],
      [8, false],
    ])
    expect(sizes(paragraphs(16))).toEqual([[16, false]])
    expect(sizes([])).toEqual([])
  })

  it('seals a full last chunk only when a streaming paragraph follows it', () => {
    expect(sizes(paragraphs(32), true)).toEqual([
      [16, true],
      [16, true],
    ])
    expect(sizes(paragraphs(20), true)).toEqual([
      [16, true],
      [4, false],
    ])
  })

  it('never starts a chunk with a heading or a rule, whose top margin would not collapse across it', () => {
    const blocks = paragraphs(40)
    blocks[16] = block(16, '<h2>Section</h2>\n')
    blocks[17] = block(17, '<hr>\n')
    blocks[18] = block(18, '<h1 id="x">Title</h1>\n')
    const chunks = chunkBlocks(blocks, false)
    expect(chunks.map((c) => c.blocks.length)).toEqual([19, 16, 5])
    for (const c of chunks.slice(1)) expect(c.blocks[0].html).toMatch(/^<p>/)
  })

  it('keeps every sealed chunk (same blocks, same key) while an incrementally rendered text grows', () => {
    const text = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? `## Heading ${i}` : i % 11 === 5 ? '---' : `Paragraph ${i} with **bold** words.`)).join('\n\n')
    const renderer = new IncrementalMarkdown()
    const sealed = new Map<number, MarkdownBlock[]>()
    for (let end = 1; end <= text.length; end++) {
      for (const chunk of chunkBlocks(renderer.update(text.slice(0, end), true), false)) {
        if (!chunk.sealed) continue
        const before = sealed.get(chunk.key)
        if (!before) sealed.set(chunk.key, chunk.blocks)
        else {
          expect(chunk.blocks).toHaveLength(before.length)
          chunk.blocks.forEach((b, i) => expect(b).toBe(before[i]))
        }
      }
    }
    expect(sealed.size).toBeGreaterThan(1)
  })
})
