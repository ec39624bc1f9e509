/**
 * Issue 6, the proof of no loss: randomized, seeded fault cycles against the real stack.
 *
 * Each cycle: the scripted model streams replies (and asks for tool permissions) in several
 * sessions while five tabs are open — three on the SharedWorker relay, two in the leader-tab
 * fallback; one or two faults hit mid-stream (see FAULT_KINDS in world.ts); then, once the server
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
 */
import { test, expect } from '../support/fixtures.ts'
import { createRng, parseSeed } from './rng.ts'
import { describeFault, planCycles, type CyclePlan } from './plan.ts'
import { formatSummary, summarize, writeSummary } from './summary.ts'
import { World } from './world.ts'
import type { Problem } from './truth.ts'

const SEED = parseSeed(process.env.FAULT_SEED)
const SOAK = process.env.FAULT_SOAK === '1'
/** `npm run test:faults` sets FAULT_RUN=long, `npm run test:faults:short` FAULT_RUN=short. */
const RUN = process.env.FAULT_RUN
const CYCLES = Number(process.env.FAULT_CYCLES ?? (SOAK ? 2000 : RUN === 'long' ? 200 : RUN === 'short' ? 40 : 20))
const KEEP_GOING = process.env.FAULT_KEEP_GOING === '1'
const SLOTS = 3

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

test('fault cycles: every tab equals the server after every cycle, nothing lost, nothing duplicated', async ({ stack, context, browser }) => {
  test.setTimeout(180_000 + CYCLES * 90_000)
  console.log(`[faults] FAULT_SEED=${SEED} FAULT_CYCLES=${CYCLES} (replay: FAULT_SEED=${SEED} FAULT_CYCLES=${CYCLES} npx playwright test e2e/faults/cycles.spec.ts)`)
  const world = await World.create(stack, browser, context, {
    slots: SLOTS,
    sharedWorkerTabs: [0, 1, 2],
    leaderTabs: [0, 1],
    convergeMs: 30_000,
  })
  const plans = planCycles(createRng(SEED), { cycles: CYCLES, slots: SLOTS, tabs: world.allTabs().length, rotateEvery: 15 })
  const runtimeRng = createRng((SEED ^ 0x5bd1e995) >>> 0)
  const started = Date.now()
  const failures: Array<{ cycle: number; problems: Problem[] }> = []
  try {
    // A first check before any fault: the baseline must already agree.
    const baseline = await world.check()
    expect(baseline, `baseline check\n${report(baseline)}`).toEqual([])
    for (const plan of plans) {
      const t0 = Date.now()
      world.cycle = plan.index + 1
      const label = plan.faults.map(describeFault).join(' + ')
      let problems: Problem[]
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
        await Promise.all(plan.faults.map((f) => world.inject(f, runtimeRng)))
        // A tab opened during an offline fault can miss the switch back (see setOffline in world.ts).
        if (plan.faults.some((f) => f.kind === 'browser-offline')) await world.ensureOnline()
        phase('fault')
        await world.settleServer()
        phase('settle')
        await world.waitAllConnected()
        phase('reconnect')
        // A half-open connection is replaced when the tabs wake (they report their freeze), not
        // only by the relay's 25 s watchdog: the default 30 s of convergence is enough.
        problems = await world.check()
        phase('check')
      } catch (err) {
        problems = [{ kind: 'stale', what: `cycle aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` }]
      }
      const ms = Date.now() - t0
      world.stats.cycles++
      world.stats.cycleMs.push(ms)
      const ok = problems.length === 0
      if (!ok) world.stats.failedCycles++
      // A long soak may be stopped at any time: keep the latest summary on disk.
      if (world.stats.cycles % 10 === 0) writeSummary(summarize(world.stats, SEED, CYCLES, (Date.now() - started) / 1000, failures.length === 0 && ok && world.stats.pageErrors.length === 0))
      if (CYCLES > 200 && world.stats.cycles % 100 === 0) console.log(formatSummary(summarize(world.stats, SEED, CYCLES, (Date.now() - started) / 1000, failures.length === 0 && ok && world.stats.pageErrors.length === 0)))
      console.log(`[faults] cycle ${plan.index + 1}/${CYCLES} ${ok ? 'ok  ' : 'FAIL'} ${(ms / 1000).toFixed(1)} s  ${label}  [${phases.join(', ')}]`)
      if (!ok) {
        console.log(`[faults] cycle ${plan.index + 1} problems (FAULT_SEED=${SEED}):\n${report(problems)}`)
        console.log(`[faults] relay statuses (newest last):\n${await world.diagnose()}`)
        failures.push({ cycle: plan.index + 1, problems })
        if (!KEEP_GOING) break
      }
    }
  } finally {
    const passed = failures.length === 0 && world.stats.pageErrors.length === 0 && world.stats.cycles === CYCLES
    const summary = summarize(world.stats, SEED, CYCLES, (Date.now() - started) / 1000, passed)
    console.log(formatSummary(summary))
    if (world.stats.pageErrors.length) console.log(`[faults] page errors:\n  ${world.stats.pageErrors.slice(0, 20).join('\n  ')}`)
    writeSummary(summary)
    await world.close()
  }
  expect(failures.map((f) => `cycle ${f.cycle}:\n${report(f.problems, 10)}`), `FAULT_SEED=${SEED}`).toEqual([])
  expect(world.stats.pageErrors, 'uncaught errors in the app').toEqual([])
})
