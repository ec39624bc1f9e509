/**
 * Issue 17, honest actions: a message sent while a reply streams is marked "Queued" until the
 * server answers it. Real `opencode serve` 1.18.33, which writes such a prompt at once, answers it
 * when the running reply ends, and refuses to delete it meanwhile (409 `SessionBusyError`, so the
 * marker says it cannot be edited or cancelled).
 */
import { test, expect, openSession } from './support/fixtures.ts'

test('a message sent while a reply streams is marked queued until the server answers it', async ({ stack, page }) => {
  const session = await stack.api.createSession('queue')
  await openSession(page, stack, session.id)
  await stack.api.promptAsync(session.id, 'stream 60 delay 100')
  const streaming = page.locator('[data-testid="message"][data-role="assistant"] .spinner')
  await expect(streaming.first()).toBeVisible()

  await page.getByTestId('prompt-input').fill('queued while busy stream 3')
  await page.getByTestId('send-button').click()
  const queued = page.locator('[data-testid="message"][data-role="user"]', { hasText: 'queued while busy' })
  await expect(queued.getByTestId('queued-marker')).toBeVisible()
  await expect(queued.getByTestId('queued-marker')).toHaveAttribute('title', /cannot be edited or cancelled/)
  // The running reply still shows as streaming with a queued message after it.
  await expect(streaming.first()).toBeVisible()

  await stack.api.waitIdle(session.id, 90_000)
  await expect(queued.getByTestId('queued-marker')).toHaveCount(0)
  const truth = await stack.api.messages(session.id)
  const sent = truth.find((m) => m.info.role === 'user' && m.parts.some((p) => p.type === 'text' && p.text.startsWith('queued while busy')))
  expect(truth.some((m) => m.info.role === 'assistant' && m.info.parentID === sent?.info.id)).toBe(true)
})
