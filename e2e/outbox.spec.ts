/**
 * Issue 19, the outbox: what the user sends while the server does not answer is kept by the relay
 * (IndexedDB, sw/relay/outbox.ts) and delivered exactly once when it answers again. Real
 * `opencode serve`; the fault proxy in front of it refuses every connection (REST and the event
 * stream) while "down".
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from '@playwright/test'
import { test, expect, openSession, sessionUrl } from './support/fixtures.ts'
import { chromiumPath, CHROMIUM_ARGS } from './support/browser.ts'
import { assistantReply, send } from './client-support.ts'
import type { Stack } from './support/fixtures.ts'

/** Waits until the page's relay has noticed that the server does not answer. */
async function expectDown(page: Page): Promise<void> {
  await expect(page.getByTestId('connection-badge').first()).not.toHaveAttribute('data-state', 'connected', { timeout: 20_000 })
}

/**
 * The ids of the entries in the relay's outbox databases (IndexedDB `…:outbox`, table `entries`:
 * sw/relay/outbox-store.ts) that are still to be sent, read from the page (same origin).
 */
async function storedOutboxIds(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const ids: string[] = []
    for (const info of await indexedDB.databases()) {
      if (!info.name?.endsWith(':outbox')) continue
      const name = info.name
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name)
        open.onsuccess = () => resolve(open.result)
        open.onerror = () => reject(open.error ?? new Error(`cannot open ${name}`))
      })
      const rows = await new Promise<unknown[]>((resolve, reject) => {
        const all = db.transaction('entries').objectStore('entries').getAll()
        all.onsuccess = () => resolve(all.result)
        all.onerror = () => reject(all.error ?? new Error(`cannot read ${name}`))
      })
      db.close()
      for (const row of rows) if (typeof row === 'object' && row !== null && 'id' in row && typeof row.id === 'string' && 'state' in row && (row.state === 'pending' || row.state === 'sending')) ids.push(row.id)
    }
    return ids
  })
}

/** A browser on the profile in `dir` (IndexedDB, the service worker and caches stay there when it closes). */
async function persistentContext(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, { headless: true, executablePath: chromiumPath(), args: CHROMIUM_ARGS })
}

/** The session's assistant messages on the server, each with whether it was aborted. */
async function assistantsOnServer(stack: Stack, sessionID: string): Promise<Array<{ aborted: boolean; text: string }>> {
  const messages = await stack.api.messages(sessionID)
  return messages.flatMap((m) =>
    m.info.role === 'assistant' ? [{ aborted: m.info.error?.name === 'MessageAbortedError', text: m.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('') }] : [],
  )
}

/** User messages on the server whose text contains `text`. */
async function userMessagesWith(stack: Stack, sessionID: string, text: string): Promise<number> {
  const messages = await stack.api.messages(sessionID)
  return messages.filter((m) => m.info.role === 'user' && m.parts.some((p) => p.type === 'text' && p.text.includes(text))).length
}

test('a prompt sent while the server is unreachable waits, survives a reload, and arrives once when the server is back', async ({ stack, page }) => {
  const session = await stack.api.createSession('outbox down')
  await openSession(page, stack, session.id)
  stack.proxy.refuse()
  await expectDown(page)

  await send(page, 'kept while down stream 3')
  const ghost = page.getByTestId('pending-message')
  await expect(ghost).toContainText('kept while down')
  await expect(ghost).toHaveAttribute('data-status', 'waiting')
  await expect(ghost.getByTestId('pending-waiting')).toContainText('Waiting to send')

  // A reload (the last tab goes, so the SharedWorker may end too): the relay restores the entry.
  await page.reload()
  await expect(page.getByTestId('pending-message')).toContainText('kept while down')
  expect(await userMessagesWith(stack, session.id, 'kept while down')).toBe(0)

  stack.proxy.resume()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
  await expect(page.locator('[data-testid="message"][data-role="user"]', { hasText: 'kept while down' })).toHaveCount(1, { timeout: 30_000 })
  await expect(page.getByTestId('pending-message')).toHaveCount(0)
  await stack.api.waitIdle(session.id)
  expect(await userMessagesWith(stack, session.id, 'kept while down')).toBe(1)
})

test('two tabs both show a prompt waiting in the outbox, and it is delivered once', async ({ stack, page }) => {
  const session = await stack.api.createSession('outbox two tabs')
  await openSession(page, stack, session.id)
  const other = await page.context().newPage()
  await openSession(other, stack, session.id)
  stack.proxy.refuse()
  await expectDown(page)

  await send(page, 'one prompt two tabs stream 2')
  for (const tab of [page, other]) await expect(tab.getByTestId('pending-message')).toContainText('one prompt two tabs')

  stack.proxy.resume()
  for (const tab of [page, other]) {
    await expect(tab.locator('[data-testid="message"][data-role="user"]', { hasText: 'one prompt two tabs' })).toHaveCount(1, { timeout: 30_000 })
    await expect(tab.getByTestId('pending-message')).toHaveCount(0)
  }
  await stack.api.waitIdle(session.id)
  expect(await userMessagesWith(stack, session.id, 'one prompt two tabs')).toBe(1)
})

test('a permission reply clicked while the server is unreachable takes effect once when it is back', async ({ stack, page }) => {
  const session = await stack.api.createSession('outbox permission')
  await openSession(page, stack, session.id)
  await stack.api.promptAsync(session.id, 'bash: echo outbox-permission-ok')
  await expect(page.getByTestId('permission-prompt')).toHaveCount(1, { timeout: 45_000 })

  stack.proxy.refuse()
  await expectDown(page)
  await page.getByTestId('permission-once').click()
  await expect(page.getByTestId('permission-prompt')).toHaveCount(0)
  expect(await stack.api.permissions()).toHaveLength(1)

  stack.proxy.resume()
  await expect.poll(() => stack.api.permissions(), { timeout: 30_000 }).toHaveLength(0)
  await stack.api.waitIdle(session.id)
  const tools = (await stack.api.messages(session.id)).flatMap((m) => m.parts.filter((p) => p.type === 'tool'))
  expect(tools).toHaveLength(1)
  expect(tools[0].type === 'tool' && tools[0].state.status).toBe('completed')
  await expect(page.locator('[data-testid="tool-part"][data-status="completed"]')).toHaveCount(1, { timeout: 30_000 })
})

test('a prompt edited while it waits for the server arrives once, with the edited text', async ({ stack, page }) => {
  const session = await stack.api.createSession('outbox edit')
  await openSession(page, stack, session.id)
  stack.proxy.refuse()
  await expectDown(page)

  await send(page, 'typo while down stream 2')
  const ghost = page.getByTestId('pending-message')
  await expect(ghost).toHaveAttribute('data-status', 'waiting')
  await ghost.getByTestId('edit-send').click()
  const editor = ghost.getByTestId('pending-edit-input')
  await expect(editor).toHaveValue('typo while down stream 2')
  await editor.fill('edited while down stream 2')
  await ghost.getByTestId('pending-edit-save').click()
  // The relay holds the new text: the bubble shows it (from the relay's entries), still waiting.
  await expect(ghost.getByTestId('pending-text')).toHaveText('edited while down stream 2')
  await expect(ghost).toHaveAttribute('data-status', 'waiting')

  stack.proxy.resume()
  await expect(page.locator('[data-testid="message"][data-role="user"]', { hasText: 'edited while down' })).toHaveCount(1, { timeout: 30_000 })
  await expect(page.getByTestId('pending-message')).toHaveCount(0)
  await stack.api.waitIdle(session.id)
  expect(await userMessagesWith(stack, session.id, 'edited while down')).toBe(1)
  expect(await userMessagesWith(stack, session.id, 'typo while down')).toBe(0)
  expect((await stack.api.messages(session.id)).filter((m) => m.info.role === 'user')).toHaveLength(1)
})

/**
 * Opens a new session titled `title`, sends `prompt` (a streaming reply), and once the reply shows
 * makes the server unreachable and presses Stop, so the abort waits in the outbox.
 * @returns the session's id.
 */
async function stopWhileDown(page: Page, stack: Stack, title: string, prompt: string): Promise<string> {
  const session = await stack.api.createSession(title)
  await openSession(page, stack, session.id)
  await send(page, prompt)
  await expect(assistantReply(page, 0)).toContainText('hotel7', { timeout: 30_000 })
  stack.proxy.refuse()
  await expectDown(page)
  // The tab still shows the reply running (it cannot hear whether it ends): Stop is kept for later.
  await page.getByTestId('abort-button').click()
  return session.id
}

test('Stop pressed while the server is unreachable stops the reply once the server is back', async ({ stack, page }) => {
  // About 60 s of streaming: only the abort can end it within the waits below.
  const sessionID = await stopWhileDown(page, stack, 'outbox abort', 'stream 3000 delay 20')
  expect((await stack.api.status())[sessionID]?.type).toBe('busy')
  // The button says the Stop waits, and is not pressed twice meanwhile.
  const stop = page.getByTestId('abort-button')
  await expect(stop).toHaveAttribute('data-state', 'waiting')
  await expect(stop).toContainText('Stopping')
  await expect(stop).toBeDisabled()

  stack.proxy.resume()
  await stack.api.waitIdle(sessionID, 30_000)
  // The server marks the message aborted a moment after the session goes idle.
  await expect.poll(async () => (await assistantsOnServer(stack, sessionID)).map((a) => a.aborted), { timeout: 10_000 }).toEqual([true])
  expect((await assistantsOnServer(stack, sessionID))[0]?.text).not.toContain('END')
  await expect(page.getByText('Interrupted')).toHaveCount(1, { timeout: 30_000 })
})

test('a Stop that waited while the server was unreachable does not stop a later reply', async ({ stack, page }) => {
  const sessionID = await stopWhileDown(page, stack, 'outbox late abort', 'stream 150 delay 20')

  // Meanwhile the reply ends and a later one starts (another client of the server).
  await stack.api.waitIdle(sessionID, 30_000)
  await stack.api.promptAsync(sessionID, 'later reply stream 300 delay 20')
  await expect.poll(async () => (await stack.api.status())[sessionID]?.type, { timeout: 10_000 }).toBe('busy')

  stack.proxy.resume()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
  await stack.api.waitIdle(sessionID, 30_000)
  const assistants = await assistantsOnServer(stack, sessionID)
  expect(assistants.map((a) => a.aborted)).toEqual([false, false])
  expect(assistants[1]?.text).toContain('END')
})

test('a prompt waiting when the whole browser closes is delivered once after the browser starts again on the same profile', async ({ stack }) => {
  const profile = mkdtempSync(join(tmpdir(), 'relay-outbox-profile-'))
  let browser: BrowserContext | undefined
  try {
    const session = await stack.api.createSession('outbox browser restart')
    browser = await persistentContext(profile)
    let page = browser.pages()[0] ?? (await browser.newPage())
    await openSession(page, stack, session.id)
    stack.proxy.refuse()
    await expectDown(page)

    await send(page, 'kept across a browser restart stream 2')
    const ghost = page.getByTestId('pending-message')
    await expect(ghost).toHaveAttribute('data-status', 'waiting')
    await expect(ghost.getByTestId('pending-waiting')).toContainText('Waiting to send')
    // Written to IndexedDB before the browser goes (the bubble shows before the relay stores it).
    await expect.poll(() => storedOutboxIds(page)).toHaveLength(1)
    await browser.close()
    browser = undefined
    expect(await userMessagesWith(stack, session.id, 'kept across a browser restart')).toBe(0)

    stack.proxy.resume()
    browser = await persistentContext(profile)
    page = browser.pages()[0] ?? (await browser.newPage())
    await page.goto(sessionUrl(stack, session.id))
    await expect(page.locator('[data-testid="message"][data-role="user"]', { hasText: 'kept across a browser restart' })).toHaveCount(1, { timeout: 30_000 })
    await expect(page.getByTestId('pending-message')).toHaveCount(0)
    await stack.api.waitIdle(session.id)
    expect(await userMessagesWith(stack, session.id, 'kept across a browser restart')).toBe(1)
    await expect.poll(() => storedOutboxIds(page)).toEqual([])
    // Shown once, also after a reload (from IndexedDB and the server).
    await page.reload()
    await expect(page.locator('[data-testid="message"][data-role="user"]', { hasText: 'kept across a browser restart' })).toHaveCount(1, { timeout: 30_000 })
    await expect(page.getByTestId('pending-message')).toHaveCount(0)
  } finally {
    await browser?.close()
    rmSync(profile, { recursive: true, force: true })
  }
})
