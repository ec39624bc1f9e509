/**
 * `npm start` — the launcher. Builds the app when needed, serves the built PWA on
 * http://localhost:<PORT>, and connects it to an OpenCode server: the one named by `OPENCODE_URL`
 * / `--server`, or an `opencode serve` it starts from the pinned `opencode-ai` package (stopped on
 * Ctrl+C). `--demo` (`npm run demo`) starts the scripted model from test support as the only
 * provider, in a temp project, so every feature can be tried offline with no API key.
 *
 * The started server keeps its address across restarts (port-memory.ts: the project's remembered
 * port, else 4096, else a new one, remembered), and `/relay-config.json` says `starting` until it
 * answers, then `ready`: open tabs reconnect by themselves after a restart, and follow the server
 * when it had to move (sw/relay/launcher-watch.ts).
 *
 * Errors are one clear `Error: …` line each (port in use, server unreachable, wrong password,
 * binary missing, bad arguments) and exit code 1, never a stack trace (`RELAY_DEBUG=1` prints it).
 *
 * Environment: `PORT`, `OPENCODE_URL`, `OPENCODE_SERVER_PASSWORD` / `OPENCODE_SERVER_USERNAME`
 * (Basic auth, passed through to the app), `RELAY_AWAKE=1` (like `--awake`), `RELAY_DIST` (serve and
 * build this folder instead of `dist/`), `RELAY_OPENCODE_ROOT` (folder whose node_modules holds the
 * opencode binary; default the repository: used by tests to simulate a missing binary).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuilt } from './build.ts'
import { findOpencodeBinary, OpencodeBinaryMissing } from './opencode-bin.ts'
import { chooseServerPort, isPortFree, osFreePort, type ChosenPort } from './port-memory.ts'
import { startStaticServer, type RelayConfigDocument } from './static-server.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const DEFAULT_PORT = 5174

/** An error whose message is shown to the user as is. */
class UserError extends Error {}

/** `opencode serve` exited before it answered (e.g. its port was taken after it was chosen). */
class ServerExited extends UserError {}

interface Cleanup {
  (): Promise<void>
}

const cleanups: Cleanup[] = []
let shuttingDown: Promise<never> | undefined

/**
 * Runs every cleanup (newest first: stop servers before closing the app) once, then exits.
 * Idempotent: Ctrl+C reaches the launcher twice under `npm start` (the terminal's SIGINT to the
 * process group, and npm forwarding it), and both calls wait for the same shutdown.
 */
function shutdown(code: number): Promise<never> {
  shuttingDown ??= (async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
    process.exit(code)
  })()
  return shuttingDown
}

/** Basic-auth user: `OPENCODE_SERVER_USERNAME`, else OpenCode's default `opencode`. */
const USERNAME = process.env.OPENCODE_SERVER_USERNAME || 'opencode'

function basicAuth(password: string | undefined, username = USERNAME): Record<string, string> {
  return password ? { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } : {}
}

/** The most specific reason of a failed fetch: undici puts the socket error (e.g. `ECONNREFUSED`) in `cause`. */
function fetchFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer within 5 s'
  const cause: unknown = err.cause
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message
  return err.message
}

/**
 * Checks `GET /global/health` of an existing server.
 * @throws UserError for 401 (wrong or missing password) and for an unreachable server.
 */
async function checkServer(url: string, password: string | undefined): Promise<void> {
  let res: Response
  try {
    res = await fetch(`${url}/global/health`, { headers: basicAuth(password), signal: AbortSignal.timeout(5000) })
  } catch (err) {
    throw new UserError(`OpenCode server unreachable at ${url} (${fetchFailure(err)}). Is \`opencode serve\` running there?`)
  }
  if (res.status === 401) {
    throw new UserError(
      password
        ? `Wrong password for the OpenCode server at ${url} (HTTP 401). Check OPENCODE_SERVER_PASSWORD.`
        : `The OpenCode server at ${url} needs a password (HTTP 401). Set OPENCODE_SERVER_PASSWORD.`,
    )
  }
  if (!res.ok) throw new UserError(`OpenCode server at ${url} answered HTTP ${res.status} to /global/health.`)
}

async function waitHealthy(url: string, password: string | undefined, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new ServerExited(`opencode serve exited with code ${child.exitCode} before it was ready.`)
    try {
      const res = await fetch(`${url}/global/health`, { headers: basicAuth(password), signal: AbortSignal.timeout(2000) })
      if (res.ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new UserError(`opencode serve did not become healthy at ${url} within ${timeoutMs / 1000} s.`)
}

/** Why the port was chosen, for the launcher's output. */
function portReason(chosen: ChosenPort): string {
  const replaced = chosen.replaced !== undefined ? `; port ${chosen.replaced} it used before is taken by another program` : ''
  switch (chosen.reason) {
    case 'remembered':
      return 'the port this project used before'
    case 'default':
      return `OpenCode's default port${replaced}`
    case 'new':
      return `a new port, remembered for this project${replaced}`
  }
}

/**
 * Starts `opencode serve` on loopback in `dir` on the stable port `port` (see port-memory.ts); stops
 * its whole process group on exit. Resolves once `/global/health` answers.
 * @throws UserError when the binary is missing or the server does not become healthy.
 */
async function startOpencodeServe(dir: string, port: number, password: string | undefined, origins: string[]): Promise<void> {
  let bin: string
  try {
    bin = findOpencodeBinary(process.env.RELAY_OPENCODE_ROOT || ROOT)
  } catch (err) {
    if (err instanceof OpencodeBinaryMissing) throw new UserError(err.message)
    throw err
  }
  const url = `http://127.0.0.1:${port}`
  const env = { ...process.env }
  if (password) env.OPENCODE_SERVER_PASSWORD = password
  // Own process group, so the launcher can stop opencode and every helper it spawned (LSP, shells).
  const child = spawn(bin, ['serve', '--hostname', '127.0.0.1', '--port', String(port), ...origins.flatMap((o) => ['--cors', o])], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  })
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)))
  child.once('error', (err) => (stderr += `\n${err.message}`))
  cleanups.push(async () => {
    if (child.exitCode !== null || !child.pid) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {
      child.kill('SIGTERM')
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }, 5000)
    await exited
    clearTimeout(timer)
  })
  try {
    await waitHealthy(url, password, child)
  } catch (err) {
    if (stderr) console.error(stderr.trim())
    throw err
  }
}

/** Starts the scripted model and an isolated `opencode serve` using it on `port` (demo mode). */
async function startDemo(port: number, origins: string[]): Promise<{ directory: string }> {
  const { startScriptedModel } = await import('../../test/support/scripted-model.ts')
  const { startOpencode } = await import('../../test/support/opencode-server.ts')
  const model = await startScriptedModel()
  cleanups.push(() => model.close())
  const oc = await startOpencode({ modelBaseURL: model.baseURL, cors: origins, port })
  cleanups.push(() => oc.dispose())
  return { directory: oc.directory }
}

/** The command line, parsed. @throws UserError for an unknown option or a missing value. */
function parseCommandLine(): {
  port?: string
  server?: string
  dir?: string
  demo: boolean
  awake: boolean
  noBuild: boolean
  help: boolean
} {
  try {
    const { values } = parseArgs({
      options: {
        port: { type: 'string' },
        server: { type: 'string' },
        dir: { type: 'string' },
        demo: { type: 'boolean', default: false },
        awake: { type: 'boolean', default: false },
        // Serve the existing build as is (tests; a read-only checkout).
        'no-build': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    })
    return { ...values, noBuild: values['no-build'] }
  } catch (err) {
    throw new UserError(`${err instanceof Error ? err.message : String(err)} Run \`npm start -- --help\` for the options.`)
  }
}

/**
 * Normalizes an OpenCode server URL given by the user.
 * @throws UserError when it is not an absolute http(s) URL.
 */
function serverUrlFrom(input: string, from: string): string {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw new UserError(`${from} is not a URL: ${input} (expected e.g. http://127.0.0.1:4096).`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError(`${from} must be an http:// or https:// URL: ${input}`)
  return url.href.replace(/\/+$/, '')
}

async function main(): Promise<void> {
  const args = parseCommandLine()
  if (args.help) {
    console.log(`Usage: npm start -- [--port N] [--server URL] [--dir PATH] [--demo] [--awake]

  --port N      port for the app (default ${DEFAULT_PORT}, or $PORT)
  --server URL  use this OpenCode server (or $OPENCODE_URL) instead of starting one
  --dir PATH    project directory for the started opencode serve (default: current directory);
                it listens on the port this project used before, else 4096, else a new one
                (remembered in $XDG_STATE_HOME/opencode-relay/ports.json)
  --demo        scripted model as the only provider, in a temp project (no API key needed)
  --awake       run the sleep-protection companion alongside (or RELAY_AWAKE=1)
  --no-build    serve the existing build without checking it is fresh

Environment: OPENCODE_SERVER_PASSWORD and OPENCODE_SERVER_USERNAME (Basic auth, default user "opencode").`)
    return
  }
  const portText = args.port ?? process.env.PORT ?? String(DEFAULT_PORT)
  const port = Number(portText)
  if (!/^\d+$/.test(portText.trim()) || !Number.isInteger(port) || port > 65535) {
    throw new UserError(`Invalid port: ${portText} (expected a number from 0 to 65535).`)
  }
  const dist = process.env.RELAY_DIST ? resolve(process.env.RELAY_DIST) : join(ROOT, 'dist')
  const external = args.demo ? undefined : args.server ? serverUrlFrom(args.server, '--server') : process.env.OPENCODE_URL ? serverUrlFrom(process.env.OPENCODE_URL, 'OPENCODE_URL') : undefined
  // The demo server has no password; a password in the environment is for a real server.
  const password = args.demo ? undefined : process.env.OPENCODE_SERVER_PASSWORD || undefined
  const username = password && USERNAME !== 'opencode' ? USERNAME : undefined
  const dir = resolve(args.dir ?? process.cwd())
  if (!args.demo && !external && !existsSync(dir)) throw new UserError(`--dir does not exist: ${dir}`)

  if (!args.noBuild) {
    try {
      ensureBuilt(ROOT, (l) => console.log(l), dist)
    } catch (err) {
      throw new UserError(`The app build failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  // Bind the app port first, so "port in use" is reported before any server starts. From then on
  // `/relay-config.json` names the server — where it will listen, `starting` until it answers — so
  // a tab opened during the start waits for it instead of guessing (sw/shared/launcher-config.ts).
  let serverUrl = ''
  let identity: string | undefined
  let status: 'starting' | 'ready' = 'starting'
  // The status leaves `starting` once, when the server answers: the long poll waits for that.
  let markReady: () => void = () => undefined
  const ready = new Promise<void>((ok) => (markReady = ok))
  let awake: RelayConfigDocument['awake']
  const app = await startStaticServer({
    root: dist,
    port,
    config: () => ({
      status,
      server: { url: serverUrl, ...(identity ? { identity } : {}), ...(username ? { username } : {}), ...(password ? { password } : {}) },
      awake,
      source: args.demo ? 'npm run demo' : 'npm start',
    }),
    configSettled: () => ready,
    connectSources: () => [serverUrl, ...(awake ? [awake.url] : [])].filter(Boolean),
  }).catch((err: unknown) => {
    const code = err instanceof Error && 'code' in err ? err.code : undefined
    if (code === 'EADDRINUSE') {
      throw new UserError(`Port ${port} is already in use. Choose another: PORT=5175 npm start (or npm start -- --port 5175).`)
    }
    if (code === 'EACCES') throw new UserError(`No permission to listen on port ${port}. Choose a port above 1023: npm start -- --port 5175.`)
    throw err
  })
  cleanups.push(() => app.close())
  // The app may be opened as localhost or 127.0.0.1: both origins may call the server.
  const origins = [app.url, `http://127.0.0.1:${app.port}`]

  if (args.demo) {
    const demoPort = await osFreePort()
    serverUrl = `http://127.0.0.1:${demoPort}`
    const demo = await startDemo(demoPort, origins)
    console.log(`Demo project: ${demo.directory}`)
  } else if (external) {
    serverUrl = external
    await checkServer(serverUrl, password)
  } else {
    identity = `launcher:${dir}`
    const avoid: number[] = []
    for (;;) {
      const chosen = await chooseServerPort({ directory: dir, avoid })
      serverUrl = `http://127.0.0.1:${chosen.port}`
      console.log(`Starting opencode serve on port ${chosen.port} (${portReason(chosen)}) in ${dir}`)
      try {
        await startOpencodeServe(dir, chosen.port, password, origins)
        break
      } catch (err) {
        // Another program took the port between the choice and the bind: choose once more.
        if (!(err instanceof ServerExited) || avoid.length > 0 || (await isPortFree(chosen.port))) throw err
        avoid.push(chosen.port)
      }
    }
  }

  if (args.awake || process.env.RELAY_AWAKE === '1') {
    awake = await startAwake(serverUrl, password, origins)
  }
  status = 'ready'
  markReady()

  console.log(`OpenCode server: ${serverUrl}${external ? ' (existing)' : ' (started by the launcher)'}`)
  console.log(`OpenCode Relay is running: ${app.url}`)
  console.log('Press Ctrl+C to stop.')
}

/**
 * Runs the sleep-protection companion (`relay-awake awake`) with a fresh pairing token, tied to
 * this launcher's pid (`--watch-pid`: it releases and exits if the launcher is SIGKILLed), and
 * waits until it listens before the app is told about it.
 * @throws UserError when the companion exits before it is ready.
 */
async function startAwake(server: string, password: string | undefined, origins: string[]): Promise<{ url: string; token: string }> {
  const token = randomBytes(32).toString('hex')
  const port = await osFreePort()
  const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const args = [tsx, join(ROOT, 'src', 'cli', 'relay-awake.ts'), 'awake', '--port', String(port), '--server', server, '--watch-pid', String(process.pid)]
  for (const origin of origins) args.push('--origin', origin)
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RELAY_AWAKE_TOKEN: token, ...(password ? { OPENCODE_SERVER_PASSWORD: password } : {}) },
  })
  cleanups.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()))
      child.kill('SIGTERM')
      await exited
    }
  })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (b: Buffer) => {
      process.stdout.write(b)
      out += b.toString()
      if (out.includes('relay-awake listening on')) resolve()
    })
    child.once('exit', (code) => reject(new UserError(`The sleep-protection companion exited with code ${code} before it was ready.`)))
  })
  return { url: `http://127.0.0.1:${port}`, token }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0))
main().catch(async (err: unknown) => {
  if (err instanceof UserError) console.error(`Error: ${err.message}`)
  else if (process.env.RELAY_DEBUG) console.error(err)
  else console.error(`Error: ${err instanceof Error ? err.message : String(err)} (RELAY_DEBUG=1 npm start shows the details)`)
  await shutdown(1)
})
