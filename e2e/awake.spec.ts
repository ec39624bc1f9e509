/**
 * Issue 5 acceptance in the browser: the settings toggle round-trips to the real `relay-awake`
 * CLI, and the held indicator follows a real run. Real processes only: the scripted model, the
 * real `opencode serve`, the fault proxy, the built app served with a `/relay-config.json` that
 * carries the `awake` pairing (as `npm start -- --awake` serves it), and `relay-awake awake`
 * watching the server, with a fake `caffeinate` first on PATH (`RELAY_AWAKE_PLATFORM=darwin`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { delimiter, join } from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { createAwakeClient } from '../sw/shared/awake-client.ts'
import type { AwakeConfig, AwakeStatus } from '../sw/shared/awake-wire.ts'
import { startStaticServer, type StaticServer } from '../src/cli/static-server.ts'
import { installFakePowerTools, type FakePowerTools } from '../test/support/fake-power-tools.ts'
import { startFaultProxy, type FaultProxy } from '../test/support/fault-proxy.ts'
import { REPO_ROOT, startOpencode, type OpencodeServer } from '../test/support/opencode-server.ts'
import { startScriptedModel, streamedText, type ScriptedModel } from '../test/support/scripted-model.ts'
import { ServerApi } from '../test/support/server-api.ts'
import { appDist } from './support/fixtures.ts'

/** The stack of this spec: the usual one plus the companion and its fake power tools. */
interface AwakeStack {
  model: ScriptedModel
  opencode: OpencodeServer
  proxy: FaultProxy
  app: StaticServer
  api: ServerApi
  directory: string
  fakes: FakePowerTools
  /** The pairing the app learns from `/relay-config.json`. */
  awake: AwakeConfig
  /** Pid of the relay-awake process. */
  awakePid: number
  /** `GET /status` of the companion, as the test sees it. */
  status(): Promise<AwakeStatus>
}

/** Spawns `relay-awake awake --port 0 ...` and resolves its port once it listens. */
async function startCompanion(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'relay-awake.ts'), 'awake', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c))
  const deadline = Date.now() + 30_000
  for (;;) {
    const m = /relay-awake listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
    if (m) return { child, port: Number(m[1]), output: () => out }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`relay-awake did not start:\n${out}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const test = base.extend<{ stack: AwakeStack }>({
  stack: async ({}, use) => {
    const fakes = installFakePowerTools()
    const model = await startScriptedModel()
    const opencode = await startOpencode({ modelBaseURL: model.baseURL })
    const proxy = await startFaultProxy(opencode.url)
    // Known once the companion listens, which needs the app's origin first.
    const pairing: { awake?: AwakeConfig } = {}
    const app = await startStaticServer({
      root: appDist(),
      port: 0,
      config: () => ({ server: { url: proxy.url }, awake: pairing.awake, source: 'e2e awake' }),
      connectSources: () => [proxy.url, ...(pairing.awake ? [pairing.awake.url] : [])],
    })
    // As the launcher does: a fresh random token, the app's origin, the server to watch.
    const token = randomBytes(32).toString('hex')
    const companion = await startCompanion(['--server', opencode.url, '--origin', app.url], {
      ...process.env,
      PATH: `${fakes.binDir}${delimiter}${process.env.PATH ?? ''}`,
      RELAY_AWAKE_PLATFORM: 'darwin',
      RELAY_AWAKE_TOKEN: token,
    })
    const awake: AwakeConfig = { url: `http://127.0.0.1:${companion.port}`, token }
    pairing.awake = awake
    const client = createAwakeClient(awake)
    const status = async (): Promise<AwakeStatus> => {
      const r = await client.status()
      if (r.kind !== 'ok') throw new Error(`relay-awake GET /status: ${r.kind}: ${r.message}`)
      return r.status
    }
    try {
      await use({ model, opencode, proxy, app, api: new ServerApi(opencode.url, opencode.directory), directory: opencode.directory, fakes, awake, awakePid: companion.child.pid ?? -1, status })
    } finally {
      if (companion.child.exitCode === null) {
        const exited = new Promise((r) => companion.child.once('exit', r))
        companion.child.kill('SIGTERM')
        await exited
      }
      for (const l of fakes.alive()) {
        try {
          process.kill(l.pid, 'SIGKILL')
        } catch {
          // gone
        }
      }
      await app.close()
      await proxy.close()
      await opencode.dispose()
      await model.close()
      fakes.dispose()
    }
  },
})

async function openSettings(page: Page): Promise<void> {
  await page.getByTestId('settings-button').click()
  await expect(page.getByTestId('settings-panel')).toBeVisible()
}

test('the sleep-protection toggle round-trips to relay-awake, and the indicator follows a real run', async ({ stack, page }) => {
  const session = await stack.api.createSession('sleep protection')
  await page.goto(`${stack.app.url}/session/${session.id}?directory=${encodeURIComponent(stack.directory)}`)
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')

  // The toggle starts off in a new profile; pairing pushes it to the companion (which starts enabled).
  await expect.poll(async () => (await stack.status()).enabled).toBe(false)
  await openSettings(page)
  const toggle = page.getByTestId('sleep-protection-toggle')
  const indicator = page.getByTestId('sleep-protection-indicator')
  await expect(toggle).toHaveAttribute('aria-checked', 'false')
  await expect(indicator).toHaveAttribute('data-companion', 'ok')
  await expect(indicator).toHaveAttribute('data-state', 'off')
  await expect(page.getByTestId('sleep-protection-status')).toContainText('Off.')

  // Toggle on → off → on: the CLI's `enabled` follows every click.
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-checked', 'true')
  await expect.poll(async () => (await stack.status()).enabled).toBe(true)
  await expect(indicator).toHaveAttribute('data-state', 'idle')
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-checked', 'false')
  await expect.poll(async () => (await stack.status()).enabled).toBe(false)
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-checked', 'true')
  await expect.poll(async () => (await stack.status()).enabled).toBe(true)
  expect(stack.fakes.lifetimes()).toEqual([])

  // A real run while protection is on: held while the model streams, released after idle.
  const leaseOwners = new Set<string>()
  let watching = true
  const watchLeases = (async () => {
    while (watching) {
      for (const l of (await stack.status()).leases) leaseOwners.add(l.owner)
      await new Promise((r) => setTimeout(r, 150))
    }
  })()
  await stack.api.promptAsync(session.id, 'stream 150 delay 20')
  await expect(indicator).toHaveAttribute('data-held', 'true')
  await expect(indicator).toHaveAttribute('data-state', 'held')
  await expect(page.getByTestId('sleep-protection-status')).toContainText('Keeping this computer awake since')
  await expect(page.getByTestId('sleep-protection-reasons')).toContainText(`session ${session.id} busy`)
  const [life] = stack.fakes.lifetimes()
  expect(life.tool).toBe('caffeinate')
  expect(life.argv).toEqual(['-i', '-w', String(stack.awakePid)])

  await expect(page.getByTestId('part').filter({ hasText: 'END' })).toContainText(streamedText(150).slice(0, 40), { timeout: 60_000 })
  await stack.api.waitIdle(session.id)
  await expect(indicator).toHaveAttribute('data-held', 'false')
  await expect(indicator).toHaveAttribute('data-state', 'idle')
  watching = false
  await watchLeases
  // The relay (SharedWorker) posted its lease under the app's origin, and dropped it on idle.
  expect([...leaseOwners]).toContain(stack.app.url)
  await expect.poll(async () => (await stack.status()).leases).toEqual([])
  await expect.poll(() => stack.fakes.alive().length).toBe(0)
  expect(stack.fakes.lifetimes()).toHaveLength(1)
  expect(stack.fakes.lifetimes()[0].endedAt).toBeDefined()
  expect(stack.fakes.maxConcurrent()).toBe(1)
})

test('a stopped companion is reported as not running', async ({ stack, page }) => {
  await page.goto(stack.app.url)
  await openSettings(page)
  const indicator = page.getByTestId('sleep-protection-indicator')
  await expect(indicator).toHaveAttribute('data-companion', 'ok')
  process.kill(stack.awakePid, 'SIGTERM')
  await expect(indicator).toHaveAttribute('data-companion', 'not-running')
  await expect(page.getByTestId('sleep-protection-status')).toContainText('is not running at')
})

test.describe('without the awake section in /relay-config.json', () => {
  // Route the config document through Playwright (a service worker would hide it from page.route).
  test.use({ serviceWorkers: 'block' })

  test('the settings explain how to start the companion', async ({ stack, page }) => {
    await page.route('**/relay-config.json', (route) => route.fulfill({ json: { server: { url: stack.proxy.url }, source: 'e2e, no awake' } }))
    await page.goto(stack.app.url)
    await openSettings(page)
    await expect(page.getByTestId('sleep-protection-indicator')).toHaveAttribute('data-companion', 'unpaired')
    await expect(page.getByTestId('sleep-protection-status')).toContainText('npm start -- --awake')
  })
})
