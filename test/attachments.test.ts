/**
 * Issue 16, attachments: the limits an image/PDF must pass, reading it into a `data:` URL, the
 * SDK v2 file part it is sent as, and the chat store sending it after the text (src/api/
 * file-attachments.ts, src/stores/chat.ts). The browser side (paste, drop, picker, transcript) is
 * e2e/attachments.spec.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { clearRelay } from '../src/relay-client/provide.ts'
import { setStorage } from '../src/stores/storage.ts'
import { useChatStore } from '../src/stores/chat.ts'
import {
  MAX_ATTACHMENT_BYTES,
  attachmentFilePart,
  checkAttachment,
  dataUrl,
  formatBytes,
  readAttachment,
  toBase64,
  type FileAttachment,
} from '../src/api/file-attachments.ts'
import { imagesOf } from './support/scripted-model.ts'
import { jsonResponse } from './support/http.ts'
import { StubRelay, startSyncStore } from './support/stub-relay.ts'

/** The 8-byte PNG signature, enough to stand for an image's bytes. */
const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

afterEach(() => {
  clearRelay()
  setStorage(undefined)
})

describe('which files may be attached', () => {
  it('accepts PNG, JPEG, GIF, WebP and PDF up to the limit, the limit itself included', () => {
    for (const type of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf']) {
      expect(checkAttachment({ name: 'f', type, size: 1 })).toEqual({ ok: true })
    }
    expect(checkAttachment({ name: 'big.png', type: 'image/png', size: MAX_ATTACHMENT_BYTES })).toEqual({ ok: true })
  })

  it('refuses a file over 10 MB, naming the file, its size and the limit', () => {
    expect(MAX_ATTACHMENT_BYTES).toBe(10 * 1024 * 1024)
    const check = checkAttachment({ name: 'huge.png', type: 'image/png', size: MAX_ATTACHMENT_BYTES + 1 })
    expect(check.ok).toBe(false)
    if (!check.ok) expect(check.reason).toBe('huge.png is too large (10.0 MB); attachments may be at most 10.0 MB.')
  })

  it('refuses other types (text, SVG, unknown) and empty files with the reason', () => {
    const text = checkAttachment({ name: 'notes.txt', type: 'text/plain', size: 10 })
    expect(text).toEqual({ ok: false, reason: 'notes.txt (text/plain) cannot be attached: only PNG, JPEG, GIF, WebP images and PDF files are supported.' })
    expect(checkAttachment({ name: 'logo.svg', type: 'image/svg+xml', size: 10 }).ok).toBe(false)
    const unknown = checkAttachment({ name: 'blob', type: '', size: 10 })
    expect(unknown.ok === false && unknown.reason.startsWith('blob cannot be attached')).toBe(true)
    expect(checkAttachment({ name: 'empty.png', type: 'image/png', size: 0 })).toEqual({ ok: false, reason: 'empty.png is empty.' })
  })

  it('a smaller limit can be passed', () => {
    expect(checkAttachment({ name: 'a.png', type: 'image/png', size: 2048 }, 1024).ok).toBe(false)
  })
})

describe('a file becomes a data: URL and a file part', () => {
  it('base64-encodes bytes like Node does, also past the chunk size', () => {
    const big = new Uint8Array(100_000).map((_, i) => (i * 31) % 256)
    expect(toBase64(PNG_BYTES)).toBe(Buffer.from(PNG_BYTES).toString('base64'))
    expect(toBase64(big)).toBe(Buffer.from(big).toString('base64'))
    expect(dataUrl('image/png', PNG_BYTES)).toBe('data:image/png;base64,iVBORw0KGgo=')
  })

  it('reads a File into an attachment with its name, type, size in bytes and data: URL', async () => {
    const att = await readAttachment(new File([PNG_BYTES], 'shot.png', { type: 'image/png' }))
    expect(att).toMatchObject({ filename: 'shot.png', mime: 'image/png', size: 8, url: 'data:image/png;base64,iVBORw0KGgo=' })
  })

  it('names a pasted image without a name, and returns the refusal instead of reading a refused file', async () => {
    const pasted = await readAttachment(new File([PNG_BYTES], '', { type: 'image/png' }))
    expect('filename' in pasted && pasted.filename).toBe('pasted-image.png')
    const refused = await readAttachment(new File([PNG_BYTES], 'a.png', { type: 'image/png' }), 4)
    expect(refused).toEqual({ error: 'a.png is too large (8 B); attachments may be at most 4 B.' })
  })

  it('is sent as an SDK v2 file part with the mime, the filename and the data: URL', () => {
    const att: FileAttachment = { id: 'att-1', filename: 'shot.png', mime: 'image/png', size: 8, url: 'data:image/png;base64,iVBORw0KGgo=' }
    const part = attachmentFilePart(att)
    expect(part).toEqual({ id: part.id, type: 'file', mime: 'image/png', filename: 'shot.png', url: 'data:image/png;base64,iVBORw0KGgo=' })
    expect(part.id).toMatch(/^prt_/)
  })

  it('formats sizes in bytes, KB and MB', () => {
    expect([formatBytes(512), formatBytes(3 * 1024 + 400), formatBytes(12 * 1024 * 1024)]).toEqual(['512 B', '3.4 KB', '12.0 MB'])
  })
})

describe('the chat store sends attachments', () => {
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

  const shot: FileAttachment = { id: 'att-1', filename: 'shot.png', mime: 'image/png', size: 8, url: 'data:image/png;base64,iVBORw0KGgo=' }
  const doc: FileAttachment = { id: 'att-2', filename: 'spec.pdf', mime: 'application/pdf', size: 5, url: 'data:application/pdf;base64,JVBERi0=' }

  it('after the text, as data: file parts, and clears them from the draft', async () => {
    const { chat, bodies } = await chatWithServer()
    chat.addFile('ses_a', shot)
    chat.addFile('ses_a', doc)
    chat.drafts.ses_a = 'look'
    await chat.send('/work/project', 'ses_a', 'look')
    await new Promise((r) => setTimeout(r, 0))
    expect(bodies).toHaveLength(1)
    expect(bodies[0]).toMatchObject({
      parts: [
        { type: 'text', text: 'look' },
        { type: 'file', mime: 'image/png', filename: 'shot.png', url: shot.url },
        { type: 'file', mime: 'application/pdf', filename: 'spec.pdf', url: doc.url },
      ],
    })
    expect(chat.files.ses_a).toEqual([])
    expect(chat.drafts.ses_a).toBe('')
  })

  it('an attachment alone is sent without an empty text part; a removed one is not sent', async () => {
    const { chat, bodies } = await chatWithServer()
    chat.addFile('ses_a', shot)
    chat.addFile('ses_a', doc)
    chat.removeFile('ses_a', 'att-2')
    await chat.send('/work/project', 'ses_a', '  ')
    await new Promise((r) => setTimeout(r, 0))
    // toMatchObject compares arrays whole: the one part is the image.
    expect(bodies[0]).toMatchObject({ parts: [{ type: 'file', mime: 'image/png' }] })
    expect(JSON.stringify(bodies[0])).not.toContain('spec.pdf')
  })
})

describe('the scripted model sees images', () => {
  it('lists the image_url parts of a message by MIME type', () => {
    const content = [
      { type: 'text', text: 'describe image' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'https://example.invalid/a.jpg' } },
    ]
    expect(imagesOf(content)).toEqual(['image/png', 'https://example.invalid/a.jpg'])
    expect(imagesOf('describe image')).toEqual([])
  })
})
