/**
 * Issue 18, streaming render: a markdown reply streamed in 3-character chunks through the real
 * `opencode serve`. Blocks that are complete keep their DOM while the rest streams (rendered once);
 * the reply renders at most once per frame; an open `**` never shows as text; the end result is the
 * server's text, fully rendered (list, highlighted code, table, quote).
 */
import { test, expect, openSession } from './support/fixtures.ts'
import { serverParts } from './client-support.ts'
import { MARKDOWN_REPLY, streamedText } from '../test/support/scripted-model.ts'

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
