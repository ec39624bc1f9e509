/**
 * Fake `caffeinate` and `systemd-inhibit` for relay-awake tests. `installFakePowerTools()` writes
 * two POSIX shell scripts into a temp bin dir; put `binDir` first on the CLI's PATH. Each script
 * appends one tab-separated line per event to `logFile` (one `printf` each, so lines from
 * concurrent processes never interleave):
 *
 *     start <TAB> tool <TAB> pid <TAB> epochMs <TAB> argv1 <TAB> argv2 ...
 *     end   <TAB> tool <TAB> pid <TAB> epochMs <TAB> why        (signal | watched-pid-exited | command-exited)
 *
 * and stays alive until killed (SIGTERM/SIGINT/SIGHUP: logs `end`, exits 0).
 * - `caffeinate` emulates `-w PID`: it exits once `kill -0 PID` fails (polled every 0.1 s).
 * - `systemd-inhibit` skips its `--option` arguments and runs the remaining command (relay-awake
 *   passes `tail --pid=<cli pid> ...`), exiting when that command exits — like the real one.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One parsed log line. `at` is epoch ms; `argv` only on `start`, `why` only on `end`. */
export interface PowerLogEntry {
  kind: 'start' | 'end'
  tool: string
  pid: number
  at: number
  argv: string[]
  why?: string
}

/** One fake assertion process from its `start` line to its `end` line (`endedAt` undefined while alive). */
export interface PowerLifetime {
  tool: string
  pid: number
  argv: string[]
  startedAt: number
  endedAt?: number
  why?: string
}

/** Handle returned by {@link installFakePowerTools}. */
export interface FakePowerTools {
  /** Directory holding `caffeinate` and `systemd-inhibit`; prepend it to PATH. */
  binDir: string
  /** The shared log file. */
  logFile: string
  /** Parsed log lines in append order. */
  entries(): PowerLogEntry[]
  /** Start/end pairs in start order. An `end` without `start` (killed before logging) is ignored. */
  lifetimes(): PowerLifetime[]
  /** Lifetimes without an `end` line whose pid is still alive. */
  alive(): PowerLifetime[]
  /** Largest number of fake assertions alive at the same time, replaying the log in order. */
  maxConcurrent(): number
  /** Truncates the log. */
  clear(): void
  /** Removes the temp dir (does not kill processes). */
  dispose(): void
}

/** `sh` single-quoting. */
function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

function prelude(log: string, tool: string): string {
  return `#!/bin/sh
# Fake ${tool} for relay-awake tests (see test/support/fake-power-tools.ts).
LOG=${shQuote(log)}
ts() { t=$(date +%s%3N 2>/dev/null); case "$t" in *N*|'') t=$(( $(date +%s) * 1000 ));; esac; printf '%s' "$t"; }
child=''
on_signal() {
  [ -n "$child" ] && kill "$child" 2>/dev/null
  line=$(printf 'end\\t${tool}\\t%s\\t%s\\tsignal' "$$" "$(ts)")
  printf '%s\\n' "$line" >> "$LOG"
  exit 0
}
trap on_signal TERM INT HUP
line=$(printf 'start\\t${tool}\\t%s\\t%s' "$$" "$(ts)")
for a in "$@"; do line=$(printf '%s\\t%s' "$line" "$a"); done
printf '%s\\n' "$line" >> "$LOG"
log_end() {
  line=$(printf 'end\\t${tool}\\t%s\\t%s\\t%s' "$$" "$(ts)" "$1")
  printf '%s\\n' "$line" >> "$LOG"
}
`
}

function caffeinateScript(log: string): string {
  return `${prelude(log, 'caffeinate')}
pid=''
while [ $# -gt 0 ]; do
  case "$1" in
    -w) pid="$2"; shift 2 ;;
    *) shift ;;
  esac
done
if [ -n "$pid" ]; then
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1 & child=$!; wait "$child"; child=''; done
  log_end watched-pid-exited
  exit 0
fi
while :; do sleep 1 & child=$!; wait "$child"; child=''; done
`
}

function systemdInhibitScript(log: string): string {
  return `${prelude(log, 'systemd-inhibit')}
while [ $# -gt 0 ]; do
  case "$1" in
    --*) shift ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  while :; do sleep 1 & child=$!; wait "$child"; child=''; done
fi
"$@" &
child=$!
wait "$child"
child=''
log_end command-exited
exit 0
`
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Writes the fake tools into a fresh temp dir with an empty log. */
export function installFakePowerTools(): FakePowerTools {
  const binDir = mkdtempSync(join(tmpdir(), 'relay-awake-fakes-'))
  const logFile = join(binDir, 'power.log')
  writeFileSync(logFile, '')
  for (const [name, text] of [
    ['caffeinate', caffeinateScript(logFile)],
    ['systemd-inhibit', systemdInhibitScript(logFile)],
  ] as const) {
    const file = join(binDir, name)
    writeFileSync(file, text)
    chmodSync(file, 0o755)
  }

  const entries = (): PowerLogEntry[] => {
    if (!existsSync(logFile)) return []
    const out: PowerLogEntry[] = []
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      const [kind, tool, pid, at, ...rest] = line.split('\t')
      if ((kind !== 'start' && kind !== 'end') || tool === undefined || pid === undefined || at === undefined) continue
      if (kind === 'start') out.push({ kind, tool, pid: Number(pid), at: Number(at), argv: rest })
      else out.push({ kind, tool, pid: Number(pid), at: Number(at), argv: [], why: rest[0] })
    }
    return out
  }

  const lifetimes = (): PowerLifetime[] => {
    const byPid = new Map<number, PowerLifetime>()
    const out: PowerLifetime[] = []
    for (const e of entries()) {
      if (e.kind === 'start') {
        const l: PowerLifetime = { tool: e.tool, pid: e.pid, argv: e.argv, startedAt: e.at }
        byPid.set(e.pid, l)
        out.push(l)
      } else {
        const l = byPid.get(e.pid)
        if (l && l.endedAt === undefined) {
          l.endedAt = e.at
          l.why = e.why
        }
      }
    }
    return out
  }

  const maxConcurrent = (): number => {
    const open = new Set<number>()
    let max = 0
    for (const e of entries()) {
      if (e.kind === 'start') open.add(e.pid)
      else open.delete(e.pid)
      max = Math.max(max, open.size)
    }
    return max
  }

  return {
    binDir,
    logFile,
    entries,
    lifetimes,
    alive: () => lifetimes().filter((l) => l.endedAt === undefined && pidAlive(l.pid)),
    maxConcurrent,
    clear: () => writeFileSync(logFile, ''),
    dispose: () => rmSync(binDir, { recursive: true, force: true }),
  }
}
