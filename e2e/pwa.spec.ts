/**
 * Issue 4, the PWA: installable in Chromium (valid manifest, a service worker controlling the page,
 * CDP `Page.getInstallabilityErrors` empty), runs under the launcher's Content-Security-Policy with
 * no violation, caches nothing but the app shell, opens offline with cached projects, sessions and
 * history and an offline banner, goes live again by itself, loads again what failed while the
 * page was offline though the relay stayed connected, and updates through "New version
 * available — Reload".
 */
import { chromium, type Page } from '@playwright/test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, expect, appDist, openSession, type Stack } from './support/fixtures.ts'
import { chromiumPath, CHROMIUM_ARGS } from './support/browser.ts'
import { startStaticServer } from '../src/cli/static-server.ts'
import { ensureBuilt } from '../src/cli/build.ts'
import { REPO_ROOT } from '../test/support/opencode-server.ts'
import { streamedText } from '../test/support/scripted-model.ts'
import { readTab } from './faults/truth.ts'

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}

interface ManifestIcon {
  src: string
  sizes: string
  purpose?: string
}

/** The `icons` of a manifest document, narrowed (malformed entries are dropped and fail the size check). */
function manifestIcons(manifest: unknown): ManifestIcon[] {
  if (typeof manifest !== 'object' || manifest === null || !('icons' in manifest) || !Array.isArray(manifest.icons)) return []
  const out: ManifestIcon[] = []
  const list: unknown[] = manifest.icons
  for (const icon of list) {
    if (typeof icon !== 'object' || icon === null || !('src' in icon) || !('sizes' in icon)) continue
    if (typeof icon.src !== 'string' || typeof icon.sizes !== 'string') continue
    out.push({ src: icon.src, sizes: icon.sizes, purpose: 'purpose' in icon && typeof icon.purpose === 'string' ? icon.purpose : undefined })
  }
  return out
}

/** Collects CSP violations (the DOM event) and CSP console errors of a page from its first script on. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const consoleErrors: string[] = []
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) consoleErrors.push(msg.text())
  })
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] }
    w.__csp = []
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
  return async () => [...consoleErrors, ...(await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []))]
}

/** Waits until a service worker controls the page. */
async function expectControlled(page: Page): Promise<void> {
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? 'none'), { timeout: 30_000 }).toBe('activated')
}

/** Number of records in an IndexedDB object store of the page's origin (0 when absent). */
function idbCount(page: Page, db: string, store: string): Promise<number> {
  return page.evaluate(
    ([dbName, storeName]) =>
      new Promise<number>((resolve) => {
        const req = indexedDB.open(dbName)
        req.onerror = () => resolve(0)
        req.onsuccess = () => {
          const conn = req.result
          if (!conn.objectStoreNames.contains(storeName)) {
            conn.close()
            return resolve(0)
          }
          const count = conn.transaction(storeName).objectStore(storeName).count()
          count.onsuccess = () => {
            conn.close()
            resolve(count.result)
          }
          count.onerror = () => resolve(0)
        }
      }),
    [db, store] as const,
  )
}

/**
 * Sends a prompt in the open session and waits for the one part containing `expected`
 * (case-sensitive: Playwright's string `hasText` ignores case, and "XSS corpus end" would match "END").
 */
async function sendAndSeeReply(page: Page, text: string, expected: string): Promise<void> {
  await page.getByTestId('prompt-input').fill(text)
  await page.getByTestId('send-button').click()
  await expect(page.getByTestId('part').filter({ hasText: caseSensitive(expected) })).toHaveCount(1, { timeout: 30_000 })
}

/** `text` as a case-sensitive `hasText` matcher. */
function caseSensitive(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
}

test('installable: valid manifest, the service worker controls the page, no installability errors, no CSP violation', async ({ stack }) => {
  // Chromium never offers installation in an off-the-record profile (Playwright's default
  // contexts report `in-incognito`): use a real, persistent profile.
  const profile = mkdtempSync(join(tmpdir(), 'relay-profile-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true })
  try {
    const page = context.pages()[0] ?? (await context.newPage())
    await installableChecks(stack, page)
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
})

async function installableChecks(stack: Stack, page: Page): Promise<void> {
  const violations = await watchCsp(page)
  const res = await page.goto(stack.app.url)
  const csp = res?.headers()['content-security-policy'] ?? ''
  expect(csp).toContain("script-src 'self'")
  expect(csp).toContain("frame-ancestors 'none'")
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')

  // The manifest: linked, served, complete.
  const href = await page.locator('link[rel="manifest"]').getAttribute('href')
  expect(href).toBeTruthy()
  const manifestRes = await page.request.get(new URL(href ?? '', stack.app.url).href)
  expect(manifestRes.ok()).toBe(true)
  expect(manifestRes.headers()['content-type']).toContain('application/manifest+json')
  const manifest: unknown = await manifestRes.json()
  expect(manifest).toMatchObject({
    name: 'OpenCode Relay',
    short_name: expect.any(String),
    description: expect.any(String),
    display: 'standalone',
    start_url: '/',
    scope: '/',
    theme_color: expect.stringMatching(/^#[0-9a-f]{6}$/i),
    background_color: expect.stringMatching(/^#[0-9a-f]{6}$/i),
  })
  const icons = manifestIcons(manifest)
  const seen: string[] = []
  for (const icon of icons) {
    const png = await page.request.get(new URL(icon.src, stack.app.url).href)
    expect(png.ok(), icon.src).toBe(true)
    const { width, height } = pngSize(await png.body())
    expect(`${width}x${height}`, icon.src).toBe(icon.sizes)
    seen.push(`${icon.sizes}${icon.purpose === 'maskable' ? ' maskable' : ''}`)
  }
  expect(seen).toEqual(expect.arrayContaining(['192x192', '512x512', '512x512 maskable']))

  // The service worker: controls the page (at once, and after a reload).
  await expectControlled(page)
  await page.reload()
  await expectControlled(page)

  // Chromium's own verdict.
  const cdp = await page.context().newCDPSession(page)
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors')
  expect(installabilityErrors).toEqual([])
  const { errors } = await cdp.send('Page.getAppManifest')
  expect(errors).toEqual([])

  // Everything the app does (markdown, highlighted code, the relay's SharedWorker, IndexedDB) runs
  // under the CSP; hostile markup is inert.
  await page.getByTestId('new-session').click()
  await sendAndSeeReply(page, 'xss corpus', 'XSS corpus end')
  await sendAndSeeReply(page, 'stream 20', 'END')
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined()
  expect(await violations()).toEqual([])

  // The service worker caches the app shell only: no API response, no event stream.
  const cached = await page.evaluate(async () => {
    const urls: string[] = []
    for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) urls.push(req.url)
    return urls
  })
  expect(cached.length).toBeGreaterThan(0)
  for (const url of cached) {
    const u = new URL(url)
    expect(u.origin, url).toBe(new URL(stack.app.url).origin)
    expect(u.pathname, url).toMatch(/^\/(index\.html|manifest\.webmanifest|assets\/.+\.(js|css)|icons\/.+\.png)$/)
  }
}

test('offline: the installed app opens with cached projects, sessions and history, says so, and goes live by itself', async ({ stack, page }) => {
  test.setTimeout(180_000)
  const older = await stack.api.createSession('Older session')
  await stack.api.prompt(older.id, 'stream 6')
  const current = await stack.api.createSession('Current session')
  await stack.api.prompt(current.id, 'stream 9')

  // Visit both sessions while online (their snapshots and the lists get cached), end on `current`.
  await openSession(page, stack, older.id)
  await expect(page.getByTestId('part').filter({ hasText: /END/ })).toHaveCount(1)
  await expect.poll(() => idbCount(page, 'opencode-relay-ui', 'snapshots'), { timeout: 15_000 }).toBe(1)
  await openSession(page, stack, current.id)
  await expect(page.getByTestId('part').filter({ hasText: /END/ })).toContainText('alpha0')
  await expectControlled(page)
  await expect.poll(() => idbCount(page, 'opencode-relay-ui', 'snapshots'), { timeout: 15_000 }).toBe(2)
  await expect.poll(() => idbCount(page, 'opencode-relay-offline', 'sessionLists'), { timeout: 15_000 }).toBe(1)
  await expect.poll(() => idbCount(page, 'opencode-relay-offline', 'projects'), { timeout: 15_000 }).toBe(1)

  // The server goes away, and so does the app's web server: only the service worker is left.
  await stack.opencode.stop()
  await stack.app.close()
  await page.reload()
  await expect(page.getByTestId('offline-banner')).toBeVisible({ timeout: 30_000 })
  // Neither the server nor the app's own web server answers: the app says it runs from its copy.
  await expect(page.getByTestId('offline-banner')).toHaveAttribute('data-kind', 'unreachable')
  await expect(page.getByTestId('offline-banner')).toContainText('Server unreachable')
  await expect(page.getByTestId('connection-badge').first()).not.toHaveAttribute('data-state', 'connected')
  await expect(page.getByTestId('part').filter({ hasText: /END/ })).toContainText('alpha0')
  const list = page.getByTestId('session-list')
  await expect(list.locator(`[data-session-id="${current.id}"]`)).toBeVisible()
  await expect(list.locator(`[data-session-id="${older.id}"]`)).toBeVisible()
  await expect(page.getByTestId('project-picker')).toContainText(stack.directory.split('/').pop() ?? '')
  // Another cached session opens from its snapshot.
  await list.locator(`[data-session-id="${older.id}"]`).click()
  await expect(page).toHaveURL(new RegExp(older.id))
  await expect(page.getByTestId('part').filter({ hasText: /END/ })).toContainText('alpha0 bravo1')

  // The server returns on the same port: the same page goes live by itself, no reload.
  await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true))
  await stack.opencode.restart()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected', { timeout: 40_000 })
  await expect(page.getByTestId('offline-banner')).toBeHidden()
  expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true)
  await stack.api.promptAsync(older.id, 'stream 4 delay 5')
  await expect(page.getByTestId('part').filter({ hasText: /END/ })).toHaveCount(2, { timeout: 30_000 })
})

test('offline: a tab whose REST loads failed while offline loads them once back online, though the relay never disconnected', async ({ stack, page, context }) => {
  // The relay (in the SharedWorker) keeps its own connection while the page loses the network, so
  // it stays `connected`: the tab cannot wait for a change to `connected` to load again what failed.
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
  await expectControlled(page)
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

test('update: a new build shows "New version available — Reload"; clicking it activates the new version', async ({ stack, page }) => {
  test.setTimeout(400_000)
  const v1 = appDist()
  const v2 = `${v1}-v2`
  ensureBuilt(REPO_ROOT, console.log, v2, { RELAY_BUILD_ID: 'e2e-v2' })
  let root = v1
  const app = await startStaticServer({
    root: () => root,
    port: 0,
    config: () => ({ server: { url: stack.proxy.url }, source: 'e2e' }),
    connectSources: () => [stack.proxy.url],
  })
  try {
    await page.goto(app.url)
    await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
    await expectControlled(page)
    const before = await page.locator('html').getAttribute('data-build')
    expect(before).not.toBe('e2e-v2')
    await expect(page.getByTestId('update-banner')).toHaveCount(0)

    // Publish v2; the open page learns of it on its next update check.
    root = v2
    expect(readFileSync(`${v2}/index.html`, 'utf8')).not.toBe(readFileSync(`${v1}/index.html`, 'utf8'))
    await page.evaluate(async () => void (await (await navigator.serviceWorker.getRegistration())?.update()))
    const banner = page.getByTestId('update-banner')
    await expect(banner).toBeVisible({ timeout: 60_000 })
    await expect(banner).toHaveText(/New version available\s*—\s*Reload/)
    // Still v1 until the user says so.
    expect(await page.locator('html').getAttribute('data-build')).toBe(before)

    await page.getByTestId('update-reload').click()
    await expect(page.locator('html')).toHaveAttribute('data-build', 'e2e-v2', { timeout: 30_000 })
    await expect(page.getByTestId('update-banner')).toHaveCount(0)
    await expectControlled(page)
    await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  } finally {
    await app.close()
  }
})
