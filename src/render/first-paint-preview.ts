/**
 * A cold page's first paint of its transcript, before the app runs: the tiny prefetch entry
 * (src/prefetch.ts) has the session's newest messages (src/sync/first-page-prefetch.ts) 250–400 ms
 * after navigation, while the main bundle is still being compiled and started, and the app's own
 * rows follow hundreds of ms later (a first Vue render, the virtualizer, markdown-it). This shows
 * the end of that page as plain text — the newest messages' text parts, user prompts as bubbles,
 * the newest at the bottom — in a layer over the page, until the app's transcript has painted its rows
 * and calls {@link dismissFirstPaintPreview} (src/components/session/MessageList.vue; any route
 * change or a failed boot dismisses it too).
 *
 * Plain text on purpose: no markdown renderer in the prefetch chunk (its cost is what the preview
 * saves), and text set with `textContent` only, so no markup from a transcript is ever parsed.
 * The layer is `aria-hidden` (the app's transcript is the accessible one) and takes the pointer
 * while it is shown (no click lands on a control of the app beneath that cannot be seen).
 * Styles: src/styles/first-paint.css (in the page's stylesheet, which loads before either script
 * runs).
 */
import type { MessagePage, MessageWithParts } from '../api/opencode.ts'

/** Most characters shown of one message (its end: the preview shows the end of the transcript). */
export const PREVIEW_MESSAGE_CHARS = 6_000
/** Most characters shown in all: enough for a screenful, little to lay out. */
export const PREVIEW_TOTAL_CHARS = 12_000

/** One message as the preview shows it. */
export interface PreviewMessage {
  id: string
  role: 'user' | 'assistant'
  /** Its text parts joined by blank lines, cut to its last {@link PREVIEW_MESSAGE_CHARS} (a leading `…` then). */
  text: string
}

let layer: HTMLElement | undefined
let dismissed = false
/** Settles once an expected preview is on screen or will not come ({@link expectFirstPaintPreview}). */
let expected: Promise<void> | undefined

/**
 * What the preview shows of `messages` (oldest first, as `GET /session/{id}/message` returns
 * them): from the newest back, each message with text (text parts that are neither `synthetic` nor
 * `ignored`), until {@link PREVIEW_TOTAL_CHARS}; oldest first. Pure.
 */
export function previewMessages(messages: readonly MessageWithParts[]): PreviewMessage[] {
  const out: PreviewMessage[] = []
  let total = 0
  for (let i = messages.length - 1; i >= 0 && total < PREVIEW_TOTAL_CHARS; i--) {
    const { info, parts } = messages[i]
    const texts: string[] = []
    for (const part of parts) if (part.type === 'text' && !part.synthetic && !part.ignored && part.text.trim()) texts.push(part.text)
    if (texts.length === 0) continue
    let text = texts.join('\n\n')
    if (text.length > PREVIEW_MESSAGE_CHARS) text = `…${text.slice(-PREVIEW_MESSAGE_CHARS)}`
    total += text.length
    out.push({ id: info.id, role: info.role, text })
  }
  return out.reverse()
}

/**
 * Paints the preview of `page` over the page, its end at the bottom (the layer aligns its content
 * to the end and clips the top: no scroll, no layout read). Does nothing once the app has
 * dismissed the preview (its rows came first), when a preview is already shown, or when no
 * message has text.
 * @param doc the document to paint into (tests pass their own); default the page's.
 */
export function paintFirstPaintPreview(page: MessagePage, doc: Document = document): void {
  if (dismissed || layer) return
  if (!doc.body) {
    doc.addEventListener('DOMContentLoaded', () => paintFirstPaintPreview(page, doc), { once: true })
    return
  }
  const messages = previewMessages(page.messages)
  if (messages.length === 0) return
  const root = doc.createElement('div')
  root.className = 'first-paint'
  root.setAttribute('aria-hidden', 'true')
  root.dataset.testid = 'first-paint-preview'
  const column = doc.createElement('div')
  column.className = 'first-paint-column'
  for (const m of messages) {
    const row = doc.createElement('div')
    row.className = m.role === 'user' ? 'message message-user' : 'message'
    const body = doc.createElement('div')
    body.className = m.role === 'user' ? 'user-bubble' : 'first-paint-text'
    body.textContent = m.text
    row.append(body)
    column.append(row)
  }
  root.append(column)
  doc.body.append(root)
  layer = root
}

/**
 * The prefetch entry's cold read `page` is under way: paints its preview when it arrives, and
 * {@link firstPaintPreviewShown} waits for that. Never rejects.
 */
export function expectFirstPaintPreview(page: Promise<MessagePage | undefined>): void {
  expected = page.then(
    (p) => {
      if (p) paintFirstPaintPreview(p)
      return layer ? afterNextPaint() : undefined
    },
    () => undefined,
  )
}

/**
 * Resolves once an expected preview ({@link expectFirstPaintPreview}) has been painted (the frame
 * after it was added), or will not be (no text, a failed read), or after `capMs` ms, whichever
 * comes first; at once when none is expected. The app waits for it before its mount (src/main.ts):
 * the mount is one long task, and a preview whose read lands during it would otherwise paint
 * after it (cold pages of the 2,000-message bench: read answered at 240–380 ms, preview painted at
 * 620–910 ms, after the mount). Never rejects.
 */
export function firstPaintPreviewShown(capMs: number): Promise<void> {
  if (!expected) return Promise.resolve()
  let timer: ReturnType<typeof setTimeout> | undefined
  const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, capMs)))
  return Promise.race([expected, cap]).finally(() => clearTimeout(timer))
}

/** Resolves after the next frame has been rendered (an animation frame, then a task after it). */
function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
}

/**
 * Removes the preview for good (the app's rows are painted, or it shows something else); later
 * paints do nothing. Safe to call any number of times, with or without a preview shown.
 */
export function dismissFirstPaintPreview(): void {
  dismissed = true
  layer?.remove()
  layer = undefined
}

/** Forgets the preview's state (tests). */
export function resetFirstPaintPreview(): void {
  layer?.remove()
  layer = undefined
  dismissed = false
  expected = undefined
}
