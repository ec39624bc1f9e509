/**
 * Regression (found by the fault suite, e2e/faults, seed 8 cycle 6: the browser went offline
 * while a tab reloaded): the reloaded tab's REST bootstrap failed (session list, the session's
 * messages) while the relay — in the SharedWorker, whose own connection stayed up — remained
 * `connected`. The tab retries failed loads only when the relay's state changes to `connected`,
 * which never happened, so it kept showing "Could not load messages" until the user reloaded.
 *
 * Expected: once the network is back, the tab loads what failed by itself.
 */
import { test, expect, openSession } from './support/fixtures.ts'
import { streamedText } from '../test/support/scripted-model.ts'
import { readTab } from './faults/truth.ts'

test('a tab whose REST loads failed while offline loads them once back online, though the relay never disconnected', async ({ stack, page, context }) => {
  test.setTimeout(90_000)
  const session = await stack.api.createSession('offline reload')
  await stack.api.prompt(session.id, 'stream 9')
  await openSession(page, stack, session.id)
  await expect(page.getByTestId('part').filter({ hasText: 'END' })).toHaveText(streamedText(9))

  // The app shell is cached by the service worker once it controls the page.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready
  })
  await page.reload()
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  await expect(page.getByTestId('part').filter({ hasText: 'END' })).toHaveText(streamedText(9))

  // The page (not the SharedWorker) loses the network and reloads: the app shell comes from the
  // service worker's cache, every REST read fails.
  await context.setOffline(true)
  await page.reload()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  await expect(page.getByText(/Could not load messages/)).toBeVisible({ timeout: 20_000 })

  await context.setOffline(false)
  // Loaded again over REST: the error is gone, the session list and the transcript are back.
  await expect(page.getByText(/Could not load messages/)).toHaveCount(0, { timeout: 20_000 })
  await expect
    .poll(async () => {
      const view = await readTab(page, stack.directory)
      return { listed: view.sessionIds.includes(session.id), load: view.sessions[session.id]?.load }
    })
    .toEqual({ listed: true, load: 'ready' })
  await expect(page.getByTestId('part').filter({ hasText: 'END' })).toHaveText(streamedText(9))
})
