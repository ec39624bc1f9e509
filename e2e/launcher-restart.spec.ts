/**
 * The app always finds its server (issue 14), with the real launcher (`npm start`) and the real
 * `opencode serve`: a tab left open across three launcher restarts goes live again by itself
 * within 10 s of each — on the same port, after a reply completed on the server while the launcher
 * was down (shown exactly once), and on a new port when another program took the old one (the
 * tab follows it through `/relay-config.json`); and a page opened while the launcher starts says
 * "Starting OpenCode…", never "Connection lost", and goes live without a reload.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, expect, type Page } from '@playwright/test'
import { startScriptedModel, type ScriptedModel } from '../test/support/scripted-model.ts'
import { freePort, startOpencode, writeProject } from '../test/support/opencode-server.ts'
import { ServerApi } from '../test/support/server-api.ts'
import { appDist } from './support/fixtures.ts'
import { startLauncher, type RunningLauncher } from './support/launcher.ts'
import { norm, send, textPartsInPage } from './client-support.ts'

/** How fast a tab must be live again after the launcher is back (the promise), ms. */
const LIVE_AFTER_RESTART_MS = 10_000

interface World {
  root: string
  directory: string
  appPort: number
  model: ScriptedModel
  launcher?: RunningLauncher
}

async function world(): Promise<World> {
  const root = mkdtempSync(join(tmpdir(), 'relay-restart-'))
  const model = await startScriptedModel()
  return { root, model, directory: writeProject(root, model.baseURL), appPort: await freePort() }
}

async function dispose(w: World): Promise<void> {
  w.launcher?.kill()
  await w.model.close()
  rmSync(w.root, { recursive: true, force: true })
}

function launch(w: World): RunningLauncher {
  w.launcher = startLauncher({ root: w.root, directory: w.directory, appPort: w.appPort, dist: appDist() })
  return w.launcher
}

/** Non-empty, non-synthetic text parts on the server, by part id (whitespace-normalized). */
async function serverTextParts(api: ServerApi, sessionID: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const m of await api.messages(sessionID)) {
    for (const p of m.parts) if (p.type === 'text' && !p.synthetic && !p.ignored && p.text.trim()) out[p.id] = norm(p.text)
  }
  return out
}

function badge(page: Page) {
  return page.getByTestId('connection-badge').first()
}

/** Records, in the page, every text the connection banner and badge ever show (from page start). */
async function recordConnectionWords(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __words: string[] }
    w.__words = []
    const seen = new Set<string>()
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="offline-banner"], [data-testid="connection-badge"]')) {
        const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim()
        if (text && !seen.has(text)) {
          seen.add(text)
          w.__words.push(text)
        }
      }
    }).observe(document, { subtree: true, childList: true, characterData: true })
  })
}

test('a tab left open across three launcher restarts is live within 10 s of each, and misses nothing', async ({ page }) => {
  test.setTimeout(420_000)
  const w = await world()
  const blockers: Server[] = []
  try {
    let serverUrl = await launch(w).ready()
    let api = new ServerApi(serverUrl, w.directory)
    const session = await api.createSession('Across restarts')
    await page.goto(`http://localhost:${w.appPort}/session/${session.id}?directory=${encodeURIComponent(w.directory)}`)
    await expect(badge(page)).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
    await send(page, 'stream 4')
    await expect(page.getByTestId('part').filter({ hasText: /END/ })).toHaveCount(1, { timeout: 120_000 })

    for (const round of [1, 2, 3]) {
      await w.launcher?.stop()
      // The app's own origin is gone too: the tab says so, and keeps its transcript.
      await expect(page.getByTestId('offline-banner')).toHaveAttribute('data-kind', 'unreachable', { timeout: 15_000 })
      await expect(page.getByTestId('offline-banner')).toContainText('Server unreachable')
      if (round === 2) {
        // While the launcher is down the project's server runs once without it (another port the
        // tab never heard of), and a reply completes there.
        const direct = await startOpencode({ modelBaseURL: w.model.baseURL, root: w.root })
        await new ServerApi(direct.url, w.directory).prompt(session.id, 'stream 6')
        await direct.stop()
      }
      if (round === 3) {
        // Another program took the port: the launcher picks a new one, and the tab follows it.
        const port = Number(new URL(serverUrl).port)
        const blocker = createServer()
        await new Promise<void>((ok) => blocker.listen(port, '127.0.0.1', () => ok()))
        blockers.push(blocker)
      }
      const launcher = launch(w)
      const previous = serverUrl
      serverUrl = await launcher.ready()
      const readyAt = Date.now()
      if (round === 3) expect(serverUrl).not.toBe(previous)
      else expect(serverUrl).toBe(previous)
      await expect(badge(page)).toHaveAttribute('data-state', 'connected', { timeout: LIVE_AFTER_RESTART_MS })
      console.log(`restart ${round}: live ${Date.now() - readyAt} ms after the launcher was ready, ${Date.now() - launcher.startedAt} ms after it was started (${serverUrl})`)
      api = new ServerApi(serverUrl, w.directory)
      // Everything the server has, exactly once: the reply that completed while the launcher was down too.
      const truth = await serverTextParts(api, session.id)
      await expect.poll(() => textPartsInPage(page), { timeout: 20_000 }).toEqual(truth)
      await expect(page.locator('[data-testid="message"][data-role="assistant"]')).toHaveCount((await api.messages(session.id)).filter((m) => m.info.role === 'assistant').length)
      // And live: a new prompt streams its reply.
      await send(page, `stream ${round + 2}`)
      await expect(page.getByTestId('part').filter({ hasText: /END/ })).toHaveCount(round + 1 + (round >= 2 ? 1 : 0), { timeout: 60_000 })
    }
    await expect.poll(async () => serverTextParts(api, session.id), { timeout: 30_000 }).toEqual(await textPartsInPage(page))
  } finally {
    for (const b of blockers) b.close()
    await w.launcher?.stop().catch(() => undefined)
    await dispose(w)
  }
})

test('a page opened while the launcher starts says "Starting OpenCode…", never "Connection lost", and goes live by itself', async ({ page }) => {
  test.setTimeout(180_000)
  const w = await world()
  try {
    await recordConnectionWords(page)
    const launcher = launch(w)
    // Open the app the moment its web server answers, while opencode is still starting.
    const appUrl = `http://localhost:${w.appPort}/`
    let config: unknown
    for (;;) {
      config = await fetch(`${appUrl}relay-config.json`).then((r) => r.json()).catch(() => undefined)
      if (config) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(config).toMatchObject({ status: 'starting', server: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), identity: `launcher:${w.directory}` } })
    await page.goto(appUrl)
    await expect(badge(page)).toHaveAttribute('data-state', 'connected', { timeout: 60_000 })
    await launcher.ready()
    const words = await page.evaluate(() => (window as unknown as { __words: string[] }).__words)
    console.log(`connection words while starting: ${JSON.stringify(words)}`)
    expect(words.join(' | ')).not.toMatch(/Connection lost|Failed to fetch|Server unreachable/)
    // The app did not guess OpenCode's default port: it used the launcher's server.
    expect(await page.evaluate(() => document.querySelector('[data-testid="connection-badge"]')?.getAttribute('title') ?? '')).toContain((config as { server: { url: string } }).server.url)
    // Usable at once: a prompt gets its reply.
    await page.getByTestId('new-session').click()
    await send(page, 'stream 3')
    await expect(page.getByTestId('part').filter({ hasText: /END/ })).toHaveCount(1, { timeout: 120_000 })
  } finally {
    await w.launcher?.stop().catch(() => undefined)
    await dispose(w)
  }
})
