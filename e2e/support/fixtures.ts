/**
 * Playwright fixtures: a real stack per test — the scripted model, a real `opencode serve`, a
 * fault proxy in front of it (so tests count and cut upstream connections), and the built app
 * served with its config pointing at the proxy.
 */
import { test as base, expect, type Page, type BrowserContext } from '@playwright/test'
import { join } from 'node:path'
import { startScriptedModel, type ScriptedModel } from '../../test/support/scripted-model.ts'
import { startOpencode, REPO_ROOT, type OpencodeServer } from '../../test/support/opencode-server.ts'
import { startFaultProxy, type FaultProxy } from '../../test/support/fault-proxy.ts'
import { startStaticServer, type StaticServer } from '../../src/cli/static-server.ts'
import { ServerApi } from '../../test/support/server-api.ts'

/**
 * Folder of the built app the tests serve: `RELAY_DIST` (absolute) or `dist/`. Parallel runs by
 * different people on one machine set their own, so one run's build never replaces files another
 * run is serving.
 */
export function appDist(): string {
  return process.env.RELAY_DIST ?? join(REPO_ROOT, 'dist')
}

/** Everything a test needs, all real processes on loopback. */
export interface Stack {
  model: ScriptedModel
  opencode: OpencodeServer
  proxy: FaultProxy
  app: StaticServer
  /** REST helper against the server directly (the source of truth). */
  api: ServerApi
  /** The temp project directory (absolute). */
  directory: string
}

/**
 * Starts a stack: the scripted model, `opencode serve` (in a new temp root, or in `root`, which
 * then survives {@link closeStack}: a soak resumed in a later run reuses it), the fault proxy and
 * the app server.
 * @throws Error when the server does not become healthy (see startOpencode).
 */
export async function startStack(options: { root?: string } = {}): Promise<Stack> {
  const model = await startScriptedModel()
  const opencode = await startOpencode({ modelBaseURL: model.baseURL, root: options.root })
  return stackOn(model, opencode)
}

/**
 * The rest of a stack on a running model and server: a new fault proxy in front of the server and
 * a new app server (a new port, so a new origin: its own SharedWorker, IndexedDB and Web Locks).
 * Tests that share one server (e2e/engines) get a fresh proxy and origin each this way; stop
 * them with {@link closeFrontEnd}.
 */
export async function stackOn(model: ScriptedModel, opencode: OpencodeServer): Promise<Stack> {
  const proxy = await startFaultProxy(opencode.url)
  const app = await startStaticServer({
    root: appDist(),
    port: 0,
    config: () => ({ server: { url: proxy.url }, source: 'e2e' }),
    connectSources: () => [proxy.url],
  })
  const api = new ServerApi(opencode.url, opencode.directory)
  return { model, opencode, proxy, app, api, directory: opencode.directory }
}

/** Stops the app server and the proxy of a stack, leaving its model and server running. */
export async function closeFrontEnd(stack: Stack): Promise<void> {
  await stack.app.close()
  await stack.proxy.close()
}

/** Stops everything {@link startStack} started (the server gets SIGTERM; a temp root is removed). */
export async function closeStack(stack: Stack): Promise<void> {
  await closeFrontEnd(stack)
  await stack.opencode.dispose()
  await stack.model.close()
}

export const test = base.extend<{ stack: Stack }>({
  stack: async ({}, use) => {
    const stack = await startStack()
    await use(stack)
    await closeStack(stack)
  },
})

export { expect }

/** URL of a session in the app: `/session/<id>?directory=<abs path>`. */
export function sessionUrl(stack: Stack, sessionID: string): string {
  return `${stack.app.url}/session/${sessionID}?directory=${encodeURIComponent(stack.directory)}`
}

/** Opens the app on a session and waits for the relay to be connected. */
export async function openSession(page: Page, stack: Stack, sessionID: string): Promise<void> {
  await page.goto(sessionUrl(stack, sessionID))
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
}

/** Opens `n` pages in `context` on the same session. */
export async function openTabs(context: BrowserContext, stack: Stack, sessionID: string, n: number): Promise<Page[]> {
  const pages: Page[] = []
  for (let i = 0; i < n; i++) {
    const page = await context.newPage()
    await openSession(page, stack, sessionID)
    pages.push(page)
  }
  return pages
}

/** The subset of Playwright's internal CDP session we call. */
interface CdpLike {
  send(method: string, params?: Record<string, unknown>): Promise<unknown>
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && key in obj ? (obj as Record<string, unknown>)[key] : undefined
}

/**
 * The CDP session Playwright itself uses for the page's main frame (where it enabled focus
 * emulation). Reached through Playwright's in-process connection: client Page → server Page →
 * CRPage → main FrameSession → CRSession. Test-only, internal API, pinned Playwright version.
 * @throws Error when the internals moved (a Playwright upgrade): update this helper.
 */
export function playwrightCdpSession(page: Page): CdpLike {
  const connection = field(page, '_connection')
  const toImpl = field(connection, 'toImpl')
  if (typeof toImpl !== 'function') throw new Error('Playwright internals changed: no _connection.toImpl')
  const serverPage: unknown = toImpl.call(connection, page)
  const crPage = field(serverPage, 'delegate')
  const client = field(field(crPage, '_mainFrameSession'), '_client')
  const send = field(client, 'send')
  if (typeof send !== 'function') throw new Error('Playwright internals changed: no main frame CDP session')
  return { send: (method, params) => Promise.resolve(send.call(client, method, params ?? {})) }
}

/**
 * Freezes a page the way Chromium freezes a hidden background tab, and proves it: focus emulation
 * (which Playwright turns on to keep pages "visible") is released on Playwright's own CDP session
 * for the page, then `Page.setWebLifecycleState frozen`. The returned function resumes the page
 * and asserts it really fired `freeze` while frozen.
 */
export async function freezePage(page: Page): Promise<() => Promise<void>> {
  await page.evaluate(() => {
    const w = window as unknown as { __freezes?: number }
    w.__freezes = 0
    document.addEventListener('freeze', () => {
      w.__freezes = (w.__freezes ?? 0) + 1
    })
  })
  const cdp = playwrightCdpSession(page)
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false })
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' })
  return async () => {
    await cdp.send('Page.setWebLifecycleState', { state: 'active' })
    const froze = await page.evaluate(() => (window as unknown as { __freezes?: number }).__freezes ?? 0)
    expect(froze, 'the page must really have fired `freeze`').toBeGreaterThan(0)
    await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true })
  }
}
