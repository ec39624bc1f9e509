/**
 * Issue 18, long sessions cold: a fresh profile opening a session asks the server for its newest
 * messages from the tiny prefetch entry (src/prefetch.ts → src/sync/first-page-prefetch.ts) while
 * the main bundle is still on its way, and the app paints that page instead of asking again; a
 * reopened tab paints its warm-start snapshot and asks for no such page. Real `opencode serve`;
 * the main bundle is held back with `page.route` until the transcript read was sent, so the order
 * is certain, not a race.
 */
import type { Request } from '@playwright/test'
import { test, expect, sessionUrl } from './support/fixtures.ts'
import { warmStartSnapshot } from './client-support.ts'

/** The provisional read of a cold page: `GET /session/{id}/message?limit=30`. */
function isFirstPageRead(request: Request, sessionID: string): boolean {
  const url = new URL(request.url())
  return request.method() === 'GET' && url.pathname === `/session/${sessionID}/message` && url.searchParams.get('limit') === '30'
}

test('a cold page reads its newest messages before the app has loaded and paints them without reading again; a warm one reads no such page', async ({ stack, page }) => {
  test.setTimeout(120_000)
  const session = await stack.api.createSession('cold start')
  await stack.api.prompt(session.id, 'stream 12')
  await stack.api.prompt(session.id, 'stream 8')
  const last = (await stack.api.messages(session.id)).at(-1)
  const lastText = last?.parts.find((p) => p.type === 'text')
  expect(lastText?.type).toBe('text')
  const expected = lastText?.type === 'text' ? lastText.text.trim().split(/\s+/).slice(-2).join(' ') : ''

  const firstPageReads: Request[] = []
  page.on('request', (request) => {
    if (isFirstPageRead(request, session.id)) firstPageReads.push(request)
  })
  // The main bundle is served only once the transcript read was sent (or after 10 s, and the
  // assertion below fails): nothing of the app runs before it arrives.
  let readBeforeApp = false
  await page.route(/\/assets\/index-[^/]+\.js$/, async (route) => {
    const deadline = Date.now() + 10_000
    while (firstPageReads.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    readBeforeApp = firstPageReads.length > 0
    await route.continue()
  })

  await page.goto(sessionUrl(stack, session.id))
  await expect(page.locator('[data-testid="message"]').last()).toContainText(expected, { timeout: 30_000 })
  expect(readBeforeApp, 'the newest messages were asked for before the main bundle arrived').toBe(true)
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  await expect(page.locator('[data-testid="message"]')).toHaveCount(4)
  expect(firstPageReads, 'the app took the prefetched page instead of asking again').toHaveLength(1)
  expect(await firstPageReads[0].response().then((r) => r?.status())).toBe(200)

  // Reopened with its warm-start snapshot written: painted from it, no provisional read.
  await expect
    .poll(async () => (await warmStartSnapshot(page, session.id)) !== undefined, { timeout: 10_000, message: 'a warm-start snapshot written' })
    .toBe(true)
  await page.unroute(/\/assets\/index-[^/]+\.js$/)
  firstPageReads.length = 0
  await page.reload()
  await expect(page.locator('[data-testid="message"]').last()).toContainText(expected)
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  expect(firstPageReads).toHaveLength(0)
})
