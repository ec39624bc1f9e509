/**
 * Issue 16, review of changes: the Changes panel lists what the agent really changed — `write`,
 * `edit` and a `bash` command alike — per turn and for the session, renders each file's diff
 * unified or split, reverts a turn on disk and restores it, and shows the git working tree. Real
 * `opencode serve` (a git project), the scripted model's `change files` / `change again`
 * scenarios (src: test/support/scripted-model.ts); the files on disk and the server's session are
 * the truth.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, openSession, type Stack } from './support/fixtures.ts'
import { send, serverSession } from './client-support.ts'

/** Sends `text` and allows the one bash call the scenario makes, then waits for the turn to end on the server. */
async function runTurn(page: Page, stack: Stack, sessionID: string, text: string): Promise<void> {
  await send(page, text)
  const prompt = page.getByTestId('permission-prompt')
  await expect(prompt).toHaveCount(1, { timeout: 45_000 })
  await prompt.getByTestId('permission-once').click()
  await stack.api.waitIdle(sessionID)
}

function file(page: Page, path: string) {
  return page.locator(`[data-testid="changed-file"][data-file="${path}"]`)
}

test('Changes lists what each turn and the session changed, tool edits and shell alike, and reverts a turn on disk', async ({ stack, page }) => {
  const session = await stack.api.createSession('changes')
  await openSession(page, stack, session.id)
  const notes = join(stack.directory, 'notes-a.txt')
  const fromShell = join(stack.directory, 'notes-a-bash.txt')

  // Turn 1: write + edit a new file, and a shell command that creates another.
  await runTurn(page, stack, session.id, 'change files notes-a')
  expect(readFileSync(notes, 'utf8')).toBe('notes v2\nkeep this line\n')
  expect(existsSync(fromShell)).toBe(true)
  const users = (await stack.api.messages(session.id)).filter((m) => m.info.role === 'user')
  const turnOne = page.locator(`[data-testid="message"][data-message-id="${users[0].info.id}"]`)
  await expect(turnOne.getByTestId('turn-changes')).toContainText('2 files changed')

  await page.getByTestId('tab-changes').click()
  await expect(page.getByTestId('tab-changes')).toContainText('2')
  await expect(page.getByTestId('changes-summary')).toContainText('2 files changed')
  await expect(file(page, 'notes-a.txt')).toHaveAttribute('data-status', 'added')
  await expect(file(page, 'notes-a.txt').getByTestId('additions')).toHaveText('+2')
  await expect(file(page, 'notes-a-bash.txt')).toHaveAttribute('data-status', 'added')
  await expect(file(page, 'notes-a-bash.txt')).toContainText('made-by-bash')

  // Turn 2 (sent from the Changes panel): edit again, and the shell removes its file.
  await runTurn(page, stack, session.id, 'change again notes-a')
  expect(readFileSync(notes, 'utf8')).toBe('notes v3\nkeep this line\n')
  expect(existsSync(fromShell)).toBe(false)
  // The session's net effect: one new file; the shell's file came and went.
  await expect(page.getByTestId('changes-summary')).toContainText('1 file changed')
  await expect(file(page, 'notes-a.txt')).toHaveAttribute('data-status', 'added')
  await expect(file(page, 'notes-a-bash.txt')).toHaveCount(0)

  // Per turn, newest first: turn 2 modified the notes and deleted the shell's file.
  await page.getByTestId('changes-view-turns').click()
  const turns = page.getByTestId('changes-turn')
  await expect(turns).toHaveCount(2)
  const turnTwo = turns.first()
  const secondUser = (await stack.api.messages(session.id)).filter((m) => m.info.role === 'user')[1].info.id
  await expect(turnTwo).toHaveAttribute('data-message-id', secondUser)
  await expect(turnTwo.locator('[data-file="notes-a.txt"]')).toHaveAttribute('data-status', 'modified')
  await expect(turnTwo.locator('[data-file="notes-a-bash.txt"]')).toHaveAttribute('data-status', 'deleted')

  // Split layout: the old line beside the new one.
  await page.getByTestId('layout-split').click()
  const split = turnTwo.locator('[data-file="notes-a.txt"] .diff-table.split')
  await expect(split.locator('.side-old.cell-del')).toHaveText('notes v2')
  await expect(split.locator('.side-new.cell-add')).toHaveText('notes v3')

  // Revert turn 2: the server records it, the files on disk go back, the panel says so.
  await turnTwo.getByTestId('revert-turn').click()
  await expect.poll(async () => (await serverSession(stack, session.id)).revert?.messageID).toBe(secondUser)
  await expect.poll(() => readFileSync(notes, 'utf8')).toBe('notes v2\nkeep this line\n')
  expect(existsSync(fromShell)).toBe(true)
  await expect(page.getByTestId('changes-reverted')).toBeVisible()
  await expect(turns).toHaveCount(1)

  // Restore: turn 2's edits are back on disk. (opencode 1.18.33 restores its snapshot by checking
  // files out, which deletes nothing: the file turn 2 had deleted stays; the working tree shows it.)
  await page.getByTestId('changes-reverted').getByRole('button', { name: 'Restore them' }).click()
  await expect.poll(async () => (await serverSession(stack, session.id)).revert).toBeUndefined()
  await expect.poll(() => readFileSync(notes, 'utf8')).toBe('notes v3\nkeep this line\n')
  expect(existsSync(fromShell)).toBe(true)
  await expect(turns).toHaveCount(2)

  // The git working tree: what is uncommitted on disk now, with its content.
  await page.getByTestId('changes-view-tree').click()
  await expect(file(page, 'notes-a.txt')).toContainText('notes v3')
  await expect(file(page, 'notes-a-bash.txt')).toHaveAttribute('data-status', 'added')
})

test('a turn’s “files changed” opens the Changes panel on that turn, by keyboard too, at phone size', async ({ stack, page }) => {
  await page.setViewportSize({ width: 390, height: 844 })
  const session = await stack.api.createSession('changes on a phone')
  await openSession(page, stack, session.id)
  await runTurn(page, stack, session.id, 'change files phone')
  const chip = page.getByTestId('turn-changes')
  await expect(chip).toContainText('2 files changed')
  await chip.focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('changes-panel')).toBeVisible()
  await expect(page.getByTestId('changes-view-turns')).toHaveAttribute('aria-selected', 'true')
  const head = page.locator('[data-testid="changed-file"][data-file="phone.txt"] button').first()
  await expect(head).toHaveAttribute('aria-expanded', 'true')
  await head.focus()
  await page.keyboard.press('Enter')
  await expect(head).toHaveAttribute('aria-expanded', 'false')
  // Nothing of the panel spills past the phone's width.
  const overflow = await page.getByTestId('changes-panel').evaluate((el) => el.scrollWidth - el.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await page.screenshot({ path: 'test-results/changes-phone.png' })
})
