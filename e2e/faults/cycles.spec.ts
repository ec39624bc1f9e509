/**
 * Issue 6, the proof of no loss: randomized, seeded fault cycles against the real stack.
 *
 * Each cycle: the scripted model streams replies (and asks for tool permissions) in several
 * sessions while five tabs are open — three on the SharedWorker relay, two in the leader-tab
 * fallback; one or two faults hit mid-stream (see FAULT_KINDS in world.ts) while the person types
 * prompts and clicks permission replies in the tabs the faults leave alone (actions.ts: each must
 * reach the server exactly once, through the outbox); then, once the server
 * is quiet, every tab must equal the server's truth for every session it has loaded (messages and
 * parts by id, same text, no duplicate, nothing missing), show the server's pending permissions,
 * be connected with healthy storage, and each event log must hold no event id twice.
 *
 * Environment:
 * - `FAULT_SEED`     seed (printed; the same seed replays the same fault sequence); random if unset
 * - `FAULT_CYCLES`   number of cycles: default 20 in `npm test` (.ci/run sets 200), 40 with
 *                    `npm run test:faults:short` (FAULT_RUN=short), 200 with `npm run test:faults`
 *                    (FAULT_RUN=long)
 * - `FAULT_SOAK=1`   the long soak: 2,000 cycles unless FAULT_CYCLES says otherwise
 * - `FAULT_KEEP_GOING=1`  do not stop at the first failing cycle (counts every loss)
 * - `FAULT_SOAK_DIR=<dir>`  run the soak in segments that keep the whole world in `<dir>` (server
 *                    storage, browser profiles, counters): a later run with the same dir resumes
 *                    it where it stopped (see soak-state.ts); the seed and cycle count come from
 *                    the dir once it holds a soak
 * - `FAULT_SEGMENT_MINUTES`  with FAULT_SOAK_DIR: stop (and save) after the cycle that ends past
 *                    this many minutes
 * - `FAULT_ONLY=<kind>,<kind>`  draw only these fault kinds as a cycle's first fault (FAULT_KINDS
 *                    in world.ts), e.g. `FAULT_ONLY=launcher-restart,page-opened-during-startup`;
 *                    a soak keeps the value of its first segment
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type BrowserContext } from '@playwright/test'
import { test, expect, startStack, closeStack, appDist } from '../support/fixtures.ts'
import { chromiumPath, CHROMIUM_ARGS } from '../support/browser.ts'
import { appFingerprint, killServersIn, loadSoak, saveSoak, type SavedSoak, type SegmentRecord } from './soak-state.ts'
import { createRng, parseSeed } from './rng.ts'
import { describeFault, parseFaultOnly, planCycles, type CyclePlan } from './plan.ts'
import { formatSummary, summarize, writeSummary } from './summary.ts'
import { World, type FaultKind } from './world.ts'
import type { Problem } from './truth.ts'

const SEED = parseSeed(process.env.FAULT_SEED)
const SOAK = process.env.FAULT_SOAK === '1'
/** `npm run test:faults` sets FAULT_RUN=long, `npm run test:faults:short` FAULT_RUN=short. */
const RUN = process.env.FAULT_RUN
const CYCLES = Number(process.env.FAULT_CYCLES ?? (SOAK ? 2000 : RUN === 'long' ? 200 : RUN === 'short' ? 40 : 20))
const KEEP_GOING = process.env.FAULT_KEEP_GOING === '1'
const SOAK_DIR = process.env.FAULT_SOAK_DIR
const SEGMENT_MS = Number(process.env.FAULT_SEGMENT_MINUTES ?? 0) * 60_000
const ONLY = parseFaultOnly(process.env.FAULT_ONLY)
const SLOTS = 3
const WORLD = { slots: SLOTS, sharedWorkerTabs: [0, 1, 2], leaderTabs: [0, 1], convergeMs: 30_000 }

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Starts each slot's work: answers a pending permission, or sends the planned prompt to an idle session. */
async function startWork(world: World, plan: CyclePlan): Promise<void> {
  const [perms, status] = await Promise.all([world.truth.permissions(), world.truth.statuses()])
  await Promise.all(
    world.slots.map(async (sessionID, slot) => {
      const pending = perms[sessionID] ?? []
      if (pending.length > 0) {
        try {
          await world.replyPermission(sessionID, pending[0], plan.replyViaUi)
        } catch {
          await world.truth.replyPermission(pending[0]).catch(() => undefined)
        }
        return
      }
      if ((status[sessionID] ?? 'idle') !== 'idle') return
      const work = plan.work[slot]
      if (work.action === 'none') return
      const text = work.action === 'bash' ? `bash: echo cycle-${plan.index}-slot-${slot}` : `stream ${work.tokens} delay ${work.delayMs}`
      await world.stack.api.promptAsync(sessionID, text)
      world.stats.prompts++
    }),
  )
}

function report(problems: readonly Problem[], max = 25): string {
  const lines = problems.slice(0, max).map((p) => `  - [${p.kind}] ${p.what}`)
  if (problems.length > max) lines.push(`  … and ${problems.length - max} more`)
  return lines.join('\n')
}

/** A failed cycle: its number (1-based) and what the check found. */
interface Failure {
  cycle: number
  problems: string[]
}

/** What {@link runCycles} continues from and reports. */
interface Progress {
  seed: number
  cyclesPlanned: number
  /** Index (0-based) of the next planned cycle. */
  nextCycle: number
  /** Wall time of the cycles so far, s. */
  seconds: number
  failures: Failure[]
  /** The fault kinds drawn (FAULT_ONLY), when not every kind. */
  only?: FaultKind[]
}

function passed(world: World, p: Progress): boolean {
  return p.failures.length === 0 && world.stats.pageErrors.length === 0 && world.stats.cycles === p.cyclesPlanned
}

/**
 * Runs the planned cycles from `p.nextCycle` on: each starts the workload, injects its faults,
 * waits for the server to settle and the tabs to reconnect, and checks every tab against the
 * server. Stops at the first failure (unless FAULT_KEEP_GOING), at the end of the plan, or after
 * the cycle that ends past `deadline` (epoch ms). Updates `p` as it goes; `checkpoint` runs every
 * 10 cycles (the summary and, for a segmented soak, the saved state).
 */
async function runCycles(world: World, p: Progress, runtimeSeed: number, deadline: number, checkpoint: () => void): Promise<void> {
  const plans = planCycles(createRng(p.seed), { cycles: p.cyclesPlanned, slots: SLOTS, tabs: world.allTabs().length, rotateEvery: 15, only: p.only })
  const runtimeRng = createRng(runtimeSeed)
  for (const plan of plans.slice(p.nextCycle)) {
    const t0 = Date.now()
    world.cycle = plan.index + 1
    const label = plan.faults.map(describeFault).join(' + ')
    let problems: Problem[]
    let actionProblems: Problem[] = []
    const phases: string[] = []
    let mark = Date.now()
    const phase = (name: string) => {
      const now = Date.now()
      phases.push(`${name} ${((now - mark) / 1000).toFixed(1)}`)
      mark = now
    }
    try {
      if (plan.rotate !== undefined) await world.rotate(plan.rotate)
      await startWork(world, plan)
      await sleep(plan.faultDelayMs)
      phase('work')
      // The person keeps working meanwhile (actions.ts). A sleep freezes every tab at once: they
      // act just before the lid closes, and the outbox delivers after the wake.
      const sleeps = plan.faults.some((f) => f.kind === 'sleep')
      const beforeSleep = plan.faults.filter((f) => f.kind !== 'sleep')
      if (sleeps) await Promise.all(plan.actions.map((a) => world.actions.issue(a, beforeSleep, { now: true })))
      await Promise.all([...plan.faults.map((f) => world.inject(f, runtimeRng)), ...(sleeps ? [] : plan.actions.map((a) => world.actions.issue(a, plan.faults)))])
      // A tab opened during an offline fault can miss the switch back (see setOffline in world.ts).
      if (plan.faults.some((f) => f.kind === 'browser-offline')) await world.ensureOnline()
      phase('fault')
      await world.settleServer()
      phase('settle')
      await world.waitAllConnected()
      phase('reconnect')
      // Every prompt typed and reply clicked during the faults is on the server exactly once; the
      // replies they started must end before the tabs are compared with the server.
      actionProblems = await world.actions.verify((kind) => world.pageOf(kind))
      if (plan.actions.length) {
        await world.settleServer()
        phase('actions')
      }
      // A half-open connection is replaced when the tabs wake (they report their freeze), not
      // only by the relay's 25 s watchdog: the default 30 s of convergence is enough.
      problems = [...actionProblems, ...(await world.check())]
      phase('check')
    } catch (err) {
      problems = [...actionProblems, { kind: 'stale', what: `cycle aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` }]
    }
    const ms = Date.now() - t0
    world.stats.cycles++
    world.stats.cycleMs.push(ms)
    p.seconds += ms / 1000
    p.nextCycle = plan.index + 1
    const ok = problems.length === 0
    if (!ok) world.stats.failedCycles++
    console.log(`[faults] cycle ${plan.index + 1}/${p.cyclesPlanned} ${ok ? 'ok  ' : 'FAIL'} ${(ms / 1000).toFixed(1)} s  ${label}  [${phases.join(', ')}]`)
    if (!ok) {
      console.log(`[faults] cycle ${plan.index + 1} problems (FAULT_SEED=${p.seed}):\n${report(problems)}`)
      console.log(`[faults] relay statuses (newest last):\n${await world.diagnose()}`)
      p.failures.push({ cycle: plan.index + 1, problems: problems.slice(0, 10).map((x) => `[${x.kind}] ${x.what}`) })
    }
    // A long soak may be stopped at any time: keep the latest summary (and state) on disk.
    if (world.stats.cycles % 10 === 0) checkpoint()
    // Every 100 cycles of a long run, a summary so far (not after the last cycle: the final one follows).
    if (p.cyclesPlanned > 200 && world.stats.cycles % 100 === 0 && p.nextCycle < p.cyclesPlanned) console.log(formatSummary(summarize(world.stats, p.seed, p.cyclesPlanned, p.seconds, passed(world, p))))
    if (!ok && !KEEP_GOING) break
    if (Date.now() > deadline) break
  }
}

/** The final report: summary printed and written, page errors listed. */
function finish(world: World, p: Progress, restarts = 0): void {
  const summary = summarize(world.stats, p.seed, p.cyclesPlanned, p.seconds, passed(world, p), restarts)
  console.log(formatSummary(summary))
  if (world.stats.pageErrors.length) console.log(`[faults] page errors:\n  ${world.stats.pageErrors.slice(0, 20).join('\n  ')}`)
  writeSummary(summary)
}

function failureReport(p: Progress): string[] {
  return p.failures.map((f) => `cycle ${f.cycle}:\n${f.problems.map((x) => `  - ${x}`).join('\n')}`)
}

test('fault cycles: every tab equals the server after every cycle, nothing lost, nothing duplicated', async ({ stack, context, browser }) => {
  test.skip(SOAK_DIR !== undefined, 'FAULT_SOAK_DIR runs the segmented soak below')
  test.setTimeout(180_000 + CYCLES * 90_000)
  const only = ONLY ? ` FAULT_ONLY=${ONLY.join(',')}` : ''
  console.log(`[faults] FAULT_SEED=${SEED} FAULT_CYCLES=${CYCLES}${only} (replay: FAULT_SEED=${SEED} FAULT_CYCLES=${CYCLES}${only} npx playwright test e2e/faults/cycles.spec.ts)`)
  const leader = await browser.newContext()
  const world = await World.create(stack, context, leader, WORLD)
  const p: Progress = { seed: SEED, cyclesPlanned: CYCLES, nextCycle: 0, seconds: 0, failures: [], ...(ONLY ? { only: ONLY } : {}) }
  try {
    // A first check before any fault: the baseline must already agree.
    const baseline = await world.check()
    expect(baseline, `baseline check\n${report(baseline)}`).toEqual([])
    await runCycles(world, p, (SEED ^ 0x5bd1e995) >>> 0, Infinity, () => writeSummary(summarize(world.stats, p.seed, p.cyclesPlanned, p.seconds, passed(world, p))))
  } finally {
    finish(world, p)
    await world.close()
    await leader.close()
  }
  expect(failureReport(p), `FAULT_SEED=${SEED}`).toEqual([])
  expect(world.stats.pageErrors, 'uncaught errors in the app').toEqual([])
})

/** A browser with a profile in `dir` (kept across runs: IndexedDB, caches, the service worker). */
async function persistentContext(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, { headless: true, executablePath: chromiumPath(), args: CHROMIUM_ARGS })
}

test('fault soak in segments (FAULT_SOAK_DIR): the world survives browser and server restarts between runs', async () => {
  test.skip(SOAK_DIR === undefined, 'set FAULT_SOAK_DIR to run the segmented soak')
  if (SOAK_DIR === undefined) return
  test.setTimeout(SEGMENT_MS > 0 ? SEGMENT_MS + 30 * 60_000 : 180_000 + CYCLES * 90_000)
  mkdirSync(SOAK_DIR, { recursive: true })
  const saved = loadSoak(SOAK_DIR)
  const stale = killServersIn(join(SOAK_DIR, 'opencode'))
  if (stale) console.log(`[faults] killed ${stale} server(s) left running by a segment that did not shut down`)
  const p: Progress = saved
    ? { seed: saved.seed, cyclesPlanned: saved.cyclesPlanned, nextCycle: saved.nextCycle, seconds: saved.seconds, failures: saved.failures, ...(saved.only ? { only: saved.only } : {}) }
    : { seed: SEED, cyclesPlanned: CYCLES, nextCycle: 0, seconds: 0, failures: [], ...(ONLY ? { only: ONLY } : {}) }
  const segments = [...(saved?.segments ?? [])]
  const app = appFingerprint(appDist())
  const previous = segments.at(-1)?.app
  const segment: SegmentRecord = { started: new Date().toISOString(), first: p.nextCycle + 1, last: p.nextCycle, seconds: 0, app }
  if (previous !== undefined && previous !== app) segment.updated = true
  const secondsBefore = p.seconds
  console.log(`[faults] soak in ${SOAK_DIR}: segment ${segments.length + 1}, cycles ${p.nextCycle + 1}.. of ${p.cyclesPlanned}, FAULT_SEED=${p.seed}${p.only ? ` FAULT_ONLY=${p.only.join(',')}` : ''}${SEGMENT_MS ? `, stopping after ${SEGMENT_MS / 60_000} min` : ''}`)
  const deadline = SEGMENT_MS > 0 ? Date.now() + SEGMENT_MS : Infinity
  const stack = await startStack({ root: join(SOAK_DIR, 'opencode') })
  const shared = await persistentContext(join(SOAK_DIR, 'profile-shared-worker'))
  const leader = await persistentContext(join(SOAK_DIR, 'profile-leader-tab'))
  let world: World | undefined
  const save = (w: World) => {
    segment.last = p.nextCycle
    segment.seconds = Math.round(p.seconds - secondsBefore)
    const state: SavedSoak = { version: 1, ...p, segments: [...segments, segment], world: w.save() }
    saveSoak(SOAK_DIR, state)
    const summary = summarize(w.stats, p.seed, p.cyclesPlanned, p.seconds, passed(w, p), segments.length)
    writeSummary(summary)
    // Also beside the state: a later Playwright run empties test-results/.
    writeFileSync(join(SOAK_DIR, 'summary.json'), JSON.stringify(summary, null, 2) + '\n')
  }
  try {
    world = await World.create(stack, shared, leader, WORLD, saved?.world)
    const w = world
    // A new build since the last segment: the tabs opened on the old one (their service worker
    // serves it); the update banner must show and its Reload must bring every tab to the new build.
    if (segment.updated) {
      console.log(`[faults] the app changed since the last segment: applying the update through the banner`)
      try {
        await w.applyUpdate()
      } catch (err) {
        // Not applied: the next run tries again.
        segment.app = previous
        segment.updated = undefined
        throw err
      }
    }
    // First check: before any fault, or (resumed) after the browser and the server restarted.
    const baseline = await w.check()
    if (baseline.length) {
      console.log(`[faults] ${saved ? 'check after the restart' : 'baseline check'} failed:\n${report(baseline)}\n${await w.diagnose()}`)
      p.failures.push({ cycle: p.nextCycle, problems: [`${saved ? 'after the restart' : 'baseline'}:`, ...baseline.slice(0, 10).map((x) => `[${x.kind}] ${x.what}`)] })
    }
    if (baseline.length === 0 || KEEP_GOING) {
      await runCycles(w, p, (p.seed ^ 0x5bd1e995 ^ Math.imul(segments.length, 0x9e3779b9)) >>> 0, deadline, () => save(w))
    }
  } finally {
    if (world) {
      save(world)
      finish(world, p, segments.length)
      await world.close()
    }
    await shared.close()
    await leader.close()
    await closeStack(stack)
  }
  console.log(`[faults] soak ${p.nextCycle} of ${p.cyclesPlanned} cycles done${p.nextCycle < p.cyclesPlanned ? `; resume with FAULT_SOAK_DIR=${SOAK_DIR}` : ''}`)
  expect(failureReport(p), `FAULT_SEED=${p.seed}`).toEqual([])
  expect(world?.stats.pageErrors ?? [], 'uncaught errors in the app').toEqual([])
})
