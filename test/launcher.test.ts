/**
 * The launcher's (src/cli/start.ts) error paths and lifecycle, run as a real process
 * (`node tsx src/cli/start.ts --no-build`): each failure prints exactly one `Error: …` line, no
 * stack trace, and exits with code 1; a good start prints the URL, serves the config document, and
 * Ctrl+C (SIGINT) stops the `opencode serve` it started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT, freePort, isolatedEnv, startOpencode, writeProject, type OpencodeServer } from './support/opencode-server.ts'

const TSX = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')
const START = join(REPO_ROOT, 'src', 'cli', 'start.ts')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

let home: string

/** The launcher's environment: isolated HOME/XDG, no OPENCODE_* or PORT from the caller. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e = isolatedEnv(home)
  delete e.PORT
  delete e.RELAY_DIST
  delete e.RELAY_DEBUG
  return { ...e, ...extra }
}

function launch(args: string[], extra: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [TSX, START, '--no-build', ...args], { cwd: REPO_ROOT, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Runs the launcher to its exit. */
function run(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const child = launch(args, extra)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })))
}

/** Asserts the one-clear-line contract and returns that line. */
function expectOneErrorLine(r: Run): string {
  expect(r.code).toBe(1)
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^Error: /)
  expect(r.stderr).not.toMatch(/^\s+at /m)
  return lines[0]
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'relay-launcher-'))
})

afterAll(() => {
  rmSync(home, { recursive: true, force: true })
})

describe('launcher errors: one line, no stack trace, exit code 1', () => {
  let blocker: Server
  let blockedPort: number

  beforeAll(async () => {
    blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const addr = blocker.address()
    blockedPort = typeof addr === 'object' && addr ? addr.port : 0
  })

  afterAll(async () => {
    await new Promise<void>((r) => blocker.close(() => r()))
  })

  it('port in use', async () => {
    const line = expectOneErrorLine(await run(['--port', String(blockedPort), '--server', 'http://127.0.0.1:9']))
    expect(line).toContain(`Port ${blockedPort} is already in use`)
  })

  it('PORT from the environment is used too', async () => {
    const line = expectOneErrorLine(await run(['--server', 'http://127.0.0.1:9'], { PORT: String(blockedPort) }))
    expect(line).toContain(`Port ${blockedPort} is already in use`)
  })

  it('server unreachable (--server and OPENCODE_URL)', async () => {
    const dead = await freePort()
    const line = expectOneErrorLine(await run(['--port', '0', '--server', `http://127.0.0.1:${dead}`]))
    expect(line).toContain(`OpenCode server unreachable at http://127.0.0.1:${dead}`)
    expect(line).toContain('ECONNREFUSED')
    const viaEnv = expectOneErrorLine(await run(['--port', '0'], { OPENCODE_URL: `http://127.0.0.1:${dead}/` }))
    expect(viaEnv).toContain(`OpenCode server unreachable at http://127.0.0.1:${dead}`)
  })

  it('opencode binary missing for this platform', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'relay-nobin-'))
    try {
      const line = expectOneErrorLine(await run(['--port', '0'], { RELAY_OPENCODE_ROOT: empty }))
      expect(line).toContain(`The opencode binary for ${process.platform}-${process.arch} is missing`)
      expect(line).toContain('OPENCODE_URL')
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('bad arguments: port, option, URL, directory', async () => {
    expect(expectOneErrorLine(await run(['--port', 'abc']))).toContain('Invalid port: abc')
    expect(expectOneErrorLine(await run(['--port', '70000']))).toContain('Invalid port: 70000')
    expect(expectOneErrorLine(await run(['--bogus']))).toContain("Unknown option '--bogus'")
    expect(expectOneErrorLine(await run(['--port', '0', '--server', 'not a url']))).toContain('--server is not a URL')
    expect(expectOneErrorLine(await run(['--port', '0', '--server', 'ftp://x']))).toContain('must be an http:// or https:// URL')
    expect(expectOneErrorLine(await run(['--port', '0', '--dir', join(home, 'nope')]))).toContain('--dir does not exist')
  })
})

describe('launcher against a password-protected server', () => {
  let oc: OpencodeServer

  beforeAll(async () => {
    // The model is never called here; any URL will do.
    oc = await startOpencode({ modelBaseURL: 'http://127.0.0.1:9/v1', password: 'right-password' })
  })

  afterAll(async () => {
    await oc.dispose()
  })

  it('wrong password: 401 is reported as such', async () => {
    const line = expectOneErrorLine(await run(['--port', '0', '--server', oc.url], { OPENCODE_SERVER_PASSWORD: 'wrong' }))
    expect(line).toContain(`Wrong password for the OpenCode server at ${oc.url} (HTTP 401)`)
  })

  it('no password: says one is needed', async () => {
    const line = expectOneErrorLine(await run(['--port', '0', '--server', oc.url]))
    expect(line).toContain('needs a password (HTTP 401). Set OPENCODE_SERVER_PASSWORD')
  })

  it('right password: serves the app and passes Basic auth through in /relay-config.json', async () => {
    const child = launch(['--port', '0', '--server', oc.url], { OPENCODE_SERVER_PASSWORD: 'right-password' })
    try {
      const url = await urlOf(child)
      const config: unknown = await (await fetch(`${url}/relay-config.json`)).json()
      expect(config).toMatchObject({ server: { url: oc.url, password: 'right-password' }, source: 'npm start' })
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      child.kill('SIGINT')
      expect(await exit).toBe(0)
      // An existing server is not the launcher's to stop.
      expect((await fetch(`${oc.url}/global/health`, { headers: { authorization: `Basic ${Buffer.from('opencode:right-password').toString('base64')}` } })).ok).toBe(true)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

/** Waits for the "running" line and returns the app URL. */
function urlOf(child: ChildProcess): Promise<string> {
  let out = ''
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString()
      const m = out.match(/OpenCode Relay is running: (http:\/\/\S+)/)
      if (m) resolve(m[1])
    })
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()))
    child.once('exit', (code) => reject(new Error(`launcher exited with ${code}:\n${out}`)))
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('launcher starting its own opencode serve', () => {
  it('starts it in --dir, waits for health, and stops it on Ctrl+C', async () => {
    const project = writeProject(join(home, 'own'), 'http://127.0.0.1:9/v1')
    const child = launch(['--port', '0', '--dir', project])
    let serverPid: number | undefined
    try {
      let out = ''
      child.stdout?.on('data', (b: Buffer) => (out += b.toString()))
      await urlOf(child)
      const serverUrl = out.match(/OpenCode server: (http:\/\/127\.0\.0\.1:\d+) \(started by the launcher\)/)?.[1]
      expect(serverUrl, out).toBeDefined()
      const path: unknown = await (await fetch(`${serverUrl}/path`)).json()
      expect(path).toMatchObject({ directory: project })
      const { execFileSync } = await import('node:child_process')
      const port = serverUrl?.split(':').pop()
      serverPid = Number(execFileSync('pgrep', ['-f', `opencode serve --hostname 127.0.0.1 --port ${port}`], { encoding: 'utf8' }).trim().split('\n')[0])
      expect(alive(serverPid)).toBe(true)
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      child.kill('SIGINT')
      expect(await exit).toBe(0)
      expect(alive(serverPid)).toBe(false)
    } finally {
      child.kill('SIGKILL')
      if (serverPid && alive(serverPid)) process.kill(serverPid, 'SIGKILL')
    }
  })
})
