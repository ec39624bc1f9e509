/**
 * Issue 16, Terminal: the session view's Terminal panel runs a shell through the server's PTY API
 * against the real `opencode serve`: the WebSocket (`GET /pty/{id}/connect`) carries a single-use
 * ticket from `POST /pty/{id}/connect-token` (what lets it pass Basic auth without a header), so
 * no secret lands in a URL. A command's output shows in xterm; after a reload the same PTY
 * reattaches (same id, the server still lists it, its output replayed); `exit 3` shows "exited
 * (code 3)" (the `pty.exited` event's code); a second terminal opens beside it; a tab is renamed
 * (`PUT /pty/{id}` title: the server keeps it) and Esc cancels a rename; the shell picker
 * (`GET /pty/shells`) starts a chosen shell (`POST /pty` `command`) and remembers it over a reload;
 * the panel works at 390×844. Writes the README's screenshot, e2e/terminal-screenshot.png.
 *
 * The shared fixture's fault proxy carries no WebSocket upgrades, so a TCP splitter in front of it
 * sends the WebSocket connections straight to the server (the app's CSP allows `ws: wss:`).
 */
import { test as base, expect, type Page } from '@playwright/test'
import { startScriptedModel, type ScriptedModel } from '../test/support/scripted-model.ts'
import { startOpencode, type OpencodeServer } from '../test/support/opencode-server.ts'
import { ServerApi } from '../test/support/server-api.ts'
import { createServer, connect, type Server } from 'node:net'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { startStaticServer, type StaticServer } from '../src/cli/static-server.ts'
import { startFaultProxy, type FaultProxy } from '../test/support/fault-proxy.ts'
import { appDist } from './support/fixtures.ts'

/**
 * The app's server address: a TCP splitter whose WebSocket connections (first bytes carry
 * `Upgrade: websocket`) go straight to `opencode serve` and every other connection to the shared
 * fault proxy (which serves REST and SSE as in the other specs, but carries no upgrades).
 */
async function startSplitter(httpPort: number, wsPort: number): Promise<{ url: string; cutWebSockets(): number; close(): Promise<void> }> {
  const webSockets = new Set<() => void>()
  const server: Server = createServer((client) => {
    client.once('data', (first) => {
      const isWebSocket = /^upgrade:\s*websocket/im.test(first.toString('latin1'))
      const upstream = connect(isWebSocket ? wsPort : httpPort, '127.0.0.1')
      if (isWebSocket) {
        const cut = () => (client.destroy(), upstream.destroy())
        webSockets.add(cut)
        client.on('close', () => webSockets.delete(cut))
      }
      upstream.write(first)
      client.pipe(upstream).pipe(client)
      const end = () => (client.destroy(), upstream.destroy())
      client.on('error', end)
      upstream.on('error', end)
      client.on('close', end)
      upstream.on('close', end)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    /** Destroys every open WebSocket connection, as a sleep or a network change does; returns how many. */
    cutWebSockets: () => {
      const n = webSockets.size
      for (const cut of [...webSockets]) cut()
      return n
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/**
 * The server runs with `OPENCODE_SERVER_PASSWORD`: REST and the relay's stream send Basic auth,
 * the terminal's WebSocket a single-use ticket (no password in any URL).
 */
const PASSWORD: string | undefined = 'terminal-secret'

interface TermStack {
  splitter: { cutWebSockets(): number }
  model: ScriptedModel
  opencode: OpencodeServer
  app: StaticServer
  proxy: FaultProxy
  api: ServerApi
  directory: string
}

const test = base.extend<{ stack: TermStack }>({
  stack: async ({}, use) => {
    const model = await startScriptedModel()
    const opencode = await startOpencode({ modelBaseURL: model.baseURL, ...(PASSWORD ? { password: PASSWORD } : {}) })
    const proxy = await startFaultProxy(opencode.url)
    const splitter = await startSplitter(proxy.port, opencode.port)
    const app = await startStaticServer({
      root: appDist(),
      port: 0,
      config: () => ({ server: { url: splitter.url, ...(PASSWORD ? { password: PASSWORD } : {}) }, source: 'e2e' }),
      connectSources: () => [splitter.url],
    })
    const api = new ServerApi(opencode.url, opencode.directory, PASSWORD)
    await use({ splitter, model, opencode, app, proxy, api, directory: opencode.directory })
    await app.close()
    await splitter.close()
    await proxy.close()
    await opencode.dispose()
    await model.close()
  },
})

interface PtyInfo {
  id: string
  status: string
  title: string
  command: string
}

/** A string field of a JSON value, '' when missing. */
function str(x: unknown, key: string): string {
  if (typeof x !== 'object' || x === null || !(key in x)) return ''
  const value: unknown = Reflect.get(x, key)
  return typeof value === 'string' ? value : ''
}

async function listPtys(stack: TermStack): Promise<PtyInfo[]> {
  const headers: Record<string, string> = PASSWORD ? { authorization: `Basic ${Buffer.from(`opencode:${PASSWORD}`).toString('base64')}` } : {}
  const res = await fetch(`${stack.opencode.url}/pty?directory=${encodeURIComponent(stack.directory)}`, { headers })
  expect(res.ok).toBe(true)
  const json: unknown = await res.json()
  if (!Array.isArray(json)) throw new Error('GET /pty: not an array')
  return json.flatMap((x: unknown) => (str(x, 'id') ? [{ id: str(x, 'id'), status: str(x, 'status'), title: str(x, 'title'), command: str(x, 'command') }] : []))
}

async function openSession(page: Page, stack: TermStack, sessionID: string): Promise<void> {
  await page.goto(`${stack.app.url}/session/${sessionID}?directory=${encodeURIComponent(stack.directory)}`)
  // A first SSE attempt through the splitter may time out (10 s head timeout); the relay retries.
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected', { timeout: 45_000 })
}

/** The visible terminal's screen text (xterm's DOM renderer rows). */
function screen(page: Page) {
  return page.locator('[data-testid="terminal-view"]:visible .xterm-rows')
}

/** Types into the shown terminal (xterm's hidden textarea has focus after a click). */
async function type(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid="terminal-view"]:visible').click()
  await page.keyboard.type(text)
  await page.keyboard.press('Enter')
}

test('Terminal runs a shell over the PTY API with a connect ticket, reattaches after a reload, shows exit, opens a second one', async ({ stack, page }) => {
  const wsUrls: string[] = []
  page.on('websocket', (ws) => wsUrls.push(ws.url()))
  const session = await stack.api.createSession('terminal')
  await openSession(page, stack, session.id)

  // Reachable by keyboard: Ctrl+` opens the Terminal tab.
  await page.keyboard.press('Control+`')
  await expect(page.getByTestId('tab-terminal')).toHaveAttribute('aria-selected', 'true')
  await expect(page.getByTestId('terminal-panel')).toBeVisible()

  await page.getByTestId('terminal-new').click()
  const tab = page.getByTestId('terminal-tab')
  await expect(tab).toHaveCount(1)
  await expect(tab).toHaveAttribute('data-state', 'open')
  const ptyID = await tab.getAttribute('data-pty-id')
  expect(ptyID).toMatch(/^pty_/)
  // The tab names the shell the server started (its default: no shell chosen).
  const started = (await listPtys(stack)).find((p) => p.id === ptyID)
  expect(started?.command).toMatch(/^\//)
  await expect(tab.getByTestId('terminal-shell')).toHaveText(started?.command.split('/').pop() ?? '')

  await type(page, 'echo relay-$((6*7))')
  await expect(screen(page)).toContainText('relay-42')

  // No password in any WebSocket URL: a single-use ticket instead.
  expect(wsUrls.some((u) => u.includes(`/pty/${ptyID}/connect`) && u.includes('ticket='))).toBe(true)
  if (PASSWORD) for (const u of wsUrls) expect(u).not.toContain(PASSWORD)

  // Switching to Chat and back keeps the same terminal and its screen.
  await page.getByTestId('tab-chat').click()
  await page.getByTestId('tab-terminal').click()
  await expect(screen(page)).toContainText('relay-42')

  // Reload: the panel reattaches to the same PTY, which the server still lists, and replays its output.
  await page.reload()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  await page.getByTestId('tab-terminal').click()
  await expect(page.getByTestId('terminal-tab')).toHaveCount(1)
  await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-pty-id', ptyID ?? '')
  await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'open')
  expect((await listPtys(stack)).map((p) => p.id)).toContain(ptyID)
  await expect(screen(page)).toContainText('relay-42')
  await type(page, 'echo again-$((40+2))')
  await expect(screen(page)).toContainText('again-42')

  // A second terminal beside the first.
  await page.getByTestId('terminal-new').click()
  await expect(page.getByTestId('terminal-tab')).toHaveCount(2)
  const second = page.getByTestId('terminal-tab').nth(1)
  await expect(second).toHaveAttribute('aria-selected', 'true')
  await expect(second).toHaveAttribute('data-state', 'open')
  await type(page, 'echo second-$((1+1))')
  await expect(screen(page)).toContainText('second-2')
  await expect.poll(async () => (await listPtys(stack)).length).toBe(2)

  // Rename the first by double-click: Enter saves, on the server too (PUT /pty/{id} title).
  const firstTab = page.getByTestId('terminal-tab').first()
  await firstTab.dblclick()
  const rename = page.getByTestId('terminal-rename-input')
  await expect(rename).toBeFocused()
  await rename.fill('build logs')
  await rename.press('Enter')
  await expect(firstTab.getByTestId('terminal-title')).toHaveText('build logs')
  await expect(firstTab).toBeFocused()
  await expect.poll(async () => (await listPtys(stack)).find((p) => p.id === ptyID)?.title).toBe('build logs')
  // Esc cancels; the Rename button (keyboard: F2 on the tab) opens the same field.
  await page.getByTestId('terminal-rename').click()
  await rename.fill('nope')
  await rename.press('Escape')
  await expect(rename).toHaveCount(0)
  await expect(firstTab.getByTestId('terminal-title')).toHaveText('build logs')
  await firstTab.press('F2')
  await expect(rename).toBeFocused()
  await rename.press('Escape')
  // The server's title survives a reload.
  await page.reload()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  await page.getByTestId('tab-terminal').click()
  await expect(page.getByTestId('terminal-tab').first().getByTestId('terminal-title')).toHaveText('build logs')

  // `exit 3` in the first: its state says so, with the code (the `pty.exited` event); the server drops the PTY.
  await page.getByTestId('terminal-tab').first().click()
  // Keys typed before the socket is open are not sent (a terminal does not queue input).
  await expect(page.getByTestId('terminal-tab').first()).toHaveAttribute('data-state', 'open', { timeout: 30_000 })
  await type(page, 'exit 3')
  await expect(page.getByTestId('terminal-status')).toContainText('exited (code 3)')
  await expect.poll(async () => (await listPtys(stack)).map((p) => p.id)).not.toContain(ptyID)

  // Close the exited tab; the second one remains and still works.
  await page.getByTestId('terminal-close').first().click()
  await expect(page.getByTestId('terminal-tab')).toHaveCount(1)
  await expect(page.getByTestId('terminal-tab')).toHaveAttribute('aria-selected', 'true')
  await type(page, 'echo still-$((2*2))')
  await expect(screen(page)).toContainText('still-4')
})

test('Terminal is usable at 390×844', async ({ stack, page }) => {
  await page.setViewportSize({ width: 390, height: 844 })
  const session = await stack.api.createSession('terminal-phone')
  await openSession(page, stack, session.id)
  await page.getByTestId('tab-terminal').click()
  await page.getByTestId('terminal-new').click()
  await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'open')
  const view = page.locator('[data-testid="terminal-view"]:visible')
  const box = await view.boundingBox()
  expect(box).not.toBeNull()
  if (box) {
    expect(box.x).toBeGreaterThanOrEqual(0)
    expect(box.x + box.width).toBeLessThanOrEqual(391)
    expect(box.height).toBeGreaterThan(300)
  }
  await expect(page.getByTestId('terminal-new')).toBeInViewport()
  await expect(page.getByTestId('terminal-close')).toBeInViewport()
  await type(page, 'echo phone-$((6*7))')
  await expect(screen(page)).toContainText('phone-42')
  // The fit addon sized the PTY to the narrow screen (fewer than 60 columns).
  await type(page, 'echo cols=$(stty size | cut -d" " -f2)')
  await expect
    .poll(async () => {
      const m = /cols=(\d+)/.exec((await screen(page).textContent()) ?? '')
      return m ? Number(m[1]) : Number.POSITIVE_INFINITY
    })
    .toBeLessThan(60)
  await page.screenshot({ path: '/tmp/pw-term/terminal-390.png' })
})

test('Terminal: the shell picker starts the chosen shell and remembers it', async ({ stack, page }) => {
  const session = await stack.api.createSession('terminal-shells')
  await openSession(page, stack, session.id)
  await page.getByTestId('tab-terminal').click()
  const picker = page.getByRole('combobox', { name: 'Shell' })
  await expect(picker).toBeVisible()
  await expect(picker).toHaveValue('')
  const shells = await picker.locator('option').evaluateAll((options) => options.map((o) => (o instanceof HTMLOptionElement ? o.value : '')))
  expect(shells).toContain('/bin/sh')

  // By keyboard: focus the picker, choose sh, then "New terminal".
  await picker.focus()
  await picker.selectOption('/bin/sh')
  await page.getByTestId('terminal-new').click()
  const tab = page.getByTestId('terminal-tab')
  await expect(tab).toHaveAttribute('data-state', 'open')
  await expect(tab.getByTestId('terminal-shell')).toHaveText('sh')
  const ptyID = await tab.getAttribute('data-pty-id')
  await expect.poll(async () => (await listPtys(stack)).find((p) => p.id === ptyID)?.command).toBe('/bin/sh')
  await type(page, 'echo "shell=$0"')
  await expect(screen(page)).toContainText('shell=')

  // Remembered per browser: after a reload the picker still says sh.
  await page.reload()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  await page.getByTestId('tab-terminal').click()
  await expect(page.getByRole('combobox', { name: 'Shell' })).toHaveValue('/bin/sh')
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('opencode-relay:terminal-shell:')).length)).toBe(1)

  // Back to the default: a new terminal without `command`, the server's default shell.
  await page.getByRole('combobox', { name: 'Shell' }).selectOption('')
  await page.getByTestId('terminal-new').click()
  await expect(page.getByTestId('terminal-tab')).toHaveCount(2)
  const second = await page.getByTestId('terminal-tab').nth(1).getAttribute('data-pty-id')
  await expect.poll(async () => (await listPtys(stack)).find((p) => p.id === second)?.command).not.toBe('/bin/sh')
})

test('Terminal hides the shell picker when the server cannot list shells', async ({ stack, page }) => {
  await page.route('**/pty/shells*', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"name":"Error","data":{"message":"no"}}' }))
  const session = await stack.api.createSession('terminal-no-shells')
  await openSession(page, stack, session.id)
  await page.getByTestId('tab-terminal').click()
  await page.getByTestId('terminal-new').click()
  await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'open')
  await expect(page.getByTestId('terminal-shell-select')).toHaveCount(0)
  await expect(page.locator('[data-testid="toast"][data-kind="error"]')).toHaveCount(0)
})

test('Terminal screenshot for the README (desktop)', async ({ stack, page }) => {
  await page.setViewportSize({ width: 1280, height: 720 })
  mkdirSync(join(stack.directory, 'src'), { recursive: true })
  writeFileSync(join(stack.directory, 'README.md'), '# demo\n')
  writeFileSync(join(stack.directory, 'package.json'), '{}\n')
  writeFileSync(join(stack.directory, 'src', 'app.ts'), 'export {}\n')
  const session = await stack.api.createSession('terminal-screenshot')
  await openSession(page, stack, session.id)
  await page.getByTestId('tab-terminal').click()
  await page.getByTestId('terminal-new').click()
  await expect(page.getByTestId('terminal-tab')).toHaveAttribute('data-state', 'open')
  await type(page, 'echo hello from relay && ls')
  await expect(screen(page)).toContainText('hello from relay')
  await expect(screen(page)).toContainText('package.json')
  await page.getByTestId('terminal-new').click()
  await expect(page.getByTestId('terminal-tab')).toHaveCount(2)
  await expect(page.getByTestId('terminal-tab').nth(1)).toHaveAttribute('data-state', 'open')
  await page.getByTestId('terminal-tab').first().click()
  await expect(screen(page)).toContainText('hello from relay')
  await page.screenshot({ path: 'e2e/terminal-screenshot.png' })
})

test('Terminal on a server without PTY support says so, offers no new terminal, and leaves the chat alone', async ({ stack, page }) => {
  // A server (or a proxy in front of it) without the PTY API: `GET /pty` is 404.
  await page.route(/\/pty\?/, (route) =>
    route.request().method() === 'GET' ? route.fulfill({ status: 404, contentType: 'text/plain', body: 'Not Found' }) : route.continue(),
  )
  const session = await stack.api.createSession('terminal-unsupported')
  await stack.api.prompt(session.id, 'stream 3')
  await openSession(page, stack, session.id)
  await page.getByTestId('tab-terminal').click()
  await expect(page.getByTestId('terminal-unsupported')).toContainText('This server offers no terminals')
  await expect(page.getByTestId('terminal-new')).toHaveCount(0)
  await page.getByTestId('tab-chat').click()
  await expect(page.getByText('alpha0 bravo1 charlie2 END')).toBeVisible()
})

test('Terminal reattaches after its connection drops (a sleep, a network change) and shows what the shell printed meanwhile', async ({ stack, page }) => {
  const session = await stack.api.createSession('terminal-cut')
  await openSession(page, stack, session.id)
  await page.getByTestId('tab-terminal').click()
  await page.getByTestId('terminal-new').click()
  const tab = page.getByTestId('terminal-tab')
  await expect(tab).toHaveAttribute('data-state', 'open')
  const ptyID = await tab.getAttribute('data-pty-id')
  await type(page, 'echo before-$((1+1))')
  await expect(screen(page)).toContainText('before-2')
  // Output the shell prints while the connection is down: the server keeps it for the cursor.
  await type(page, 'sleep 1; echo during-$((2+3))')
  // Cut once the shell has the whole line (keys typed into a cut socket are lost, as over a real drop).
  await expect(screen(page)).toContainText('echo during-$((2+3))')
  expect(stack.splitter.cutWebSockets()).toBeGreaterThan(0)
  await expect(screen(page)).toContainText('during-5', { timeout: 20_000 })
  await expect(tab).toHaveAttribute('data-state', 'open')
  await expect(tab).toHaveAttribute('data-pty-id', ptyID ?? '')
  await type(page, 'echo after-$((3*3))')
  await expect(screen(page)).toContainText('after-9')
  await expect(screen(page)).toContainText('before-2')
})
