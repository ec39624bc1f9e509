/**
 * Issue 3 acceptance, session features: fork and revert/unrevert as the server reports them;
 * create/rename/delete, the Ctrl+K switcher, `@` file and `/` command autocomplete, the model
 * picker; "load earlier" paging and the connection badge. Real `opencode serve` and the scripted
 * model; the server's REST answers are the truth the page is compared with.
 */
import type { Page } from '@playwright/test'
import { test, expect, openSession, sessionUrl, type Stack } from './support/fixtures.ts'
import {
  acceptDialogs,
  assistantReply,
  expectEqualToServer,
  messageIdsInPage,
  routedSessionID,
  serverGet,
  serverSession,
  serverSessionIds,
} from './client-support.ts'

/** Opens the project's start page (`/?directory=`) and waits for the relay. */
async function openHome(page: Page, stack: Stack): Promise<void> {
  await page.goto(`${stack.app.url}/?directory=${encodeURIComponent(stack.directory)}`)
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
}

function message(page: Page, id: string) {
  return page.locator(`[data-testid="message"][data-message-id="${id}"]`)
}

test('fork and revert/unrevert change the session as the server reports', async ({ stack, page }) => {
  const dialogs = acceptDialogs(page)
  const session = await stack.api.createSession('history')
  await stack.api.prompt(session.id, 'first question')
  await stack.api.prompt(session.id, 'stream 5')
  await stack.api.prompt(session.id, 'third question')
  const all = await stack.api.messages(session.id)
  expect(all).toHaveLength(6)
  const users = all.filter((m) => m.info.role === 'user')
  await openSession(page, stack, session.id)
  await expect.poll(() => messageIdsInPage(page)).toEqual(all.map((m) => m.info.id))
  await expectEqualToServer(page, stack, session.id)

  // Revert to before the second prompt: the server records it, the page hides what it undid.
  await message(page, users[1].info.id).getByTestId('message-revert').click()
  expect(dialogs).toHaveLength(1)
  await expect.poll(async () => (await serverSession(stack, session.id)).revert?.messageID).toBe(users[1].info.id)
  await expect(page.getByTestId('revert-banner')).toContainText('4 message(s) reverted')
  await expect.poll(() => messageIdsInPage(page)).toEqual(all.slice(0, 2).map((m) => m.info.id))

  // Unrevert from the banner: everything is back, as on the server.
  await page.getByTestId('unrevert').click()
  await expect.poll(async () => (await serverSession(stack, session.id)).revert).toBeUndefined()
  await expect(page.getByTestId('revert-banner')).toHaveCount(0)
  await expect.poll(() => messageIdsInPage(page)).toEqual(all.map((m) => m.info.id))

  // Revert again, restore from the session menu.
  await message(page, users[2].info.id).getByTestId('message-revert').click()
  await expect(page.getByTestId('revert-banner')).toContainText('2 message(s) reverted')
  await page.getByTestId('session-menu').click()
  await page.getByTestId('action-unrevert').click()
  await expect.poll(async () => (await serverSession(stack, session.id)).revert).toBeUndefined()
  await expect(page.getByTestId('revert-banner')).toHaveCount(0)

  // Fork at the second prompt: a new session holding what came before it, opened in the tab.
  await message(page, users[1].info.id).getByTestId('message-fork').click()
  await expect.poll(() => routedSessionID(page)).not.toBe(session.id)
  const forkID = routedSessionID(page) ?? ''
  expect(forkID).toMatch(/^ses_/)
  const forked = await stack.api.messages(forkID)
  expect(forked.map((m) => m.info.role)).toEqual(['user', 'assistant'])
  await expect.poll(() => messageIdsInPage(page)).toEqual(forked.map((m) => m.info.id))
  await expectEqualToServer(page, stack, forkID)
  await expect(page.locator(`[data-testid="session-item"][data-session-id="${forkID}"]`)).toHaveCount(1)
  expect(await serverSessionIds(stack)).toContain(forkID)
  // The original is untouched.
  expect((await stack.api.messages(session.id)).map((m) => m.info.id)).toEqual(all.map((m) => m.info.id))

  // Fork the whole session from the menu.
  await page.getByTestId('session-menu').click()
  await page.getByTestId('action-fork').click()
  await expect.poll(() => routedSessionID(page)).not.toBe(forkID)
  const whole = routedSessionID(page) ?? ''
  await expect.poll(async () => (await stack.api.messages(whole)).length).toBe(2)
  await expectEqualToServer(page, stack, whole)
})

test('sessions are created, renamed, switched (Ctrl+K) and deleted from the UI; @ attaches a file; / lists commands; models grouped by provider', async ({ stack, page }) => {
  acceptDialogs(page)
  const other = await stack.api.createSession('Other session for the switcher')
  await openHome(page, stack)
  await expect(page.locator(`[data-testid="session-item"][data-session-id="${other.id}"]`)).toHaveCount(1)
  await page.getByTestId('new-session').click()
  await expect(page.getByTestId('home-view')).toBeVisible()
  const input = page.getByTestId('prompt-input')

  // `/` at the start lists the project's commands (GET /command).
  const commands = await serverGet(stack, '/command')
  const names = Array.isArray(commands)
    ? commands.flatMap((c: unknown) => (typeof c === 'object' && c !== null && 'name' in c && typeof c.name === 'string' ? [`/${c.name}`] : []))
    : []
  expect(names.length).toBeGreaterThan(0)
  await input.click()
  await input.pressSequentially('/')
  await expect(page.getByTestId('autocomplete')).toContainText('Commands')
  await expect.poll(async () => (await page.getByTestId('autocomplete-item').locator('.mono').allInnerTexts()).sort()).toEqual(names.slice(0, 30).sort())
  await input.press('Escape')
  await expect(page.getByTestId('autocomplete')).toHaveCount(0)
  await input.fill('')

  // `@` searches files (GET /find/file) and attaches the chosen one.
  await input.pressSequentially('Summarize @hello')
  const suggestion = page.getByTestId('autocomplete-item').filter({ hasText: 'hello.txt' })
  await expect(suggestion).toBeVisible()
  await suggestion.click()
  await expect(input).toHaveValue('Summarize @hello.txt ')
  await expect(page.getByTestId('attachment')).toContainText('hello.txt')

  // The model picker lists the server's providers, grouped, and picks one.
  await page.getByTestId('model-picker').click()
  const picker = page.getByRole('dialog', { name: 'Models' })
  await expect(picker.locator('.popover-heading')).toContainText(['Scripted'])
  await expect(picker.getByTestId('model-option')).toHaveCount(1)
  await picker.locator('[data-testid="model-option"][data-model="scripted/scripted-model"]').click()
  await expect(page.getByTestId('model-picker')).toContainText('Scripted Model')
  await expect(page.getByTestId('agent-picker').locator('option')).toContainText(['build', 'plan'])

  // Enter creates the session and sends the prompt with its file part.
  await input.press('Enter')
  await expect.poll(() => routedSessionID(page), { timeout: 30_000 }).toMatch(/^ses_/)
  const created = routedSessionID(page) ?? ''
  await expect(assistantReply(page, 0)).toHaveText('Hello from the scripted model.', { timeout: 45_000 })
  await stack.api.waitIdle(created)
  const first = (await stack.api.messages(created))[0]
  expect(first.info.role === 'user' ? `${first.info.model.providerID}/${first.info.model.modelID}` : '').toBe('scripted/scripted-model')
  const file = first.parts.find((p) => p.type === 'file')
  expect(file?.type === 'file' ? [file.filename, file.url] : []).toEqual(['hello.txt', `file://${stack.directory}/hello.txt`])
  await expect(message(page, first.info.id).locator('[data-testid="part"][data-part-type="file"]')).toContainText('hello.txt')
  await expectEqualToServer(page, stack, created)

  // Rename from the session menu (after the server's own title generation settled).
  await expect.poll(async () => (await serverSession(stack, created)).title, { timeout: 20_000 }).toBe('Scripted session')
  await page.getByTestId('session-menu').click()
  await page.getByTestId('action-rename').click()
  await page.getByTestId('title-input').fill('Renamed in the UI')
  await page.getByTestId('title-input').press('Enter')
  await expect.poll(async () => (await serverSession(stack, created)).title).toBe('Renamed in the UI')
  await expect(page.getByTestId('session-title')).toHaveText('Renamed in the UI')
  await expect(page.locator(`[data-testid="session-item"][data-session-id="${created}"]`)).toContainText('Renamed in the UI')

  // Ctrl+K jumps to another session by title.
  await page.keyboard.press('Control+k')
  await expect(page.getByTestId('session-switcher')).toBeVisible()
  await page.getByTestId('switcher-input').fill('for the switcher')
  await expect(page.getByTestId('switcher-item')).toHaveCount(1)
  await page.getByTestId('switcher-input').press('Enter')
  await expect(page.getByTestId('session-switcher')).toHaveCount(0)
  await expect.poll(() => routedSessionID(page)).toBe(other.id)
  await expect(page.getByTestId('session-title')).toHaveText('Other session for the switcher')

  // Back to the renamed session from the sidebar, then delete it from the menu.
  await page.locator(`[data-testid="session-item"][data-session-id="${created}"]`).click()
  await expect.poll(() => routedSessionID(page)).toBe(created)
  await page.getByTestId('session-menu').click()
  await page.getByTestId('action-delete').click()
  await expect(page.getByTestId('home-view')).toBeVisible()
  await expect(page.locator(`[data-testid="session-item"][data-session-id="${created}"]`)).toHaveCount(0)
  expect(await serverSessionIds(stack)).not.toContain(created)
  expect(await serverSessionIds(stack)).toContain(other.id)
})

test('"load earlier" pages back through the server cursor; the connection badge and offline banner follow the connection', async ({ stack, page }) => {
  const session = await stack.api.createSession('paging')
  for (const text of ['one', 'two', 'three']) await stack.api.prompt(session.id, text)
  const all = (await stack.api.messages(session.id)).map((m) => m.info.id)
  expect(all).toHaveLength(6)
  // Pages of 2 messages instead of 100, so three pages exist; the cursor is the server's own.
  await page.route(
    (url) => url.pathname === `/session/${session.id}/message` && url.searchParams.has('limit'),
    (route) => {
      const url = new URL(route.request().url())
      url.searchParams.set('limit', '2')
      return route.continue({ url: url.toString() })
    },
  )
  await page.goto(sessionUrl(stack, session.id))
  const badge = page.getByTestId('connection-badge').first()
  await expect(badge).toHaveAttribute('data-state', 'connected')
  await expect.poll(() => messageIdsInPage(page)).toEqual(all.slice(4))
  const earlier = page.getByTestId('load-earlier')
  // Each click pages back once through the server's cursor. The list also pages back by itself
  // when its top is in view, so a click may find the button busy (it waits) or already gone.
  const clickEarlier = () =>
    earlier.click({ timeout: 10_000 }).catch(async (error: unknown) => {
      if ((await earlier.count()) > 0 && (await earlier.isEnabled())) throw error
    })
  await clickEarlier()
  await expect.poll(async () => (await messageIdsInPage(page)).length).toBeGreaterThanOrEqual(4)
  expect(all.join(',')).toContain((await messageIdsInPage(page)).join(','))
  await clickEarlier()
  await expect.poll(() => messageIdsInPage(page)).toEqual(all)
  await expect(earlier).toHaveCount(0)
  await expect(page.getByText('Beginning of the session')).toBeVisible()
  await expectEqualToServer(page, stack, session.id)

  // The badge follows the connection: refused → reconnecting/offline with the banner; back → connected.
  await expect(page.getByTestId('offline-banner')).toHaveCount(0)
  stack.proxy.refuse()
  await expect(badge).toHaveAttribute('data-state', /reconnecting|offline/)
  await expect(page.getByTestId('offline-banner')).toBeVisible()
  // Sent while refused: the server still answers the test directly.
  await stack.api.prompt(session.id, 'four')
  stack.proxy.resume()
  // "Retry now" only skips the backoff wait: the relay may reconnect on its own first and take the
  // banner (and the button) away mid-click, which is fine; either way it must end connected.
  const retry = page.getByTestId('offline-banner').getByRole('button', { name: 'Retry now' })
  await retry.click({ force: true, timeout: 5_000 }).catch(async (error: unknown) => {
    if (await retry.count()) throw error
  })
  await expect(badge).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
  await expect(page.getByTestId('offline-banner')).toHaveCount(0)
  // What happened while offline shows up after catch-up.
  await expect.poll(async () => (await messageIdsInPage(page)).length, { timeout: 20_000 }).toBe(8)
  await expectEqualToServer(page, stack, session.id)
})

test('a project with more than 100 sessions lists all of them: pages of 100 in the sidebar, search over every one', async ({ stack, page }) => {
  // GET /session answers only the 100 newest sessions unless asked for more (opencode 1.18.33);
  // the fault soak (seed 3984976017) found the app listing a partial, stale set past 100.
  const oldest = await stack.api.createSession('Oldest session')
  for (let i = 0; i < 130; i++) await stack.api.createSession(`Bulk session ${i}`)
  const ids = await serverSessionIds(stack)
  expect(ids).toHaveLength(131)

  await openHome(page, stack)
  const items = page.getByTestId('session-item')
  await expect(items).toHaveCount(100)
  const more = page.getByTestId('session-list-more')
  await expect(more).toHaveText('Show older sessions (31 more)')
  await more.click()
  await expect(items).toHaveCount(131)
  await expect(more).toHaveCount(0)
  expect((await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-session-id')))).sort()).toEqual([...ids].sort())

  // Search covers sessions beyond the first page; a new search starts from the first page again.
  await page.getByTestId('session-search').fill('oldest')
  await expect(items).toHaveCount(1)
  await expect(items.first()).toHaveAttribute('data-session-id', oldest.id)
  await page.getByTestId('session-search').fill('')
  await expect(items).toHaveCount(100)

  // Opening the oldest session by URL shows it in the sidebar, highlighted.
  await openSession(page, stack, oldest.id)
  await expect(page.locator(`[data-testid="session-item"][data-session-id="${oldest.id}"]`)).toHaveClass(/active/)
  await expect(items).toHaveCount(131)
})
