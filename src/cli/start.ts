/**
 * `npm start` — the launcher. Builds the app when needed, serves the built PWA on
 * http://localhost:<PORT>, and connects it to an OpenCode server: the one named by `OPENCODE_URL`
 * / `--server`, or an `opencode serve` it starts from the pinned `opencode-ai` package (stopped on
 * Ctrl+C). `--demo` (`npm run demo`) starts the scripted model from test support as the only
 * provider, in a temp project, so every feature can be tried offline with no API key.
 *
 * Errors are one clear line each (port in use, server unreachable, wrong password, binary
 * missing), never a stack trace.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuilt } from './build.ts'
import { findOpencodeBinary, OpencodeBinaryMissing } from './opencode-bin.ts'
import { startStaticServer, type RelayConfigDocument } from './static-server.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const DEFAULT_PORT = 5174

/** An error whose message is shown to the user as is. */
class UserError extends Error {}

interface Cleanup {
  (): Promise<void>
}

const cleanups: Cleanup[] = []

async function shutdown(code: number): Promise<never> {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
  process.exit(code)
}

function basicAuth(password: string | undefined, username = 'opencode'): Record<string, string> {
  return password ? { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } : {}
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
    throw new UserError(`OpenCode server unreachable at ${url} (${err instanceof Error ? err.message : String(err)}). Is \`opencode serve\` running?`)
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
    if (child.exitCode !== null) throw new UserError(`opencode serve exited with code ${child.exitCode} before it was ready.`)
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

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((ok, fail) => {
    const srv = createServer()
    srv.once('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => ok(port))
    })
  })
}

/** Starts `opencode serve` on loopback in `dir`; stops its whole process group on exit. */
async function startOpencodeServe(dir: string, password: string | undefined, origin: string): Promise<string> {
  let bin: string
  try {
    bin = findOpencodeBinary(ROOT)
  } catch (err) {
    if (err instanceof OpencodeBinaryMissing) throw new UserError(err.message)
    throw err
  }
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env = { ...process.env }
  if (password) env.OPENCODE_SERVER_PASSWORD = password
  const child = spawn(bin, ['serve', '--hostname', '127.0.0.1', '--port', String(port), '--cors', origin], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  })
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)))
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
  return url
}

/** Starts the scripted model and an isolated `opencode serve` using it (demo mode). */
async function startDemo(origin: string): Promise<{ url: string; directory: string }> {
  const { startScriptedModel } = await import('../../test/support/scripted-model.ts')
  const { startOpencode } = await import('../../test/support/opencode-server.ts')
  const model = await startScriptedModel()
  const oc = await startOpencode({ modelBaseURL: model.baseURL, cors: [origin] })
  cleanups.push(() => oc.dispose(), () => model.close())
  return { url: oc.url, directory: oc.directory }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      server: { type: 'string' },
      dir: { type: 'string' },
      demo: { type: 'boolean', default: false },
      awake: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  })
  if (values.help) {
    console.log(`Usage: npm start -- [--port N] [--server URL] [--dir PATH] [--demo] [--awake]

  --port N      port for the app (default ${DEFAULT_PORT}, or $PORT)
  --server URL  use this OpenCode server (or $OPENCODE_URL) instead of starting one
  --dir PATH    project directory for the started opencode serve (default: current directory)
  --demo        scripted model as the only provider, in a temp project (no API key needed)
  --awake       run the sleep-protection companion alongside
Environment: OPENCODE_SERVER_PASSWORD (Basic auth, user "opencode").`)
    return
  }
  const port = Number(values.port ?? process.env.PORT ?? DEFAULT_PORT)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`Invalid port: ${values.port ?? process.env.PORT}`)
  const origin = `http://localhost:${port}`
  const password = process.env.OPENCODE_SERVER_PASSWORD || undefined

  if (!values['no-build']) {
    try {
      ensureBuilt(ROOT, (l) => console.log(l))
    } catch (err) {
      throw new UserError(`The app build failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  // Bind the app port first, so "port in use" is reported before any server starts.
  let serverUrl = ''
  let awake: RelayConfigDocument['awake']
  const app = await startStaticServer({
    root: join(ROOT, 'dist'),
    port,
    config: () => ({ server: { url: serverUrl, password }, awake, source: values.demo ? 'npm run demo' : 'npm start' }),
    connectSources: () => [serverUrl, ...(awake ? [awake.url] : [])].filter(Boolean),
  }).catch((err: unknown) => {
    if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') {
      throw new UserError(`Port ${port} is already in use. Choose another: PORT=5175 npm start (or npm start -- --port 5175).`)
    }
    throw err
  })
  cleanups.push(() => app.close())

  const external = values.server ?? process.env.OPENCODE_URL
  if (values.demo) {
    const demo = await startDemo(origin)
    serverUrl = demo.url
    console.log(`Demo project: ${demo.directory}`)
  } else if (external) {
    serverUrl = external.replace(/\/+$/, '')
    await checkServer(serverUrl, password)
  } else {
    serverUrl = await startOpencodeServe(resolve(values.dir ?? process.cwd()), password, origin)
  }

  if (values.awake || process.env.RELAY_AWAKE === '1') {
    awake = await startAwake(serverUrl, password, origin)
  }

  console.log(`OpenCode server: ${serverUrl}${external ? ' (existing)' : ' (started by the launcher)'}`)
  console.log(`OpenCode Relay is running: ${app.url}`)
  console.log('Press Ctrl+C to stop.')
}

/** Runs the sleep-protection companion (`relay-awake awake`) with a fresh pairing token. */
async function startAwake(server: string, password: string | undefined, origin: string): Promise<{ url: string; token: string }> {
  const token = randomBytes(32).toString('hex')
  const port = await freePort()
  const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const args = [tsx, join(ROOT, 'src', 'cli', 'relay-awake.ts'), 'awake', '--port', String(port), '--server', server, '--origin', origin]
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, RELAY_AWAKE_TOKEN: token, ...(password ? { OPENCODE_SERVER_PASSWORD: password } : {}) },
  })
  cleanups.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()))
      child.kill('SIGTERM')
      await exited
    }
  })
  return { url: `http://127.0.0.1:${port}`, token }
}

process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))
main().catch(async (err: unknown) => {
  console.error(err instanceof UserError ? `Error: ${err.message}` : err)
  await shutdown(1)
})
