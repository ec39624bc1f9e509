/**
 * Issue 17, session sort: the sidebar orders a project's sessions by latest activity (default),
 * newest first, or title, and remembers the choice across reloads. Real `opencode serve`.
 */
import { test, expect, openSession } from './support/fixtures.ts'

test('the sidebar sorts sessions by activity, creation or title, and remembers the choice', async ({ stack, page }) => {
  const first = await stack.api.createSession('Charlie')
  await stack.api.createSession('alpha')
  await stack.api.createSession('Bravo')
  // Activity: the oldest session gets a reply, so it is the latest active.
  await stack.api.prompt(first.id, 'stream 2')
  await openSession(page, stack, first.id)
  const titles = page.getByTestId('session-list').locator('[data-testid="session-item"] .session-title')
  await expect(titles).toHaveText(['Charlie', 'Bravo', 'alpha'])

  const sort = page.getByTestId('session-sort')
  await sort.selectOption('created')
  await expect(titles).toHaveText(['Bravo', 'alpha', 'Charlie'])
  await sort.selectOption('title')
  await expect(titles).toHaveText(['alpha', 'Bravo', 'Charlie'])

  await page.reload()
  await expect(page.getByTestId('session-sort')).toHaveValue('title')
  await expect(titles).toHaveText(['alpha', 'Bravo', 'Charlie'])
})
