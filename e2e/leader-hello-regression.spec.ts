/**
 * Regression (found by the fault suite, e2e/faults, seed 3 cycle 16: both tabs of the leader-tab
 * fallback reloaded one after the other): a tab that heard `leader-changed` before its own Web
 * Lock was granted said `hello` at once. The new leader's relay then asked for that lock to watch
 * the tab, got it first (the tab had not taken it yet), concluded the tab had closed and dropped
 * it. The tab's real `hello` came later and went to the dropped session: the tab stayed deaf —
 * "connecting" forever, no live event.
 *
 * Reproduced deterministically: in the new tab, taking its own lock is delayed by 1.5 s (as on a
 * loaded machine), and the leader closes meanwhile.
 */
import { test, expect, sessionUrl } from './support/fixtures.ts'
import { streamedText } from '../test/support/scripted-model.ts'

test('a tab that hears of a new leader before it holds its own Web Lock is not dropped by that leader', async ({ stack, context }) => {
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
