/**
 * Issue 17, mobile: at 390×844 on a touch screen (chromium's mobile emulation) the main flows work
 * by tap — open a session from the drawer, send a prompt and read the reply, answer a permission,
 * switch session — under one header bar whose title keeps most of the width and shows whole on
 * a tap; Settings fit the screen with every server URL readable. Writes the README's phone
 * screenshot, e2e/mobile-screenshot.png. Real `opencode serve`, the scripted model.
 */
import type { Locator, Page } from '@playwright/test'
import { test, expect, type Stack } from './support/fixtures.ts'
import { assistantText } from './client-support.ts'

const WIDTH = 390
const HEIGHT = 844
test.use({ viewport: { width: WIDTH, height: HEIGHT }, hasTouch: true, isMobile: true })

/** Longer than a phone's header: cut with an ellipsis until tapped. */
const LONG_TITLE = 'Make the relay’s catch-up runner survive a phone that sleeps mid-reply'

function sessionItem(page: Page, id: string): Locator {
  return page.locator(`[data-testid="session-item"][data-session-id="${id}"]`)
}

/** The header bars laid out on the page (the app's top bar and the session's header share the class). */
function headerBars(page: Page): Locator {
  return page.locator('.session-header:visible')
}

async function openProject(page: Page, stack: Stack): Promise<void> {
  await page.goto(`${stack.app.url}/?directory=${encodeURIComponent(stack.directory)}`)
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
}

/** Types into the prompt box and taps Send. */
async function sendByTap(page: Page, text: string): Promise<void> {
  const input = page.getByTestId('prompt-input')
  await input.tap()
  await input.fill(text)
  await page.getByTestId('send-button').tap()
  await expect(input).toHaveValue('')
}

/** One header bar, sitting at the top, with the session's title and the sidebar button. */
async function expectOneHeader(page: Page): Promise<void> {
  await expect(headerBars(page)).toHaveCount(1)
  await expect(page.getByTestId('app-bar')).toHaveCount(0)
  const header = page.getByTestId('session-view').locator('header.session-header')
  await expect(header.getByTestId('open-sidebar')).toBeVisible()
  await expect(header.getByTestId('session-title')).toBeVisible()
  const box = await header.boundingBox()
  if (!box) throw new Error('header not laid out')
  expect(box.y).toBeLessThanOrEqual(1)
  expect(box.x + box.width).toBeLessThanOrEqual(WIDTH)
  // Two rows at most (title; tabs, status, context), nothing of it past the screen's edge.
  expect(box.height).toBeLessThanOrEqual(100)
  const spill = await header.evaluate((el) =>
    [...el.querySelectorAll('*')]
      .map((child) => child.getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0)
      .some((r) => r.left < 0 || r.right > window.innerWidth + 0.5),
  )
  expect(spill, 'something in the header reaches past the screen').toBe(false)
}

test('at 390×844 the main flows work by tap, under one header bar with the whole title', async ({ stack, page }) => {
  const first = await stack.api.createSession(LONG_TITLE)
  const second = await stack.api.createSession('Second session')
  await openProject(page, stack)
  const drawer = page.locator('aside.sidebar')

  // The start page has the app's top bar; its button opens the drawer, a tap on a session opens it.
  await expect(headerBars(page)).toHaveCount(1)
  await page.getByTestId('app-bar').getByRole('button', { name: 'Open sidebar' }).tap()
  await expect(drawer).toBeInViewport()
  await sessionItem(page, first.id).tap()
  await expect(page.getByTestId('session-view')).toHaveAttribute('data-session-id', first.id)
  await expect(drawer).not.toBeInViewport()
  await expectOneHeader(page)

  // The title has most of the width, cut with an ellipsis; a tap shows it whole, another cuts it again.
  const title = page.getByTestId('session-title')
  await expect(title).toHaveText(LONG_TITLE)
  const titleBox = await title.boundingBox()
  if (!titleBox) throw new Error('title not laid out')
  expect(titleBox.width).toBeGreaterThanOrEqual(WIDTH * 0.6)
  expect(await title.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true)
  await title.tap()
  await expect(title).toHaveAttribute('data-expanded', 'true')
  expect(await title.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true)
  const expanded = await title.boundingBox()
  expect(expanded?.height ?? 0).toBeGreaterThan(titleBox.height * 1.5)
  await title.tap()
  await expect(title).toHaveAttribute('data-expanded', 'false')

  // A prompt sent by tap gets the scripted model's reply.
  await sendByTap(page, 'hello from a phone')
  await expect(assistantText(page).last()).toContainText('Hello from the scripted model.')
  await stack.api.waitIdle(first.id)

  // A bash call asks permission; Allow once is tapped and the command runs.
  await sendByTap(page, 'bash: echo hi-from-the-phone')
  const permission = page.getByTestId('permission-prompt')
  await expect(permission).toContainText('echo hi-from-the-phone', { timeout: 45_000 })
  await expect(page.getByTestId('permission-once')).toBeInViewport()
  await expectOneHeader(page)
  // The composer's row fits while a reply runs (Stop beside Send): nothing past the screen's edge.
  for (const id of ['abort-button', 'send-button']) {
    const box = await page.getByTestId(id).boundingBox()
    expect(box && box.x + box.width, `${id} ends inside the screen`).toBeLessThanOrEqual(390)
  }
  await page.screenshot({ path: 'e2e/mobile-screenshot.png' })
  await page.getByTestId('permission-once').tap()
  await expect(permission).toHaveCount(0)
  await expect(page.getByTestId('tool-part')).toHaveAttribute('data-status', 'completed')
  await expect(assistantText(page).filter({ hasText: 'Tool finished:' })).toContainText('hi-from-the-phone')
  await stack.api.waitIdle(first.id)

  // The session header's own button opens the drawer; another session is a tap away.
  await page.getByTestId('open-sidebar').tap()
  await expect(drawer).toBeInViewport()
  await sessionItem(page, second.id).tap()
  await expect(page.getByTestId('session-view')).toHaveAttribute('data-session-id', second.id)
  await expect(title).toHaveText('Second session')
  await expect(drawer).not.toBeInViewport()
  await expectOneHeader(page)
  await sendByTap(page, 'and hello again')
  await expect(assistantText(page).last()).toContainText('Hello from the scripted model.')
})

test('at 390×844 Settings fit the screen and every server URL is readable', async ({ stack, page }) => {
  const session = await stack.api.createSession('settings on a phone')
  await page.goto(`${stack.app.url}/session/${session.id}?directory=${encodeURIComponent(stack.directory)}`)
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  await page.getByTestId('open-sidebar').tap()
  await page.getByTestId('settings-button').tap()
  const panel = page.getByTestId('settings-panel')
  const dialog = panel.getByRole('dialog', { name: 'Settings' })
  await expect(dialog).toBeVisible()

  // A server with a long URL (added to the list in storage, not used) next to the e2e one.
  const long = 'https://opencode-on-a-very-long-host-name.example.internal:4096/some/deep/proxy/path'
  const form = panel.getByTestId('server-form')
  await form.getByTestId('server-url').fill(long)
  const current = panel.locator('.server-row.current')
  const currentUrl = await current.getAttribute('data-url')
  if (!currentUrl) throw new Error('no current server')
  await form.getByTestId('server-add').tap()
  await expect(panel.locator(`[data-testid="server-row"][data-url="${long}"]`)).toHaveCount(1)
  // Back to the e2e server.
  await panel.locator(`[data-testid="server-row"][data-url="${currentUrl}"] input[type="radio"]`).tap()
  await expect(current).toHaveAttribute('data-url', currentUrl)

  const dialogBox = await dialog.boundingBox()
  if (!dialogBox) throw new Error('settings not laid out')
  expect(dialogBox.x).toBeGreaterThanOrEqual(0)
  expect(dialogBox.x + dialogBox.width).toBeLessThanOrEqual(WIDTH)
  expect(dialogBox.y + dialogBox.height).toBeLessThanOrEqual(HEIGHT)
  const body = dialog.locator('.modal-body')
  expect(await body.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)

  const urls = panel.getByTestId('server-row-url')
  await expect(urls).toHaveCount(2)
  for (const url of await urls.all()) {
    // Whole: nothing scrolled away or hidden, and inside the screen.
    expect(await url.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
    const box = await url.boundingBox()
    if (!box) throw new Error('url not laid out')
    expect(box.x + box.width).toBeLessThanOrEqual(WIDTH)
  }
  await expect(urls.filter({ hasText: long })).toHaveText(long)
  const longBox = await urls.filter({ hasText: long }).boundingBox()
  expect(longBox?.width ?? 0).toBeGreaterThanOrEqual(WIDTH * 0.6)
  await page.screenshot({ path: test.info().outputPath('settings-phone.png') })

  // The e2e server is still the one in use.
  await page.getByTestId('settings-close').tap()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
})
