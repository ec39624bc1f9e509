/**
 * Issue 17, long sessions that read like a book: scrolling up loads earlier pages until the
 * beginning without a click, the message the reader was looking at stays where it was on the
 * screen while a page is prepended, and a jump-to-bottom button counts what arrived meanwhile.
 * Real `opencode serve`; pages shrunk from 100 to 6 messages with `page.route`, so a 24-turn
 * session has eight pages and the server's own cursor is used throughout.
 */
import type { Page } from '@playwright/test'
import { test, expect, openSession } from './support/fixtures.ts'

const TURNS = 24
const PAGE = 6

/** Ids of the messages in the DOM, in order. */
function messageIds(page: Page): Promise<string[]> {
  return page.locator('[data-testid="message"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-message-id') ?? ''))
}

/** The first message whose top is inside the scroller's viewport, and its top relative to the scroller's top, in px. */
function firstVisible(page: Page): Promise<{ id: string; top: number } | undefined> {
  return page.getByTestId('message-list').evaluate((scroller) => {
    const box = scroller.getBoundingClientRect()
    const rows = [...scroller.querySelectorAll('[data-testid="message"]')]
      .map((el) => ({ id: el.getAttribute('data-message-id') ?? '', top: el.getBoundingClientRect().top - box.top }))
      .filter((r) => r.top >= 0)
      .sort((a, b) => a.top - b.top)
    return rows[0]
  })
}

/** Top of a message relative to the scroller's top, in px; undefined when it is not rendered. */
function topOf(page: Page, messageID: string): Promise<number | undefined> {
  return page.getByTestId('message-list').evaluate((scroller, id) => {
    const el = scroller.querySelector(`[data-testid="message"][data-message-id="${id}"]`)
    return el ? el.getBoundingClientRect().top - scroller.getBoundingClientRect().top : undefined
  }, messageID)
}

/** Shrinks the message pages the app asks for to {@link PAGE} messages. */
async function smallPages(page: Page, sessionID: string): Promise<void> {
  await page.route(
    (url) => url.pathname === `/session/${sessionID}/message` && url.searchParams.has('limit'),
    (route) => {
      const url = new URL(route.request().url())
      url.searchParams.set('limit', String(PAGE))
      return route.continue({ url: url.toString() })
    },
  )
}

test('scrolling up reads back to the beginning, and the message in view stays put while each page loads', async ({ stack, page }) => {
  test.setTimeout(240_000)
  const session = await stack.api.createSession('a long read')
  for (let i = 0; i < TURNS; i++) await stack.api.prompt(session.id, `turn ${i} stream 12`)
  const all = (await stack.api.messages(session.id)).map((m) => m.info.id)
  expect(all).toHaveLength(TURNS * 2)

  await smallPages(page, session.id)
  await openSession(page, stack, session.id)
  await expect.poll(async () => (await messageIds(page)).at(-1)).toBe(all.at(-1))

  const scroller = page.getByTestId('message-list')
  await scroller.hover()
  // A reader scrolling up with the wheel: each page arrives above what they read, which stays put.
  let jumps = 0
  for (let step = 0; step < 400; step++) {
    const before = await firstVisible(page)
    await page.mouse.wheel(0, -240)
    await page.waitForTimeout(40)
    // A reader who pauses: the page their scroll asked for arrives and settles before they read on.
    await expect(scroller).toHaveAttribute('data-loading-earlier', 'false')
    await page.waitForTimeout(200)
    // The wheel moves content down by at most 240 px; a prepend must not move it further (or away).
    const after = before ? await topOf(page, before.id) : undefined
    if (before && (after === undefined || Math.abs(after - before.top) > 260)) jumps++
    if (await page.getByText('Beginning of the session').isVisible()) break
  }
  await expect(page.getByText('Beginning of the session')).toBeVisible()
  expect(jumps, 'the message in view jumped while an earlier page loaded').toBe(0)
  await expect.poll(async () => (await messageIds(page)).at(0)).toBe(all[0])
  await expect(page.getByTestId('load-earlier')).toHaveCount(0)
})

test('away from the end, a jump-to-bottom button counts the new messages and takes the reader there', async ({ stack, page }) => {
  test.setTimeout(240_000)
  const session = await stack.api.createSession('unread')
  for (let i = 0; i < 8; i++) await stack.api.prompt(session.id, `turn ${i} stream 12`)
  await openSession(page, stack, session.id)
  const jump = page.getByTestId('jump-to-bottom')
  await expect(jump).toHaveCount(0)

  const scroller = page.getByTestId('message-list')
  const last = (await stack.api.messages(session.id)).at(-1)?.info.id ?? ''
  await expect(page.locator(`[data-testid="message"][data-message-id="${last}"]`)).toBeInViewport()
  // The reader scrolls up once the session has opened at its end (it may still be settling there).
  await expect(async () => {
    await scroller.evaluate((el) => (el.scrollTop = 0))
    await expect(jump).toBeVisible({ timeout: 1_000 })
  }).toPass()
  await expect(jump).not.toContainText('new')

  await stack.api.prompt(session.id, 'while away stream 3')
  await expect(jump).toContainText('2 new')
  await jump.click()
  await expect(jump).toHaveCount(0)
  const newest = (await stack.api.messages(session.id)).at(-1)?.info.id ?? ''
  await expect(page.locator(`[data-testid="message"][data-message-id="${newest}"]`)).toBeInViewport()
})
