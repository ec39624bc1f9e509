/**
 * Issue 18, streaming render: a markdown reply streamed in 3-character chunks through the real
 * `opencode serve`. Blocks that are complete keep their DOM while the rest streams (rendered once);
 * the reply renders at most once per frame; an open `**` never shows as text; the end result is the
 * server's text, fully rendered (list, highlighted code, table, quote). A long reply's finished
 * blocks are grouped in contained chunks (src/render/markdown-chunks.ts) whose nodes are kept and
 * whose layout is exactly that of the blocks without them.
 */
import { test, expect, openSession } from './support/fixtures.ts'
import { serverParts } from './client-support.ts'
import { MARKDOWN_REPLY, streamedText, streamTokens } from '../test/support/scripted-model.ts'

interface MarkdownWatch {
  /** Reply text seen with a literal `**` in it. */
  literal: string[]
  /** Frames (by `document.timeline.currentTime`) in which the reply's markdown changed, with how many mutation batches each. */
  batches: Record<string, number>
}

test('a streaming markdown reply keeps finished blocks in place, renders once per frame, and never shows an open marker', async ({ stack, page }) => {
  const session = await stack.api.createSession('streaming markdown')
  await openSession(page, stack, session.id)
  await page.evaluate(() => {
    const watch: MarkdownWatch = { literal: [], batches: {} }
    Object.assign(window, { __markdownWatch: watch })
    new MutationObserver((records) => {
      const inReply = records.some((r) => (r.target instanceof Element ? r.target : r.target.parentElement)?.closest('[data-role="assistant"] .markdown'))
      if (!inReply) return
      const frame = String(document.timeline.currentTime)
      watch.batches[frame] = (watch.batches[frame] ?? 0) + 1
      for (const el of document.querySelectorAll('[data-role="assistant"] .markdown')) {
        const text = el.textContent ?? ''
        if (text.includes('**')) watch.literal.push(text.slice(-60))
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true })
  })

  await stack.api.promptAsync(session.id, 'markdown reply delay 25')
  const reply = page.locator('[data-testid="message"][data-role="assistant"] .markdown').first()
  // Mark the heading and the first paragraph as soon as each is complete (the next block started).
  await expect(reply.locator('h1')).toHaveText('Streaming plan')
  await reply.locator('h1').evaluate((el) => el.setAttribute('data-probe', 'heading'))
  await expect(reply.locator('ol')).toBeVisible()
  await reply.locator('p').first().evaluate((el) => el.setAttribute('data-probe', 'paragraph'))
  await stack.api.waitIdle(session.id)

  // The probed elements are the very nodes now shown: those blocks were never rendered again.
  await expect(reply.locator('[data-probe="heading"]')).toHaveText('Streaming plan')
  await expect(reply.locator('[data-probe="paragraph"]')).toContainText('is complete once the second one starts')
  expect((await serverParts(stack, session.id)).some((p) => p.type === 'text' && p.text === MARKDOWN_REPLY)).toBe(true)
  await expect(reply.locator('p').last()).toHaveText('Done: the last paragraph.')
  await expect(reply.locator('ol > li')).toHaveCount(3)
  await expect(reply.locator('p strong').first()).toHaveText('first paragraph')
  await expect(reply.locator('table tbody tr')).toHaveCount(2)
  await expect(reply.locator('td.align-right').first()).toHaveText('O(tail)')
  await expect(reply.locator('blockquote s')).toHaveText('no')
  await expect(reply.locator('code[data-lang="ts"].shiki-code')).toContainText('return a + b')

  const watch = await page.evaluate(() => (window as unknown as { __markdownWatch: MarkdownWatch }).__markdownWatch)
  expect(watch.literal).toEqual([])
  const frames = Object.values(watch.batches)
  expect(frames.length).toBeGreaterThan(5)
  // One render per frame while streaming; the frame that ends the stream may add the final render
  // and the code highlighting.
  expect(frames.filter((n) => n > 1).length).toBeLessThanOrEqual(2)
})

test('a long streaming paragraph keeps the nodes of its first words while it grows, and ends as one paragraph of the server’s text', async ({ stack, page }) => {
  const session = await stack.api.createSession('long paragraph')
  await openSession(page, stack, session.id)
  await stack.api.promptAsync(session.id, 'stream 1500 delay 3')
  const reply = page.locator('[data-testid="message"][data-role="assistant"] .markdown').first()
  // Runs appear once the paragraph is long (src/render/markdown-stream.ts); mark the first.
  await expect.poll(() => reply.locator('.md-run').count(), { timeout: 30_000 }).toBeGreaterThan(2)
  await reply.locator('.md-run').first().evaluate((el) => el.setAttribute('data-probe', 'run'))
  const marked = await reply.locator('.md-run').count()
  await expect.poll(() => reply.locator('.md-run').count(), { timeout: 30_000 }).toBeGreaterThan(marked + 2)
  // Still the same node: the first words were not rendered again while the reply grew.
  await expect(reply.locator('[data-probe="run"]')).toHaveCount(1)
  await stack.api.waitIdle(session.id)
  await expect(reply.locator('.md-run')).toHaveCount(0)
  await expect(reply.locator('p')).toHaveCount(1)
  await expect(reply.locator('p')).toHaveText(streamedText(1500))
})

test('a long streaming reply keeps its finished blocks in chunks whose nodes and layout never change, and ends as the server’s paragraphs', async ({ stack, page }) => {
  const session = await stack.api.createSession('chunked reply')
  await openSession(page, stack, session.id)
  await stack.api.promptAsync(session.id, 'stream 800 rate 200 para 20')
  const reply = page.locator('[data-testid="message"][data-role="assistant"] .markdown').first()
  // Every 16 blocks are one chunk element (src/render/markdown-chunks.ts): wait for the second.
  await expect.poll(() => reply.locator('.md-chunk').count(), { timeout: 30_000 }).toBeGreaterThan(1)
  await reply.locator('.md-chunk').first().locator('p').first().evaluate((el) => el.setAttribute('data-probe', 'chunked'))
  // The paragraph after the first chunk sits where the one-shot render of the whole text puts it.
  const offsetOfSeventeenth = () => reply.evaluate((root) => root.querySelectorAll('p')[16].getBoundingClientRect().top - root.getBoundingClientRect().top)
  const streamingOffset = await offsetOfSeventeenth()
  await stack.api.waitIdle(session.id)

  const paragraphs = streamTokens(800, 20).join('').split('\n\n')
  await expect(reply.locator('p')).toHaveText(paragraphs)
  await expect(reply.locator('[data-probe="chunked"]')).toHaveText(paragraphs[0])
  expect(await offsetOfSeventeenth()).toBe(streamingOffset)
  await expect(reply.locator('.md-chunk')).toHaveCount(3)
})

test('a reply long enough to be chunked lays out exactly as its blocks would without chunks', async ({ stack, page }) => {
  const session = await stack.api.createSession('chunk layout')
  await openSession(page, stack, session.id)
  // 17 copies of 9 blocks: every construct (heading, paragraph, list, code, table, quote, rule) comes after a chunk boundary somewhere.
  await stack.api.promptAsync(session.id, 'markdown reply times 17')
  await stack.api.waitIdle(session.id)
  const reply = page.locator('[data-testid="message"][data-role="assistant"] .markdown').first()
  await expect(reply.locator('h2').last()).toHaveText('Section 17')
  await expect.poll(() => reply.locator('.md-chunk.sealed').count()).toBeGreaterThan(5)
  await expect(reply.locator('code[data-lang="ts"]:not(.shiki-code)')).toHaveCount(0)
  // A copy of the rendered text with the chunk elements unwrapped, beside it with the same styles:
  // each block's element sits at the same offset in both.
  const offsets = await reply.evaluate((root) => {
    const plain = root.cloneNode(true)
    if (!(plain instanceof Element)) throw new Error('the clone of an element is an element')
    for (const chunk of plain.querySelectorAll('.md-chunk')) chunk.replaceWith(...chunk.childNodes)
    root.after(plain)
    const of = (el: Element) => [...el.querySelectorAll('.md-block > *')].map((b) => `${b.tagName} ${Math.round(b.getBoundingClientRect().top - el.getBoundingClientRect().top)}`)
    const result = { chunked: of(root), plain: of(plain), height: [root.getBoundingClientRect().height, plain.getBoundingClientRect().height] }
    plain.remove()
    return result
  })
  expect(offsets.chunked.length).toBe(17 * 9)
  expect(offsets.chunked).toEqual(offsets.plain)
  expect(offsets.height[0]).toBe(offsets.height[1])
})
