/**
 * Starts the real `opencode serve` from the pinned `opencode-ai` package for tests, the demo and
 * the benchmarks, isolated from the user's data: HOME and every XDG_* directory point into a temp
 * folder, and the project is a fresh git repository whose `opencode.json` registers the scripted
 * model (see `scripted-model.ts`, image input on) as the only provider, with `"permission": {"bash": "ask"}`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Config } from '@opencode-ai/sdk/v2/types'
import { findOpencodeBinary } from '../../src/cli/opencode-bin.ts'
import { osFreePort } from '../../src/cli/port-memory.ts'

const here = dirname(fileURLToPath(import.meta.url))
/** Repository root (two levels above `test/support`). */
export const REPO_ROOT = resolve(here, '..', '..')

/** Path of the pinned `opencode` binary installed by `npm install`. */
export function opencodeBin(): string {
  return findOpencodeBinary(REPO_ROOT)
}

/** Asks the OS for a free TCP port on 127.0.0.1 (the launcher's own probe). */
export const freePort = osFreePort

/** Options for {@link startOpencode}. */
export interface OpencodeOptions {
  /** Base URL of the OpenAI-compatible model, e.g. the scripted model's `baseURL`. */
  modelBaseURL: string
  /** Port to listen on; a free one when omitted. Reuse it to restart "on the same port". */
  port?: number
  /** Sets `OPENCODE_SERVER_PASSWORD`, so every request needs Basic auth (user `opencode`). */
  password?: string
  /** Reuse an existing temp root (HOME, XDG dirs, project) instead of making a new one. */
  root?: string
  /** Extra `--cors` origins. */
  cors?: string[]
  /** Forward the server's stdout/stderr to this process's stderr. */
  verbose?: boolean
  /** Extra keys for the project's `opencode.json` (MCP servers, LSP settings); none by default. */
  config?: ProjectConfigExtras
  /**
   * Sharing on: the environment lacks `OPENCODE_DISABLE_SHARE` (set by {@link isolatedEnv}), so
   * `POST /session/{id}/share` calls the share service at `config.enterprise.url` (opncd.ai when
   * unset: keep it pointed at a local stand-in).
   */
  shareEnabled?: boolean
}

/**
 * Keys added to the temp project's `opencode.json` on top of the scripted provider: `mcp` (servers
 * by name, e.g. a local `command`), `lsp` (`false` turns every LSP server off; an object adds
 * servers by name with their `command` and file `extensions`) and `command` (slash commands by
 * name: `template`, `description`, `agent`, `subtask: true` to run as a subtask), `share` and
 * `enterprise` (`url` of the share service, with {@link OpencodeOptions.shareEnabled}).
 */
export type ProjectConfigExtras = Pick<Config, 'mcp' | 'lsp' | 'command' | 'share' | 'enterprise'>

/** A running OpenCode server. */
export interface OpencodeServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  /** The temp git project the server works in (absolute path). */
  directory: string
  /** Temp root holding HOME, XDG dirs and the project; removed by {@link OpencodeServer.dispose}. */
  root: string
  /** PID of the server process. */
  pid(): number | undefined
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>
  /** SIGKILLs the server at once, as a crash would, and waits for the exit. */
  kill(): Promise<void>
  /** Starts the server again on the same port and root, waiting for health. */
  restart(): Promise<void>
  /** Stops the server and removes the temp root. */
  dispose(): Promise<void>
}

/**
 * Writes the temp project: a git repo with an `opencode.json` for the scripted provider, plus
 * `extras` (nothing by default).
 */
export function writeProject(root: string, modelBaseURL: string, extras: ProjectConfigExtras = {}): string {
  const directory = join(root, 'project')
  mkdirSync(directory, { recursive: true })
  const config = {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'manual',
    enabled_providers: ['scripted'],
    provider: {
      scripted: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Scripted',
        options: { baseURL: modelBaseURL, apiKey: 'scripted-key' },
        // Image input on, so OpenCode sends attached images to the model as `image_url` parts
        // (without it, it replaces each with an "ERROR: Cannot read … this model does not support
        // image input" text part). Text-only prompts are sent exactly as before.
        models: {
          'scripted-model': {
            name: 'Scripted Model',
            limit: { context: 128000, output: 32000 },
            attachment: true,
            modalities: { input: ['text', 'image'], output: ['text'] },
          },
        },
      },
    },
    model: 'scripted/scripted-model',
    small_model: 'scripted/scripted-model',
    permission: { bash: 'ask' },
    ...extras,
  }
  writeFileSync(join(directory, 'opencode.json'), JSON.stringify(config, null, 2))
  writeFileSync(join(directory, 'README.md'), '# Scripted project\n\nA temp project for OpenCode Relay tests.\n')
  writeFileSync(join(directory, 'hello.txt'), 'hello from the temp project\n')
  if (!existsSync(join(directory, '.git'))) {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: directory, stdio: 'ignore' })
    git('init', '-q')
    git('-c', 'user.email=t@example.invalid', '-c', 'user.name=test', 'add', '-A')
    git('-c', 'user.email=t@example.invalid', '-c', 'user.name=test', 'commit', '-qm', 'init')
  }
  return directory
}

/** The environment for `opencode serve`: HOME and XDG_* inside `root`, network features off. */
export function isolatedEnv(root: string, password?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('OPENCODE')) delete env[key]
  const dirs = { HOME: 'home', XDG_CONFIG_HOME: 'config', XDG_DATA_HOME: 'data', XDG_CACHE_HOME: 'cache', XDG_STATE_HOME: 'state' }
  for (const [key, sub] of Object.entries(dirs)) {
    const dir = join(root, sub)
    mkdirSync(dir, { recursive: true })
    env[key] = dir
  }
  Object.assign(env, {
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_EXTERNAL_SKILLS: '1',
    OPENCODE_ENABLE_QUESTION_TOOL: '1',
    OPENCODE_CLIENT: 'app',
  })
  if (password) env.OPENCODE_SERVER_PASSWORD = password
  return env
}

/**
 * Polls `GET /global/health` until it answers 2xx.
 * @throws Error after `timeoutMs` (default 30,000 ms) or when `child` exits first.
 */
export async function waitForHealth(url: string, opts: { timeoutMs?: number; child?: ChildProcess; password?: string } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  const headers: Record<string, string> = {}
  if (opts.password) headers.authorization = `Basic ${Buffer.from(`opencode:${opts.password}`).toString('base64')}`
  let last = 'no answer'
  while (Date.now() < deadline) {
    if (opts.child && opts.child.exitCode !== null) throw new Error(`opencode exited with code ${opts.child.exitCode} before it was healthy`)
    try {
      const res = await fetch(`${url}/global/health`, { headers, signal: AbortSignal.timeout(2000) })
      if (res.ok) return
      last = `HTTP ${res.status}`
    } catch (err) {
      last = String(err)
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`opencode at ${url} not healthy in time (${last})`)
}

/** Starts `opencode serve --hostname 127.0.0.1 --port N` isolated in a temp root. */
export async function startOpencode(opts: OpencodeOptions): Promise<OpencodeServer> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'relay-oc-'))
  const directory = writeProject(root, opts.modelBaseURL, opts.config)
  const port = opts.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const env = isolatedEnv(root, opts.password)
  if (opts.shareEnabled) delete env.OPENCODE_DISABLE_SHARE

  async function launch(): Promise<void> {
    const args = ['serve', '--hostname', '127.0.0.1', '--port', String(port)]
    for (const origin of opts.cors ?? []) args.push('--cors', origin)
    const proc = spawn(opencodeBin(), args, {
      cwd: directory,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    child = proc
    let output = ''
    const collect = (b: Buffer) => {
      output = (output + b.toString()).slice(-4000)
      if (opts.verbose) process.stderr.write(b)
    }
    proc.stdout?.on('data', collect)
    proc.stderr?.on('data', collect)
    try {
      await waitForHealth(url, { child: proc, password: opts.password })
    } catch (err) {
      await terminate('SIGKILL')
      throw new Error(`${(err as Error).message}\n${output}`)
    }
  }

  async function terminate(signal: NodeJS.Signals, graceMs = 5000): Promise<void> {
    const proc = child
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((r) => proc.once('exit', () => r()))
    // opencode may spawn helpers (LSP, shells): signal the whole process group.
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (proc.pid) process.kill(-proc.pid, sig)
      } catch {
        proc.kill(sig)
      }
    }
    signalGroup(signal)
    const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  await launch()
  return {
    url,
    port,
    directory,
    root,
    pid: () => child?.pid,
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    restart: async () => {
      await terminate('SIGTERM')
      await launch()
    },
    dispose: async () => {
      await terminate('SIGTERM')
      if (!opts.root) rmSync(root, { recursive: true, force: true })
    },
  }
}
