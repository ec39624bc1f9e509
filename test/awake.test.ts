/**
 * relay-awake: unit tests of the pure parts (backoff, frame parsing, controller with an injected
 * clock, HTTP guards, status rendering) and real-process tests of the CLI with fake
 * `caffeinate` / `systemd-inhibit` first on PATH (test/support/fake-power-tools.ts) and a fake
 * OpenCode `/global/event` SSE server. Timing bounds of the process tests are generous.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { reconnectDelayMs, SSE_BACKOFF } from '../src/cli/awake/backoff.ts'
import { AwakeController, type ServerSource } from '../src/cli/awake/controller.ts'
import { isAllowedHost, isAllowedOrigin, isValidBearer, normalizeOrigin, parseLeaseBody } from '../src/cli/awake/http.ts'
import { ChildProcessAssertion, CAFFEINATE, SYSTEMD_INHIBIT, resolveOnPath, sanitizeReason, type PowerAssertion } from '../src/cli/awake/power.ts'
import { formatStatus } from '../src/cli/awake/status.ts'
import { applyGlobalEventFrame, SessionWatcher, type BusySession } from '../src/cli/awake/watcher.ts'
import { isAwakeStatus, type AwakePlatform, type AwakeServerState } from '../sw/shared/awake-wire.ts'
import { BusySessions } from '../sw/shared/opencode-events.ts'
import { FakeClock } from './support/fake-clock.ts'
import { installFakePowerTools, type FakePowerTools } from './support/fake-power-tools.ts'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ENTRY = join(REPO_ROOT, 'src', 'cli', 'relay-awake.ts')
const TOKEN = 'test-token-0123456789abcdef'

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A power backend that only counts calls. */
class FakePower implements PowerAssertion {
  readonly platform: AwakePlatform = 'linux'
  readonly supported = true
  acquires: string[] = []
  releases = 0
  private isHeld = false
  acquire(reason: string): void {
    if (this.isHeld) return
    this.isHeld = true
    this.acquires.push(reason)
  }
  release(): void {
    if (!this.isHeld) return
    this.isHeld = false
    this.releases += 1
  }
  held(): boolean {
    return this.isHeld
  }
  whenReleased(): Promise<void> {
    return Promise.resolve()
  }
  lastError(): string | undefined {
    return undefined
  }
}

/** A hand-driven session source. */
class FakeSessions implements ServerSource {
  url = 'http://127.0.0.1:4096'
  busy: BusySession[] = []
  state(): AwakeServerState {
    return 'connected'
  }
  lastError(): string | undefined {
    return undefined
  }
  busySessions(): BusySession[] {
    return this.busy
  }
  set(ids: string[]): void {
    this.busy = ids.map((sessionID) => ({ sessionID, directory: '/x', status: 'busy', since: 0 }))
  }
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `fn` every 50 ms until it returns a truthy value; throws `what` after `timeoutMs`. */
async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await delay(50)
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

interface HttpResult {
  status: number
  headers: IncomingHttpHeaders
  body: unknown
}

/** Raw node:http request to 127.0.0.1:port (so Host can be forged). Authorization defaults to the test token. */
function call(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, ...opts.headers }
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body)
  if (payload !== undefined) headers['content-type'] = 'application/json'
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/status', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        try {
          body = text ? JSON.parse(text) : undefined
        } catch {
          // keep text
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body })
      })
    })
    req.on('error', reject)
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

async function getStatus(port: number): Promise<{ held: boolean; busySessions: string[]; reasons: string[]; enabled: boolean; supported: boolean; serverState?: string; since?: number }> {
  const res = await call(port)
  expect(res.status).toBe(200)
  if (!isAwakeStatus(res.body)) throw new Error(`bad status body: ${JSON.stringify(res.body)}`)
  return res.body
}

interface FakeOpencode {
  url: string
  /** Sends a `session.status` frame to every open stream. */
  status(sessionID: string, type: 'busy' | 'idle' | 'retry', directory?: string): void
  /** Sends a raw SSE data line. */
  raw(data: string): void
  /** Number of open `/global/event` streams. */
  streams(): number
  /** Ends every open stream (the CLI must reconnect). */
  dropStreams(): void
  /** Number of `/global/event` requests refused with 401. */
  refused(): number
  close(): Promise<void>
}

/** A tiny `opencode serve` stand-in: `GET /global/event` SSE with `{directory, payload}` frames. */
async function startFakeOpencode(password?: string): Promise<FakeOpencode> {
  const open = new Set<ServerResponse>()
  let refused = 0
  let seq = 0
  const server: Server = createServer((req, res) => {
    if (password !== undefined && req.headers.authorization !== `Basic ${Buffer.from(`opencode:${password}`).toString('base64')}`) {
      refused += 1
      res.writeHead(401).end()
      return
    }
    if (req.url !== '/global/event') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    res.write(`data: ${JSON.stringify({ payload: { id: 'evt_0', type: 'server.connected', properties: {} } })}\n\n`)
    open.add(res)
    res.on('close', () => open.delete(res))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const raw = (data: string): void => {
    for (const res of open) res.write(`data: ${data}\n\n`)
  }
  return {
    url: `http://127.0.0.1:${port}`,
    status: (sessionID, type, directory = '/work/project') =>
      raw(JSON.stringify({ directory, payload: { id: `evt_${++seq}`, type: 'session.status', properties: { sessionID, status: { type } } } })),
    raw,
    streams: () => open.size,
    dropStreams: () => {
      for (const res of open) res.destroy()
      open.clear()
    },
    refused: () => refused,
    close: () =>
      new Promise<void>((r) => {
        for (const res of open) res.destroy()
        server.close(() => r())
      }),
  }
}

interface AwakeProcess {
  port: number
  pid: number
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const running: AwakeProcess[] = []

/** Spawns `relay-awake awake --port 0 ...` directly under node (so `pid` is the CLI itself). */
async function startAwake(opts: { fakes: FakePowerTools; platform?: string; args?: string[]; token?: string | null }): Promise<AwakeProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${opts.fakes.binDir}${delimiter}${process.env.PATH ?? ''}`, RELAY_AWAKE_PLATFORM: opts.platform ?? 'darwin' }
  delete env.OPENCODE_SERVER_PASSWORD
  if (opts.token === null) delete env.RELAY_AWAKE_TOKEN
  else env.RELAY_AWAKE_TOKEN = opts.token ?? TOKEN
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'awake', '--port', '0', ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })))
  let gone = false
  void exited.then(() => (gone = true))
  const match = await until(
    'the listening line',
    () => {
      if (gone) throw new Error(`relay-awake exited early:\n${out}\n${err}`)
      return /relay-awake listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
    },
    30_000,
  )
  const proc: AwakeProcess = { port: Number(match[1]), pid: child.pid ?? -1, child, stdout: () => out, stderr: () => err, exited }
  running.push(proc)
  return proc
}

/** Runs `relay-awake <args>` to completion. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const fullEnv: NodeJS.ProcessEnv = { ...process.env }
  delete fullEnv.RELAY_AWAKE_TOKEN
  Object.assign(fullEnv, env)
  return new Promise((r) => {
    execFile(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: REPO_ROOT, env: fullEnv }, (error, stdout, stderr) => {
      const code = error && typeof error.code === 'number' ? error.code : error ? 1 : 0
      r({ code, stdout, stderr })
    })
  })
}

/** A port nothing listens on (bound then released). */
async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const address = srv.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

// ---------------------------------------------------------------------------------------------
// Unit tests
// ---------------------------------------------------------------------------------------------

describe('backoff with full jitter', () => {
  it('stays in [50 ms, min(cap, base * 2^n)] (the relay\'s shared backoff)', () => {
    const top = (): number => 0.999999
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => reconnectDelayMs(n, SSE_BACKOFF, top))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000])
    expect(reconnectDelayMs(3, SSE_BACKOFF, () => 0)).toBe(50)
  })
})

describe('the watcher reads /global/event frames into busy sessions', () => {
  const frame = (type: string, properties: unknown, directory = '/x'): string => JSON.stringify({ directory, payload: { id: 'evt_1', type, properties } })
  const busyOf = (...frames: string[]): string[] => {
    const busy = new BusySessions()
    for (const f of frames) applyGlobalEventFrame(busy, f, 0)
    return busy.list().map((s) => `${s.directory}:${s.sessionID}:${s.status}`)
  }

  it('session.status busy and retry make a session busy, idle makes it idle', () => {
    expect(busyOf(frame('session.status', { sessionID: 'ses_1', status: { type: 'busy' } }))).toEqual(['/x:ses_1:busy'])
    expect(busyOf(frame('session.status', { sessionID: 'ses_1', status: { type: 'retry' } }))).toEqual(['/x:ses_1:retry'])
    expect(busyOf(frame('session.status', { sessionID: 'ses_1', status: { type: 'busy' } }), frame('session.status', { sessionID: 'ses_1', status: { type: 'idle' } }))).toEqual([])
  })

  it('session.idle, session.deleted and disposals end work; heartbeats and other events change nothing', () => {
    const busy = (id: string, dir = '/x') => frame('session.status', { sessionID: id, status: { type: 'busy' } }, dir)
    expect(busyOf(busy('ses_1'), frame('session.idle', { sessionID: 'ses_1' }))).toEqual([])
    expect(busyOf(busy('ses_2'), frame('session.deleted', { sessionID: 'ses_2', info: { id: 'ses_2' } }))).toEqual([])
    expect(busyOf(busy('ses_1', '/y'), busy('ses_2', '/z'), frame('server.instance.disposed', { directory: '/y' }))).toEqual(['/z:ses_2:busy'])
    expect(busyOf(busy('ses_1'), frame('global.disposed', {}, ''))).toEqual([])
    expect(busyOf(busy('ses_1'), JSON.stringify({ payload: { id: 'e', type: 'server.heartbeat', properties: {} } }), frame('message.updated', {}))).toEqual(['/x:ses_1:busy'])
  })

  it('malformed frames change nothing and never throw', () => {
    const busy = new BusySessions()
    for (const f of ['{not json', '42', frame('session.status', { sessionID: 'ses_1', status: { type: 'weird' } }), frame('session.status', { status: { type: 'busy' } }), frame('session.status', { sessionID: 'ses_1' })]) {
      expect(applyGlobalEventFrame(busy, f, 0)).toBe(false)
    }
    expect(busy.size).toBe(0)
  })
})

describe('SessionWatcher.ingest', () => {
  it('tracks busy sessions and clears a disposed directory', () => {
    let changes = 0
    const w = new SessionWatcher({ server: 'http://127.0.0.1:1/', onChange: () => changes++ })
    expect(w.url).toBe('http://127.0.0.1:1')
    const frame = (type: string, properties: unknown, directory: string): string => JSON.stringify({ directory, payload: { id: 'evt_1', type, properties } })
    w.ingest(frame('session.status', { sessionID: 'ses_a', status: { type: 'busy' } }, '/a'))
    w.ingest(frame('session.status', { sessionID: 'ses_a', status: { type: 'busy' } }, '/a'))
    w.ingest(frame('session.status', { sessionID: 'ses_b', status: { type: 'retry' } }, '/b'))
    expect(w.busySessions().map((s) => `${s.sessionID}:${s.status}`)).toEqual(['ses_a:busy', 'ses_b:retry'])
    expect(changes).toBe(2)
    w.ingest(frame('server.instance.disposed', { directory: '/a' }, '/a'))
    expect(w.busySessions().map((s) => s.sessionID)).toEqual(['ses_b'])
    w.ingest(frame('session.idle', { sessionID: 'ses_b' }, '/b'))
    expect(w.busySessions()).toEqual([])
  })
})

describe('AwakeController (manual clock)', () => {
  let clock: FakeClock
  let power: FakePower
  let sessions: FakeSessions
  let c: AwakeController
  beforeEach(() => {
    clock = new FakeClock()
    power = new FakePower()
    sessions = new FakeSessions()
    c = new AwakeController({ power, clock, server: sessions, leaseMs: 15_000, graceMs: 750 })
  })

  it('acquires on busy and releases after the grace', async () => {
    sessions.set(['ses_1'])
    c.sessionsChanged()
    expect(power.held()).toBe(true)
    expect(power.acquires).toEqual(['relay-awake: session ses_1 busy'])
    expect(c.status()).toMatchObject({ held: true, since: clock.now(), reasons: ['session ses_1 busy'], busySessions: ['ses_1'] })
    sessions.set([])
    c.sessionsChanged()
    await clock.advance(749)
    expect(power.held()).toBe(true)
    await clock.advance(1)
    expect(power.held()).toBe(false)
    expect(c.status().since).toBeUndefined()
  })

  it('does not re-acquire while busy/idle flaps inside the grace', async () => {
    for (let i = 0; i < 20; i++) {
      sessions.set(i % 2 === 0 ? ['ses_1'] : [])
      c.sessionsChanged()
      await clock.advance(100)
    }
    sessions.set([])
    c.sessionsChanged()
    await clock.advance(1_000)
    expect(power.acquires).toHaveLength(1)
    expect(power.releases).toBe(1)
  })

  it('holds a lease until it expires, renewals extend it, busy:false drops it', async () => {
    c.lease('http://app', { busy: true, reason: 'relay worker' })
    expect(power.held()).toBe(true)
    expect(c.reasons()).toEqual(['lease (http://app): relay worker'])
    await clock.advance(10_000)
    c.lease('http://app', { busy: true, reason: 'relay worker' })
    await clock.advance(14_000)
    expect(power.held()).toBe(true)
    await clock.advance(1_000 + 750)
    expect(power.held()).toBe(false)
    c.lease('cli', { busy: true, ttlMs: 5 })
    expect(c.status().leases[0].expiresAt).toBe(clock.now() + 100)
    c.lease('cli', { busy: false })
    await clock.advance(750)
    expect(power.held()).toBe(false)
    expect(power.acquires).toHaveLength(2)
  })

  it('clamps ttlMs to [100 ms, 120 s]', () => {
    c.lease('a', { busy: true, ttlMs: 10 * 60_000 })
    expect(c.status().leases[0].expiresAt).toBe(clock.now() + 120_000)
  })

  it('disabling releases at once; enabling re-acquires', () => {
    sessions.set(['ses_1'])
    c.sessionsChanged()
    c.setEnabled(false)
    expect(power.held()).toBe(false)
    expect(c.status()).toMatchObject({ enabled: false, held: false })
    c.setEnabled(true)
    expect(power.held()).toBe(true)
  })
})

describe('HTTP guards', () => {
  it('accepts only 127.0.0.1:PORT and localhost:PORT as Host', () => {
    expect(isAllowedHost('127.0.0.1:4747', 4747)).toBe(true)
    expect(isAllowedHost('LOCALHOST:4747', 4747)).toBe(true)
    expect(isAllowedHost('localhost:4748', 4747)).toBe(false)
    expect(isAllowedHost('evil.example:4747', 4747)).toBe(false)
    expect(isAllowedHost('127.0.0.1', 4747)).toBe(false)
    expect(isAllowedHost(undefined, 4747)).toBe(false)
  })
  it('matches normalized origins and never `null`', () => {
    const allowed = [normalizeOrigin('http://localhost:5173/')]
    expect(isAllowedOrigin('http://localhost:5173', allowed)).toBe(true)
    expect(isAllowedOrigin('http://localhost:5174', allowed)).toBe(false)
    expect(isAllowedOrigin('null', allowed)).toBe(false)
    expect(() => normalizeOrigin('file:///x')).toThrow()
  })
  it('checks the bearer token', () => {
    expect(isValidBearer(`Bearer ${TOKEN}`, TOKEN)).toBe(true)
    expect(isValidBearer(`bearer ${TOKEN}`, TOKEN)).toBe(true)
    expect(isValidBearer('Bearer nope', TOKEN)).toBe(false)
    expect(isValidBearer(TOKEN, TOKEN)).toBe(false)
    expect(isValidBearer(undefined, TOKEN)).toBe(false)
  })
  it('validates lease bodies', () => {
    expect(parseLeaseBody({ busy: true, reason: 'a\nb', ttlMs: 5000 })).toEqual({ busy: true, reason: 'a b', ttlMs: 5000 })
    expect(typeof parseLeaseBody({ busy: 'yes' })).toBe('string')
    expect(typeof parseLeaseBody({ busy: true, ttlMs: -1 })).toBe('string')
    expect(typeof parseLeaseBody([])).toBe('string')
  })
})

describe('power commands and status rendering', () => {
  it('builds the caffeinate and systemd-inhibit argv', () => {
    expect(CAFFEINATE.args('x', 42, [])).toEqual(['-i', '-w', '42'])
    expect(SYSTEMD_INHIBIT.args('session ses_1 busy', 42, ['/usr/bin/tail'])).toEqual([
      '--what=idle:sleep',
      '--who=relay-awake',
      '--why=session ses_1 busy',
      '--mode=block',
      '/usr/bin/tail',
      '--pid=42',
      '-s',
      '1',
      '-f',
      '/dev/null',
    ])
    expect(sanitizeReason('a\tb\n')).toBe('a b')
  })
  it('renders held status with the local clock time and reasons', () => {
    const since = new Date(2026, 0, 2, 14, 2, 11).getTime()
    const text = formatStatus({
      running: true,
      held: true,
      since,
      reasons: ['session ses_1 busy'],
      enabled: true,
      platform: 'darwin',
      supported: true,
      server: 'http://127.0.0.1:4096',
      serverState: 'connected',
      busySessions: ['ses_1'],
      leases: [],
      pid: 1,
    })
    expect(text.split('\n')[0]).toBe('held: yes since 14:02:11 (session ses_1 busy)')
    expect(text).toContain('server: http://127.0.0.1:4096 (connected)')
  })
})

// ---------------------------------------------------------------------------------------------
// Real processes
// ---------------------------------------------------------------------------------------------

describe('relay-awake (real processes, fake power tools)', () => {
  let fakes: FakePowerTools
  let sse: FakeOpencode | undefined

  beforeEach(() => {
    fakes = installFakePowerTools()
    sse = undefined
  })

  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL')
        await p.exited
      }
    }
    for (const l of fakes.alive()) {
      try {
        process.kill(l.pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
    await sse?.close()
    fakes.dispose()
  })

  it('ChildProcessAssertion keeps at most one child alive under 20 rapid acquire/release flips', async () => {
    const env = { ...process.env, PATH: `${fakes.binDir}${delimiter}${process.env.PATH ?? ''}` }
    expect(resolveOnPath('caffeinate', env.PATH)).toBe(join(fakes.binDir, 'caffeinate'))
    const power = new ChildProcessAssertion('darwin', CAFFEINATE, { env })
    for (let i = 0; i < 20; i++) {
      power.acquire('flip')
      power.acquire('flip') // idempotent
      await delay(i % 3 === 0 ? 60 : 5)
      power.release()
      await delay(5)
    }
    power.acquire('final')
    await until('the final child to start', () => power.held() && fakes.lifetimes().some((l) => l.endedAt === undefined))
    power.release()
    await power.whenReleased()
    expect(fakes.maxConcurrent()).toBe(1)
    expect(fakes.alive()).toEqual([])
  })

  it('darwin: acquires caffeinate -i -w <cli pid> on a busy session and releases within 2 s of idle', async () => {
    sse = await startFakeOpencode()
    const cli = await startAwake({ fakes, platform: 'darwin', args: ['--server', sse.url] })
    await until('the CLI to connect to /global/event', () => sse?.streams() === 1)
    sse.status('ses_mac', 'busy')
    const [life] = await until('caffeinate to start', () => (fakes.lifetimes().length > 0 ? fakes.lifetimes() : undefined))
    expect(life.tool).toBe('caffeinate')
    expect(life.argv).toEqual(['-i', '-w', String(cli.pid)])
    const st = await getStatus(cli.port)
    expect(st).toMatchObject({ held: true, busySessions: ['ses_mac'], reasons: ['session ses_mac busy'], serverState: 'connected', supported: true })
    expect(typeof st.since).toBe('number')

    const idleAt = Date.now()
    sse.status('ses_mac', 'idle')
    const ended = await until('caffeinate to end', () => fakes.lifetimes()[0].endedAt, 3_000)
    expect(ended - idleAt).toBeLessThan(3_000)
    expect(fakes.lifetimes()[0].why).toBe('signal')
    expect(await getStatus(cli.port)).toMatchObject({ held: false, busySessions: [] })
    expect(fakes.alive()).toEqual([])
  })

  it('linux: runs systemd-inhibit --what=idle:sleep ... tail --pid=<cli pid> and releases on idle', async () => {
    sse = await startFakeOpencode()
    const cli = await startAwake({ fakes, platform: 'linux', args: ['--server', sse.url] })
    await until('the CLI to connect', () => sse?.streams() === 1)
    sse.status('ses_lin', 'retry')
    const [life] = await until('systemd-inhibit to start', () => (fakes.lifetimes().length > 0 ? fakes.lifetimes() : undefined))
    expect(life.tool).toBe('systemd-inhibit')
    expect(life.argv.slice(0, 4)).toEqual(['--what=idle:sleep', '--who=relay-awake', '--why=relay-awake: session ses_lin retry', '--mode=block'])
    expect(life.argv[4]).toMatch(/(^|\/)tail$/)
    expect(life.argv.slice(5)).toEqual([`--pid=${cli.pid}`, '-s', '1', '-f', '/dev/null'])
    sse.raw(JSON.stringify({ directory: '/work/project', payload: { id: 'evt_x', type: 'session.idle', properties: { sessionID: 'ses_lin' } } }))
    await until('systemd-inhibit to end', () => fakes.lifetimes()[0].endedAt, 3_000)
    expect(fakes.alive()).toEqual([])
  })

  it('sends Basic auth to a password-protected server', async () => {
    sse = await startFakeOpencode('s3cret')
    const cli = await startAwake({ fakes, args: ['--server', sse.url, '--password', 's3cret'] })
    await until('the CLI to connect with Basic auth', () => sse?.streams() === 1)
    expect(sse.refused()).toBe(0)
    sse.status('ses_pw', 'busy')
    await until('held', async () => (await getStatus(cli.port)).held)
  })

  it('after the stream drops every session is idle until re-reported, and it reconnects', async () => {
    sse = await startFakeOpencode()
    const cli = await startAwake({ fakes, args: ['--server', sse.url] })
    await until('connect', () => sse?.streams() === 1)
    sse.status('ses_r', 'busy')
    await until('caffeinate to start', () => fakes.lifetimes().length === 1)
    sse.dropStreams()
    await until('release after the drop', () => fakes.lifetimes()[0].endedAt, 5_000)
    await until('reconnect (backoff ≤ 0.5 s on the first retry)', () => sse?.streams() === 1, 5_000)
    expect((await getStatus(cli.port)).busySessions).toEqual([])
    sse.status('ses_r', 'busy')
    await until('re-acquire', () => fakes.lifetimes().length === 2)
  })

  it('holds a lease and releases it after --lease-ms', async () => {
    const cli = await startAwake({ fakes, args: ['--lease-ms', '1500'] })
    const res = await call(cli.port, { method: 'POST', path: '/lease', body: { busy: true, reason: 'relay worker' } })
    expect(res.status).toBe(200)
    await until('caffeinate to start', () => fakes.lifetimes().length === 1)
    expect((await getStatus(cli.port)).reasons).toEqual(['lease (cli): relay worker'])
    const ended = await until('the lease to expire and release', () => fakes.lifetimes()[0].endedAt, 8_000)
    expect(ended - fakes.lifetimes()[0].startedAt).toBeGreaterThanOrEqual(1_000)
    expect((await getStatus(cli.port)).held).toBe(false)

    await call(cli.port, { method: 'POST', path: '/lease', body: { busy: true, ttlMs: 60_000 } })
    await until('second acquire', () => fakes.lifetimes().length === 2)
    await call(cli.port, { method: 'POST', path: '/lease', body: { busy: false } })
    await until('release on busy:false', () => fakes.lifetimes()[1].endedAt, 3_000)
  })

  it('POST /enabled false releases; true re-acquires', async () => {
    const cli = await startAwake({ fakes })
    await call(cli.port, { method: 'POST', path: '/lease', body: { busy: true } })
    await until('acquire', () => fakes.lifetimes().length === 1)
    const off = await call(cli.port, { method: 'POST', path: '/enabled', body: { enabled: false } })
    expect(off.status).toBe(200)
    await until('release when disabled', () => fakes.lifetimes()[0].endedAt, 3_000)
    expect(await getStatus(cli.port)).toMatchObject({ enabled: false, held: false })
    await call(cli.port, { method: 'POST', path: '/enabled', body: { enabled: true } })
    await until('re-acquire when enabled', () => fakes.lifetimes().length === 2)
    expect((await call(cli.port, { method: 'POST', path: '/enabled', body: { enabled: 'yes' } })).status).toBe(400)
  })

  it('darwin: a SIGKILLed CLI releases through caffeinate -w', async () => {
    const cli = await startAwake({ fakes, platform: 'darwin' })
    await call(cli.port, { method: 'POST', path: '/lease', body: { busy: true } })
    const [life] = await until('caffeinate', () => (fakes.lifetimes().length === 1 ? fakes.lifetimes() : undefined))
    cli.child.kill('SIGKILL')
    await cli.exited
    await until('caffeinate to notice the dead pid', () => fakes.lifetimes()[0].endedAt, 5_000)
    expect(fakes.lifetimes()[0].why).toBe('watched-pid-exited')
    await until('the caffeinate process to be gone', () => !pidAlive(life.pid), 3_000)
  })

  it('linux: a SIGKILLed CLI releases through tail --pid', async () => {
    const cli = await startAwake({ fakes, platform: 'linux' })
    await call(cli.port, { method: 'POST', path: '/lease', body: { busy: true } })
    const [life] = await until('systemd-inhibit', () => (fakes.lifetimes().length === 1 ? fakes.lifetimes() : undefined))
    cli.child.kill('SIGKILL')
    await cli.exited
    await until('systemd-inhibit to end with its command', () => fakes.lifetimes()[0].endedAt, 6_000)
    expect(fakes.lifetimes()[0].why).toBe('command-exited')
    await until('the systemd-inhibit process to be gone', () => !pidAlive(life.pid), 3_000)
  })

  it('SIGTERM releases and exits 0', async () => {
    const cli = await startAwake({ fakes })
    await call(cli.port, { method: 'POST', path: '/lease', body: { busy: true } })
    await until('acquire', () => fakes.lifetimes().length === 1)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    expect(fakes.lifetimes()[0].endedAt).toBeDefined()
    expect(fakes.alive()).toEqual([])
  })

  it('--watch-pid: releases and exits once the launcher process is gone', async () => {
    const launcher = spawn('sleep', ['60'], { stdio: 'ignore' })
    const launcherExited = new Promise((r) => launcher.once('exit', r))
    try {
      const cli = await startAwake({ fakes, args: ['--watch-pid', String(launcher.pid)] })
      await call(cli.port, { method: 'POST', path: '/lease', body: { busy: true, ttlMs: 60_000 } })
      await until('acquire', () => fakes.lifetimes().length === 1)
      launcher.kill('SIGKILL')
      await launcherExited
      expect(await cli.exited).toEqual({ code: 0, signal: null })
      expect(fakes.lifetimes()[0].endedAt).toBeDefined()
      expect(fakes.lifetimes()[0].why).toBe('signal')
      expect(fakes.alive()).toEqual([])
      expect(cli.stderr()).toContain(`watched pid ${launcher.pid} exited`)
    } finally {
      if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL')
    }
  })

  it('--watch-pid rejects a non-pid', async () => {
    const res = await runCli(['awake', '--port', '0', '--watch-pid', 'abc'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('invalid --watch-pid')
  })

  it('keeps at most one assertion alive under 20 rapid busy/idle flips (grace 0)', async () => {
    sse = await startFakeOpencode()
    const cli = await startAwake({ fakes, platform: 'darwin', args: ['--server', sse.url, '--grace-ms', '0'] })
    await until('connect', () => sse?.streams() === 1)
    for (let i = 0; i < 20; i++) {
      sse.status('ses_flip', i % 2 === 0 ? 'busy' : 'idle')
      await delay(i % 4 === 0 ? 80 : 15)
    }
    sse.status('ses_flip', 'idle')
    await until('everything released', async () => !(await getStatus(cli.port)).held && fakes.alive().length === 0, 5_000)
    expect(fakes.lifetimes().length).toBeGreaterThanOrEqual(1)
    expect(fakes.maxConcurrent()).toBe(1)
    expect(fakes.lifetimes().every((l) => l.endedAt !== undefined)).toBe(true)
  })

  it('keeps one assertion for 20 flips inside the default grace', async () => {
    sse = await startFakeOpencode()
    const cli = await startAwake({ fakes, args: ['--server', sse.url] })
    await until('connect', () => sse?.streams() === 1)
    for (let i = 0; i < 20; i++) {
      sse.status('ses_flip', i % 2 === 0 ? 'busy' : 'idle')
      await delay(20)
    }
    await until('release after the last idle', async () => !(await getStatus(cli.port)).held && fakes.alive().length === 0, 5_000)
    expect(fakes.lifetimes()).toHaveLength(1)
    expect(fakes.maxConcurrent()).toBe(1)
  })

  it('refuses a foreign Host (DNS rebinding), a foreign Origin, and a missing or wrong token', async () => {
    const cli = await startAwake({ fakes, args: ['--origin', 'http://localhost:5173'] })
    expect((await call(cli.port, { headers: { host: `evil.example:${cli.port}` } })).status).toBe(403)
    expect((await call(cli.port, { headers: { host: `localhost:${cli.port + 1}` } })).status).toBe(403)
    expect((await call(cli.port, { headers: { host: `localhost:${cli.port}` } })).status).toBe(200)
    expect((await call(cli.port, { headers: { origin: 'https://evil.example' } })).status).toBe(403)
    expect((await call(cli.port, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } })).status).toBe(403)
    expect((await call(cli.port, { headers: { authorization: '' } })).status).toBe(401)
    expect((await call(cli.port, { headers: { authorization: 'Bearer wrong-token-000000000000' } })).status).toBe(401)
    expect((await call(cli.port, { method: 'POST', path: '/lease', headers: { authorization: 'Bearer nope' }, body: { busy: true } })).status).toBe(401)
    expect((await call(cli.port, { headers: { origin: 'http://localhost:5173', authorization: '' } })).status).toBe(401)
    expect(fakes.lifetimes()).toEqual([])

    const ok = await call(cli.port, { headers: { origin: 'http://localhost:5173' } })
    expect(ok.status).toBe(200)
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:5173')
    const preflight = await call(cli.port, {
      method: 'OPTIONS',
      path: '/lease',
      headers: { origin: 'http://localhost:5173', authorization: '', 'access-control-request-method': 'POST', 'access-control-request-private-network': 'true' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173')
    expect(preflight.headers['access-control-allow-headers']).toBe('authorization, content-type')
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST')
    expect(preflight.headers['access-control-allow-private-network']).toBe('true')
    expect((await call(cli.port, { path: '/nope' })).status).toBe(404)
    expect((await call(cli.port, { method: 'POST', path: '/lease', body: { busy: 1 } })).status).toBe(400)
  })

  it('generates and prints a random 32-byte token when none is given', async () => {
    const cli = await startAwake({ fakes, token: null })
    const match = /relay-awake token: ([0-9a-f]{64})\n/.exec(cli.stdout())
    expect(match).not.toBeNull()
    expect((await call(cli.port)).status).toBe(401)
    const res = await call(cli.port, { headers: { authorization: `Bearer ${match?.[1] ?? ''}` } })
    expect(res.status).toBe(200)
  })

  it('win32 reports supported:false and never spawns anything', async () => {
    const cli = await startAwake({ fakes, platform: 'win32' })
    await call(cli.port, { method: 'POST', path: '/lease', body: { busy: true } })
    await delay(300)
    expect(await getStatus(cli.port)).toMatchObject({ supported: false, held: false })
    expect(fakes.lifetimes()).toEqual([])
    expect(cli.stderr()).toContain('Windows is not supported')
  })

  it('status command: human-readable when held, "not running" (exit 1) when nothing listens, exit 1 on a wrong token', async () => {
    sse = await startFakeOpencode()
    const cli = await startAwake({ fakes, args: ['--server', sse.url] })
    await until('connect', () => sse?.streams() === 1)
    sse.status('ses_st', 'busy')
    await until('held', async () => (await getStatus(cli.port)).held)
    const held = await runCli(['status', '--port', String(cli.port), '--token', TOKEN])
    expect(held.code).toBe(0)
    expect(held.stdout).toMatch(/^held: yes since \d\d:\d\d:\d\d \(session ses_st busy\)$/m)
    expect(held.stdout).toContain('busy sessions: ses_st')

    const viaEnv = await runCli(['status', '--port', String(cli.port), '--json'], { RELAY_AWAKE_TOKEN: TOKEN })
    expect(viaEnv.code).toBe(0)
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ running: true, held: true, busySessions: ['ses_st'] })

    const wrong = await runCli(['status', '--port', String(cli.port), '--token', 'wrong-token-000000000000'])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('refused the token')

    const none = await runCli(['status', '--port', String(await freePort()), '--token', TOKEN])
    expect(none.code).toBe(1)
    expect(none.stdout.trim()).toBe('not running')
  })
})
