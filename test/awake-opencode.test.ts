/**
 * Issue 5 acceptance with the real OpenCode server: `relay-awake` watches the real
 * `opencode serve` (pinned `opencode-ai`, scripted model) on `GET /global/event`, with a fake
 * `caffeinate` first on PATH (`RELAY_AWAKE_PLATFORM=darwin`, test/support/fake-power-tools.ts).
 * It must take the assertion when the server's own `session.status` says busy while the
 * scripted model streams, and release it within 2 s of the server's idle. The same run checks
 * the app's companion client (sw/shared/awake-client.ts) and the relay's lease poster
 * (sw/relay/awake-lease.ts) against the real CLI. Timing bounds are the (2 s) with polls
 * of at most 3 s.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { delimiter, join } from 'node:path'
import { createParser } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAwakeClient } from '../sw/shared/awake-client.ts'
import type { AwakeStatus } from '../sw/shared/awake-wire.ts'
import { AwakeLeaser } from '../sw/relay/awake-lease.ts'
import { installFakePowerTools, type FakePowerTools } from './support/fake-power-tools.ts'
import { REPO_ROOT, startOpencode, type OpencodeServer } from './support/opencode-server.ts'
import { startScriptedModel, type ScriptedModel } from './support/scripted-model.ts'
import { ServerApi } from './support/server-api.ts'

const ENTRY = join(REPO_ROOT, 'src', 'cli', 'relay-awake.ts')
const TOKEN = 'awake-opencode-test-token-0123456789'

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `fn` every 50 ms until it returns a truthy value; throws after `timeoutMs`. */
async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await delay(50)
  }
}

/** `session.status` changes of the server as this test sees them on `GET /global/event`, with arrival times. */
interface SeenStatus {
  sessionID: string
  type: string
  at: number
}

/** Reads the server's `/global/event` stream and records every `session.status`. */
function watchStatuses(url: string): { seen: SeenStatus[]; connected: () => boolean; stop: () => void } {
  const seen: SeenStatus[] = []
  const abort = new AbortController()
  let connected = false
  const parser = createParser({
    onEvent: (message) => {
      let raw: unknown
      try {
        raw = JSON.parse(message.data)
      } catch {
        return
      }
      if (typeof raw !== 'object' || raw === null || !('payload' in raw)) return
      const payload: unknown = raw.payload
      if (typeof payload !== 'object' || payload === null || !('type' in payload) || payload.type !== 'session.status' || !('properties' in payload)) return
      const props: unknown = payload.properties
      if (typeof props !== 'object' || props === null || !('sessionID' in props) || !('status' in props)) return
      const st: unknown = props.status
      if (typeof props.sessionID !== 'string' || typeof st !== 'object' || st === null || !('type' in st) || typeof st.type !== 'string') return
      seen.push({ sessionID: props.sessionID, type: st.type, at: Date.now() })
    },
  })
  void (async () => {
    try {
      const res = await fetch(`${url}/global/event`, { headers: { accept: 'text/event-stream' }, signal: abort.signal })
      if (!res.body) return
      connected = true
      const decoder = new TextDecoder()
      for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }))
    } catch {
      // aborted at the end of the test
    }
  })()
  return { seen, connected: () => connected, stop: () => abort.abort() }
}

describe('relay-awake watching the real opencode serve (fake caffeinate)', () => {
  let fakes: FakePowerTools
  let model: ScriptedModel
  let opencode: OpencodeServer
  let cli: ChildProcess
  let port = 0
  let output = ''

  beforeAll(async () => {
    fakes = installFakePowerTools()
    model = await startScriptedModel()
    opencode = await startOpencode({ modelBaseURL: model.baseURL })
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${fakes.binDir}${delimiter}${process.env.PATH ?? ''}`,
      RELAY_AWAKE_PLATFORM: 'darwin',
      RELAY_AWAKE_TOKEN: TOKEN,
    }
    delete env.OPENCODE_SERVER_PASSWORD
    cli = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'awake', '--port', '0', '--server', opencode.url], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    cli.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c))
    cli.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c))
    const match = await until('the listening line', () => {
      if (cli.exitCode !== null) throw new Error(`relay-awake exited early:\n${output}`)
      return /relay-awake listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
    }, 30_000)
    port = Number(match[1])
  }, 120_000)

  afterAll(async () => {
    if (cli && cli.exitCode === null && cli.signalCode === null) {
      const exited = new Promise((r) => cli.once('exit', r))
      cli.kill('SIGTERM')
      await exited
    }
    for (const l of fakes?.alive() ?? []) {
      try {
        process.kill(l.pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
    await opencode?.dispose()
    await model?.close()
    fakes?.dispose()
  }, 60_000)

  async function status(): Promise<AwakeStatus> {
    const result = await createAwakeClient({ url: `http://127.0.0.1:${port}`, token: TOKEN }).status()
    if (result.kind !== 'ok') throw new Error(`GET /status: ${result.kind} ${result.message}`)
    return result.status
  }

  it('acquires caffeinate on the server’s real session.status busy and releases within 2 s of idle', async () => {
    await until('the CLI to connect to /global/event', async () => (await status()).serverState === 'connected')
    const watch = watchStatuses(opencode.url)
    try {
      await until('this test’s own stream', () => watch.connected())
      const api = new ServerApi(opencode.url, opencode.directory)
      const session = await api.createSession('sleep protection')
      expect(fakes.lifetimes()).toEqual([])
      await api.promptAsync(session.id, 'stream 200 delay 20')

      const busy = await until('busy on the server stream', () => watch.seen.find((s) => s.sessionID === session.id && s.type === 'busy'))
      const [life] = await until('caffeinate to start', () => (fakes.lifetimes().length > 0 ? fakes.lifetimes() : undefined), 10_000)
      expect(life.tool).toBe('caffeinate')
      expect(life.argv).toEqual(['-i', '-w', String(cli.pid)])
      expect(life.startedAt).toBeGreaterThanOrEqual(busy.at - 1_000)
      const held = await status()
      expect(held).toMatchObject({ held: true, enabled: true, serverState: 'connected' })
      expect(held.busySessions).toContain(session.id)
      expect(held.reasons).toContain(`session ${session.id} busy`)
      expect(typeof held.since).toBe('number')
      // While the scripted model streams, the assertion stays.
      await until('the scripted model to stream', () => model.requests.some((r) => r.scenario === 'stream'))
      expect(watch.seen.some((s) => s.sessionID === session.id && s.type === 'idle')).toBe(false)
      expect((await status()).held).toBe(true)

      const idle = await until('idle on the server stream', () => watch.seen.find((s) => s.sessionID === session.id && s.type === 'idle' && s.at >= busy.at), 60_000)
      const endedAt = await until('caffeinate to end', () => fakes.lifetimes()[0].endedAt, 3_000)
      expect(endedAt - idle.at).toBeLessThan(2_000)
      expect(fakes.lifetimes()[0].why).toBe('signal')
      expect(await status()).toMatchObject({ held: false, busySessions: [] })
      expect(fakes.alive()).toEqual([])
      expect(fakes.maxConcurrent()).toBe(1)
    } finally {
      watch.stop()
    }
  })

  it('the relay’s lease poster holds and drops a lease on the real CLI', async () => {
    fakes.clear()
    const clock = { now: () => Date.now(), setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) }
    const leaser = new AwakeLeaser({ fetch, clock, loadConfig: async () => ({ url: `http://127.0.0.1:${port}`, token: TOKEN }) })
    try {
      // A session the relayed stream says is busy (the leaser's only source of work).
      leaser.observe([{ directory: '/tmp/relayed', payload: { id: 'evt_busy', type: 'session.status', properties: { sessionID: 'ses_relayed', status: { type: 'busy' } } } }])
      await until('the lease to be held', async () => (await status()).held)
      const st = await status()
      expect(st.leases).toEqual([expect.objectContaining({ owner: 'cli', reason: 'relay: 1 session busy (ses_relayed)' })])
      expect(st.leases[0].expiresAt - Date.now()).toBeGreaterThan(10_000)
      leaser.observe([{ directory: '/tmp/relayed', payload: { id: 'evt_idle', type: 'session.status', properties: { sessionID: 'ses_relayed', status: { type: 'idle' } } } }])
      await until('the release', async () => !(await status()).held && fakes.alive().length === 0, 3_000)
      expect((await status()).leases).toEqual([])
      expect(fakes.maxConcurrent()).toBe(1)
    } finally {
      leaser.dispose()
    }
  })
})
