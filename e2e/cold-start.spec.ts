/**
 * Issue 18, long sessions cold: a fresh profile opening a session asks the server for its newest
 * messages from the tiny prefetch entry (src/prefetch.ts → src/sync/first-page-prefetch.ts) while
 * the main bundle is still on its way, and the app paints that page instead of asking again; a
 * reopened tab paints its warm-start snapshot and asks for no such page; before the app runs, that
 * page is shown as a plain-text preview (src/render/first-paint-preview.ts) that gives way to the
 * app's rows. Real `opencode serve`; the main bundle is held back with `page.route` (until the
 * transcript read was sent, or until the preview was checked), so the order is certain, not a race.
 * Writes the README's screenshot of the preview, e2e/first-paint-preview.png.
 */
import type { Page, Request } from '@playwright/test'
import { test, expect, sessionUrl } from './support/fixtures.ts'
import { warmStartSnapshot } from './client-support.ts'
import { streamedText } from '../test/support/scripted-model.ts'

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

/**
 * Opens `url` with the main bundle held back until the returned `release` is called: nothing of
 * the app runs meanwhile (only the prefetch entry). Does not wait for `load`, which waits for it.
 */
async function openWithAppHeld(page: Page, url: string): Promise<() => void> {
  let release: () => void = () => undefined
  const held = new Promise<void>((resolve) => (release = resolve))
  await page.route(/\/assets\/index-[^/]+\.js$/, async (route) => {
    await held
    await route.continue()
  })
  await page.goto(url, { waitUntil: 'commit' })
  return release
}

test('a cold page shows its newest messages as plain text before the app has loaded, and the app’s own rows replace them', async ({ stack, page }) => {
  test.setTimeout(120_000)
  const session = await stack.api.createSession('cold preview')
  // Markup in a prompt is text in the preview too: nothing of a transcript is parsed as HTML.
  const markup = '<img src=x onerror="window.__previewXss=1"> <b>not bold</b>'
  await stack.api.prompt(session.id, markup)
  await stack.api.prompt(session.id, 'stream 40')
  const last = (await stack.api.messages(session.id)).at(-1)
  const lastText = last?.parts.find((p) => p.type === 'text')
  const expected = lastText?.type === 'text' ? lastText.text.trim().split(/\s+/).slice(-2).join(' ') : ''
  expect(expected).not.toBe('')

  const release = await openWithAppHeld(page, sessionUrl(stack, session.id))
  const preview = page.getByTestId('first-paint-preview')
  // The app has not run: what is on screen is the preview's.
  await expect(preview.locator('.message').last()).toContainText(expected, { timeout: 30_000 })
  await expect(preview.locator('.message').last()).toBeInViewport()
  await expect(page.locator('[data-testid="message"]')).toHaveCount(0)
  await expect(preview.locator('.user-bubble')).toHaveCount(2)
  await expect(preview.locator('.user-bubble').first()).toHaveText(markup)
  expect(await preview.locator('img, b').count()).toBe(0)
  expect(await page.evaluate(() => (window as { __previewXss?: number }).__previewXss)).toBeUndefined()
  await page.screenshot({ path: 'e2e/first-paint-preview.png' })

  release()
  await expect(page.locator('[data-testid="message"]').last()).toContainText(expected, { timeout: 30_000 })
  await expect(preview).toHaveCount(0)
  await expect(page.locator('[data-testid="message"]').last()).toBeInViewport()
})

/** The last two words of the scripted model's `stream 12` reply. */
const LAST_OF_12 = streamedText(12).split(' ').slice(-2).join(' ')

test('a saved theme applies before the app runs: the preview of a cold page is in it', async ({ stack, page }) => {
  test.setTimeout(120_000)
  const session = await stack.api.createSession('cold preview, dark')
  await stack.api.prompt(session.id, 'stream 12')
  // A profile where the user chose the dark theme (the settings store's saved document).
  await page.addInitScript(() => localStorage.setItem('opencode-relay:settings', JSON.stringify({ theme: 'dark' })))
  const release = await openWithAppHeld(page, sessionUrl(stack, session.id))
  const preview = page.getByTestId('first-paint-preview')
  await expect(preview.locator('.message').last()).toContainText(LAST_OF_12, { timeout: 30_000 })
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  // tokens.css: --bg is #141416 in the dark palette.
  await expect(preview).toHaveCSS('background-color', 'rgb(20, 20, 22)')
  release()
  await expect(page.locator('[data-testid="message"]').last()).toContainText(LAST_OF_12, { timeout: 30_000 })
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
})
