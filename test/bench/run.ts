/**
 * `npm run bench`: the benchmarks of issue 7 — how fast and how light the relay is, against the
 * physical limit (raw ceilings on the same machine) and against the official web UI served by
 * `opencode web` from the same pinned `opencode-ai` package; and the streaming-render benchmarks of
 * issue 18 (`rates`, `longreply`: suites/streaming.ts). Prints a markdown table and writes
 * JSON to `bench-results/latest.json`.
 *
 * Flags:
 * - `--quick` — one run, small sizes (used by the smoke test in `npm test`);
 * - `--only=ingest,latency,burst,catchup,long,tabs,degraded,rates,longreply` — a subset;
 * - `--runs=N` — runs per measurement (default 5; the issue asks for at least 5);
 * - `--out=path` — where to write the JSON (default `bench-results/latest.json`).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem, platform, release } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { REPO_ROOT, opencodeBin } from '../support/opencode-server.ts'
import { chromiumPath } from '../../e2e/support/browser.ts'
import { SUITES, type BenchContext, type Row, type SuiteName, type SuiteResult } from './lib/context.ts'
import { fmtStat, type Stat } from './lib/stats.ts'
import { catchup, ingest, latency } from './suites/relay.ts'
import { burst, longSession, tabs } from './suites/ui.ts'
import { degraded } from './suites/degraded.ts'
import { longReply, rates } from './suites/streaming.ts'

/** Options of {@link runBench}. */
export interface BenchOptions {
  quick?: boolean
  /** Suites to run; all when absent. */
  only?: readonly SuiteName[]
  /** Runs per measurement; default 5 (1 when quick). */
  runs?: number
  /** JSON output path; default `bench-results/latest.json` under the repo root. Null: do not write. */
  out?: string | null
  /** Progress lines; default stderr. */
  log?: (line: string) => void
}

/** The machine the numbers come from. */
export interface MachineInfo {
  cores: number
  cpuModel: string
  /** Total memory, GiB. */
  memoryGiB: number
  os: string
  node: string
  chromium: string
  opencode: string
  /** 1-minute load average when the run started and when it ended (other work on the machine skews every number). */
  loadAverage: { start: number; end: number }
}

/** The JSON report (`bench-results/latest.json`). */
export interface BenchReport {
  /** ISO time the run started. */
  startedAt: string
  /** Wall time of the whole run, ms. */
  durationMs: number
  machine: MachineInfo
  options: { quick: boolean; runs: number; suites: SuiteName[] }
  rows: Row[]
  /** Per suite: raw per-run numbers and notes, or the error that stopped it. */
  details: Record<string, unknown>
  /** The markdown table as printed. */
  table: string
}

const RUNNERS: Record<SuiteName, (ctx: BenchContext) => Promise<SuiteResult>> = {
  ingest,
  latency,
  burst,
  catchup,
  long: longSession,
  tabs,
  degraded,
  rates,
  longreply: longReply,
}

const LABELS: Record<SuiteName, string> = {
  ingest: '1. Ingest',
  latency: '2. Latency',
  burst: '3. Burst',
  catchup: '4. Catch-up',
  long: '5. Long session',
  tabs: '6. Tabs',
  degraded: '7. Degraded',
  rates: '8. Rates',
  longreply: '9. Long reply',
}

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 20_000 }).trim().split('\n')[0]
  } catch (err) {
    return `unknown (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`
  }
}

/** Cores, memory, versions of the browser and of opencode. */
export function machineInfo(): MachineInfo {
  const cpu = cpus()
  let chromium = 'not found'
  try {
    chromium = version(chromiumPath(), ['--version'])
  } catch (err) {
    chromium = `not found (${err instanceof Error ? err.message : String(err)})`
  }
  let opencode = 'not found'
  try {
    opencode = version(opencodeBin(), ['--version'])
  } catch (err) {
    opencode = `not found (${err instanceof Error ? err.message : String(err)})`
  }
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    chromium,
    opencode,
    loadAverage: { start: Math.round(loadavg()[0] * 10) / 10, end: Number.NaN },
  }
}

function cell(v: Stat | string | undefined): string {
  if (v === undefined) return ''
  return typeof v === 'string' ? v : fmtStat(v)
}

/** The markdown table of `rows`, preceded by one line about the machine. */
export function renderTable(rows: readonly Row[], machine: MachineInfo, runs: number): string {
  const lines = [
    `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ${machine.os}; ${machine.chromium} headless; opencode ${machine.opencode}; Node ${machine.node}; ` +
      `load average ${machine.loadAverage.start} at start, ${machine.loadAverage.end} at end. Values: median [min–max] of ${runs} run${runs > 1 ? 's' : ''}.`,
    '',
    '| Bench | Metric | OpenCode Relay | Official web UI | Ratio | Target | Met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const r of rows) {
    const met = r.met === true ? 'yes' : r.met === false ? '**no**' : ''
    const esc = (s: string) => s.replace(/\|/g, '\\|')
    lines.push(`| ${esc(r.bench)} | ${esc(r.metric)} | ${esc(cell(r.relay))} | ${esc(cell(r.official))} | ${esc(r.ratio ?? '')} | ${esc(r.target ?? '')} | ${met} |`)
  }
  return lines.join('\n')
}

/**
 * Runs the selected suites one after another; a suite that throws becomes one `failed` row (the
 * others still run). Never leaves a browser or server behind.
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const quick = options.quick ?? false
  const runs = options.runs ?? (quick ? 1 : 5)
  const suites = SUITES.filter((s) => !options.only || options.only.includes(s))
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const started = Date.now()
  const machine = machineInfo()
  const rows: Row[] = []
  const details: Record<string, unknown> = {}
  const cleanups: Array<() => Promise<void>> = []
  const ctx: BenchContext = { quick, runs, log, defer: (fn) => cleanups.push(fn) }
  try {
    for (const suite of suites) {
      log(`\n== ${LABELS[suite]}`)
      const t0 = Date.now()
      try {
        const result = await RUNNERS[suite](ctx)
        rows.push(...result.rows)
        details[suite] = { ...result.details, durationMs: Date.now() - t0 }
      } catch (err) {
        const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
        log(`  ${LABELS[suite]} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
        rows.push({ bench: LABELS[suite], metric: 'suite failed', relay: `failed: ${message}`, met: null })
        details[suite] = { error: message, durationMs: Date.now() - t0 }
      }
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => log(`cleanup failed: ${String(err)}`))
  }
  machine.loadAverage.end = Math.round(loadavg()[0] * 10) / 10
  if (Math.max(machine.loadAverage.start, machine.loadAverage.end) > machine.cores) {
    log(`warning: the load average exceeded the ${machine.cores} cores during the run; other processes skewed these numbers`)
  }
  const table = renderTable(rows, machine, runs)
  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    machine,
    options: { quick, runs, suites: [...suites] },
    rows,
    details,
    table,
  }
  const out = options.out === undefined ? join(REPO_ROOT, 'bench-results', 'latest.json') : options.out
  if (out) {
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n')
  }
  return report
}

/** Parses the CLI flags. @throws Error on an unknown suite or flag. */
export function parseArgs(argv: readonly string[]): BenchOptions {
  const opts: BenchOptions = {}
  for (const arg of argv) {
    if (arg === '--quick') opts.quick = true
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',').map((s) => s.trim()).filter(Boolean)
      const bad = names.filter((n) => !SUITES.some((s) => s === n))
      if (bad.length) throw new Error(`unknown suite(s) ${bad.join(', ')}; choose from ${SUITES.join(', ')}`)
      opts.only = SUITES.filter((s) => names.includes(s))
    } else if (arg.startsWith('--runs=')) {
      const n = Number(arg.slice('--runs='.length))
      if (!Number.isInteger(n) || n < 1) throw new Error(`--runs must be a positive integer, got ${arg}`)
      opts.runs = n
    } else if (arg.startsWith('--out=')) opts.out = arg.slice('--out='.length)
    else throw new Error(`unknown flag ${arg}; flags: --quick, --only=${SUITES.join(',')}, --runs=N, --out=path`)
  }
  return opts
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  const report = await runBench(options)
  console.log(`\n${report.table}\n`)
  console.log(`Done in ${Math.round(report.durationMs / 1000)} s; JSON in ${options.out ?? 'bench-results/latest.json'}.`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
