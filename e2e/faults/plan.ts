/**
 * The seeded plan of the fault cycles: which faults (with which parameters) and which workload
 * each cycle runs. The plan is computed up front from the seed alone, so the same seed always
 * gives the same fault sequence, whatever the timing of a run.
 *
 * Fault kinds are drawn from a shuffled bag ("every kind once, in random order, then again"), so
 * even a short run injects every kind about equally often. About a third of the cycles add a
 * second, concurrent fault of the other family (a network fault during a tab fault and vice versa).
 *
 * The launcher faults are a family of their own: a launcher restart replaces the whole network
 * (app origin, proxies, server), so no other network fault runs beside it; like a network fault it
 * may get a concurrent tab fault (a tab reloaded, frozen or closed while the launcher is down or
 * starting). A page opened during start-up is a tab fault already and runs alone.
 *
 * `FAULT_ONLY=kind,kind` (see {@link parseFaultOnly}) restricts the bag to those kinds, to replay
 * or stress a few of them; the rest of the plan is drawn the same way.
 */
import type { Rng } from './rng.ts'
import type { PlannedAction } from './actions.ts'
import { FAULT_KINDS, type Fault, type FaultKind, type RelayKind } from './world.ts'

/** What one session slot does at the start of a cycle (when no permission blocks it). */
export type SlotWork =
  | { action: 'none' }
  | { action: 'stream'; tokens: number; delayMs: number }
  | { action: 'bash' }

/** One cycle of the plan. */
export interface CyclePlan {
  index: number
  /** Slot whose session is replaced by a fresh one before the cycle, if any. */
  rotate?: number
  work: SlotWork[]
  /** Pending permissions are answered through the UI (else over REST). */
  replyViaUi: boolean
  /** Wait between starting the workload and the first fault, ms (so faults land mid-stream). */
  faultDelayMs: number
  faults: Fault[]
  /** What the person does in the tabs while the faults hit (see actions.ts): 0 to 2 prompts or permission replies. */
  actions: PlannedAction[]
}

/** Inputs of {@link planCycles}. */
export interface PlanOptions {
  cycles: number
  slots: number
  /** Number of tabs open (positions 0..tabs-1). */
  tabs: number
  /** Rotate one slot's session every this many cycles. */
  rotateEvery: number
  /** Only these kinds are drawn as a cycle's first fault (default: every kind of FAULT_KINDS). */
  only?: readonly FaultKind[]
}

/**
 * Parses `FAULT_ONLY` (comma-separated fault kinds).
 * @returns undefined when unset or empty (every kind).
 * @throws Error naming an unknown kind.
 */
export function parseFaultOnly(value: string | undefined): FaultKind[] | undefined {
  const names = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  if (names.length === 0) return undefined
  return names.map((name) => {
    const kind = FAULT_KINDS.find((k) => k === name)
    if (!kind) throw new Error(`FAULT_ONLY: unknown fault kind ${JSON.stringify(name)} (known: ${FAULT_KINDS.join(', ')})`)
    return kind
  })
}

const NETWORK: readonly FaultKind[] = ['proxy-cut', 'proxy-refuse', 'proxy-buffer', 'server-kill', 'browser-offline']
/** Block sizes of a buffering proxy, KiB (0: nothing until the stream closes). */
const BUFFER_BLOCKS_KIB = [0, 8, 64] as const
const TAB: readonly FaultKind[] = ['tab-freeze', 'tab-reload', 'leader-close']
/** Launcher faults that may get a concurrent tab fault (a page opened during start-up is one already). */
const LAUNCHER_WITH_TAB: readonly FaultKind[] = ['launcher-restart']
const CONTEXTS: readonly RelayKind[] = ['shared-worker', 'leader-tab']

/** The parameters of one fault of kind `kind`. */
function makeFault(kind: FaultKind, rng: Rng, o: PlanOptions): Fault {
  const tabs = Array.from({ length: o.tabs }, (_, i) => i)
  switch (kind) {
    case 'proxy-cut':
      return { kind, times: rng.int(1, 3), gapMs: rng.int(50, 600) }
    case 'proxy-refuse':
      return { kind, ms: rng.int(300, 4000) }
    case 'proxy-buffer':
      // Mostly short (a stall the first-event timeout catches); a third long enough to poll.
      return { kind, ms: rng.chance(0.33) ? rng.int(14_000, 18_000) : rng.int(2_000, 8_000), blockKiB: rng.pick(BUFFER_BLOCKS_KIB) }
    case 'server-kill':
      return { kind, downMs: rng.int(0, 1500) }
    case 'tab-freeze':
      return { kind, tabs: rng.sample(tabs, rng.int(1, 2)), ms: rng.int(300, 3000) }
    case 'browser-offline':
      return { kind, contexts: rng.chance(0.5) ? [...CONTEXTS] : [rng.pick(CONTEXTS)], ms: rng.int(300, 3000) }
    case 'tab-reload':
      return { kind, tabs: rng.sample(tabs, rng.int(1, 2)) }
    case 'leader-close':
      return { kind, reopenAfterMs: rng.int(0, 1500) }
    case 'all-tabs-close':
      return { kind, context: rng.pick(CONTEXTS), downMs: rng.int(0, 1500) }
    case 'sleep':
      return { kind, ms: rng.int(2000, 6000), externalSession: rng.chance(0.4), wakeOrder: rng.shuffle(tabs), halfOpen: rng.chance(0.3) }
    case 'launcher-restart':
      return { kind, downMs: rng.int(0, 3000), newPort: rng.chance(0.4) }
    case 'page-opened-during-startup':
      return { kind, downMs: rng.int(0, 3000), newPort: rng.chance(0.4), tab: rng.int(0, o.tabs - 1), fresh: rng.chance(0.5) }
  }
}

/** Computes the whole plan from `rng` (call with a fresh generator for the run's seed). */
export function planCycles(rng: Rng, o: PlanOptions): CyclePlan[] {
  const plans: CyclePlan[] = []
  let bag: FaultKind[] = []
  for (let index = 0; index < o.cycles; index++) {
    if (bag.length === 0) bag = rng.shuffle(o.only ?? FAULT_KINDS)
    const kind = bag.shift() ?? 'proxy-cut'
    const faults: Fault[] = [makeFault(kind, rng, o)]
    const second = rng.chance(0.33)
    if (second && (NETWORK.includes(kind) || LAUNCHER_WITH_TAB.includes(kind))) faults.push(makeFault(rng.pick(TAB), rng, o))
    else if (second && TAB.includes(kind)) faults.push(makeFault(rng.pick(NETWORK), rng, o))
    const work: SlotWork[] = []
    for (let s = 0; s < o.slots; s++) {
      const r = rng.next()
      if (r < 0.15) work.push({ action: 'none' })
      else if (r < 0.3) work.push({ action: 'bash' })
      else work.push({ action: 'stream', tokens: rng.int(8, 40), delayMs: rng.int(2, 12) })
    }
    const actions: PlannedAction[] = []
    const r = rng.next()
    for (let k = 0; k < (r < 0.45 ? 1 : r < 0.7 ? 2 : 0); k++) {
      actions.push({ slot: rng.int(0, o.slots - 1), afterMs: rng.int(0, 1500), tokens: rng.int(4, 16), delayMs: rng.int(2, 10) })
    }
    const plan: CyclePlan = { index, work, replyViaUi: rng.chance(0.5), faultDelayMs: rng.int(0, 600), faults, actions }
    if (o.rotateEvery > 0 && index > 0 && index % o.rotateEvery === 0) plan.rotate = (index / o.rotateEvery) % o.slots
    plans.push(plan)
  }
  return plans
}

/** A one-line description of a fault, for logs. */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'proxy-cut':
      return `proxy-cut ×${f.times} (gap ${f.gapMs} ms)`
    case 'proxy-refuse':
      return `proxy-refuse ${f.ms} ms`
    case 'proxy-buffer':
      return `proxy-buffer ${f.ms} ms (${f.blockKiB ? `${f.blockKiB} KiB blocks` : 'until the stream closes'})`
    case 'server-kill':
      return `server-kill (down ${f.downMs} ms)`
    case 'tab-freeze':
      return `tab-freeze tabs ${f.tabs.join('+')} for ${f.ms} ms`
    case 'browser-offline':
      return `browser-offline ${f.contexts.join('+')} for ${f.ms} ms`
    case 'tab-reload':
      return `tab-reload tabs ${f.tabs.join('+')}`
    case 'leader-close':
      return `leader-close (reopen after ${f.reopenAfterMs} ms)`
    case 'all-tabs-close':
      return `all-tabs-close ${f.context} (down ${f.downMs} ms)`
    case 'sleep':
      return `sleep ${f.ms} ms (${f.halfOpen ? 'connection left half-open' : 'connection cut'})${f.externalSession ? ' + session created elsewhere' : ''}`
    case 'launcher-restart':
      return `launcher-restart (down ${f.downMs} ms, ${f.newPort ? 'new port' : 'same port'})`
    case 'page-opened-during-startup':
      return `page-opened-during-startup: tab ${f.tab} ${f.fresh ? 'opened anew' : 'reloaded'} (down ${f.downMs} ms, ${f.newPort ? 'new port' : 'same port'})`
  }
}
