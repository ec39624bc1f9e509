/**
 * Platform power assertions behind one interface, each one a child process that keeps the machine
 * awake while it lives:
 *
 * - macOS: `caffeinate -i -w <cli pid>` (`-i` = PreventUserIdleSystemSleep; `-w` makes caffeinate
 *   exit when the CLI exits, so a crashed or SIGKILLed CLI can never leave the Mac awake).
 * - Linux: `systemd-inhibit --what=idle:sleep --who=relay-awake --why=<reason> --mode=block
 *   tail --pid=<cli pid> -s 1 -f /dev/null`. The inhibitor lock lives as long as systemd-inhibit's
 *   command; GNU `tail --pid` exits when the CLI dies, which ends systemd-inhibit and drops the lock.
 * - Windows and anything else: unsupported; `acquire` is a no-op and `supported` is false.
 *
 * Invariant: at most ONE assertion child is alive at any time. `acquire` is idempotent; `release`
 * kills the child's process group (SIGTERM, SIGKILL after `killTimeoutMs`), and an `acquire` that
 * arrives while the previous child is still exiting waits for its exit before spawning.
 * Tools are resolved through `PATH` at spawn time, so tests can put fakes first on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import type { AwakePlatform } from '../../../sw/shared/awake-wire.ts'
import { realClock, type Clock } from '../../../sw/shared/clock.ts'


/** A power assertion: while held, the OS does not idle-sleep. */
export interface PowerAssertion {
  /** The backend's platform. */
  readonly platform: AwakePlatform
  /** False on Windows and unknown platforms: `acquire` then does nothing. */
  readonly supported: boolean
  /** Takes the assertion (idempotent: a second call while held changes nothing). `reason` is shown to the OS where it can be (Linux `--why`). */
  acquire(reason: string): void
  /** Drops the assertion (idempotent): kills the child; {@link PowerAssertion.whenReleased} waits for its exit. */
  release(): void
  /** True while an assertion child is wanted and alive (not while it is being killed). */
  held(): boolean
  /** Resolves once no assertion child is alive (at once if none is). */
  whenReleased(): Promise<void>
  /** Last failure: tool missing on PATH, tool exited on its own (with its stderr), unsupported platform. */
  lastError(): string | undefined
}

/** Maps `process.platform` (or the `RELAY_AWAKE_PLATFORM` override) to an {@link AwakePlatform}. */
export function toAwakePlatform(value: string): AwakePlatform {
  if (value === 'darwin' || value === 'linux' || value === 'win32') return value
  return 'unsupported'
}

/**
 * Finds an executable named `name` on `pathEnv` (colon/semicolon separated like `PATH`).
 * @returns the absolute path, or undefined when no directory holds an executable file of that name.
 */
export function resolveOnPath(name: string, pathEnv: string | undefined): string | undefined {
  if (isAbsolute(name)) return isExecutable(name) ? name : undefined
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Strips control characters (argv and logs stay one line) and caps the length at 200 chars. */
export function sanitizeReason(reason: string): string {
  const flat = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  return (flat || 'relay-awake').slice(0, 200)
}

/** How to start one assertion child. */
export interface AssertionCommand {
  /** Tool looked up on PATH at spawn time (`caffeinate`, `systemd-inhibit`). */
  tool: string
  /** Further tools that must be on PATH; resolved paths are passed to `args` in the same order. */
  helpers?: string[]
  /** argv after the tool, given the reason, the CLI pid to tie the child to, and resolved helper paths. */
  args(reason: string, cliPid: number, helpers: string[]): string[]
}

/** macOS: `caffeinate -i -w <pid>` (see `man caffeinate`: `-i` prevents idle system sleep, `-w` waits for pid). */
export const CAFFEINATE: AssertionCommand = {
  tool: 'caffeinate',
  args: (_reason, pid) => ['-i', '-w', String(pid)],
}

/**
 * Linux: `systemd-inhibit --what=idle:sleep --who=relay-awake --why=<reason> --mode=block
 * <tail> --pid=<pid> -s 1 -f /dev/null` (see `man systemd-inhibit`, `man tail`: `--pid` ends tail
 * when that process dies, checked every `-s` seconds). No shell is involved, so the reason is
 * never interpreted.
 */
export const SYSTEMD_INHIBIT: AssertionCommand = {
  tool: 'systemd-inhibit',
  helpers: ['tail'],
  args: (reason, pid, [tail]) => [
    '--what=idle:sleep',
    '--who=relay-awake',
    `--why=${sanitizeReason(reason)}`,
    '--mode=block',
    tail,
    `--pid=${pid}`,
    '-s',
    '1',
    '-f',
    '/dev/null',
  ],
}

/** Options of {@link ChildProcessAssertion}. */
export interface ChildAssertionOptions {
  /** Environment of the child; its `PATH` is where tools are looked up. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Pid the child is tied to (`-w`, `tail --pid`). Default `process.pid`. */
  cliPid?: number
  clock?: Clock
  /** SIGTERM → SIGKILL escalation, ms. Default 2000. */
  killTimeoutMs?: number
  /** First respawn delay after the tool exits on its own while wanted, ms; doubles to 30 s. Default 1000. */
  respawnBaseMs?: number
  /** Called with one-line human-readable notes (spawned, exited, errors). */
  log?: (line: string) => void
}

const RESPAWN_CAP_MS = 30_000
/** A child that lived this long resets the respawn backoff, ms. */
const HEALTHY_LIFETIME_MS = 10_000

/**
 * A {@link PowerAssertion} held by one child process spawned from an {@link AssertionCommand}.
 * The child is spawned `detached` (its own process group), so `release` can kill the whole group
 * (systemd-inhibit and its `tail`). If the child exits on its own while wanted (tool missing,
 * logind refused, someone killed it) it is respawned with exponential backoff, 1 s → 30 s.
 */
export class ChildProcessAssertion implements PowerAssertion {
  readonly supported = true
  private wanted = false
  private reason = 'relay-awake'
  private child: ChildProcess | undefined
  private killing = false
  private killTimer: unknown
  private respawnTimer: unknown
  private respawnAttempt = 0
  private spawnedAt = 0
  private stderrTail = ''
  private error: string | undefined
  private waiters: Array<() => void> = []
  private readonly env: NodeJS.ProcessEnv
  private readonly cliPid: number
  private readonly clock: Clock
  private readonly killTimeoutMs: number
  private readonly respawnBaseMs: number
  private readonly log: (line: string) => void

  constructor(
    readonly platform: AwakePlatform,
    private readonly command: AssertionCommand,
    opts: ChildAssertionOptions = {},
  ) {
    this.env = opts.env ?? process.env
    this.cliPid = opts.cliPid ?? process.pid
    this.clock = opts.clock ?? realClock
    this.killTimeoutMs = opts.killTimeoutMs ?? 2_000
    this.respawnBaseMs = opts.respawnBaseMs ?? 1_000
    this.log = opts.log ?? (() => {})
  }

  acquire(reason: string): void {
    if (!this.wanted) this.reason = sanitizeReason(reason)
    this.wanted = true
    // A child that is alive is either ours (idempotent) or still exiting: its exit handler spawns.
    if (this.child || this.respawnTimer) return
    this.spawnChild()
  }

  release(): void {
    this.wanted = false
    this.clock.clearTimeout(this.respawnTimer)
    this.respawnTimer = undefined
    this.respawnAttempt = 0
    this.killChild()
  }

  held(): boolean {
    return this.wanted && this.child !== undefined && !this.killing
  }

  whenReleased(): Promise<void> {
    if (!this.child) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  lastError(): string | undefined {
    return this.error
  }

  private spawnChild(): void {
    const pathEnv = this.env.PATH ?? this.env.Path
    const tool = resolveOnPath(this.command.tool, pathEnv)
    const helpers = (this.command.helpers ?? []).map((name) => resolveOnPath(name, pathEnv))
    const missing = [tool === undefined ? this.command.tool : undefined, ...(this.command.helpers ?? []).filter((_, i) => helpers[i] === undefined)].filter(
      (name): name is string => name !== undefined,
    )
    if (tool === undefined || missing.length > 0) {
      this.fail(`${missing.join(', ')} not found on PATH`)
      return
    }
    const resolvedHelpers = helpers.filter((h): h is string => h !== undefined)
    const child = spawn(tool, this.command.args(this.reason, this.cliPid, resolvedHelpers), {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: this.env,
    })
    this.child = child
    this.killing = false
    this.spawnedAt = this.clock.now()
    this.stderrTail = ''
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-500)
    })
    let done = false
    const onGone = (why: string): void => {
      if (done) return
      done = true
      this.onChildGone(child, why)
    }
    child.once('spawn', () => {
      if (this.child === child) this.error = undefined
    })
    child.once('error', (err) => onGone(`spawn failed: ${err.message}`))
    child.once('exit', (code, signal) => onGone(signal ? `killed by ${signal}` : `exited with code ${code}`))
    this.log(`spawned ${this.command.tool} (pid ${child.pid ?? '?'})`)
  }

  private onChildGone(child: ChildProcess, why: string): void {
    if (this.child !== child) return
    const expected = this.killing
    this.child = undefined
    this.killing = false
    this.clock.clearTimeout(this.killTimer)
    this.killTimer = undefined
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
    if (expected) {
      this.log(`${this.command.tool} ended (${why})`)
      this.error = undefined
      if (this.wanted) this.spawnChild()
      return
    }
    if (this.clock.now() - this.spawnedAt >= HEALTHY_LIFETIME_MS) this.respawnAttempt = 0
    const stderr = this.stderrTail.trim()
    this.fail(`${this.command.tool} ${why}${stderr ? `: ${stderr}` : ''}`)
  }

  /** Records `message` and, while still wanted, schedules a respawn with exponential backoff. */
  private fail(message: string): void {
    this.error = message
    this.log(message)
    if (!this.wanted) return
    const delay = Math.min(RESPAWN_CAP_MS, this.respawnBaseMs * 2 ** Math.min(this.respawnAttempt, 10))
    this.respawnAttempt += 1
    this.respawnTimer = this.clock.setTimeout(() => {
      this.respawnTimer = undefined
      if (this.wanted && !this.child) this.spawnChild()
    }, delay)
  }

  private killChild(): void {
    const child = this.child
    if (!child || this.killing) return
    this.killing = true
    signalGroup(child, 'SIGTERM')
    this.killTimer = this.clock.setTimeout(() => {
      if (this.child === child) signalGroup(child, 'SIGKILL')
    }, this.killTimeoutMs)
  }
}

/** Signals the child's process group (it was spawned detached, so it leads one), else the child alone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // already gone
    }
  }
}

/** The backend for platforms without support (Windows, BSDs): never holds anything. */
export class UnsupportedAssertion implements PowerAssertion {
  readonly supported = false
  constructor(readonly platform: AwakePlatform) {}
  acquire(_reason: string): void {}
  release(): void {}
  held(): boolean {
    return false
  }
  whenReleased(): Promise<void> {
    return Promise.resolve()
  }
  lastError(): string | undefined {
    return this.platform === 'win32'
      ? 'Windows is not supported: relay-awake cannot take a power assertion there yet'
      : `platform ${process.platform} is not supported (macOS and Linux only)`
  }
}

/**
 * Builds the backend for `platform`: {@link CAFFEINATE} on darwin, {@link SYSTEMD_INHIBIT} on
 * linux, {@link UnsupportedAssertion} otherwise. Never throws; a missing tool shows up in
 * `lastError()` at the first `acquire`.
 */
export function createPowerAssertion(platform: AwakePlatform, opts: ChildAssertionOptions = {}): PowerAssertion {
  if (platform === 'darwin') return new ChildProcessAssertion(platform, CAFFEINATE, opts)
  if (platform === 'linux') return new ChildProcessAssertion(platform, SYSTEMD_INHIBIT, opts)
  return new UnsupportedAssertion(platform)
}
