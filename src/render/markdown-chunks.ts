/**
 * Groups the blocks of a rendered markdown text (src/render/markdown-stream.ts) into chunks, each
 * shown as one element (src/components/ui/MarkdownChunk.vue). A *sealed* chunk holds only blocks
 * that never change again and gets layout and paint containment, so the browser lays it out and
 * paints it once and then reuses it whole: a frame of a long streaming reply costs the growing end,
 * not the whole reply. In the long-reply bench (50,000 tokens in 500 paragraphs, Chromium) the
 * tab's paint went from ~2.5 ms to ~0.6 ms a frame and its main thread's CPU from ~18 s to
 * ~14 s over the reply (a positioned or isolated element without containment gave nothing).
 *
 * Layout: containment keeps a chunk's children's margins inside it, so the margin between its last
 * block and the next chunk's first block no longer collapses. A chunk therefore never starts with
 * a block that has a top margin (a heading or a rule, Markdown.vue's styles; every other block has
 * only a bottom margin): the gap is then the last block's bottom margin either way, and the layout
 * is exactly that of the blocks without chunks.
 */
import type { MarkdownBlock } from './markdown-stream.ts'

/** The fewest blocks in a chunk that is followed by another (a chunk may hold more: see {@link chunkBlocks}). */
export const CHUNK_BLOCKS = 16

/** Consecutive blocks shown as one element. */
export interface MarkdownChunk {
  /** The key of its first block (stable while the blocks are kept). */
  key: number
  blocks: MarkdownBlock[]
  /** Every block in it is kept (final): it is contained, and its vnode is never patched again. */
  sealed: boolean
}

/** A block whose element has a top margin: a heading or a rule (its HTML starts with the tag). */
const TOP_MARGIN = /^<(h[1-6]|hr)[\s>/]/

/**
 * The chunks of `blocks`: a new chunk starts at the first final block, after at least
 * {@link CHUNK_BLOCKS} blocks, that has no top margin. The last block may still change
 * (IncrementalMarkdown's contract: a streamed `--` becomes a rule, `#` a heading), so it starts a
 * chunk only when `followed` (then every block here is final): the boundaries depend on final
 * blocks alone, and a sealed chunk keeps its blocks as the text grows. Every chunk but the last is
 * sealed; so is the last when it is full and `followed`.
 * @param blocks as IncrementalMarkdown.update returns them (kept blocks are the same objects on every call)
 * @param followed whether a block the chunks do not hold is shown after them (a streaming paragraph shown as runs)
 */
export function chunkBlocks(blocks: readonly MarkdownBlock[], followed: boolean): MarkdownChunk[] {
  const out: MarkdownChunk[] = []
  const final = followed ? blocks.length : blocks.length - 1
  let start = 0
  for (let i = 1; i < final; i++) {
    if (i - start < CHUNK_BLOCKS || TOP_MARGIN.test(blocks[i].html)) continue
    out.push({ key: blocks[start].key, blocks: blocks.slice(start, i), sealed: true })
    start = i
  }
  if (start < blocks.length) out.push({ key: blocks[start].key, blocks: blocks.slice(start), sealed: followed && blocks.length - start >= CHUNK_BLOCKS })
  return out
}
