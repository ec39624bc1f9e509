/**
 * Helpers shared by the issue 3 client specs (e2e/client*.spec.ts): reading what the page shows
 * and what the server holds (`GET /session/{id}/message`), sending through the prompt box, and a
 * recorder that proves a reply was painted incrementally.
 */
import type { Locator, Page } from '@playwright/test'
import type { Part, Session } from '@opencode-ai/sdk/v2/types'
import { expect, type Stack } from './support/fixtures.ts'

/** Whitespace-normalized text (the DOM adds line breaks around markdown blocks). */
export function norm(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/** Text parts shown in the page, by part id (whitespace-normalized). */
export async function textPartsInPage(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {}
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid="part"][data-part-type="text"]')) {
      const id = el.dataset.partId
      if (id && !el.hidden) out[id] = (el.textContent ?? '').replace(/\s+/g, ' ').trim()
    }
    return out
  })
}

/** Non-empty, non-synthetic text parts on the server, by part id (whitespace-normalized). */
export async function textPartsOnServer(stack: Stack, sessionID: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const m of await stack.api.messages(sessionID)) {
    for (const p of m.parts) if (p.type === 'text' && !p.synthetic && !p.ignored && p.text.trim()) out[p.id] = norm(p.text)
  }
  return out
}

/** Waits until the page's text parts equal the server's (same ids, same text). */
export async function expectEqualToServer(page: Page, stack: Stack, sessionID: string, timeout = 20_000): Promise<void> {
  const truth = await textPartsOnServer(stack, sessionID)
  expect(Object.keys(truth).length).toBeGreaterThan(0)
  await expect.poll(() => textPartsInPage(page), { timeout }).toEqual(truth)
}

/** Every part of the session on the server, oldest message first. */
export async function serverParts(stack: Stack, sessionID: string): Promise<Part[]> {
  return (await stack.api.messages(sessionID)).flatMap((m) => m.parts)
}

/** Types `text` into the prompt box and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const input = page.getByTestId('prompt-input')
  await input.fill(text)
  await input.press('Enter')
  await expect(input).toHaveValue('')
}

/** The text parts of assistant messages. */
export function assistantText(page: Page): Locator {
  return page.locator('[data-testid="message"][data-role="assistant"] [data-testid="part"][data-part-type="text"]')
}

/** The text parts of the `index`-th assistant message (0 = first). */
export function assistantReply(page: Page, index: number): Locator {
  return page.locator('[data-testid="message"][data-role="assistant"]').nth(index).locator('[data-testid="part"][data-part-type="text"]')
}

/** The session's status pill (`data-status` busy | idle | retry). */
export function sessionStatus(page: Page): Locator {
  return page.getByTestId('session-status')
}

/**
 * Starts recording, in the page, every distinct text the last assistant text part shows (on each
 * DOM mutation). Read the frames back with {@link streamFrames}.
 */
export async function recordStream(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: string[]; __frameObserver?: MutationObserver }
    w.__frames = []
    w.__frameObserver?.disconnect()
    const observer = new MutationObserver(() => {
      const all = document.querySelectorAll('[data-testid="message"][data-role="assistant"] [data-testid="part"][data-part-type="text"]')
      const last = all[all.length - 1]
      const text = (last?.textContent ?? '').replace(/\s+/g, ' ').trim()
      if (text && w.__frames[w.__frames.length - 1] !== text) w.__frames.push(text)
    })
    observer.observe(document.body, { subtree: true, childList: true, characterData: true })
    w.__frameObserver = observer
  })
}

/** The frames recorded since {@link recordStream}. */
export async function streamFrames(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __frames?: string[] }).__frames ?? [])
}

/** Accepts every `confirm()` the page shows (revert, delete) and returns the messages seen. */
export function acceptDialogs(page: Page): string[] {
  const seen: string[] = []
  page.on('dialog', (d) => {
    seen.push(d.message())
    void d.accept()
  })
  return seen
}

/**
 * One REST read against the server directly (not through the proxy), scoped to the test project:
 * `GET {path}?directory=…`.
 * @throws Error on a non-2xx answer.
 */
export async function serverGet(stack: Stack, path: string): Promise<unknown> {
  const sep = path.includes('?') ? '&' : '?'
  const res = await fetch(`${stack.opencode.url}${path}${sep}directory=${encodeURIComponent(stack.directory)}`)
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`)
  return res.json()
}

/** `GET /session/{id}` on the server. */
export async function serverSession(stack: Stack, sessionID: string): Promise<Session> {
  const json = await serverGet(stack, `/session/${sessionID}`)
  if (!isSession(json)) throw new Error(`GET /session/${sessionID}: not a session`)
  return json
}

/** `GET /session` on the server (ids of every session: without `limit` it answers only the newest 100). */
export async function serverSessionIds(stack: Stack): Promise<string[]> {
  const json = await serverGet(stack, `/session?limit=${Number.MAX_SAFE_INTEGER}`)
  return Array.isArray(json) ? json.filter(isSession).map((s) => s.id) : []
}

function isSession(v: unknown): v is Session {
  return typeof v === 'object' && v !== null && 'id' in v && typeof v.id === 'string' && 'title' in v && typeof v.title === 'string'
}

/** The session id in the page's URL (`/session/<id>`), or undefined on another route. */
export function routedSessionID(page: Page): string | undefined {
  return /\/session\/([^/?#]+)/.exec(new URL(page.url()).pathname)?.[1]
}

/** Ids of the messages the page shows, in order. */
export async function messageIdsInPage(page: Page): Promise<string[]> {
  return page.locator('[data-testid="message"]').evaluateAll((els) => els.map((e) => (e instanceof HTMLElement ? (e.dataset.messageId ?? '') : '')))
}

/**
 * The tab's warm-start snapshot of a session as stored (database `opencode-relay-ui`, store
 * `snapshots`, src/db/snapshots.ts), read with the raw IndexedDB API in the page; `undefined`
 * before one was written.
 */
export async function warmStartSnapshot(page: Page, sessionID: string): Promise<unknown> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('opencode-relay-ui')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    try {
      if (!db.objectStoreNames.contains('snapshots')) return undefined
      const snap: unknown = await new Promise((resolve, reject) => {
        const req = db.transaction('snapshots').objectStore('snapshots').get(id)
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error)
      })
      return snap
    } finally {
      db.close()
    }
  }, sessionID)
}
