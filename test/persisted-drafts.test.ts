/**
 * Unsent prompt text survives a reload (src/stores/persisted-drafts.ts over a memory storage):
 * written after a short delay, read back by the next page load, empty drafts removed, old ones
 * forgotten, the number kept capped, other tabs' drafts left alone.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick } from 'vue'
import { setStorage, readJson, writeJson } from '../src/stores/storage.ts'
import { DRAFT_MAX_AGE_MS, DRAFT_SAVE_DELAY_MS, DRAFTS_KEY, MAX_DRAFTS, loadDrafts, usePersistedDrafts } from '../src/stores/persisted-drafts.ts'
import { memoryStorage } from './support/stub-relay.ts'

const scopes: Array<ReturnType<typeof effectScope>> = []
function drafts(now?: () => number): Record<string, string> {
  const scope = effectScope()
  scopes.push(scope)
  const d = scope.run(() => usePersistedDrafts(now))
  if (!d) throw new Error('no scope')
  return d
}

async function settle(): Promise<void> {
  await nextTick()
  vi.advanceTimersByTime(DRAFT_SAVE_DELAY_MS + 1)
}

beforeEach(() => {
  vi.useFakeTimers()
  setStorage(memoryStorage())
})

afterEach(() => {
  for (const s of scopes.splice(0)) s.stop()
  setStorage(undefined)
  vi.useRealTimers()
})

describe('drafts kept across page loads', () => {
  it('text typed and not sent is there after a reload', async () => {
    const first = drafts()
    first['ses_a'] = 'half a thought'
    await settle()
    expect(drafts()['ses_a']).toBe('half a thought')
  })

  it('a draft emptied by sending is removed from storage', async () => {
    const d = drafts()
    d['ses_a'] = 'sent soon'
    await settle()
    d['ses_a'] = ''
    await settle()
    expect(readJson(DRAFTS_KEY)).toEqual({})
  })

  it('a draft untouched for longer than the maximum age is forgotten', () => {
    const now = Date.now()
    writeJson(DRAFTS_KEY, { old: { text: 'ancient', at: now - DRAFT_MAX_AGE_MS - 1 }, fresh: { text: 'recent', at: now - 1000 }, bad: { text: 3 } })
    expect(loadDrafts(now)).toEqual({ fresh: 'recent' })
  })

  it('keeps at most the most recently changed drafts', async () => {
    let t = 1_000_000
    const d = drafts(() => t)
    for (let i = 0; i < MAX_DRAFTS + 5; i++) {
      t += 10
      d[`ses_${i}`] = `draft ${i}`
      await nextTick()
    }
    await settle()
    const stored = readJson(DRAFTS_KEY)
    expect(Object.keys(stored ?? {})).toHaveLength(MAX_DRAFTS)
    expect(loadDrafts(t)['ses_0']).toBeUndefined()
    expect(loadDrafts(t)[`ses_${MAX_DRAFTS + 4}`]).toBe(`draft ${MAX_DRAFTS + 4}`)
  })

  it("leaves another tab's drafts of other sessions in storage", async () => {
    const now = Date.now()
    const mine = drafts(() => now)
    writeJson(DRAFTS_KEY, { ses_other: { text: 'from the other tab', at: now } })
    mine['ses_mine'] = 'mine'
    await settle()
    expect(loadDrafts(now)).toEqual({ ses_other: 'from the other tab', ses_mine: 'mine' })
  })
})
