/**
 * A stable address for the `opencode serve` the launcher starts, so a restarted `npm start` usually
 * needs no change at all in the open tabs (they reconnect to the same URL; when it did move, they
 * follow it through `/relay-config.json`).
 *
 * Policy, per project directory:
 * 1. the port remembered for this directory, when it is free;
 * 2. else OpenCode's default port 4096, when it is free and no other directory remembers it;
 * 3. else a free port from the OS that no other directory remembers.
 * The choice is remembered in `$XDG_STATE_HOME/opencode-relay/ports.json` (default
 * `~/.local/state/opencode-relay/ports.json`), shaped `{ "version": 1, "ports": { "<abs dir>": 4096 } }`.
 * A port in use is never handed out, so two launchers never share one; a remembered port that
 * another program took is replaced by a new one, which is remembered instead.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/** OpenCode's default port (`opencode serve` without `--port`). */
export const OPENCODE_DEFAULT_PORT = 4096

/** Where the launcher keeps its state: `$XDG_STATE_HOME/opencode-relay`, else `~/.local/state/opencode-relay`. */
export function launcherStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state')
  return join(base, 'opencode-relay')
}

/** The remembered ports by absolute project directory; a missing or malformed file reads as empty. */
export function readPortMemory(file: string): Record<string, number> {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return {}
  }
  if (typeof json !== 'object' || json === null || !('ports' in json)) return {}
  const ports: unknown = json.ports
  if (typeof ports !== 'object' || ports === null) return {}
  const out: Record<string, number> = {}
  for (const [dir, port] of Object.entries(ports)) {
    if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port <= 65535) out[dir] = port
  }
  return out
}

/** Writes the memory atomically (temp file + rename), creating the folder. @throws on a file-system error. */
export function writePortMemory(file: string, ports: Record<string, number>): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify({ version: 1, ports }, null, 2)}\n`)
  renameSync(tmp, file)
}

/** Whether nothing listens on `port` of 127.0.0.1 (binding it succeeds). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}

/** A free TCP port on 127.0.0.1 chosen by the OS. */
export function osFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** Options of {@link chooseServerPort}; the probes are injectable for tests. */
export interface ChoosePortOptions {
  /** Absolute project directory (the memory's key). */
  directory: string
  /** The memory file (default `<launcherStateDir()>/ports.json`). */
  file?: string
  /** Is this port free? Default {@link isPortFree}. */
  isFree?: (port: number) => Promise<boolean>
  /** A free port from the OS. Default {@link osFreePort}. */
  freePort?: () => Promise<number>
  /** Ports not to use whatever the memory says (e.g. one that just failed). */
  avoid?: readonly number[]
}

/** The chosen port and why (printed by the launcher). */
export interface ChosenPort {
  port: number
  reason: 'remembered' | 'default' | 'new'
  /** Set when the remembered port was taken by another program (the memory now names `port`). */
  replaced?: number
}

/**
 * Picks the port for the project's `opencode serve` by the policy above and remembers it. A memory
 * that cannot be written is not fatal (the choice holds for this run).
 * @throws Error when the OS has no free port to give.
 */
export async function chooseServerPort(options: ChoosePortOptions): Promise<ChosenPort> {
  const file = options.file ?? join(launcherStateDir(), 'ports.json')
  const isFree = options.isFree ?? ((port: number) => isPortFree(port))
  const freePort = options.freePort ?? (() => osFreePort())
  const avoid = new Set(options.avoid ?? [])
  const memory = readPortMemory(file)
  const takenByOthers = new Set(Object.entries(memory).filter(([dir]) => dir !== options.directory).map(([, port]) => port))
  const usable = async (port: number) => !avoid.has(port) && (await isFree(port))

  const remembered = memory[options.directory]
  let chosen: ChosenPort | undefined
  if (remembered !== undefined && (await usable(remembered))) chosen = { port: remembered, reason: 'remembered' }
  else if (!takenByOthers.has(OPENCODE_DEFAULT_PORT) && (await usable(OPENCODE_DEFAULT_PORT))) chosen = { port: OPENCODE_DEFAULT_PORT, reason: 'default' }
  else {
    for (let i = 0; i < 20 && !chosen; i++) {
      const port = await freePort()
      if (!takenByOthers.has(port) && !avoid.has(port)) chosen = { port, reason: 'new' }
    }
  }
  if (!chosen) throw new Error('no free TCP port on 127.0.0.1 for opencode serve')
  if (remembered !== undefined && remembered !== chosen.port) chosen.replaced = remembered
  if (remembered !== chosen.port) {
    try {
      writePortMemory(file, { ...memory, [options.directory]: chosen.port })
    } catch {
      // Not fatal: the port holds for this run; the next start chooses again.
    }
  }
  return chosen
}
