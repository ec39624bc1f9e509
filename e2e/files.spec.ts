/**
 * Issue 16, Files: the session view's Files panel against the real `opencode serve` — the tree read
 * folder by folder (`GET /file`) with git marks, a file shown with line numbers and shiki colours
 * (`GET /file/content`), quick open by name (`GET /find/file`), text search (`GET /find`, which
 * needs `rg` on the server's PATH) opening a hit at its line, a binary file and a vanished file
 * each with a clear message, and "Mention in prompt": lines 3–7 selected by click and Shift+click
 * become a chip `src/app.ts:3-7` and a `file://…?start=3&end=7` part of the message the server
 * stores. And the panel at 390×844. Writes the README's screenshot, e2e/files-screenshot.png.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, openSession, type Stack } from './support/fixtures.ts'

const APP_TS = [
  "import { readFile } from 'node:fs/promises'",
  '',
  'export interface Greeting {',
  '  name: string',
  '  loud: boolean',
  '}',
  '',
  '/** findme_needle: says hello. */',
  'export function greet(g: Greeting): string {',
  '  const text = `hello ${g.name}`',
  '  return g.loud ? text.toUpperCase() : text',
  '}',
  '',
].join('\n')

/** Files the panel browses: a TypeScript file, one to delete later, a PNG, an edit and a new file for the git marks. */
function writeProject(stack: Stack): void {
  mkdirSync(join(stack.directory, 'src'), { recursive: true })
  writeFileSync(join(stack.directory, 'src/app.ts'), APP_TS)
  writeFileSync(join(stack.directory, 'src/doomed.ts'), 'export const doomed = true\n')
  writeFileSync(join(stack.directory, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]))
  writeFileSync(join(stack.directory, 'hello.txt'), 'hello, edited\n')
}

function node(page: Page, path: string) {
  return page.locator(`[data-testid="tree-node"][data-path="${path}"]`)
}

test('Files: tree with git marks, a highlighted file, quick open, text search, binary and vanished files, and a mention the server stores', async ({ stack, page }) => {
  await page.setViewportSize({ width: 1180, height: 760 })
  writeProject(stack)
  const session = await stack.api.createSession('files')
  await openSession(page, stack, session.id)
  await page.getByTestId('tab-files').click()
  await expect(page.getByTestId('tab-files')).toHaveAttribute('aria-selected', 'true')
  const panel = page.getByTestId('files-panel')

  // The root, folders first; git marks from the server (hello.txt edited, the new files added).
  await expect(node(page, 'src/')).toBeVisible()
  await expect(node(page, 'hello.txt')).toHaveAttribute('data-mark', 'modified')
  await expect(node(page, 'logo.png')).toHaveAttribute('data-mark', 'added')
  await expect(node(page, 'src/app.ts')).toHaveCount(0)

  // Expanding src reads it; its file opens with line numbers and shiki's colours.
  await node(page, 'src/').click()
  await expect(node(page, 'src/')).toHaveAttribute('aria-expanded', 'true')
  await node(page, 'src/app.ts').click()
  const viewer = page.getByTestId('file-viewer')
  await expect(viewer).toHaveAttribute('data-path', 'src/app.ts')
  const code = page.getByTestId('file-code')
  await expect(code).toHaveAttribute('data-highlighted', 'true')
  await expect(page.getByTestId('file-line')).toHaveCount(12)
  await expect(page.getByTestId('line-number').nth(8)).toHaveText('9')
  await expect(page.locator('[data-testid="file-line"][data-line="9"] .text')).toHaveText('export function greet(g: Greeting): string {')
  const coloured = await code.locator('.text span').evaluateAll((spans) => spans.filter((s) => s instanceof HTMLElement && s.style.getPropertyValue('--shiki-light') !== '').length)
  expect(coloured).toBeGreaterThan(10)

  // Quick open by name: Enter opens the first match.
  const search = page.getByTestId('files-search')
  await search.fill('logo')
  await expect(page.locator('[data-testid="files-name-result"][data-path="logo.png"]')).toBeVisible()
  await search.press('Enter')
  await expect(viewer).toHaveAttribute('data-path', 'logo.png')
  await expect(page.getByTestId('file-binary')).toContainText('Binary file (image/png, 16 B)')
  await expect(page.getByTestId('file-code')).toHaveCount(0)

  // Text search: hits by file and line; a click opens the file at that line, selected.
  await page.getByTestId('files-mode-text').click()
  await search.fill('findme_needle')
  const group = page.locator('[data-testid="files-text-group"][data-path="src/app.ts"]')
  await expect(group).toBeVisible()
  const hit = group.getByTestId('files-text-hit')
  await expect(hit).toHaveAttribute('data-line', '8')
  await expect(hit).toContainText('findme_needle: says hello.')
  await hit.click()
  await expect(viewer).toHaveAttribute('data-path', 'src/app.ts')
  await expect(page.locator('[data-testid="file-line"][data-line="8"]')).toHaveClass(/selected/)
  await expect(page.getByTestId('file-selection')).toHaveText('Line 8 selected')
  await search.press('Escape')
  await expect(search).toHaveValue('')

  // A file deleted behind the panel's back: a clear message, nothing breaks.
  rmSync(join(stack.directory, 'src/doomed.ts'))
  await node(page, 'src/doomed.ts').click()
  await expect(viewer).toHaveAttribute('data-path', 'src/doomed.ts')
  await expect(page.getByTestId('file-error')).toContainText('This file no longer exists')
  await page.getByTestId('files-refresh').click()
  await expect(node(page, 'src/doomed.ts')).toHaveCount(0)

  // Lines 3–7 by click and Shift+click, then "Mention in prompt": a chip in the prompt.
  await node(page, 'src/app.ts').click()
  await expect(page.getByTestId('file-code')).toHaveAttribute('data-highlighted', 'true')
  await page.getByTestId('line-number').nth(2).click()
  await page.getByTestId('line-number').nth(6).click({ modifiers: ['Shift'] })
  await expect(page.getByTestId('file-selection')).toHaveText('Lines 3–7 selected')
  await expect(page.locator('[data-testid="file-line"].selected')).toHaveCount(5)
  await page.getByTestId('file-mention').click()
  const chip = page.locator('[data-testid="mention"][data-label="src/app.ts:3-7"]')
  await expect(chip).toBeVisible()
  await expect(chip).toContainText('src/app.ts:3-7')
  await expect(page.getByTestId('file-mentioned')).toContainText('src/app.ts:3-7')
  await page.getByTestId('prompt-input').fill('what does Greeting hold?')
  await expect(panel).toBeVisible()
  await page.screenshot({ path: 'e2e/files-screenshot.png' })

  // Sent with the prompt: the server's stored user message has the file part with the range.
  await page.getByTestId('prompt-input').press('Enter')
  await expect(chip).toHaveCount(0)
  const url = `file://${stack.directory}/src/app.ts?start=3&end=7`
  await expect
    .poll(async () => {
      const users = (await stack.api.messages(session.id)).filter((m) => m.info.role === 'user')
      return users.flatMap((m) => m.parts).filter((p) => p.type === 'file').map((p) => (p.type === 'file' ? { mime: p.mime, filename: p.filename, url: p.url } : undefined))
    })
    .toEqual([{ mime: 'text/plain', filename: 'src/app.ts', url }])
  await stack.api.waitIdle(session.id)
})

test('Files at 390×844: the tab by keyboard, the tree, a file filling the panel and back', async ({ stack, page }) => {
  await page.setViewportSize({ width: 390, height: 844 })
  writeProject(stack)
  const session = await stack.api.createSession('files on a phone')
  await openSession(page, stack, session.id)
  const tab = page.getByTestId('tab-files')
  await tab.focus()
  await page.keyboard.press('Enter')
  const panel = page.getByTestId('files-panel')
  await expect(panel).toBeVisible()
  const box = await tab.boundingBox()
  expect(box && box.x + box.width).toBeLessThanOrEqual(390)

  // The tree by keyboard: on src/, → expands it, ↓ reaches its first file, Enter opens it.
  await expect(node(page, 'src/')).toBeVisible()
  await node(page, 'src/').focus()
  await page.keyboard.press('ArrowRight')
  await expect(node(page, 'src/')).toHaveAttribute('aria-expanded', 'true')
  await expect(node(page, 'src/app.ts')).toBeVisible()
  await page.keyboard.press('ArrowDown')
  await expect(node(page, 'src/app.ts')).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('file-viewer')).toBeVisible()
  await expect(page.getByTestId('file-tree')).toBeHidden()
  await expect(page.getByTestId('file-line')).toHaveCount(12)
  const overflow = await panel.evaluate((el) => el.scrollWidth - el.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await expect(page.getByTestId('file-mention')).toBeInViewport()
  await page.getByTestId('files-back').click()
  await expect(page.getByTestId('file-tree')).toBeVisible()
  await page.screenshot({ path: test.info().outputPath('files-phone.png') })
})
