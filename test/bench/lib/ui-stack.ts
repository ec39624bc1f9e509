/**
 * The stack of the UI benchmarks (3, 5, 6), all real processes on loopback:
 * - the scripted model;
 * - ONE `opencode web` from the pinned `opencode-ai` package — it is `opencode serve` plus the
 *   official web UI, so both clients talk to the very same server — isolated like
 *   test/support/opencode-server.ts does it (temp HOME/XDG dirs, temp git project);
 * - a tap proxy in front of it (lib/tap-proxy.ts) that counts upstream `GET /global/event`
 *   streams and times the events it forwards on each client's own connection;
 * - this project's app (`dist/`, built by `ensureBuilt` when stale) on the app's own static
 *   server, its `/relay-config.json` pointing at whichever server URL the benchmark sets;
 * - the bench page (relay + reducer without UI), for the "relay alone" rows.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureBuilt } from '../../../src/cli/build.ts'
import { startStaticServer, type StaticServer } from '../../../src/cli/static-server.ts'
import { REPO_ROOT, freePort, isolatedEnv, opencodeBin, waitForHealth, writeProject } from '../../support/opencode-server.ts'
import { startScriptedModel, type ScriptedModel } from '../../support/scripted-model.ts'
import { ServerApi } from '../../support/server-api.ts'
import { serveBenchPage } from './page-build.ts'
import { startTapProxy, type TapProxy } from './tap-proxy.ts'

/** A running UI stack. */
export interface UiStack {
  model: ScriptedModel
  /** `opencode web` base URL, direct. */
  url: string
  /** Counting, tapping proxy in front of {@link UiStack.url} (lib/tap-proxy.ts). */
  proxy: TapProxy
  /** The temp project (absolute path). */
  directory: string
  /** Environment of the server (for `opencode import`). */
  env: NodeJS.ProcessEnv
  /** Temp root (HOME, XDG dirs, project). */
  root: string
  api: ServerApi
  /** This project's app, or undefined when it could not be built ({@link UiStack.appError}). */
  app: StaticServer | undefined
  appError: string | undefined
  /** The bench page (relay + reducer, no UI). */
  benchPage: StaticServer
  /** Sets the server URL the app's `/relay-config.json` hands out (direct or proxy). */
  setAppServer(url: string): void
  /** URL of a session in this project's app: `/session/<id>?directory=<abs path>`. */
  appSessionUrl(sessionID: string): string
  /** URL of a session in the official web UI served by `base` (direct or proxy): `/<base64url(dir)>/session/<id>`. */
  officialSessionUrl(base: string, sessionID: string): string
  close(): Promise<void>
}

/**
 * Starts the stack. `warmUp` (default true) spends the server's first prompt on a throwaway session.
 * @throws Error when `opencode web` does not become healthy (its output in the message).
 */
export async function startUiStack(log: (line: string) => void, options: { warmUp?: boolean } = {}): Promise<UiStack> {
  const model = await startScriptedModel()
  let appServerUrl = ''
  let app: StaticServer | undefined
  let appError: string | undefined
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  try {
    if (ensureBuilt(REPO_ROOT, (line) => log(`  ${line}`))) log('  built dist/')
    app = await startStaticServer({
      root: join(REPO_ROOT, 'dist'),
      port: 0,
      config: () => ({ server: { url: appServerUrl }, source: 'bench' }),
      connectSources: () => [url, appServerUrl],
    })
  } catch (err) {
    appError = err instanceof Error ? err.message.split('\n')[0] : String(err)
    log(`  this project's app is unavailable: ${appError}`)
  }
  const benchPage = await serveBenchPage()
  const root = mkdtempSync(join(tmpdir(), 'relay-bench-oc-'))
  const directory = writeProject(root, model.baseURL)
  const env: NodeJS.ProcessEnv = { ...isolatedEnv(root), BROWSER: 'true' }
  const args = ['web', '--hostname', '127.0.0.1', '--port', String(port), '--cors', benchPage.url]
  if (app) args.push('--cors', app.url)
  let output = ''
  const child: ChildProcess = spawn(opencodeBin(), args, { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const collect = (b: Buffer) => (output = (output + b.toString()).slice(-4000))
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig)
      } catch {
        child.kill(sig)
      }
    }
    signal('SIGTERM')
    const timer = setTimeout(() => signal('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitForHealth(url, { child, timeoutMs: 60_000 })
  } catch (err) {
    await stopChild()
    await benchPage.close()
    await app?.close()
    await model.close()
    throw new Error(`opencode web did not start: ${err instanceof Error ? err.message : String(err)}\n${output}`)
  }
  const proxy = await startTapProxy(url)
  appServerUrl = url
  // The first prompt of a fresh server can behave differently (instance boot, title agent):
  // spend it on a throwaway session.
  const api = new ServerApi(url, directory)
  if (options.warmUp !== false) {
    const warm = await api.createSession('warm-up')
    await api.prompt(warm.id, 'stream 20')
  }
  return {
    model,
    url,
    proxy,
    directory,
    env,
    root,
    api,
    app,
    appError,
    benchPage,
    setAppServer: (u) => {
      appServerUrl = u
    },
    appSessionUrl: (sessionID) => `${app?.url ?? ''}/session/${sessionID}?directory=${encodeURIComponent(directory)}`,
    officialSessionUrl: (base, sessionID) => `${base}/${Buffer.from(directory).toString('base64url')}/session/${sessionID}`,
    close: async () => {
      await proxy.close()
      await stopChild()
      await benchPage.close()
      await app?.close()
      await model.close()
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
    },
  }
}
