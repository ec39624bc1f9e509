/**
 * The one summary the fault suite prints (and writes to `test-results/faults-summary.json`):
 * cycles, faults by kind, the user actions and what became of them, events and parts checked,
 * lost, duplicated.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../../test/support/opencode-server.ts'
import type { Stats } from './world.ts'
import type { ActionStats } from './actions.ts'

/** What the summary reports. */
export interface Summary {
  seed: number
  cyclesPlanned: number
  cycles: number
  /** Cycles that failed (a check found a problem, or the cycle aborted). */
  failedCycles: number
  /** Wall time of the cycles, s. */
  seconds: number
  /** Median and 95th percentile of one cycle, ms. */
  cycleMsMedian: number
  cycleMsP95: number
  faults: Record<string, number>
  /** How many of the sleeps left the connection half-open. */
  halfOpenSleeps: number
  /** How many launcher restarts (both launcher kinds) brought the server back on a new port. */
  launcherNewPorts: number
  /** Median and maximum, over the launcher restarts, of the ms from the config's `ready` until every tab was live. */
  launcherLiveMsMedian: number
  launcherLiveMsMax: number
  /** Median and maximum, over the launcher restarts, of the ms from the config's `ready` until every tab was also done catching up. */
  launcherCaughtUpMsMedian: number
  launcherCaughtUpMsMax: number
  /** Pages opened during a launcher's start-up that said "Server unreachable" although the launcher answered `starting`. */
  unreachableWhileStarting: number
  prompts: number
  permissionsReplied: number
  /** User actions issued in the tabs during the faults (prompts typed, permission replies clicked) and their outcome. */
  actions: ActionStats
  checks: number
  messagesChecked: number
  partsChecked: number
  logEventsChecked: number
  lost: number
  duplicated: number
  extra: number
  stale: number
  pageErrors: number
  /** Times the whole world was shut down and started again on its saved state (segmented soak). */
  restarts: number
  passed: boolean
}

/** Dropped actions by reason, e.g. `0 dropped` or `2 dropped (1 cancelled, 1 …)`. */
function dropped(byReason: Record<string, number>): string {
  const entries = Object.entries(byReason)
  const total = entries.reduce((a, [, n]) => a + n, 0)
  return total === 0 ? '0 dropped' : `${total} dropped (${entries.map(([r, n]) => `${n} ${r}`).join(', ')})`
}

/** Ms as seconds with one decimal, e.g. `1.4 s`. */
function sec(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** Builds the summary from the world's counters. */
export function summarize(stats: Stats, seed: number, cyclesPlanned: number, seconds: number, passed: boolean, restarts = 0): Summary {
  return {
    seed,
    cyclesPlanned,
    cycles: stats.cycles,
    failedCycles: stats.failedCycles,
    seconds: Math.round(seconds),
    cycleMsMedian: Math.round(percentile(stats.cycleMs, 50)),
    cycleMsP95: Math.round(percentile(stats.cycleMs, 95)),
    faults: { ...stats.faults },
    halfOpenSleeps: stats.halfOpenSleeps,
    launcherNewPorts: stats.launcherNewPorts,
    launcherLiveMsMedian: Math.round(percentile(stats.launcherLiveMs, 50)),
    launcherLiveMsMax: Math.max(0, ...stats.launcherLiveMs),
    launcherCaughtUpMsMedian: Math.round(percentile(stats.launcherCaughtUpMs, 50)),
    launcherCaughtUpMsMax: Math.max(0, ...stats.launcherCaughtUpMs),
    unreachableWhileStarting: stats.unreachableWhileStarting,
    prompts: stats.prompts,
    permissionsReplied: stats.permissionsReplied,
    actions: { ...stats.actions, dropped: { ...stats.actions.dropped } },
    checks: stats.checks,
    messagesChecked: stats.messagesChecked,
    partsChecked: stats.partsChecked,
    logEventsChecked: stats.logEventsChecked,
    lost: stats.lost,
    duplicated: stats.duplicated,
    extra: stats.extra,
    stale: stats.stale,
    pageErrors: stats.pageErrors.length,
    restarts,
    passed,
  }
}

/** The summary as printed: one block of aligned lines. */
export function formatSummary(s: Summary): string {
  const total = Object.values(s.faults).reduce((a, b) => a + b, 0)
  const launcherRestarts = (s.faults['launcher-restart'] ?? 0) + (s.faults['page-opened-during-startup'] ?? 0)
  const faults = Object.entries(s.faults)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  return [
    `── fault suite summary (FAULT_SEED=${s.seed}) ──`,
    `cycles            ${s.cycles} of ${s.cyclesPlanned} in ${s.seconds} s (median ${(s.cycleMsMedian / 1000).toFixed(1)} s/cycle, p95 ${(s.cycleMsP95 / 1000).toFixed(1)} s), ${s.failedCycles} failed`,
    `faults            ${total}: ${faults} (${s.halfOpenSleeps} of the sleeps half-open, ${s.launcherNewPorts} of the launcher restarts on a new port)${s.restarts ? `; ${s.restarts} restarts of browser and server between segments` : ''}`,
    ...(launcherRestarts === 0
      ? []
      : [
          `launcher          every tab live ${sec(s.launcherLiveMsMedian)} (median) / ${sec(s.launcherLiveMsMax)} (max) after the restarted launcher was ready, caught up ${sec(s.launcherCaughtUpMsMedian)} / ${sec(s.launcherCaughtUpMsMax)}`,
          `opened starting   ${s.faults['page-opened-during-startup'] ?? 0} pages opened during start-up, ${s.unreachableWhileStarting} of them said "Server unreachable" for a moment while it was starting`,
        ]),
    `workload          ${s.prompts} prompts, ${s.permissionsReplied} permission replies`,
    `user actions      ${s.actions.prompts + s.actions.permissionReplies} issued in the tabs during faults (${s.actions.prompts} prompts typed, ${s.actions.permissionReplies} permission replies clicked; ${s.actions.skipped} planned with no usable tab): ${s.actions.delivered} delivered, ${dropped(s.actions.dropped)}, ${s.actions.duplicated} duplicated, ${s.actions.lost} lost`,
    `checked           ${s.checks} checks: ${s.messagesChecked} messages, ${s.partsChecked} parts (tab × session), ${s.logEventsChecked} event-log events`,
    `lost              ${s.lost}`,
    `duplicated        ${s.duplicated}`,
    `other mismatches  ${s.extra} extra, ${s.stale} stale; ${s.pageErrors} page errors`,
    `result            ${s.passed ? 'PASS' : s.failedCycles === 0 && s.pageErrors === 0 && s.cycles < s.cyclesPlanned ? `no failure so far, ${s.cyclesPlanned - s.cycles} cycles to go` : 'FAIL'}`,
  ].join('\n')
}

/**
 * Writes the summary as JSON under test-results/: `name`, else `FAULT_SUMMARY` (so concurrent soak
 * runs from one checkout keep their own file), else `faults-summary.json`.
 */
export function writeSummary(s: Summary, name = process.env.FAULT_SUMMARY ?? 'faults-summary.json'): string {
  const dir = join(REPO_ROOT, 'test-results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(s, null, 2) + '\n')
  return file
}
