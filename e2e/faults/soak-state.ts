/**
 * A soak that outlives one run: the world's state saved between segments (FAULT_SOAK_DIR).
 *
 * A 2,000-cycle soak takes 3-4 h on the 2-core machine; a run may be given less. With
 * `FAULT_SOAK_DIR=<dir>` the whole world lives in `<dir>`: the server's HOME/XDG dirs and project
 * (`opencode/`), both browser profiles (`profile-shared-worker/`, `profile-leader-tab/`: their
 * IndexedDB event logs, caches and service worker) and `world.json` (this file's
 * {@link SavedSoak}: seed, next cycle, sessions, tab layout, counters, every event id checked).
 * A segment stops by itself after `FAULT_SEGMENT_MINUTES`, saves, and shuts everything down; the
 * next run with the same dir starts the server and the browsers again on the same data and the
 * same ports (same origin, same server URL: the one the last launcher restart moved to, if any)
 * and the same launcher identity, and goes on with the seeded plan where it stopped.
 * Between segments the whole machine is, in effect, restarted: the browser quits and reopens on
 * its profile, the server restarts on its storage. Each resume begins with a full check.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FAULT_KINDS, type FaultKind, type RelayKind, type Stats } from './world.ts'
import { emptyActionStats, type ActionStats } from './actions.ts'

/**
 * Ports that must stay the same across segments: the app's origin and the server URL it is
 * configured with (the fault proxy's, as the last launcher restart left it), and the fuzzing proxy's.
 */
export interface WorldPorts {
  app: number
  proxy: number
  fuzz: number
}

/** The layout and event-log progress of one browser context. */
export interface SavedContext {
  kind: RelayKind
  /** Highest event-log cursor already checked for duplicate ids. */
  logAfter: number
  /** Event id → cursor of every log row checked so far. */
  logIds: Array<[string, number]>
  /** Open tabs: stable position and the session slot each shows. */
  tabs: Array<{ position: number; slot: number }>
}

/** What {@link World.save} returns and {@link World.create} resumes from. */
export interface SavedWorld {
  ports: WorldPorts
  /**
   * The launcher identity `/relay-config.json` names (`launcher:<project dir>`): the event logs are
   * `opencode-relay:<identity>`. Absent in soaks saved before the world had one (their logs were
   * keyed by the server URL).
   */
  identity?: string
  /** Session id of each slot. */
  slots: string[]
  /** Sessions created by "another client" during sleeps. */
  external: string[]
  nextPosition: number
  contexts: SavedContext[]
  stats: Stats
}

/** One segment of a soak, for the report. */
export interface SegmentRecord {
  /** ISO time the segment started. */
  started: string
  /** First and last cycle (1-based) it ran; `last < first` when it ran none. */
  first: number
  last: number
  /** Wall time of the segment's cycles, s. */
  seconds: number
  /** SHA-256 of the build's service worker (`RELAY_DIST/service-worker.js`): which build it ran. */
  app?: string
  /** The build changed since the previous segment and was applied through the app's update banner. */
  updated?: boolean
}

/** The file `world.json` of a soak dir. */
export interface SavedSoak {
  version: 1
  seed: number
  cyclesPlanned: number
  /** Index (0-based) of the next planned cycle. */
  nextCycle: number
  /** Wall time of every cycle so far, s (segments added up; start-up and shutdown not counted). */
  seconds: number
  /** Cycles that failed, 1-based, with their first problems (kept across segments). */
  failures: Array<{ cycle: number; problems: string[] }>
  /** `FAULT_ONLY` of the soak's first segment (the plan depends on it), when set. */
  only?: FaultKind[]
  segments: SegmentRecord[]
  world: SavedWorld
}

/** Path of the state file in a soak dir. */
export function soakStatePath(dir: string): string {
  return join(dir, 'world.json')
}

/**
 * Writes the state atomically (temp file, then rename), so a run killed mid-write leaves the
 * previous state intact.
 */
export function saveSoak(dir: string, state: SavedSoak): void {
  const file = soakStatePath(dir)
  writeFileSync(`${file}.tmp`, JSON.stringify(state))
  renameSync(`${file}.tmp`, file)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: not a number`)
  return v
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string')) throw new Error(`${what}: not a list of strings`)
  return v
}

function numbers(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((n): n is number => typeof n === 'number')) throw new Error(`${what}: not a list of numbers`)
  return v
}

function parseActionStats(v: unknown): ActionStats {
  if (v === undefined) return emptyActionStats()
  if (!isRecord(v) || !isRecord(v.dropped)) throw new Error('stats.actions: not an object')
  const dropped: Record<string, number> = {}
  for (const [reason, count] of Object.entries(v.dropped)) dropped[reason] = num(count, `stats.actions.dropped.${reason}`)
  const n = (k: string) => num(v[k] ?? 0, `stats.actions.${k}`)
  return { prompts: n('prompts'), permissionReplies: n('permissionReplies'), delivered: n('delivered'), dropped, duplicated: n('duplicated'), lost: n('lost'), skipped: n('skipped') }
}

function parseStats(v: unknown): Stats {
  if (!isRecord(v) || !isRecord(v.faults)) throw new Error('stats: not an object')
  const faults: Record<string, number> = {}
  for (const k of FAULT_KINDS) faults[k] = num(v.faults[k] ?? 0, `stats.faults.${k}`)
  const n = (k: string) => num(v[k], `stats.${k}`)
  return {
    cycles: n('cycles'),
    failedCycles: n('failedCycles'),
    faults,
    halfOpenSleeps: n('halfOpenSleeps'),
    // Counted since the launcher faults exist: older states have none.
    launcherNewPorts: num(v.launcherNewPorts ?? 0, 'stats.launcherNewPorts'),
    launcherLiveMs: numbers(v.launcherLiveMs ?? [], 'stats.launcherLiveMs'),
    launcherCaughtUpMs: numbers(v.launcherCaughtUpMs ?? [], 'stats.launcherCaughtUpMs'),
    unreachableWhileStarting: num(v.unreachableWhileStarting ?? 0, 'stats.unreachableWhileStarting'),
    prompts: n('prompts'),
    permissionsReplied: n('permissionsReplied'),
    // Counted since the user actions exist (issue 19): older states have none.
    actions: parseActionStats(v.actions),
    checks: n('checks'),
    messagesChecked: n('messagesChecked'),
    partsChecked: n('partsChecked'),
    logEventsChecked: n('logEventsChecked'),
    lost: n('lost'),
    duplicated: n('duplicated'),
    extra: n('extra'),
    stale: n('stale'),
    pageErrors: strings(v.pageErrors, 'stats.pageErrors'),
    cycleMs: numbers(v.cycleMs, 'stats.cycleMs'),
  }
}

function parseContext(v: unknown): SavedContext {
  if (!isRecord(v) || (v.kind !== 'shared-worker' && v.kind !== 'leader-tab')) throw new Error('contexts[]: bad kind')
  if (!Array.isArray(v.logIds) || !Array.isArray(v.tabs)) throw new Error('contexts[]: no logIds/tabs')
  const logIds: Array<[string, number]> = v.logIds.map((e: unknown) => {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') throw new Error('contexts[].logIds: bad entry')
    return [e[0], e[1]]
  })
  const tabs = v.tabs.map((t: unknown) => {
    if (!isRecord(t)) throw new Error('contexts[].tabs: bad entry')
    return { position: num(t.position, 'tab.position'), slot: num(t.slot, 'tab.slot') }
  })
  return { kind: v.kind, logAfter: num(v.logAfter, 'logAfter'), logIds, tabs }
}

/**
 * Reads a soak dir's state.
 * @returns undefined when the dir holds no `world.json` (a new soak).
 * @throws Error naming the bad field when the file is not a state this version wrote.
 */
export function loadSoak(dir: string): SavedSoak | undefined {
  const file = soakStatePath(dir)
  if (!existsSync(file)) return undefined
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'))
  if (!isRecord(raw) || raw.version !== 1) throw new Error(`${file}: not a version-1 soak state`)
  const w = raw.world
  if (!isRecord(w) || !isRecord(w.ports) || !Array.isArray(w.contexts)) throw new Error(`${file}: world: bad shape`)
  const failures = Array.isArray(raw.failures)
    ? raw.failures.map((f: unknown) => {
        if (!isRecord(f)) throw new Error(`${file}: failures[]: bad entry`)
        return { cycle: num(f.cycle, 'failures[].cycle'), problems: strings(f.problems, 'failures[].problems') }
      })
    : []
  const segments = Array.isArray(raw.segments)
    ? raw.segments.map((s: unknown) => {
        if (!isRecord(s) || typeof s.started !== 'string') throw new Error(`${file}: segments[]: bad entry`)
        const record: SegmentRecord = { started: s.started, first: num(s.first, 'first'), last: num(s.last, 'last'), seconds: num(s.seconds, 'seconds') }
        if (typeof s.app === 'string') record.app = s.app
        if (s.updated === true) record.updated = true
        return record
      })
    : []
  const only = raw.only === undefined ? undefined : strings(raw.only, 'only').map((k) => {
    const kind = FAULT_KINDS.find((x) => x === k)
    if (!kind) throw new Error(`${file}: only: unknown fault kind ${k}`)
    return kind
  })
  if (w.identity !== undefined && typeof w.identity !== 'string') throw new Error(`${file}: world.identity: not a string`)
  return {
    version: 1,
    seed: num(raw.seed, 'seed'),
    cyclesPlanned: num(raw.cyclesPlanned, 'cyclesPlanned'),
    nextCycle: num(raw.nextCycle, 'nextCycle'),
    seconds: num(raw.seconds, 'seconds'),
    failures,
    segments,
    ...(only ? { only } : {}),
    world: {
      ports: { app: num(w.ports.app, 'ports.app'), proxy: num(w.ports.proxy, 'ports.proxy'), fuzz: num(w.ports.fuzz, 'ports.fuzz') },
      ...(w.identity !== undefined ? { identity: w.identity } : {}),
      slots: strings(w.slots, 'slots'),
      external: strings(w.external, 'external'),
      nextPosition: num(w.nextPosition, 'nextPosition'),
      contexts: w.contexts.map(parseContext),
      stats: parseStats(w.stats),
    },
  }
}

/**
 * Kills every `opencode serve` working in `root` (its process group, as startOpencode spawns it
 * detached): a segment killed before its own shutdown leaves its server running on the soak's
 * storage, which the next segment's server must not share. Linux only (reads /proc).
 * @returns how many servers were killed.
 */
export function killServersIn(root: string): number {
  let killed = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (!cmd.includes('opencode') || !cmd.includes('serve')) continue
      if (!readlinkSync(`/proc/${pid}/cwd`).startsWith(root)) continue
      process.kill(-Number(pid), 'SIGKILL')
      killed++
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return killed
}

/**
 * Which build a dist folder holds: the SHA-256 (hex) of its `service-worker.js`, whose precache
 * manifest names every asset with its revision, so any change of the app changes it.
 * @throws Error when the folder has no service worker (not a production build).
 */
export function appFingerprint(dist: string): string {
  return createHash('sha256').update(readFileSync(join(dist, 'service-worker.js'))).digest('hex')
}
