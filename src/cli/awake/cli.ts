/**
 * Argument parsing and the two commands of `relay-awake`:
 *
 * - `relay-awake awake [--port 4747] [--server URL] [--password P] [--token T] [--origin O ...]
 *   [--lease-ms 15000] [--grace-ms 750] [--watch-pid PID]` — runs the localhost API and holds a
 *   power assertion while a watched session is busy or a lease says busy. With `--watch-pid` it
 *   releases and exits once that process is gone (the launcher passes its own pid, so a
 *   SIGKILLed `npm start` cannot leave an orphan companion behind). Prints `relay-awake token: <hex>` once when
 *   the token was generated, then `relay-awake listening on http://127.0.0.1:PORT`.
 * - `relay-awake status [--port 4747] [--token T] [--json]` — prints the status; exit 1 with
 *   `not running` when nothing answers.
 *
 * Environment: `RELAY_AWAKE_TOKEN` (token when `--token` is absent), `OPENCODE_SERVER_PASSWORD`
 * (password when `--password` is absent), `RELAY_AWAKE_PLATFORM` (`darwin` | `linux` | `win32`:
 * force a backend, for tests).
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { AwakeController } from './controller.ts'
import { createAwakeServer, normalizeOrigin } from './http.ts'
import { createPowerAssertion, toAwakePlatform } from './power.ts'
import { fetchStatus, formatClock, formatStatus } from './status.ts'
import { SessionWatcher } from './watcher.ts'

/** Default port of the localhost API. */
export const DEFAULT_PORT = 4747

/** Usage text printed by `--help` and on usage errors. */
export const USAGE = `Usage:
  relay-awake awake  [--port 4747] [--server URL] [--password P] [--token T]
                     [--origin ORIGIN ...] [--lease-ms 15000] [--grace-ms 750]
                     [--watch-pid PID]
  relay-awake status [--port 4747] [--token T] [--json]

Keeps this computer from idle-sleeping while an OpenCode session is busy
(watched on URL/global/event) or while the Relay app holds a lease.
  --port 0          pick a free port (printed on the "listening" line)
  --server URL      OpenCode server to watch, e.g. http://127.0.0.1:4096
  --password P      its Basic-auth password (or env OPENCODE_SERVER_PASSWORD)
  --token T         bearer token of this API (or env RELAY_AWAKE_TOKEN);
                    a random one is generated and printed when absent
  --origin ORIGIN   browser origin allowed to call the API (repeatable)
  --lease-ms N      default lease lifetime in ms (default 15000)
  --grace-ms N      delay between idle and release in ms (default 750)
  --watch-pid PID   release and exit when process PID is gone (checked every second)
macOS: caffeinate -i -w <pid>. Linux: systemd-inhibit --what=idle:sleep. Windows: unsupported.`

class UsageError extends Error {}

function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`invalid --port: ${value}`)
  return n
}

function parseMs(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n < min) throw new UsageError(`invalid --${name}: ${value} (ms, >= ${min})`)
  return n
}

function stamp(line: string): string {
  return `[${formatClock(Date.now())}] relay-awake: ${line}`
}

/** Options of `relay-awake awake` after parsing. */
export interface AwakeOptions {
  port: number
  server?: string
  password?: string
  token?: string
  origins: string[]
  leaseMs: number
  graceMs: number
  /** Exit (releasing first) once this process is gone. */
  watchPid?: number
}

/**
 * Parses `awake` arguments.
 * @throws UsageError (an Error) on unknown flags or invalid values.
 */
export function parseAwakeArgs(args: string[], env: NodeJS.ProcessEnv): AwakeOptions {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      server: { type: 'string' },
      password: { type: 'string' },
      token: { type: 'string' },
      origin: { type: 'string', multiple: true },
      'lease-ms': { type: 'string' },
      'grace-ms': { type: 'string' },
      'watch-pid': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  })
  let watchPid: number | undefined
  if (values['watch-pid'] !== undefined) {
    watchPid = Number(values['watch-pid'])
    if (!Number.isInteger(watchPid) || watchPid <= 0) throw new UsageError(`invalid --watch-pid: ${values['watch-pid']}`)
  }
  let server: string | undefined
  if (values.server !== undefined) {
    try {
      const url = new URL(values.server)
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('http/https only')
      server = values.server.replace(/\/+$/, '')
    } catch {
      throw new UsageError(`invalid --server: ${values.server}`)
    }
  }
  const origins: string[] = []
  for (const o of values.origin ?? []) {
    try {
      origins.push(normalizeOrigin(o))
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err))
    }
  }
  const token = values.token ?? (env.RELAY_AWAKE_TOKEN || undefined)
  if (token !== undefined && !/^\S{16,}$/.test(token)) throw new UsageError('the token must be at least 16 characters without spaces')
  return {
    port: parsePort(values.port),
    server,
    password: values.password ?? (env.OPENCODE_SERVER_PASSWORD || undefined),
    token,
    origins,
    leaseMs: parseMs('lease-ms', values['lease-ms'], 15_000, 100),
    graceMs: parseMs('grace-ms', values['grace-ms'], 750, 0),
    watchPid,
  }
}

/** True while process `pid` exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err instanceof Error && 'code' in err && err.code === 'EPERM'
  }
}

/** Runs `relay-awake awake` until SIGINT/SIGTERM/SIGHUP (then releases and exits 0). */
async function runAwake(opts: AwakeOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${stamp(line)}\n`)
  let token = opts.token
  if (token === undefined) {
    token = randomBytes(32).toString('hex')
    process.stdout.write(`relay-awake token: ${token}\n`)
  }
  const platform = toAwakePlatform(env.RELAY_AWAKE_PLATFORM || process.platform)
  const power = createPowerAssertion(platform, { env, log })
  // The watcher and the controller refer to each other: the watcher's onChange is bound late.
  const sessions = { changed: (): void => {} }
  const watcher = opts.server
    ? new SessionWatcher({ server: opts.server, password: opts.password, onChange: () => sessions.changed(), log })
    : undefined
  const controller = new AwakeController({ power, leaseMs: opts.leaseMs, graceMs: opts.graceMs, server: watcher, log })
  sessions.changed = () => controller.sessionsChanged()
  if (!power.supported) log(`warning: ${power.lastError() ?? 'unsupported platform'}; status reports supported: false`)

  const server = createAwakeServer({ controller, token, origins: opts.origins })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  process.stdout.write(`relay-awake listening on http://127.0.0.1:${port}\n`)
  watcher?.start()

  let shuttingDown = false
  const shutdown = (why: string): void => {
    if (shuttingDown) return
    shuttingDown = true
    log(`${why}: releasing and exiting`)
    watcher?.stop()
    controller.dispose()
    server.close()
    server.closeAllConnections()
    const force = setTimeout(() => process.exit(0), 3_000)
    void power.whenReleased().then(() => {
      clearTimeout(force)
      process.exit(0)
    })
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal))
  const watchPid = opts.watchPid
  if (watchPid !== undefined) {
    const check = (): void => {
      if (!pidAlive(watchPid)) shutdown(`watched pid ${watchPid} exited`)
    }
    setInterval(check, 1_000)
    check()
  }
  // Safety net for any other exit path (uncaught error): SIGTERM the child synchronously. A
  // SIGKILLed CLI is covered by caffeinate -w / tail --pid instead.
  process.on('exit', () => power.release())
}

/** Runs `relay-awake status`; resolves to the exit code (0 ok, 1 not running/refused). */
async function runStatus(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  })
  const port = parsePort(values.port)
  const result = await fetchStatus(port, values.token ?? (env.RELAY_AWAKE_TOKEN || undefined))
  switch (result.kind) {
    case 'ok':
      process.stdout.write(`${values.json ? JSON.stringify(result.status, null, 2) : formatStatus(result.status)}\n`)
      return 0
    case 'not-running':
      process.stdout.write('not running\n')
      return 1
    case 'unauthorized':
      process.stderr.write(`relay-awake on port ${port} refused the token (pass --token or set RELAY_AWAKE_TOKEN)\n`)
      return 1
    case 'error':
      process.stderr.write(`relay-awake status: ${result.message}\n`)
      return 1
  }
}

/**
 * Entry point: `argv` without node and script (`process.argv.slice(2)`).
 * Resolves to an exit code for `status`/usage errors; for `awake` it resolves once the server is
 * listening and returns `undefined` (the process then lives until a signal).
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${USAGE}\n`)
      return command === undefined ? 2 : 0
    }
    if (command === 'awake') {
      await runAwake(parseAwakeArgs(rest, env), env)
      return undefined
    }
    if (command === 'status') return await runStatus(rest, env)
    throw new UsageError(`unknown command: ${command}`)
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`relay-awake: ${err.message}\n\n${USAGE}\n`)
      return 2
    }
    if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') {
      process.stderr.write(`relay-awake: port in use (already running? try \`relay-awake status\`): ${err.message}\n`)
      return 1
    }
    process.stderr.write(`relay-awake: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}
