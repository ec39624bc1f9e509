/**
 * The fallback where SharedWorker is missing (forced with `?relay=leader`): one tab elected
 * leader through Web Locks runs the relay and fans out over BroadcastChannel; when it closes,
 * another tab takes over within 2 s and nothing is lost.
 */
import { test, expect, sessionUrl } from './support/fixtures.ts'
import { streamedText } from '../test/support/scripted-model.ts'

test('leader-tab fallback: one upstream stream for 3 tabs; the next tab takes over within 2 s when the leader closes', async ({ stack, context }) => {
  const session = await stack.api.createSession('fallback')
  const url = `${sessionUrl(stack, session.id)}&relay=leader`
  const pages = []
  for (let i = 0; i < 3; i++) {
    const page = await context.newPage()
    await page.goto(url)
    await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
    pages.push(page)
  }
  expect(stack.proxy.openEventStreams()).toBe(1)
  await stack.api.promptAsync(session.id, 'stream 10')
  for (const page of pages) await expect(page.getByTestId('part').filter({ hasText: 'END' })).toHaveText(streamedText(10))

  // The first tab won the leader lock; close it and time the takeover.
  expect(stack.proxy.eventStreamRequests()).toBe(1)
  await pages[0].close()
  const closedAt = Date.now()
  // A new leader opens the second-ever upstream stream…
  await expect.poll(() => stack.proxy.eventStreamRequests(), { timeout: 2_000, intervals: [50] }).toBe(2)
  expect(Date.now() - closedAt).toBeLessThan(2_000)
  // …and the old leader's stream is gone.
  await expect.poll(() => stack.proxy.openEventStreams(), { timeout: 2_000, intervals: [50] }).toBe(1)

  await stack.api.promptAsync(session.id, 'stream 25 delay 5')
  for (const page of pages.slice(1)) {
    await expect(page.getByTestId('part').filter({ hasText: 'END' })).toHaveText([streamedText(10), streamedText(25)])
  }
  expect(stack.proxy.openEventStreams()).toBe(1)
})
