/**
 * What a cold page's plain-text preview of its transcript shows (src/render/first-paint-preview.ts;
 * painting and giving way to the app's rows are checked in a browser, e2e/cold-start.spec.ts): the
 * newest messages with text, oldest first, each cut to its end, within a total.
 */
import { describe, expect, it } from 'vitest'
import type { Message, Part } from '@opencode-ai/sdk/v2/types'
import { PREVIEW_MESSAGE_CHARS, PREVIEW_TOTAL_CHARS, previewMessages } from '../src/render/first-paint-preview.ts'
import { assistantMessage } from './support/messages.ts'

const SES = 'ses_a'

function user(n: number, text: string): { info: Message; parts: Part[] } {
  const id = `msg_${n}`
  return {
    info: { id, sessionID: SES, role: 'user', time: { created: n }, agent: 'build', model: { providerID: 'p', modelID: 'm' } },
    parts: [{ id: `prt_${n}`, messageID: id, sessionID: SES, type: 'text', text }],
  }
}

/** An assistant message of text parts and, for `'tool'`, a tool call. */
function reply(n: number, parts: Array<{ text: string; synthetic?: boolean; ignored?: boolean } | 'tool'>): { info: Message; parts: Part[] } {
  const id = `msg_${n}`
  return {
    info: assistantMessage({ id, sessionID: SES, parentID: `msg_${n - 1}`, directory: '/d', time: { created: n } }),
    parts: parts.map((p, i): Part =>
      p === 'tool'
        ? { id: `prt_${n}_${i}`, messageID: id, sessionID: SES, type: 'tool', callID: 'c', tool: 'bash', state: { status: 'pending', input: {}, raw: '' } }
        : { id: `prt_${n}_${i}`, messageID: id, sessionID: SES, type: 'text', ...p },
    ),
  }
}

describe('first-paint preview', () => {
  it('shows each message’s visible text parts, oldest first, and skips messages without text', () => {
    const shown = previewMessages([
      user(1, 'Fix the build'),
      reply(2, ['tool']),
      reply(3, [{ text: 'Done.' }, { text: 'note to self', synthetic: true }, { text: 'ignored', ignored: true }, { text: '  ' }, { text: 'Anything else?' }]),
    ])
    expect(shown).toEqual([
      { id: 'msg_1', role: 'user', text: 'Fix the build' },
      { id: 'msg_3', role: 'assistant', text: 'Done.\n\nAnything else?' },
    ])
  })

  it('cuts a long message to its end, and stops going back once the total is reached', () => {
    const long = 'x'.repeat(PREVIEW_MESSAGE_CHARS) + 'THE END'
    const many = Array.from({ length: 10 }, (_, i) => user(i + 1, `${i + 1} `.repeat(1_000)))
    const shown = previewMessages([...many, reply(11, [{ text: long }])])
    const last = shown.at(-1)
    expect(last?.text.startsWith('…')).toBe(true)
    expect(last?.text.endsWith('THE END')).toBe(true)
    expect(last?.text.length).toBe(PREVIEW_MESSAGE_CHARS + 1)
    const total = shown.reduce((n, m) => n + m.text.length, 0)
    expect(total).toBeGreaterThanOrEqual(PREVIEW_TOTAL_CHARS)
    expect(total - shown[0].text.length).toBeLessThan(PREVIEW_TOTAL_CHARS)
    expect(shown.map((m) => m.id)).toEqual(['msg_8', 'msg_9', 'msg_10', 'msg_11'])
  })

  it('shows nothing for a page without text', () => {
    expect(previewMessages([])).toEqual([])
    expect(previewMessages([reply(1, ['tool'])])).toEqual([])
  })
})
