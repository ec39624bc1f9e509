/**
 * The pure parts of the streaming benchmarks (test/bench/suites/streaming.ts): which tokens a
 * `/global/event` frame carries, per-token latency, the frame window, and the paced scenario of
 * the scripted model (`stream N rate R para P`). No browser, no server.
 */
import { describe, expect, it } from 'vitest'
import { deltaTokens, tokenIndices, tokenLatencies } from './bench/lib/tokens.ts'
import { intervalsWithin } from './bench/suites/streaming.ts'
import { pacedSchedule, streamedText, streamTokens } from './support/scripted-model.ts'

const frame = (type: string, properties: Record<string, unknown>) => JSON.stringify({ directory: '/p', payload: { type, properties } })

describe('streaming bench helpers', () => {
  it('finds the scripted tokens of a text, whole indices only', () => {
    expect(tokenIndices(' bravo1 charlie2')).toEqual([1, 2])
    expect(tokenIndices('\n\nhotel4999 END')).toEqual([4999])
    expect(tokenIndices('stream 300 rate 50 para 100')).toEqual([])
  })

  it('reads tokens from message.part.delta frames of the session only', () => {
    expect(deltaTokens(frame('message.part.delta', { sessionID: 'ses_a', partID: 'p', field: 'text', delta: ' delta3' }), 'ses_a')).toEqual([3])
    expect(deltaTokens(frame('message.part.delta', { sessionID: 'ses_b', delta: ' delta3' }), 'ses_a')).toEqual([])
    expect(deltaTokens(frame('message.part.updated', { sessionID: 'ses_a', part: { text: 'alpha0' } }), 'ses_a')).toEqual([])
    expect(deltaTokens('{"payload":"message.part.delta ses_a', 'ses_a')).toEqual([])
  })

  it('pairs write and paint times per token and counts the gaps', () => {
    const written = [100, 110, 120, undefined]
    const painted = [130, 130, null, 150]
    expect(tokenLatencies(written, painted, 4)).toEqual({ latencies: [30, 20], unpainted: 1, untapped: 1 })
  })

  it('keeps the frame intervals of a window, all of them without bounds', () => {
    const frames = [0, 16, 33, 50, 100, 116]
    expect(intervalsWithin(frames, 30, 60)).toEqual([17, 17])
    expect(intervalsWithin(frames, Number.NaN, 60)).toEqual([16, 17, 17, 50, 16])
  })

  it('paces tokens at the rate asked and keeps `stream N` text unchanged without `para`', () => {
    expect(pacedSchedule(0, 50)).toBe(0)
    expect(pacedSchedule(50, 50)).toBe(1000)
    expect(pacedSchedule(3, 1000)).toBe(3)
    expect(streamTokens(3).join('')).toBe(streamedText(3))
    expect(streamTokens(5, 2).join('')).toBe('alpha0 bravo1\n\ncharlie2 delta3\n\necho4 END')
  })
})
