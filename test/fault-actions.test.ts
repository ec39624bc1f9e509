/**
 * The fault suite's user actions (e2e/faults/actions.ts, plan.ts, summary.ts): which tabs a
 * cycle's faults leave usable, the seeded plan of actions, and how the summary reports them.
 */
import { describe, expect, it } from 'vitest'
import { touchedTabs, emptyActionStats } from '../e2e/faults/actions.ts'
import { planCycles } from '../e2e/faults/plan.ts'
import { createRng } from '../e2e/faults/rng.ts'
import { formatSummary, summarize } from '../e2e/faults/summary.ts'
import { emptyStats, type Stats } from '../e2e/faults/world.ts'

const tabs = [
  { kind: 'shared-worker' as const, name: 'a' },
  { kind: 'shared-worker' as const, name: 'b' },
  { kind: 'shared-worker' as const, name: 'c' },
  { kind: 'leader-tab' as const, name: 'd' },
  { kind: 'leader-tab' as const, name: 'e' },
]

function names(set: Set<{ name: string }>): string[] {
  return [...set].map((t) => t.name).sort()
}

describe('tabs a user can act in during the faults', () => {
  it('network and launcher faults leave every tab usable', () => {
    expect(touchedTabs([{ kind: 'proxy-refuse', ms: 1000 }, { kind: 'launcher-restart', downMs: 0, newPort: true }], tabs).size).toBe(0)
  })

  it('frozen and reloaded tabs are excluded, positions taken modulo the tab count', () => {
    expect(names(touchedTabs([{ kind: 'tab-freeze', tabs: [1, 7], ms: 500 }], tabs))).toEqual(['b', 'c'])
    expect(names(touchedTabs([{ kind: 'tab-reload', tabs: [4] }], tabs))).toEqual(['e'])
  })

  it('closing the leader or every tab of a context excludes that context', () => {
    expect(names(touchedTabs([{ kind: 'leader-close', reopenAfterMs: 0 }], tabs))).toEqual(['d', 'e'])
    expect(names(touchedTabs([{ kind: 'all-tabs-close', context: 'shared-worker', downMs: 0 }], tabs))).toEqual(['a', 'b', 'c'])
  })

  it('a sleep freezes every tab', () => {
    expect(touchedTabs([{ kind: 'sleep', ms: 2000, externalSession: false, wakeOrder: [0], halfOpen: false }], tabs).size).toBe(5)
  })
})

describe('the planned user actions', () => {
  it('are part of the seeded plan: the same seed gives the same actions', () => {
    const plan = (seed: number) => planCycles(createRng(seed), { cycles: 40, slots: 3, tabs: 5, rotateEvery: 15 })
    expect(plan(7).map((p) => p.actions)).toEqual(plan(7).map((p) => p.actions))
    const all = plan(7).flatMap((p) => p.actions)
    expect(all.length).toBeGreaterThan(10)
    for (const a of all) {
      expect(a.slot).toBeGreaterThanOrEqual(0)
      expect(a.slot).toBeLessThan(3)
    }
  })
})

describe('the summary of user actions', () => {
  it('counts issued, delivered, dropped by reason, duplicated and lost', () => {
    const actions = { ...emptyActionStats(), prompts: 5, permissionReplies: 2, delivered: 6, dropped: { 'the session was deleted': 1 } }
    const stats: Stats = { ...emptyStats(), cycles: 1, checks: 1, cycleMs: [1000], actions }
    const text = formatSummary(summarize(stats, 1, 1, 1, true))
    expect(text).toContain('7 issued in the tabs during faults (5 prompts typed, 2 permission replies clicked; 0 planned with no usable tab): 6 delivered, 1 dropped (1 the session was deleted), 0 duplicated, 0 lost')
  })
})
