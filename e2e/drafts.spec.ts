/**
 * Issue 19, "the prompt box never silently loses typed text": what was typed and not sent is kept
 * per session (src/stores/persisted-drafts.ts) through a reload and the tab's close, and a sent
 * prompt leaves no draft behind. Real `opencode serve`.
 */
import { test, expect, openSession } from './support/fixtures.ts'
import { send } from './client-support.ts'

test('text typed and not sent is still in the prompt box after a reload and after the tab is closed', async ({ stack, page, context }) => {
  const a = await stack.api.createSession('draft a')
  const b = await stack.api.createSession('draft b')
  await openSession(page, stack, a.id)
  await page.getByTestId('prompt-input').fill('half a thought about session a')
  await openSession(page, stack, b.id)
  await page.getByTestId('prompt-input').fill('and one for b')
  // The write is debounced (300 ms).
  await page.waitForTimeout(600)

  await page.reload()
  await expect(page.getByTestId('prompt-input')).toHaveValue('and one for b')
  await page.close()

  const again = await context.newPage()
  await openSession(again, stack, a.id)
  await expect(again.getByTestId('prompt-input')).toHaveValue('half a thought about session a')

  // Sent: the draft goes, and stays gone after a reload.
  await send(again, 'half a thought about session a stream 2')
  await again.waitForTimeout(600)
  await again.reload()
  await expect(again.getByTestId('prompt-input')).toHaveValue('')
})
