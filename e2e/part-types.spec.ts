/**
 * Issue 17, every part type rendered for what it is: the messages the server writes for a
 * compaction and for a slash command that runs as a subtask used to render as empty user bubbles.
 * Real `opencode serve` with the scripted model; the project config adds a `/sub` command with
 * `subtask: true`. The server's own `GET /session/{id}/message` and `/children` are the truth.
 */
import type { Page } from '@playwright/test'
import type { Session } from '@opencode-ai/sdk/v2/types'
import { test as base, expect, openSession, stackOn, closeStack, type Stack } from './support/fixtures.ts'
import { startScriptedModel } from '../test/support/scripted-model.ts'
import { startOpencode } from '../test/support/opencode-server.ts'

const test = base.extend<{ stack: Stack }>({
  stack: async ({}, use) => {
    const model = await startScriptedModel()
    const opencode = await startOpencode({
      modelBaseURL: model.baseURL,
      config: { command: { sub: { template: 'Review $ARGUMENTS', description: 'Review as subtask', agent: 'general', subtask: true } } },
    })
    const stack = await stackOn(model, opencode)
    await use(stack)
    await closeStack(stack)
  },
})

/** Every user message on the page shows some text: none is an empty bubble. */
async function expectNoEmptyUserMessage(page: Page): Promise<void> {
  const texts = await page.locator('[data-testid="message"][data-role="user"]').evaluateAll((els) => els.map((el) => (el instanceof HTMLElement ? el.innerText.trim() : '')))
  expect(texts.length).toBeGreaterThan(0)
  for (const t of texts) expect(t.length).toBeGreaterThan(0)
}

test('compacting a session shows a "Session compacted" divider and the summary, never an empty bubble', async ({ stack, page }) => {
  const session = await stack.api.createSession('compact me')
  await stack.api.prompt(session.id, 'stream 3')
  await openSession(page, stack, session.id)

  await page.getByTestId('session-menu').click()
  await page.getByTestId('action-compact').click()

  const divider = page.locator('[data-testid="message"][data-kind="compaction"]')
  await expect(divider).toContainText('Session compacted')
  await expect(page.getByTestId('summary-chip')).toBeVisible()
  await stack.api.waitIdle(session.id)

  // The server wrote a user message with only a compaction part, and a summary reply.
  const truth = await stack.api.messages(session.id)
  const request = truth.find((m) => m.parts.some((p) => p.type === 'compaction'))
  expect(request?.info.role).toBe('user')
  await expect(divider).toHaveAttribute('data-message-id', request?.info.id ?? '')
  expect(truth.some((m) => m.info.role === 'assistant' && m.info.summary === true)).toBe(true)
  await expectNoEmptyUserMessage(page)
  // README's desktop picture of a transcript note (light theme).
  await page.setViewportSize({ width: 1280, height: 720 })
  await expect(divider).toBeVisible()
  await page.screenshot({ path: 'e2e/transcript-notes-screenshot.png' })
})

test('a slash command that runs as a subtask shows its command and opens the subtask’s session', async ({ stack, page }) => {
  const session = await stack.api.createSession('subtask')
  await openSession(page, stack, session.id)

  await page.getByTestId('prompt-input').fill('/sub the code')
  await page.getByTestId('send-button').click()

  const line = page.locator('[data-testid="message"][data-kind="subtask"]')
  await expect(line).toContainText('/sub · Review as subtask · @general')
  await stack.api.waitIdle(session.id)
  await line.getByTestId('part-note-detail-toggle').click()
  await expect(line.getByTestId('part-note-detail')).toHaveText('Review the code')

  // After the subtask, the server continues on its own with a synthetic prompt: a faint line.
  const automatic = page.locator('[data-testid="message"][data-kind="automatic"]')
  await expect(automatic).toContainText('OpenCode continued automatically')
  await automatic.getByTestId('synthetic-toggle').click()
  await expect(automatic.getByTestId('synthetic-text')).toContainText('Summarize the task tool output above')
  await expectNoEmptyUserMessage(page)
  // README's dark picture: the subtask line and the automatic continuation, with the system's dark scheme.
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.setViewportSize({ width: 1280, height: 720 })
  await expect(line).toBeVisible()
  await page.screenshot({ path: 'e2e/transcript-dark-screenshot.png' })
  await page.emulateMedia({ colorScheme: 'light' })

  // The child session the server ran the subtask in (`GET /session/{id}/children`).
  const res = await fetch(`${stack.opencode.url}/session/${session.id}/children?directory=${encodeURIComponent(stack.directory)}`)
  const children: Session[] = await res.json()
  expect(children).toHaveLength(1)
  const child = children[0]
  await expect(page.getByTestId('tool-child-session')).toHaveAttribute('href', new RegExp(`/session/${child.id}`))

  await line.getByTestId('part-note-session').click()
  await expect(page).toHaveURL(new RegExp(`/session/${child.id}`))
  await expect(page.getByTestId('session-title')).toContainText('Review as subtask')
})
