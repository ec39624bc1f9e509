/**
 * Issue 17, ready for other languages: every UI string comes from the message catalogue
 * (src/i18n). In the pseudo-locale each message is bracketed (`⟦Ŕéñáɱé⟧`), so on every screen
 * visited here any visible text or `title`/`aria-label`/`placeholder`/`alt` with Latin words but
 * no bracket is hard-coded. Data (titles, paths, model names, message text, code, the terminal)
 * is marked `translate="no"` (the HTML attribute that tells translators to leave it) and skipped.
 * Real `opencode serve`, the scripted model: a finished reply, a bash permission, a question.
 */
import type { Page } from '@playwright/test'
import { test, expect, openSession } from './support/fixtures.ts'

/** Visible text and labelling attributes with Latin words outside any pseudo-localized message. */
function untranslated(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const SKIP = '[translate="no"], script, style, code, pre, kbd[translate="no"], .xterm, svg, [data-testid="toasts"] [data-kind="server"]'
    const word = /[A-Za-z]{2,}/
    const ok = (s: string) => !word.test(s) || s.includes('⟦')
    const out: string[] = []
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement
      const text = n.textContent?.trim() ?? ''
      if (!el || !text || el.closest(SKIP) || !el.checkVisibility()) continue
      if (!ok(text)) out.push(`text “${text}” in <${el.tagName.toLowerCase()} class="${el.className}">`)
    }
    for (const el of document.body.querySelectorAll<HTMLElement>('[title], [aria-label], [placeholder], [alt]')) {
      if (el.closest(SKIP) || !el.checkVisibility()) continue
      for (const attr of ['title', 'aria-label', 'placeholder', 'alt']) {
        const value = el.getAttribute(attr)
        if (value && !ok(value)) out.push(`${attr}="${value}" on <${el.tagName.toLowerCase()} data-testid="${el.dataset.testid ?? ''}">`)
      }
    }
    return out
  })
}

async function expectTranslated(page: Page, screen: string): Promise<void> {
  expect(await untranslated(page), `hard-coded text on: ${screen}`).toEqual([])
}

test('in the pseudo-locale every screen shows catalogue text only', async ({ stack, page }) => {
  await page.addInitScript(() => localStorage.setItem('opencode-relay:locale', 'pseudo'))
  const session = await stack.api.createSession('pseudo tour')
  await stack.api.prompt(session.id, 'stream 12')
  await openSession(page, stack, session.id)
  await expect(page.locator('html')).toHaveAttribute('lang', 'en')
  await expect(page.locator('[data-testid="message"][data-role="assistant"]')).toHaveCount(1)
  await expectTranslated(page, 'a session with a finished reply')

  // A permission request and a question from the agent.
  await page.getByTestId('prompt-input').fill('bash: echo pseudo')
  await page.getByTestId('send-button').click()
  await expect(page.getByTestId('permission-prompt')).toBeVisible()
  await expectTranslated(page, 'a pending permission')
  await page.getByTestId('permission-once').click()
  await stack.api.waitIdle(session.id)
  await page.getByTestId('prompt-input').fill('ask question')
  await page.getByTestId('send-button').click()
  await expect(page.getByTestId('question-prompt')).toBeVisible()
  await expectTranslated(page, 'a pending question')

  await page.getByTestId('session-menu').click()
  await expect(page.getByTestId('action-rename')).toBeVisible()
  await expectTranslated(page, 'the session menu')
  await page.getByTestId('session-menu').click()
  await expect(page.getByTestId('action-rename')).toHaveCount(0)

  await page.getByTestId('tab-changes').click()
  await expectTranslated(page, 'the Changes panel')
  await page.getByTestId('tab-files').click()
  await page.locator('[data-testid="tree-node"][data-path="hello.txt"]').click()
  await expect(page.getByTestId('file-code')).toBeVisible()
  await page.getByTestId('line-number').first().click()
  await expect(page.getByTestId('file-clear-selection')).toBeVisible()
  await expectTranslated(page, 'the Files panel with a file open')
  await page.getByTestId('files-search').fill('hello')
  await expect(page.getByTestId('files-name-result').first()).toBeVisible()
  await expectTranslated(page, 'the Files panel’s quick open')
  await page.getByTestId('files-search').fill('')
  await page.getByTestId('tab-terminal').click()
  await expectTranslated(page, 'the Terminal panel')
  await page.getByTestId('tab-chat').click()

  await page.keyboard.press('Control+Shift+P')
  await expect(page.getByTestId('command-palette')).toBeVisible()
  await expectTranslated(page, 'the command palette')
  await page.keyboard.press('Escape')

  await page.keyboard.press('Control+k')
  await expect(page.getByTestId('session-switcher')).toBeVisible()
  await expectTranslated(page, 'the session switcher')
  await page.keyboard.press('Escape')

  await page.getByTestId('settings-button').click()
  await expect(page.getByTestId('settings-panel')).toBeVisible()
  await expectTranslated(page, 'Settings')
  await page.getByTestId('settings-close').click()

  await page.goto(`${stack.app.url}/?directory=${encodeURIComponent(stack.directory)}`)
  await expect(page.getByTestId('home-view')).toBeVisible()
  await expectTranslated(page, 'a project’s home')
})
