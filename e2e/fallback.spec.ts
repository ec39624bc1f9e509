/**
 * The fallback where SharedWorker is missing (forced with `?relay=leader`): one tab elected
 * leader through Web Locks runs the relay and fans out over BroadcastChannel; when it closes,
 * another tab takes over within 2 s and nothing is lost, also for a tab that hears of the new
 * leader before it holds its own Web Lock.
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

test('leader-tab fallback: a tab that hears of a new leader before it holds its own Web Lock is not dropped by that leader', async ({ stack, context }) => {
  // The new leader's relay watches each tab through the tab's Web Lock. A tab that said `hello`
  // before taking its lock would be seen as closed (the leader gets the lock first) and dropped,
  // and the tab would stay deaf: "connecting" forever, no live event. Here the new tab takes its
  // lock 1.5 s late (as on a loaded machine) and the leader closes meanwhile.
  test.setTimeout(90_000)
  const session = await stack.api.createSession('leader hello')
  const url = `${sessionUrl(stack, session.id)}&relay=leader`
  const first = await context.newPage()
  await first.goto(url)
  await expect(first.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  const second = await context.newPage()
  await second.goto(url)
  await expect(second.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')

  // The late tab: its own tab lock (opencode-relay-tab-<id>) is requested 1.5 s late.
  const late = await context.newPage()
  await late.addInitScript(() => {
    const original = LockManager.prototype.request
    const delayed = function (this: LockManager, ...args: Parameters<LockManager['request']>) {
      const name = args[0]
      if (typeof name === 'string' && name.startsWith('opencode-relay-tab-')) {
        return new Promise((r) => setTimeout(r, 1500)).then(() => Reflect.apply(original, this, args))
      }
      return Reflect.apply(original, this, args)
    }
    Object.defineProperty(LockManager.prototype, 'request', { value: delayed, configurable: true, writable: true })
  })
  await late.goto(url)
  // While the late tab waits for its lock, the leader closes: the second tab takes over and announces it.
  await first.close()

  await expect(late.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected', { timeout: 20_000 })
  await stack.api.prompt(session.id, 'stream 12')
  await expect(late.getByTestId('part').filter({ hasText: 'END' })).toHaveText(streamedText(12), { timeout: 20_000 })
  await expect(second.getByTestId('part').filter({ hasText: 'END' })).toHaveText(streamedText(12), { timeout: 20_000 })
})
