/**
 * Issue 17, keyboard and access: the command palette (Ctrl+Shift+P) filters the app's commands
 * and runs them by keyboard; Esc closes an overlay even after focus left it, without reaching the
 * session behind (whose own Esc stops a reply); the screen readers' live region says when a
 * reply finished and when a permission request or a question arrived. Real `opencode serve`,
 * the scripted model.
 */
import type { Page } from '@playwright/test'
import { test, expect, openSession } from './support/fixtures.ts'
import { streamedText } from '../test/support/scripted-model.ts'

async function openPalette(page: Page): Promise<void> {
  await page.keyboard.press('Control+Shift+P')
  await expect(page.getByRole('dialog', { name: 'Command palette' })).toBeVisible()
  await expect(page.getByTestId('palette-input')).toBeFocused()
}

test('the command palette filters the app’s commands and runs them by keyboard', async ({ stack, page }) => {
  const session = await stack.api.createSession('palette')
  await openSession(page, stack, session.id)
  const items = page.getByTestId('palette-item')
  const input = page.getByTestId('palette-input')

  // Opens with Ctrl+Shift+P, lists the app's commands with their shortcuts; Esc closes it.
  await openPalette(page)
  await expect(items.filter({ hasText: 'New session' })).toHaveCount(1)
  await expect(items.filter({ hasText: 'Switch session' })).toContainText('Ctrl+K')
  await expect(items.filter({ hasText: 'Open settings' })).toContainText('Ctrl+,')
  await expect(input).toHaveAttribute('aria-activedescendant', (await items.first().getAttribute('id')) ?? 'no id')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('command-palette')).toHaveCount(0)

  // Filters as you type; Enter runs the first match: the theme turns dark, then light again.
  await expect(page.locator('html')).not.toHaveAttribute('data-theme')
  await openPalette(page)
  await page.keyboard.type('theme')
  await expect(items).toHaveText([/Toggle theme/])
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('command-palette')).toHaveCount(0)
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await openPalette(page)
  await page.keyboard.type('toggle the')
  await page.keyboard.press('Enter')
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')
  await expect(page.getByTestId('session-view')).toBeVisible()

  // The arrow keys move the active option (announced through aria-activedescendant).
  await openPalette(page)
  await page.keyboard.type('session')
  await expect(items).toHaveText([/New session/, /Switch session/])
  await expect(items.nth(0)).toHaveAttribute('aria-selected', 'true')
  await page.keyboard.press('ArrowDown')
  await expect(items.nth(1)).toHaveAttribute('aria-selected', 'true')
  await expect(input).toHaveAttribute('aria-activedescendant', (await items.nth(1).getAttribute('id')) ?? 'no id')
  await page.keyboard.press('ArrowUp')
  await expect(items.nth(0)).toHaveAttribute('aria-selected', 'true')
  // New session: the project's start page.
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('home-view')).toBeVisible()
  expect(new URL(page.url()).pathname).toBe('/')

  // "Switch session…" opens the Ctrl+K switcher in its place.
  await openPalette(page)
  await page.keyboard.type('switch sess')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('session-switcher')).toBeVisible()
  await expect(page.getByTestId('command-palette')).toHaveCount(0)
  await expect(page.getByTestId('switcher-input')).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('session-switcher')).toHaveCount(0)

  // Nothing matches: says so.
  await openPalette(page)
  await page.keyboard.type('no such command at all')
  await expect(items).toHaveCount(0)
  await expect(page.getByTestId('command-palette')).toContainText('No matching commands')
  await page.keyboard.press('Escape')

  // F1 opens the palette too (Firefox keeps Ctrl+Shift+P); Ctrl+Alt+N starts a new session, as listed.
  await page.keyboard.press('F1')
  await expect(page.getByTestId('command-palette')).toBeVisible()
  await expect(items.filter({ hasText: 'New session' })).toContainText('Ctrl+Alt+N')
  await page.keyboard.press('Escape')
  await page.goto(`${stack.app.url}/session/${session.id}?directory=${encodeURIComponent(stack.directory)}`)
  await expect(page.getByTestId('session-view')).toBeVisible()
  await page.getByTestId('prompt-input').focus()
  await page.keyboard.press('Control+Alt+N')
  await expect(page.getByTestId('home-view')).toBeVisible()
})

test('Esc closes Settings and the switcher after focus left them, and never stops the reply behind', async ({ stack, page }) => {
  const session = await stack.api.createSession('esc')
  await openSession(page, stack, session.id)
  // A reply that takes a few seconds: the session's own Esc would stop it.
  await stack.api.promptAsync(session.id, 'stream 30 delay 150')
  await expect(page.getByTestId('abort-button')).toBeVisible()

  await page.getByTestId('settings-button').click()
  await expect(page.getByTestId('settings-panel')).toBeVisible()
  // Focus moves out of the panel, to the prompt behind it.
  await page.getByTestId('prompt-input').focus()
  await expect(page.getByTestId('prompt-input')).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('settings-panel')).toHaveCount(0)

  await page.keyboard.press('Control+K')
  await expect(page.getByTestId('session-switcher')).toBeVisible()
  await page.getByTestId('session-search').focus()
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('session-switcher')).toHaveCount(0)

  // The reply was not stopped by either Escape: it ran to its end.
  await stack.api.waitIdle(session.id)
  expect(await stack.api.transcript(session.id)).toContain(streamedText(30))
})

test('the live region says when a reply finished, and when a permission request or a question arrived', async ({ stack, page }) => {
  const session = await stack.api.createSession('announced')
  await stack.api.prompt(session.id, 'stream 3')
  await openSession(page, stack, session.id)
  const region = page.getByTestId('live-announcer')
  await expect(region).toHaveAttribute('role', 'status')
  await expect(region).toHaveAttribute('aria-live', 'polite')
  // What was there at load (a finished reply) is not announced.
  await expect(region).toHaveText('')

  await stack.api.promptAsync(session.id, 'stream 5')
  await expect(region).toContainText('Reply finished in announced')
  await stack.api.waitIdle(session.id)

  await stack.api.promptAsync(session.id, 'bash: echo announced')
  await expect(region).toContainText('Permission requested in announced: bash echo announced')
  await page.getByTestId('permission-prompt').getByTestId('permission-once').click()
  await stack.api.waitIdle(session.id)

  await stack.api.promptAsync(session.id, 'ask question')
  await expect(region).toContainText('Question in announced')
  await stack.api.abort(session.id)
})

test('the session view’s commands run from the palette', async ({ stack, page }) => {
  const run = async (q: string) => {
    await page.keyboard.press('Control+Shift+P')
    await page.keyboard.type(q)
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('command-palette')).toHaveCount(0)
  }
  const session = await stack.api.createSession('snippet')
  await openSession(page, stack, session.id)
  await run('show changes')
  await expect(page.getByTestId('tab-changes')).toHaveAttribute('aria-selected', 'true')
  await run('show chat')
  await expect(page.getByTestId('tab-chat')).toHaveAttribute('aria-selected', 'true')
  await run('rename')
  await expect(page.getByTestId('title-input')).toBeFocused()
  await page.keyboard.type('renamed by keyboard')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('session-title')).toHaveText('renamed by keyboard')
  await stack.api.promptAsync(session.id, 'stream 200 delay 100')
  await expect(page.getByTestId('abort-button')).toBeVisible()
  await run('stop the reply')
  await stack.api.waitIdle(session.id, 15_000)
})
