/**
 * Issue 16, the workspace: the sidebar's service status shows the MCP and LSP servers the OpenCode
 * server runs for the project and whether they work. Real `opencode serve` whose project config
 * has a working stdio MCP server (test/support/mcp-stdio-server.ts), a local MCP server whose
 * command does not exist (the server reports `failed` with the spawn error), and a stdio LSP
 * server for `.txt` files (test/support/lsp-stdio-server.ts), which the server starts only when a
 * `.txt` file is first read — nothing is installed or downloaded (`OPENCODE_DISABLE_LSP_DOWNLOAD`).
 * `GET /mcp` and `GET /lsp` on the server are the truth.
 */
import type { Page } from '@playwright/test'
import { test as base, expect, stackOn, closeStack, type Stack } from './support/fixtures.ts'
import { startScriptedModel } from '../test/support/scripted-model.ts'
import { startOpencode } from '../test/support/opencode-server.ts'
import { mcpStdioServerCommand } from '../test/support/mcp-stdio-server.ts'
import { lspStdioServerCommand } from '../test/support/lsp-stdio-server.ts'
import { createOpencodeApi } from '../src/api/opencode.ts'

const MISSING_COMMAND = '/nonexistent/relay-mcp-server'

const test = base.extend<{ stack: Stack }>({
  stack: async ({}, use) => {
    const model = await startScriptedModel()
    const opencode = await startOpencode({
      modelBaseURL: model.baseURL,
      config: {
        mcp: {
          echo: { type: 'local', command: mcpStdioServerCommand() },
          broken: { type: 'local', command: [MISSING_COMMAND] },
        },
        lsp: { 'relay-text': { command: lspStdioServerCommand(), extensions: ['.txt'] } },
      },
    })
    const stack = await stackOn(model, opencode)
    await use(stack)
    await closeStack(stack)
  },
})

/** `GET /mcp` and `GET /lsp` on the server itself (not through the app or the proxy). */
function truth(stack: Stack) {
  const api = createOpencodeApi({ url: stack.opencode.url })
  return { mcp: () => api.mcpStatus(stack.directory), lsp: () => api.lspStatus(stack.directory) }
}

/** Makes the server read hello.txt for a prompt (a file part), which starts the `.txt` LSP server. */
async function touchTextFile(stack: Stack): Promise<void> {
  const session = await stack.api.createSession('touch a text file')
  const res = await fetch(`${stack.opencode.url}/session/${session.id}/message?directory=${encodeURIComponent(stack.directory)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      parts: [
        { type: 'text', text: 'look at this file' },
        { type: 'file', mime: 'text/plain', url: `file://${stack.directory}/hello.txt`, filename: 'hello.txt' },
      ],
    }),
  })
  if (!res.ok) throw new Error(`prompt: HTTP ${res.status}`)
}

async function openProject(page: Page, stack: Stack): Promise<void> {
  await page.goto(`${stack.app.url}/?directory=${encodeURIComponent(stack.directory)}`)
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
}

/** The button's label is not cut by an ellipsis (each part shows whole). */
async function expectWholeLabel(page: Page): Promise<void> {
  const cut = await page.getByTestId('service-status-label').evaluate((el) => [el, ...el.children].some((part) => part.scrollWidth > part.clientWidth))
  expect(cut).toBe(false)
}

function mcpRow(page: Page, name: string) {
  return page.locator(`[data-testid="mcp-server"][data-name="${name}"]`)
}

test('the sidebar shows MCP and LSP servers with their states, opens by keyboard, refreshes, and says why a refresh failed', async ({ stack, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 })
  await openProject(page, stack)
  const button = page.getByTestId('service-status')
  const popover = page.getByTestId('service-status-popover')

  // The server's truth before any file was touched: one MCP connected, one failed, no LSP.
  const server = truth(stack)
  const mcp = await server.mcp()
  expect(mcp.echo).toEqual({ status: 'connected' })
  expect(mcp.broken).toMatchObject({ status: 'failed', error: expect.stringContaining(MISSING_COMMAND) })
  expect(await server.lsp()).toEqual([])
  await expect(page.getByTestId('service-status-label')).toHaveText('MCP 1/2 · LSP 0')
  await expect(button).toHaveAttribute('data-health', 'failing')
  await expectWholeLabel(page)

  // Keyboard: Enter opens, the rows are the server's, Esc closes and focus is back on the button.
  await button.focus()
  await page.keyboard.press('Enter')
  await expect(button).toHaveAttribute('aria-expanded', 'true')
  await expect(popover).toBeVisible()
  await expect(page.getByTestId('mcp-server')).toHaveCount(2)
  await expect(mcpRow(page, 'echo')).toHaveAttribute('data-state', 'connected')
  await expect(mcpRow(page, 'echo').getByTestId('server-state')).toHaveText('Connected')
  await expect(mcpRow(page, 'broken')).toHaveAttribute('data-state', 'failed')
  await expect(mcpRow(page, 'broken').getByTestId('server-state')).toHaveText('Failed')
  await expect(mcpRow(page, 'broken').getByTestId('server-error')).toHaveText(mcp.broken.status === 'failed' ? mcp.broken.error : '')
  await expect(page.getByTestId('lsp-empty')).toContainText('No LSP servers running')
  await page.keyboard.press('Tab')
  await expect(page.getByTestId('service-status-refresh')).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(popover).toHaveCount(0)
  await expect(button).toHaveAttribute('aria-expanded', 'false')
  await expect(button).toBeFocused()

  // Reading a .txt file starts the LSP server; opening the popover again fetches it.
  await touchTextFile(stack)
  await expect.poll(async () => (await server.lsp()).map((l) => `${l.name}:${l.status}`)).toEqual(['relay-text:connected'])
  await button.click()
  const lspRow = page.locator('[data-testid="lsp-server"][data-name="relay-text"]')
  await expect(lspRow).toHaveAttribute('data-state', 'connected')
  await expect(lspRow.getByTestId('lsp-root')).toHaveText('project root')
  await expect(page.getByTestId('service-status-label')).toHaveText('MCP 1/2 · LSP 1/1')
  await expectWholeLabel(page)

  // The open popover, for the README.
  const box = await popover.boundingBox()
  if (!box) throw new Error('popover not laid out')
  await page.screenshot({
    path: 'e2e/service-status-screenshot.png',
    clip: { x: 0, y: Math.max(0, box.y - 16), width: Math.ceil(box.x + box.width + 16), height: 800 - Math.max(0, box.y - 16) },
  })

  // A 5xx keeps the last known rows and says what failed.
  const mcpEndpoint = (url: URL) => url.pathname === '/mcp'
  await page.route(
    mcpEndpoint,
    (route) => route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ name: 'UnknownError', data: { message: 'MCP registry unavailable' } }) }),
  )
  await page.getByTestId('service-status-refresh').click()
  const error = page.getByTestId('service-status-error')
  await expect(error).toContainText('MCP status: the server answered 500 (MCP registry unavailable)')
  await expect(error).toContainText('Showing the last known status.')
  await expect(page.getByTestId('mcp-server')).toHaveCount(2)
  await expect(page.getByTestId('lsp-server')).toHaveCount(1)
  await page.unroute(mcpEndpoint)

  // A dead server: unreachable, rows kept; once it answers again, Refresh clears the error.
  stack.proxy.refuse()
  await page.getByTestId('service-status-refresh').click()
  await expect(error).toContainText('MCP status: the server is unreachable')
  await expect(error).toContainText('LSP status: the server is unreachable')
  await expect(page.getByTestId('mcp-server')).toHaveCount(2)
  stack.proxy.resume()
  await page.getByTestId('service-status-refresh').click()
  await expect(error).toHaveCount(0)
  await expect(page.getByTestId('service-status-label')).toHaveText('MCP 1/2 · LSP 1/1')

  // A click outside closes it.
  await page.locator('main').click({ position: { x: 600, y: 300 } })
  await expect(popover).toHaveCount(0)
})

test('an MCP server is disconnected and connected again from its row, by keyboard; a refusal shows the server’s reason in the row', async ({ stack, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 })
  await openProject(page, stack)
  const server = truth(stack)
  await expect(page.getByTestId('service-status-label')).toHaveText('MCP 1/2 · LSP 0')
  await page.getByTestId('service-status').click()
  const echo = mcpRow(page, 'echo')
  await expect(echo).toHaveAttribute('data-state', 'connected')

  // Disconnect, held at the network so the busy button can be seen; the server agrees afterwards.
  let release: () => void = () => undefined
  const held = new Promise<void>((resolve) => (release = resolve))
  const disconnectEndpoint = (url: URL) => url.pathname === '/mcp/echo/disconnect'
  await page.route(disconnectEndpoint, async (route) => {
    await held
    await route.continue()
  })
  const disconnect = page.getByRole('button', { name: 'Disconnect echo' })
  await disconnect.focus()
  await page.keyboard.press('Enter')
  const action = echo.getByTestId('mcp-action')
  await expect(action).toHaveAttribute('aria-busy', 'true')
  await expect(action).toHaveText('Disconnecting…')
  release()
  await expect(echo).toHaveAttribute('data-state', 'disabled')
  await expect(echo.getByTestId('server-state')).toHaveText('Disabled')
  expect((await server.mcp()).echo).toEqual({ status: 'disabled' })
  await expect(page.getByTestId('service-status-label')).toHaveText('MCP 0/2 · LSP 0')
  await page.unroute(disconnectEndpoint)

  // The same button, now Connect echo, keeps the focus: Enter connects it again.
  const connect = page.getByRole('button', { name: 'Connect echo' })
  await expect(connect).toBeFocused()
  await expect(action).toHaveAttribute('aria-busy', 'false')
  await page.keyboard.press('Enter')
  await expect(echo).toHaveAttribute('data-state', 'connected')
  await expect(echo.getByTestId('server-state')).toHaveText('Connected')
  expect((await server.mcp()).echo).toEqual({ status: 'connected' })
  await expect(page.getByRole('button', { name: 'Disconnect echo' })).toBeFocused()
  await expect(page.getByTestId('service-status-label')).toHaveText('MCP 1/2 · LSP 0')

  // Connecting the broken server tries again: still failed, with the spawn error, nothing else breaks.
  const broken = mcpRow(page, 'broken')
  await page.getByRole('button', { name: 'Connect broken' }).click()
  await expect(broken.getByTestId('mcp-action')).toHaveAttribute('aria-busy', 'false')
  await expect(broken).toHaveAttribute('data-state', 'failed')
  await expect(broken).toContainText(MISSING_COMMAND)
  expect((await server.mcp()).broken).toMatchObject({ status: 'failed' })

  // A refusal: the server's reason in the row, the row as it was.
  await page.route(disconnectEndpoint, (route) =>
    route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ name: 'McpServerNotFoundError', data: { message: 'MCP server echo not found' } }) }),
  )
  await page.getByRole('button', { name: 'Disconnect echo' }).click()
  await expect(echo.getByTestId('server-action-error')).toHaveText('Could not disconnect: MCP server echo not found')
  await expect(echo).toHaveAttribute('data-state', 'connected')
  await page.unroute(disconnectEndpoint)
  expect((await server.mcp()).echo).toEqual({ status: 'connected' })

  // Servers that need authorization (answers stubbed: no OAuth server here) say what to do.
  const mcpEndpoint = (url: URL) => url.pathname === '/mcp'
  await page.route(mcpEndpoint, (route) =>
    route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        echo: { status: 'connected' },
        linear: { status: 'needs_auth' },
        corp: { status: 'needs_client_registration', error: 'Server does not support dynamic client registration' },
      }),
    }),
  )
  await page.getByTestId('service-status-refresh').click()
  const linear = mcpRow(page, 'linear')
  await expect(linear.getByTestId('server-state')).toHaveText('Needs authorization')
  await expect(linear.getByTestId('server-hint')).toHaveText('Sign in from a terminal on the OpenCode server’s machine, then press Connect: opencode mcp auth linear')
  await expect(page.getByRole('button', { name: 'Connect linear' })).toBeVisible()
  const corp = mcpRow(page, 'corp')
  await expect(corp.getByTestId('server-state')).toHaveText('Needs client registration')
  await expect(corp.getByTestId('server-error')).toHaveText('Server does not support dynamic client registration')
  await expect(corp.getByTestId('server-hint')).toContainText('add a client ID')
  await page.unroute(mcpEndpoint)
})

test('at 390×844 the button fits the drawer’s footer and the popover fits the screen', async ({ stack, page }) => {
  await page.setViewportSize({ width: 390, height: 844 })
  await openProject(page, stack)
  await page.getByRole('button', { name: 'Open sidebar' }).click()
  const button = page.getByTestId('service-status')
  await expect(button).toBeVisible()
  await expect(page.getByTestId('service-status-label')).toHaveText('MCP 1/2 · LSP 0')
  // The drawer slides in: measure it where it stops.
  await page.locator('aside.sidebar').evaluate((el) => Promise.all(el.getAnimations({ subtree: true }).map((a) => a.finished)))
  const sidebar = await page.locator('aside.sidebar').boundingBox()
  const buttonBox = await button.boundingBox()
  if (!sidebar || !buttonBox) throw new Error('not laid out')
  expect(buttonBox.x + buttonBox.width).toBeLessThanOrEqual(sidebar.x + sidebar.width)
  await expectWholeLabel(page)

  await button.click()
  const popover = page.getByTestId('service-status-popover')
  await expect(mcpRow(page, 'broken').getByTestId('server-error')).toContainText(MISSING_COMMAND)
  const box = await popover.boundingBox()
  if (!box) throw new Error('popover not laid out')
  expect(box.x).toBeGreaterThanOrEqual(0)
  expect(box.y).toBeGreaterThanOrEqual(0)
  expect(box.x + box.width).toBeLessThanOrEqual(390)
  expect(box.y + box.height).toBeLessThanOrEqual(844)
  expect(await popover.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
  await page.screenshot({ path: test.info().outputPath('service-status-phone.png') })
  await page.keyboard.press('Escape')
  await expect(popover).toHaveCount(0)
  await expect(button).toBeFocused()
})
