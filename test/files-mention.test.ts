/**
 * Issue 16, Files: "Mention in prompt" — the line range between two clicked lines, the
 * `file://<absolute>?start=&end=` URL (OpenCode's contract for selections) and its chip label
 * (src/api/file-mention.ts), and the chat store sending a mention as a file part
 * (src/stores/chat.ts `mention`, `mentionPart`). The browser side is e2e/files.spec.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { clearRelay } from '../src/relay-client/provide.ts'
import { setStorage } from '../src/stores/storage.ts'
import { useChatStore } from '../src/stores/chat.ts'
import { mentionPart } from '../src/stores/prompt-input.ts'
import { fileMentionUrl, formatRange, mentionLabel, parseFileMentionUrl, rangeBetween } from '../src/api/file-mention.ts'
import { jsonResponse } from './support/http.ts'
import { StubRelay, startSyncStore } from './support/stub-relay.ts'

afterEach(() => {
  clearRelay()
  setStorage(undefined)
})

describe('line ranges', () => {
  it('orders the two clicked lines and refuses lines that are not positive whole numbers', () => {
    expect(rangeBetween(3, 7)).toEqual({ start: 3, end: 7 })
    expect(rangeBetween(7, 3)).toEqual({ start: 3, end: 7 })
    expect(rangeBetween(4, 4)).toEqual({ start: 4, end: 4 })
    expect(rangeBetween(0, 4)).toBeUndefined()
    expect(rangeBetween(2.5, 4)).toBeUndefined()
    expect(rangeBetween(Number.NaN, 4)).toBeUndefined()
  })

  it('is written 3-7, or 3 for one line, after the path in a label', () => {
    expect(formatRange({ start: 3, end: 7 })).toBe('3-7')
    expect(formatRange({ start: 3, end: 3 })).toBe('3')
    expect(mentionLabel('src/app.ts', { start: 3, end: 7 })).toBe('src/app.ts:3-7')
    expect(mentionLabel('src/app.ts')).toBe('src/app.ts')
  })
})

describe('the mention URL', () => {
  it('is file://<absolute>?start=&end= with a range, file://<absolute> without', () => {
    expect(fileMentionUrl('/p/src/app.ts', { start: 3, end: 7 })).toBe('file:///p/src/app.ts?start=3&end=7')
    expect(fileMentionUrl('/p/src/app.ts')).toBe('file:///p/src/app.ts')
  })

  it('reads back to the same path and range', () => {
    expect(parseFileMentionUrl('file:///p/src/app.ts?start=3&end=7')).toEqual({ absolute: '/p/src/app.ts', range: { start: 3, end: 7 } })
    expect(parseFileMentionUrl('file:///p/a b.ts')).toEqual({ absolute: '/p/a b.ts' })
    expect(parseFileMentionUrl('file:///p/a.ts?start=5')).toEqual({ absolute: '/p/a.ts', range: { start: 5, end: 5 } })
    expect(parseFileMentionUrl('file:///p/a.ts?start=x&end=2')).toEqual({ absolute: '/p/a.ts' })
    expect(parseFileMentionUrl('https://example.com/a.ts')).toBeUndefined()
    expect(parseFileMentionUrl('file://')).toBeUndefined()
  })

  it('is sent as a text/plain file part named by the relative path', () => {
    const part = mentionPart({ path: 'src/app.ts', absolute: '/p/src/app.ts', range: { start: 3, end: 7 } })
    expect(part).toMatchObject({ type: 'file', mime: 'text/plain', filename: 'src/app.ts', url: 'file:///p/src/app.ts?start=3&end=7' })
    expect(part.id).toMatch(/^prt_/)
  })
})

describe('the chat store sends mentions', () => {
  async function chatWithServer(): Promise<{ chat: ReturnType<typeof useChatStore>; bodies: unknown[] }> {
    const bodies: unknown[] = []
    const serverFetch: typeof fetch = async (input, init) => {
      const req = input instanceof Request ? input : new Request(String(input), init)
      if (req.method === 'POST' && new URL(req.url).pathname.endsWith('/prompt_async')) {
        bodies.push(JSON.parse(await req.text()))
        return new Response(null, { status: 204 })
      }
      return jsonResponse([])
    }
    await startSyncStore(serverFetch, new StubRelay())
    return { chat: useChatStore(), bodies }
  }

  it('after the text, once per path and range, whatever the text says; the draft is emptied', async () => {
    const { chat, bodies } = await chatWithServer()
    chat.mention('ses_a', { path: 'src/app.ts', absolute: '/p/src/app.ts', range: { start: 3, end: 7 } })
    chat.mention('ses_a', { path: 'src/app.ts', absolute: '/p/src/app.ts', range: { start: 3, end: 7 } })
    chat.mention('ses_a', { path: 'README.md', absolute: '/p/README.md' })
    expect(chat.mentions.ses_a).toHaveLength(2)
    await chat.send('/p', 'ses_a', 'explain')
    await new Promise((r) => setTimeout(r, 0))
    expect(bodies[0]).toMatchObject({
      parts: [
        { type: 'text', text: 'explain' },
        { type: 'file', mime: 'text/plain', filename: 'src/app.ts', url: 'file:///p/src/app.ts?start=3&end=7' },
        { type: 'file', mime: 'text/plain', filename: 'README.md', url: 'file:///p/README.md' },
      ],
    })
    expect(chat.mentions.ses_a).toEqual([])
  })

  it('a removed mention is not sent; a mention alone needs no text', async () => {
    const { chat, bodies } = await chatWithServer()
    chat.mention('ses_a', { path: 'a.ts', absolute: '/p/a.ts', range: { start: 1, end: 2 } })
    chat.mention('ses_a', { path: 'b.ts', absolute: '/p/b.ts' })
    chat.unmention('ses_a', 'a.ts:1-2')
    await chat.send('/p', 'ses_a', '')
    await new Promise((r) => setTimeout(r, 0))
    expect(bodies[0]).toMatchObject({ parts: [{ type: 'file', filename: 'b.ts', url: 'file:///p/b.ts' }] })
  })
})
