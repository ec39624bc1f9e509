/**
 * Browsers other than Playwright's chromium, driven over the W3C protocols, for the cross-engine
 * specs in this folder (README, "Supported browsers"):
 *
 * - **Firefox ESR** (Debian's `/usr/bin/firefox-esr`) through puppeteer-core over WebDriver BiDi;
 * - **WebKit**: Debian's `WebKitWebDriver` (package webkit2gtk-driver) driving WebKitGTK's
 *   MiniBrowser, through the `webdriver` client (W3C WebDriver classic), in an Xvfb display this
 *   module starts (MiniBrowser has no headless mode).
 *
 * Both sit behind one small interface, {@link EngineBrowser} / {@link EngineTab}, so one set of
 * scenarios runs in both. Nothing here downloads a browser or a driver: puppeteer-core never does,
 * and `webdriver` connects to the already-started WebKitWebDriver on a loopback port (an explicit
 * hostname and port make @wdio/utils skip its driver set-up).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import type { Client } from 'webdriver'
import { freePort } from '../../test/support/opencode-server.ts'

/** The engines this folder drives. */
export type EngineName = 'firefox' | 'webkit'

/** A JSON value that crosses into a page as a script argument. */
export type ScriptArg = string | number | boolean | null

/** One tab (Firefox) or window (WebKit) of an {@link EngineBrowser}. */
export interface EngineTab {
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>
  /**
   * Runs `fn` in the page (its source is sent, so it must not close over anything) with `args`
   * and returns its JSON-serializable result, awaited when it is a promise. The caller checks
   * the shape: nothing typed crosses the protocol.
   */
  evaluate(fn: (...args: never[]) => unknown, ...args: ScriptArg[]): Promise<unknown>
  /**
   * A real (protocol-level) click on the first element matching a CSS selector, as a user makes
   * it: the tab is brought to the front first (a background tab paints no frames).
   */
  click(selector: string): Promise<void>
  /** Types `text` into the first element matching a CSS selector, then presses Enter (tab in front first). */
  typeAndEnter(selector: string, text: string): Promise<void>
  /** Console messages and page errors seen so far (Firefox; WebDriver classic in WebKit has none). */
  log(): string[]
  close(): Promise<void>
}

/** A running browser of one engine, on a fresh profile. */
export interface EngineBrowser {
  readonly engine: EngineName
  /** The browser's own version string, for the test report. */
  readonly version: string
  /** Opens a new tab (Firefox) or a new window (WebKit), on about:blank. */
  openTab(): Promise<EngineTab>
  /** Closes every tab, the browser and whatever this module started for it. */
  close(): Promise<void>
}

/** Debian's Firefox ESR (`FIREFOX_PATH` overrides). */
export function firefoxPath(): string {
  return process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'
}

/** WebKitGTK's MiniBrowser from Debian's libwebkit2gtk-4.1 (`MINIBROWSER_PATH` overrides). */
export function miniBrowserPath(): string {
  return process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'
}

/** Debian's WebKitWebDriver (package webkit2gtk-driver; `WEBKIT_WEBDRIVER_PATH` overrides). */
export function webkitDriverPath(): string {
  return process.env.WEBKIT_WEBDRIVER_PATH ?? '/usr/bin/WebKitWebDriver'
}

/**
 * What is missing on this machine to run `engine`, as an install hint, or undefined when all is
 * there. .ci/run installs the Debian packages; a developer's machine may lack them.
 */
export function missingForEngine(engine: EngineName): string | undefined {
  const need = engine === 'firefox' ? [firefoxPath()] : [webkitDriverPath(), miniBrowserPath(), '/usr/bin/Xvfb']
  const missing = need.filter((p) => !existsSync(p))
  if (missing.length === 0) return undefined
  const pkgs = engine === 'firefox' ? 'firefox-esr' : 'webkit2gtk-driver xvfb'
  return `${missing.join(', ')} missing: apt-get install -y ${pkgs}`
}

/** Starts a browser of `engine` on a fresh, temporary profile. */
export function launchEngine(engine: EngineName): Promise<EngineBrowser> {
  return engine === 'firefox' ? launchFirefox() : launchWebKit()
}

// --- Firefox: puppeteer-core over WebDriver BiDi -------------------------------------------

/**
 * Firefox ESR, headless, through puppeteer-core over WebDriver BiDi (puppeteer makes a fresh
 * profile in a temp folder and removes it on close).
 */
export async function launchFirefox(): Promise<EngineBrowser> {
  const browser: Browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath(),
    protocol: 'webDriverBiDi',
    headless: true,
    // Only loopback traffic: no update checks, telemetry or captive-portal probes.
    extraPrefsFirefox: {
      'app.update.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'toolkit.telemetry.enabled': false,
      'datareporting.healthreport.uploadEnabled': false,
    },
  })
  const version = await browser.version()
  return {
    engine: 'firefox',
    version,
    async openTab() {
      return firefoxTab(await browser.newPage())
    },
    async close() {
      await browser.close()
    },
  }
}

function firefoxTab(page: Page): EngineTab {
  const log: string[] = []
  page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`))
  page.on('pageerror', (e) => log.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`))
  return {
    log: () => log.slice(-200),
    async goto(url) {
      await page.goto(url, { waitUntil: 'load' })
    },
    async evaluate(fn, ...args) {
      // Sent as an expression (the same text the WebKit side runs): the protocol evaluates it
      // outside the page's CSP, which forbids eval in the page itself.
      const result: unknown = await page.evaluate(`(${fn.toString()}).apply(null, ${JSON.stringify(args)})`)
      return result
    },
    async click(selector) {
      // Brought to the front first: a background tab runs no animation frames. An element handle,
      // not a locator: on Firefox ESR 140.12 over BiDi, puppeteer's locator never saw a tab that had
      // been in the background as ready (its element visible, enabled and still in every frame).
      await page.bringToFront()
      const element = await page.waitForSelector(selector, { visible: true, timeout: 30_000 })
      if (!element) throw new Error(`no element ${selector}`)
      await element.click()
    },
    async typeAndEnter(selector, text) {
      await page.bringToFront()
      const element = await page.waitForSelector(selector, { visible: true, timeout: 30_000 })
      if (!element) throw new Error(`no element ${selector}`)
      await element.click()
      await element.type(text)
      await page.keyboard.press('Enter')
    },
    async close() {
      await page.close()
    },
  }
}

// --- WebKit: WebKitWebDriver + MiniBrowser under Xvfb ---------------------------------------

/** The WebDriver key code of Enter (W3C WebDriver, "Keyboard actions"). */
const KEY_ENTER = '\uE007'

/** The element id in a W3C element reference. */
const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf'

/** A helper process we started, with the tail of its stdout and stderr. */
interface Helper {
  child: ChildProcess
  output(): string
}

/** Starts a helper process, draining its stdout/stderr into a short tail (and piping fd 3 when `fd3`). */
function spawnHelper(cmd: string, args: string[], env: NodeJS.ProcessEnv, fd3 = false): Helper {
  const child = spawn(cmd, args, { env, stdio: fd3 ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  const collect = (b: Buffer) => (tail = (tail + b.toString()).slice(-4000))
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  return { child, output: () => tail }
}

/** Stops a child we started (by its own pid) and waits for it to exit. */
async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
  await exited
  clearTimeout(timer)
}

/**
 * Starts a private Xvfb server and resolves with its display (`:N`). Xvfb picks a free display
 * number itself and writes it to fd 3 when it accepts connections (`-displayfd`).
 */
async function startXvfb(): Promise<Helper & { display: string }> {
  const xvfb = spawnHelper('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x900x24'], process.env, true)
  const fd3 = xvfb.child.stdio[3]
  const display = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start in 10 s: ${xvfb.output()}`)), 10_000)
    if (!fd3 || !('on' in fd3)) return reject(new Error('Xvfb: no fd 3'))
    fd3.on('data', (b: Buffer) => {
      out += b.toString()
      if (out.includes('\n')) {
        clearTimeout(timer)
        resolve(`:${out.trim()}`)
      }
    })
    xvfb.child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Xvfb exited (${code}): ${xvfb.output()}`))
    })
    xvfb.child.once('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`Xvfb: ${err.message} (apt-get install -y xvfb)`))
    })
  })
  return { ...xvfb, display }
}

/** Polls the driver's `GET /status` until it answers (the driver listens a moment after spawn). */
async function waitForDriver(url: string, driver: Helper, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (driver.child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${driver.child.exitCode}): ${driver.output()}`)
    try {
      const res = await fetch(`${url}/status`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`WebKitWebDriver at ${url} did not answer in ${timeoutMs} ms`)
}

/**
 * WebKitGTK's MiniBrowser through Debian's WebKitWebDriver, in a private Xvfb display (both
 * started here on loopback and stopped by `close`). Each {@link EngineBrowser.openTab} is a new
 * *window*, not a background tab. WebDriver classic has one current window, so every call
 * switches to its window first; calls are serialized.
 */
export async function launchWebKit(): Promise<EngineBrowser> {
  const xvfb = await startXvfb()
  let driver: Helper | undefined
  const home = mkdtempSync(join(tmpdir(), 'relay-webkit-'))
  try {
    const port = await freePort()
    // A private HOME/XDG dirs: MiniBrowser keeps nothing between runs, nor reads a user's config.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DISPLAY: xvfb.display,
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_DATA_HOME: join(home, 'data'),
    }
    driver = spawnHelper(webkitDriverPath(), [`--port=${port}`, '--host=local'], env)
    const url = `http://127.0.0.1:${port}`
    await waitForDriver(url, driver)
    // WebKitGTK's vendor capability (not in @wdio/types' list, hence a variable, not a literal).
    const capabilities = {
      // WebKitGTK 2.50's driver refuses the BiDi capability (`webSocketUrl`) webdriver adds by default.
      'wdio:enforceWebDriverClassic': true,
      'webkitgtk:browserOptions': { binary: miniBrowserPath(), args: ['--automation'] },
    }
    // Imported here: @wdio's loggers read WDIO_LOG_LEVEL when their modules load (default "info",
    // one line per session on the test output).
    process.env.WDIO_LOG_LEVEL ??= 'warn'
    const { default: WebDriver } = await import('webdriver')
    const client: Client = await WebDriver.newSession({ hostname: '127.0.0.1', port, logLevel: 'warn', connectionRetryCount: 0, capabilities })
    return await webkitBrowser(client, xvfb.child, driver.child, home)
  } catch (err) {
    await stopChild(driver?.child)
    await stopChild(xvfb.child)
    rmSync(home, { recursive: true, force: true })
    throw err
  }
}

async function webkitBrowser(client: Client, xvfb: ChildProcess, driver: ChildProcess, home: string): Promise<EngineBrowser> {
  const version = `${String(client.capabilities.browserName)} ${String(client.capabilities.browserVersion)}`
  let queue: Promise<unknown> = Promise.resolve()
  let current = await client.getWindowHandle()
  /** Every window of the session that is still open. */
  const windows = new Set([current])
  // A window kept open, blank, while no tab uses it, since the session ends with its last
  // window: the session's first window at the start.
  let spare: string | undefined = current

  /** Runs `op` with `handle` as the current window, after every call queued before it. */
  function inWindow<T>(handle: string, op: () => Promise<T>): Promise<T> {
    const run = queue.then(async () => {
      if (current !== handle) {
        await client.switchToWindow(handle)
        current = handle
      }
      return op()
    })
    queue = run.catch(() => undefined)
    return run
  }

  async function elementId(selector: string): Promise<string> {
    const ref: unknown = await client.findElement('css selector', selector)
    const id = typeof ref === 'object' && ref !== null && ELEMENT_KEY in ref ? ref[ELEMENT_KEY] : undefined
    if (typeof id !== 'string') throw new Error(`no element matches ${selector}`)
    return id
  }

  function tab(handle: string): EngineTab {
    return {
      log: () => [],
      goto: (url) => inWindow(handle, () => client.navigateTo(url)),
      evaluate: (fn, ...args) =>
        inWindow(handle, async () => {
          const result: unknown = await client.executeScript(`return (${fn.toString()}).apply(null, arguments)`, args)
          return result
        }),
      click: (selector) => inWindow(handle, async () => client.elementClick(await elementId(selector))),
      typeAndEnter: (selector, text) =>
        inWindow(handle, async () => {
          const id = await elementId(selector)
          await client.elementClear(id)
          await client.elementSendKeys(id, text + KEY_ENTER)
        }),
      close: () =>
        inWindow(handle, async () => {
          if (windows.size === 1) {
            await client.navigateTo('about:blank')
            spare = handle
          } else {
            await client.closeWindow()
            windows.delete(handle)
            current = ''
          }
        }),
    }
  }

  return {
    engine: 'webkit',
    version,
    async openTab() {
      if (spare) {
        const handle = spare
        spare = undefined
        return tab(handle)
      }
      // New windows open from whichever window is still there.
      const [any] = windows
      const created = await inWindow(any, () => client.createWindow('window'))
      windows.add(created.handle)
      return tab(created.handle)
    },
    async close() {
      try {
        await queue
        await client.deleteSession()
      } finally {
        await stopChild(driver)
        await stopChild(xvfb)
        rmSync(home, { recursive: true, force: true })
      }
    },
  }
}
