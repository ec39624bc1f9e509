/**
 * Issue 16, attachments: images reach the model. At phone size (390×844) a PNG is attached through
 * the picker (opened from the keyboard), one by a paste and one by a drop onto the composer; a PDF
 * is dropped and removed again by keyboard; an oversized file is refused with a message while the
 * typed text stays. The send carries the images as `data:` file parts: the real `opencode serve`
 * stores them (its messages are the truth), the scripted model's `describe image` scenario
 * (test/support/scripted-model.ts) answers with the `image_url` parts it received, and the
 * transcript shows the thumbnails.
 */
import type { Page } from '@playwright/test'
import { test, expect, openSession } from './support/fixtures.ts'
import { assistantText } from './client-support.ts'

/** A valid 1×1 PNG, so thumbnails really decode. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
const PDF = Buffer.from('%PDF-1.4\n%%EOF\n')

test.use({ viewport: { width: 390, height: 844 } })

/** Dispatches a synthetic `paste` (on the prompt) or `drop` (on the composer) carrying one file. */
async function transferFile(page: Page, kind: 'paste' | 'drop', name: string, mime: string, bytes: Buffer): Promise<void> {
  await page.evaluate(
    ({ kind, name, mime, data }) => {
      const dt = new DataTransfer()
      dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type: mime }))
      if (kind === 'paste') {
        const input = document.querySelector('[data-testid="prompt-input"]')
        input?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }))
      } else {
        const box = document.querySelector('[data-testid="prompt-box"]')
        box?.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }))
        box?.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))
      }
    },
    { kind, name, mime, data: bytes.toString('base64') },
  )
}

test('images attached by picker, paste and drop reach the server and the model, and show in the transcript', async ({ stack, page }) => {
  // Playwright turns file-chooser interception on when a 'filechooser' listener is added, without
  // waiting for the browser's answer: added just before the key press, the press can win and the
  // browser opens its own (headless: invisible) chooser. Added here, it is on long before.
  page.on('filechooser', () => undefined)
  const session = await stack.api.createSession('attachments')
  await openSession(page, stack, session.id)
  const input = page.getByTestId('prompt-input')
  const chips = page.getByTestId('file-attachment')
  await input.fill('describe image please')

  // Too large: refused with a message, the typed text and the (empty) attachments unchanged.
  await page.getByTestId('attach-input').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(10 * 1024 * 1024 + 1) })
  await expect(page.getByTestId('attach-error')).toContainText('huge.png is too large')
  await expect(page.getByTestId('attach-error')).toContainText('at most 10.0 MB')
  await expect(input).toHaveValue('describe image please')
  await expect(chips).toHaveCount(0)
  // Unsupported type: refused the same way.
  await transferFile(page, 'drop', 'notes.txt', 'text/plain', Buffer.from('hello'))
  await expect(page.getByTestId('attach-error')).toContainText('notes.txt (text/plain) cannot be attached')
  await expect(input).toHaveValue('describe image please')

  // The picker, opened from the keyboard.
  await page.getByTestId('attach-button').focus()
  const chooser = page.waitForEvent('filechooser')
  await page.keyboard.press('Enter')
  await (await chooser).setFiles({ name: 'picked.png', mimeType: 'image/png', buffer: PNG })
  await expect(chips).toHaveCount(1)
  await expect(page.getByTestId('attach-error')).toHaveCount(0)

  await transferFile(page, 'paste', 'pasted.png', 'image/png', PNG)
  await expect(chips).toHaveCount(2)
  await transferFile(page, 'drop', 'dropped.png', 'image/png', PNG)
  await transferFile(page, 'drop', 'spec.pdf', 'application/pdf', PDF)
  await expect(chips).toHaveCount(4)
  await expect(page.getByTestId('file-attachment-thumb')).toHaveCount(3)
  await expect(chips.nth(3)).toContainText('spec.pdf')
  await expect(input).toHaveValue('describe image please')

  // Remove the PDF by keyboard.
  await chips.nth(3).getByTestId('file-attachment-remove').focus()
  await page.keyboard.press('Enter')
  await expect(chips).toHaveCount(3)
  await expect(chips.filter({ hasText: 'spec.pdf' })).toHaveCount(0)

  await input.focus()
  await input.press('Enter')
  await expect(input).toHaveValue('')
  await expect(chips).toHaveCount(0)
  // The model's answer is the end of the turn (waitIdle alone may run before the turn starts).
  await expect(assistantText(page).last()).toContainText('Images seen: 3 (image/png, image/png, image/png)', { timeout: 45_000 })
  await stack.api.waitIdle(session.id)

  // The server stored the images as file parts with their MIME type and name.
  const user = (await stack.api.messages(session.id)).find((m) => m.info.role === 'user')
  const files = (user?.parts ?? []).flatMap((p) => (p.type === 'file' ? [p] : []))
  expect(files.map((f) => [f.mime, f.filename])).toEqual([
    ['image/png', 'picked.png'],
    ['image/png', 'pasted.png'],
    ['image/png', 'dropped.png'],
  ])
  for (const f of files) expect(f.url).toBe(`data:image/png;base64,${PNG.toString('base64')}`)

  // The model received the three images as image_url parts.
  const seen = stack.model.requests.find((r) => r.scenario === 'describe-image')
  expect(seen?.images).toEqual(['image/png', 'image/png', 'image/png'])

  // The transcript's user bubble shows the thumbnails, decoded.
  const bubble = page.locator(`[data-testid="message"][data-message-id="${user?.info.id ?? ''}"]`)
  const thumbs = bubble.getByTestId('file-thumbnail')
  await expect(thumbs).toHaveCount(3)
  await expect(thumbs.first()).toBeVisible()
  expect(await thumbs.first().evaluate((img) => (img instanceof HTMLImageElement ? img.naturalWidth : 0))).toBe(1)
  await expect(thumbs.nth(1)).toHaveAttribute('alt', 'pasted.png')
  // Shown at a visible size even for a 1×1 image.
  expect((await thumbs.first().boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(48)
})

test('a PDF attached by drop is stored by the server as a file part with its type and name, and shown in the transcript', async ({ stack, page }) => {
  const session = await stack.api.createSession('pdf')
  await openSession(page, stack, session.id)
  const input = page.getByTestId('prompt-input')
  await input.fill('read the spec')
  await transferFile(page, 'drop', 'spec.pdf', 'application/pdf', PDF)
  await expect(page.getByTestId('file-attachment').filter({ hasText: 'spec.pdf' })).toHaveCount(1)
  await input.press('Enter')
  await expect(assistantText(page).last()).toBeVisible({ timeout: 45_000 })
  await stack.api.waitIdle(session.id)
  const user = (await stack.api.messages(session.id)).find((m) => m.info.role === 'user')
  const files = (user?.parts ?? []).flatMap((p) => (p.type === 'file' ? [p] : []))
  expect(files.map((f) => [f.mime, f.filename, f.url])).toEqual([['application/pdf', 'spec.pdf', `data:application/pdf;base64,${PDF.toString('base64')}`]])
  const bubble = page.locator(`[data-testid="message"][data-message-id="${user?.info.id ?? ''}"]`)
  await expect(bubble).toContainText('spec.pdf')
})
