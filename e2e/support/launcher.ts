/**
 * The real launcher (`npm start` = src/cli/start.ts) as a test process: started in its own process
 * group with an isolated HOME/XDG (so its port memory lives in the test's temp root), stopped with
 * SIGINT to the group as a terminal's Ctrl+C does. Used by the launcher specs and the fault suite's
 * "launcher restart" fault.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT, isolatedEnv } from '../../test/support/opencode-server.ts'

/** Everything a child printed (stdout and stderr), and a way to wait for a line in it. */
export interface ChildOutput {
  text(): string
  /** Resolves with the first match of `pattern` in the output so far or later. @throws Error on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>
}

/** Collects a child's output (see {@link ChildOutput}). */
export function collectOutput(child: ChildProcess): ChildOutput {
  let out = ''
  const waiters = new Set<() => void>()
  const onData = (b: Buffer) => {
    out += b.toString()
    for (const w of waiters) w()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  return {
    text: () => out,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer)
          waiters.delete(check)
          child.off('exit', onExit)
        }
        const check = () => {
          const m = out.match(pattern)
          if (m) {
            done()
            resolve(m)
          }
        }
        const onExit = (code: number | null) => {
          done()
          reject(new Error(`the launcher exited with ${code}; output:\n${out}`))
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; output:\n${out}`))
        }, timeoutMs)
        waiters.add(check)
        child.once('exit', onExit)
        check()
      })
    },
  }
}

/** Command lines of the `opencode serve` processes listening on `port`. */
export function opencodeProcessesOn(port: number): string[] {
  try {
    return execFileSync('pgrep', ['-af', `serve --hostname 127.0.0.1 --port ${port}`], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('opencode') && !l.includes('pgrep'))
  } catch {
    return []
  }
}

/** PIDs of `opencode serve` processes listening on `port` (per their command line). */
export function opencodePids(port: number): number[] {
  return opencodeProcessesOn(port).map((l) => Number(l.trim().split(/\s+/)[0]))
}

/** SIGKILLs a launcher's process group and every `opencode serve` left on `serverPort` (cleanup after a failed test). */
export function killLauncher(child: ChildProcess, serverPort: number): void {
  if (child.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  for (const pid of serverPort ? opencodePids(serverPort) : []) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
}

/** Options of {@link startLauncher}. */
export interface LauncherOptions {
  /** Temp root whose HOME and XDG_* the launcher and its opencode use (see `isolatedEnv`). */
  root: string
  /** Project directory (`--dir`). */
  directory: string
  /** Port of the app (`--port`); keep it across restarts so the tabs' origin stays the same. */
  appPort: number
  /** Built app to serve (`RELAY_DIST`); the launcher runs with `--no-build`. */
  dist: string
}

/** A running launcher. */
export interface RunningLauncher {
  child: ChildProcess
  output: ChildOutput
  /** Epoch ms when it was spawned. */
  startedAt: number
  /** Resolves with the started server's URL once the launcher printed that it is running. */
  ready(timeoutMs?: number): Promise<string>
  /** Ctrl+C: SIGINT to its process group; resolves when it exited and its opencode is gone. */
  stop(): Promise<void>
  /** SIGKILLs whatever is left (cleanup after a failed test). */
  kill(): void
}

/**
 * Spawns the launcher (`node tsx src/cli/start.ts --no-build --port P --dir D`) in its own process
 * group; returns at once (the app's static server is up within a second, opencode a few later).
 */
export function startLauncher(options: LauncherOptions): RunningLauncher {
  const env: NodeJS.ProcessEnv = { ...isolatedEnv(options.root), RELAY_DIST: options.dist }
  delete env.PORT
  const tsx = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const child = spawn(process.execPath, [tsx, join(REPO_ROOT, 'src', 'cli', 'start.ts'), '--no-build', '--port', String(options.appPort), '--dir', options.directory], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = collectOutput(child)
  let serverPort = 0
  return {
    child,
    output,
    startedAt: Date.now(),
    async ready(timeoutMs = 90_000) {
      await output.waitFor(/OpenCode Relay is running/, timeoutMs)
      const url = (await output.waitFor(/OpenCode server: (http:\/\/127\.0\.0\.1:(\d+))/, 5_000))[1]
      serverPort = Number(url.split(':').pop())
      return url
    },
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()))
        process.kill(-child.pid, 'SIGINT')
        await exited
      }
      const deadline = Date.now() + 10_000
      while (serverPort && opencodeProcessesOn(serverPort).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    },
    kill() {
      killLauncher(child, serverPort)
    },
  }
}
