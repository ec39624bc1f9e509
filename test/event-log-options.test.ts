/**
 * The event log's options resolved to settings (sw/relay/log/options.ts): defaults for what is
 * left out, and the bounds that keep the log sound whatever a caller passes.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_EVENTS, DEFAULT_MEMORY_EVENTS, resolveSettings } from '../sw/relay/log/options.ts'

describe('resolveSettings', () => {
  it('fills in the defaults', () => {
    const s = resolveSettings({})
    expect(s).toMatchObject({
      maxEvents: DEFAULT_MAX_EVENTS,
      maxAgeMs: DEFAULT_MAX_AGE_MS,
      memoryEvents: DEFAULT_MEMORY_EVENTS,
      retryIntervalMs: 1_000,
      compactChunk: 2_000,
      maxUnpersisted: 8_000,
      recentIds: 50_000,
    })
    expect(Math.abs(s.now() - Date.now())).toBeLessThan(1_000)
  })

  it('keeps the write-behind bound at most half the ring, so the ring never evicts an unwritten event', () => {
    expect(resolveSettings({ memoryEvents: 100, maxUnpersisted: 1_000 }).maxUnpersisted).toBe(50)
    expect(resolveSettings({ memoryEvents: 1 }).maxUnpersisted).toBe(1)
    expect(resolveSettings({ memoryEvents: 0 }).maxUnpersisted).toBe(1)
  })

  it('clamps bounds that would make no sense', () => {
    const s = resolveSettings({ retention: { maxEvents: 0 }, memoryEvents: -5, recentIds: 0, retryIntervalMs: -1, compactChunk: 0, maxUnpersisted: 0 })
    expect(s).toMatchObject({ maxEvents: 1, memoryEvents: 0, recentIds: 1, retryIntervalMs: 0, compactChunk: 1, maxUnpersisted: 1 })
  })
})
