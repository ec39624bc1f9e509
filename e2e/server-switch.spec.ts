/**
 * Issue 17, "server switching that never blanks": two real `opencode serve` (A from the stack, B
 * started beside it on the same scripted model). Switching A → B → A in Settings while a reply
 * streams on A re-reads the new server's projects and whatever the tab showed; nothing stays on
 * "Loading…", each server keeps the tab's place (B opens its own project, A its session again),
 * and back on A the reply is complete, as the server has it, nothing lost.
 */
import { test, expect, openSession } from './support/fixtures.ts'
import { startOpencode } from '../test/support/opencode-server.ts'
import { startFaultProxy } from '../test/support/fault-proxy.ts'
import { ServerApi } from '../test/support/server-api.ts'
import { streamedText } from '../test/support/scripted-model.ts'
import type { Page } from '@playwright/test'

/** Opens Settings, uses the server at `url` (adding it when new), and closes Settings again. */
async function useServer(page: Page, url: string): Promise<void> {
  await page.getByTestId('settings-button').click()
  const panel = page.getByTestId('settings-panel')
  const row = panel.locator(`[data-testid="server-row"][data-url="${url}"]`)
  if ((await row.count()) === 0) {
    await panel.getByTestId('server-url').fill(url)
    await panel.getByTestId('server-add').click()
  } else {
    await row.getByRole('radio').check()
  }
  await expect(panel.locator('.server-row.current')).toHaveAttribute('data-url', url)
  await panel.getByTestId('settings-close').click()
}

test('switching servers A → B → A while a reply streams on A: nothing stays blank, nothing is lost', async ({ page, stack }) => {
  test.setTimeout(120_000)
  const b = await startOpencode({ modelBaseURL: stack.model.baseURL })
  const proxyB = await startFaultProxy(b.url)
  try {
    const apiB = new ServerApi(b.url, b.directory)
    await apiB.createSession('Beta session')
    const alpha = await stack.api.createSession('Alpha session')
    await openSession(page, stack, alpha.id)
    await expect(page.getByTestId('session-list')).toContainText('Alpha session')

    // A reply of ~8 s starts streaming on A; switch to B while it does.
    await stack.api.promptAsync(alpha.id, 'stream 400 delay 20')
    await expect(page.getByTestId('part').filter({ hasText: 'alpha0' })).toBeVisible({ timeout: 15_000 })
    await useServer(page, proxyB.url)

    // B is bootstrapped: its project is in the picker, the sidebar is not left "Loading sessions…".
    await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
    await expect(page.getByTestId('session-list')).not.toContainText('Alpha session', { timeout: 10_000 })
    await expect(page.getByTestId('session-list')).not.toContainText('Loading sessions', { timeout: 10_000 })
    // The tab left A's session for B's own project (its start page), whose sessions it lists.
    await expect(page.getByTestId('home-view')).toBeVisible()
    expect(new URL(page.url()).pathname).toBe('/')
    await expect(page.getByTestId('session-list')).toContainText('Beta session', { timeout: 10_000 })
    await page.getByTestId('project-picker').getByRole('button').first().click()
    await expect(page.locator(`[data-testid="project-item"][data-directory="${b.directory}"]`)).toBeVisible({ timeout: 10_000 })
    await page.keyboard.press('Escape')

    // Back to A while the reply still streams (or just finished): the session is there at once.
    await useServer(page, stack.proxy.url)
    // …and back on A, the tab is where it was: A's session.
    await expect(page).toHaveURL(new RegExp(`/session/${alpha.id}\\?`))
    await expect(page.getByTestId('session-list')).toContainText('Alpha session', { timeout: 5_000 })
    await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
    await stack.api.waitIdle(alpha.id)
    await expect(page.getByTestId('part').filter({ hasText: 'END' })).toContainText(streamedText(400), { timeout: 20_000 })
    const truth = await stack.api.messages(alpha.id)
    await expect(page.getByTestId('message')).toHaveCount(truth.length)
  } finally {
    await proxyB.close()
    await b.dispose()
  }
})
