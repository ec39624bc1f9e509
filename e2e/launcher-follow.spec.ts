/**
 * Tabs follow the launcher through its start-up and moves, each promise on its own: a page opened
 * while the launcher starts OpenCode never says "Connection lost" before it is live, and when one
 * tab learns the launcher's new address first, every other tab follows it too (the fault suite's
 * `page-opened-during-startup` fault exercises both at random).
 *
 * The launcher is emulated as in the fault suite (e2e/faults/world.ts, `restartLauncher`): the
 * app's static server with `/relay-config.json` (`status`, `server.url`, `identity`) and a long
 * poll, `opencode serve`, and fault proxies standing for the server's addresses.
 */
import { test, expect, type Page } from '@playwright/test'
import { startScriptedModel } from '../test/support/scripted-model.ts'
import { startOpencode } from '../test/support/opencode-server.ts'
import { startFaultProxy } from '../test/support/fault-proxy.ts'
import { ServerApi } from '../test/support/server-api.ts'
import { startStaticServer, type RelayConfigDocument } from '../src/cli/static-server.ts'
import { appDist } from './support/fixtures.ts'
import { readTab } from './faults/truth.ts'

/** An emulated launcher's `/relay-config.json`: change `doc`, then call `settle()` to answer the long polls. */
interface Launcher {
  doc: RelayConfigDocument
  settle(): void
  settled(): Promise<void>
}

function launcherConfig(doc: RelayConfigDocument): Launcher {
  let resolve: () => void = () => undefined
  let promise = new Promise<void>((ok) => (resolve = ok))
  return {
    doc,
    settle() {
      const done = resolve
      promise = new Promise<void>((ok) => (resolve = ok))
      done()
    },
    settled: () => promise,
  }
}

/** Records, from the page's start, each distinct text of the connection badge and banner with when it first showed. */
async function recordWords(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const words: Array<{ at: number; text: string }> = []
    Reflect.set(window, '__words', words)
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="offline-banner"], [data-testid="connection-badge"]')) {
        const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim()
        if (text && !words.some((w) => w.text === text)) words.push({ at: Date.now(), text })
      }
    }).observe(document, { subtree: true, childList: true, characterData: true })
  })
}

/** The recorded words as `<ms after t0> <text>`. */
async function wordsSince(page: Page, t0: number): Promise<string[]> {
  const raw: unknown = await page.evaluate(() => JSON.parse(JSON.stringify(Reflect.get(window, '__words') ?? [])))
  if (!Array.isArray(raw)) return []
  return raw.map((w: unknown) => (typeof w === 'object' && w !== null && 'at' in w && 'text' in w ? `${Number(w.at) - t0} ms ${String(w.text)}` : ''))
}

test('a page opened while the launcher starts OpenCode never says "Connection lost" before it is live', async ({ page }) => {
  // Seed 101 (`FAULT_ONLY=launcher-restart,page-opened-during-startup`), cycles 4, 6, 10: the page
  // said "Starting OpenCode…", then, between the launcher's `ready` and the stream being live
  // (~10-500 ms), "Connection lost. Reconnecting… (network error: Failed to fetch)" and
  // "Connection lost. Reconnecting… (reconnect requested: the launcher's server is up)". When the
  // long poll answered `ready`, sw/relay/launcher-watch.ts cleared the launcher status
  // (`report(undefined)`) before the relay reconnected (`onReady` → `nudge`), while the connection
  // still held the attempts that failed during the start (`attempt > 0`, `lastError`), and
  // `connectionNotice` (src/stores/connection.ts) showed "Connection lost" until the stream was open.
  test.setTimeout(120_000)
  const model = await startScriptedModel()
  const launcher = launcherConfig({ status: 'starting', source: 'e2e' })
  const app = await startStaticServer({ root: appDist(), port: 0, config: () => launcher.doc, configSettled: launcher.settled, connectSources: () => [] })
  const opencode = await startOpencode({ modelBaseURL: model.baseURL, cors: [app.url] })
  // The server's address: refused until the launcher says `ready`, so the page goes live only
  // after that (through the moment this test is about), never by a lucky retry of its own.
  const address = await startFaultProxy(opencode.url)
  const server = { url: address.url, identity: `launcher:${opencode.directory}` }
  launcher.doc = { status: 'starting', server, source: 'e2e' }
  try {
    // The launcher was restarted: its app answers, its server is not up yet.
    await opencode.stop()
    address.refuse()
    await recordWords(page)
    await page.goto(`${app.url}/`)
    await expect(page.getByTestId('offline-banner')).toHaveAttribute('data-kind', 'starting', { timeout: 20_000 })
    await opencode.restart()
    const readyAt = Date.now()
    address.resume()
    launcher.doc = { status: 'ready', server, source: 'e2e' }
    launcher.settle()
    await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected', { timeout: 20_000 })
    const said = await wordsSince(page, readyAt)
    console.log(`what the page said (ms after the launcher was ready): ${JSON.stringify(said)}`)
    expect(said.filter((w) => w.includes('Connection lost'))).toEqual([])
    // It did go live after the launcher's `ready` (the moment under test), saying it was starting until then.
    expect(said.find((w) => w.endsWith(' ms Connected'))).toMatch(/^\d+ ms Connected$/)
  } finally {
    await address.close()
    await opencode.dispose()
    await app.close()
    await model.close()
  }
})

test('when a newly opened tab moves the relay to the launcher’s new address, the other tabs follow too', async ({ page, context }) => {
  // Seed 3202203628, cycle 24 (page-opened-during-startup: tab 1 opened anew, new port): the new
  // page read `/relay-config.json` (the server's new address) before the SharedWorker relay had
  // followed it itself, and sent `configure` with it. RelayHub.configure (sw/relay/hub.ts) moved
  // the relay there (same identity: same log), but only `followLauncher` told the tabs
  // (`server-moved`): the two other tabs kept the old address for REST — their sessions "error
  // (Failed to fetch)" for good while their relay was connected (seed 2534284130, cycles 39-40
  // too) — and the new page said "Connection lost. Reconnecting in 1 s (network error: Failed to
  // fetch)" while the launcher was starting (the switch cleared the launcher status). Made
  // deterministic here: the old address
  // still answers while the config already names the new one, so only the new tab can tell the relay.
  test.setTimeout(120_000)
  const model = await startScriptedModel()
  const opencode = await startOpencode({ modelBaseURL: model.baseURL })
  const before = await startFaultProxy(opencode.url)
  const after = await startFaultProxy(opencode.url)
  const identity = `launcher:${opencode.directory}`
  const launcher = launcherConfig({ status: 'ready', server: { url: before.url, identity }, source: 'e2e' })
  const app = await startStaticServer({ root: appDist(), port: 0, config: () => launcher.doc, configSettled: launcher.settled, connectSources: () => [] })
  try {
    const session = await new ServerApi(opencode.url, opencode.directory).createSession('moved by a tab')
    const url = `${app.url}/session/${session.id}?directory=${encodeURIComponent(opencode.directory)}`
    await page.goto(url)
    await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
    // The launcher came back on a new address; the first tab's relay has not noticed yet.
    launcher.doc = { status: 'ready', server: { url: after.url, identity }, source: 'e2e' }
    const second = await context.newPage()
    await second.goto(url)
    // The app mounts after the page's load event (a cold page first waits, briefly, for its
    // first-paint preview: src/main.ts); the tab's state is readable once it has.
    await expect(second.getByTestId('connection-badge').first()).toBeVisible({ timeout: 30_000 })
    await expect.poll(async () => (await readTab(second, opencode.directory)).relay.server, { timeout: 30_000 }).toBe(after.url)
    // The relay is on the new address: the first tab's REST client must be too.
    await expect.poll(async () => (await readTab(page, opencode.directory)).serverUrl, { timeout: 15_000 }).toBe(after.url)
  } finally {
    await app.close()
    await before.close()
    await after.close()
    await opencode.dispose()
    await model.close()
  }
})
