/**
 * Issue 17, notifications you can act on: a permission request in a session no visible tab shows
 * becomes one system notification shown by the service worker, titled with the session, with
 * "Allow once" and "Reject"; the action answers the request on the server from the service worker
 * (`POST /permission/{id}/reply`), no tab involved, and every tab follows. The click is the service
 * worker's own `notificationclick` listener, dispatched in the worker with the notification the
 * browser keeps (`registration.getNotifications()`). A question is notified with "Open". Real
 * `opencode serve`; `bash` asks permission in the test project.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page, Worker } from '@playwright/test'
import { test, expect, openTabs, openSession } from './support/fixtures.ts'
import { ServerApi } from '../test/support/server-api.ts'

/** What the tests use of the service worker's global scope (this file is type-checked without the WebWorker lib). */
interface WorkerScope {
  registration: { getNotifications(): Promise<Array<{ title: string; tag: string; actions?: Array<{ title: string }> }>> }
  dispatchEvent(ev: Event): boolean
  NotificationEvent: new (type: string, init: { notification: unknown; action: string }) => Event
}

/** The app's service worker, once it controls `page`. */
async function serviceWorkerOf(context: BrowserContext, page: Page): Promise<Worker> {
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? 'none'), { timeout: 30_000 }).toBe('activated')
  const [worker] = context.serviceWorkers()
  if (!worker) throw new Error('no service worker')
  return worker
}

/** The notifications the service worker's registration shows: title, tag and action titles. */
function shown(worker: Worker): Promise<Array<{ title: string; tag: string; actions: string[] }>> {
  return worker.evaluate(async () => {
    const sw = globalThis as unknown as WorkerScope
    const list = await sw.registration.getNotifications()
    return list.map((n) => ({ title: n.title, tag: n.tag, actions: (n.actions ?? []).map((a) => a.title) }))
  })
}

/** Clicks an action of the newest notification: the worker's `notificationclick`, as the browser dispatches it. */
function clickAction(worker: Worker, action: string): Promise<void> {
  return worker.evaluate(async (act) => {
    const sw = globalThis as unknown as WorkerScope
    const [note] = (await sw.registration.getNotifications()).slice(-1)
    if (!note) throw new Error('no notification')
    sw.dispatchEvent(new sw.NotificationEvent('notificationclick', { notification: note, action: act }))
  }, action)
}

async function optIn(page: Page): Promise<void> {
  await page.getByTestId('settings-button').click()
  const toggle = page.getByTestId('notifications-toggle')
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-checked', 'true')
  await page.keyboard.press('Escape')
}

/** The app badge's values, newest last (`navigator.setAppBadge(n)`; `clearAppBadge()` is 0), recorded in every page. */
async function recordBadge(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __badge: number[] }
    w.__badge = []
    Object.defineProperty(navigator, 'setAppBadge', { configurable: true, value: (n?: number) => (w.__badge.push(n ?? 0), Promise.resolve()) })
    Object.defineProperty(navigator, 'clearAppBadge', { configurable: true, value: () => (w.__badge.push(0), Promise.resolve()) })
  })
}

function badge(page: Page): Promise<number | undefined> {
  return page.evaluate(() => (window as unknown as { __badge: number[] }).__badge.at(-1))
}

test('"Allow once" on a permission notification answers it from the service worker, once, and every tab follows', async ({ stack, context }) => {
  await context.grantPermissions(['notifications'], { origin: stack.app.url })
  await recordBadge(context)
  const watched = await stack.api.createSession('watched')
  const asking = await stack.api.createSession('needs a shell')
  const [a, b] = await openTabs(context, stack, watched.id, 2)
  await optIn(a)
  const worker = await serviceWorkerOf(context, a)

  await stack.api.promptAsync(asking.id, 'bash: echo from-the-notification')
  await expect.poll(() => shown(worker), { timeout: 30_000 }).toEqual([
    { title: 'Permission needed: needs a shell', tag: `permission:${asking.id}`, actions: ['Allow once', 'Reject'] },
  ])
  const [request] = await stack.api.permissions()
  expect(request?.sessionID).toBe(asking.id)
  // The app badge counts what waits for an answer.
  await expect.poll(() => badge(a)).toBe(1)

  // Tab b now shows the session: the request is pending there too.
  await openSession(b, stack, asking.id)
  await expect(b.getByTestId('permission-prompt')).toHaveAttribute('data-request-id', request?.id ?? '')

  await clickAction(worker, 'allow-once')
  await expect.poll(() => shown(worker)).toEqual([])
  await stack.api.waitIdle(asking.id)
  expect(await stack.api.permissions()).toEqual([])
  // Answered once: the command ran once, and the reply saw its output.
  expect(await stack.api.transcript(asking.id)).toContain('Tool finished: from-the-notification')
  // Every tab follows the server: the prompt is gone where it was shown, and a tab opened now has none.
  await expect(b.getByTestId('permission-prompt')).toHaveCount(0)
  await openSession(a, stack, asking.id)
  await expect(a.getByTestId('permission-prompt')).toHaveCount(0)
  await expect(a.getByText('Tool finished: from-the-notification')).toBeVisible()
  await expect.poll(() => badge(a)).toBe(0)

  // A question waiting in another session counts too.
  const questioning = await stack.api.createSession('a question')
  await stack.api.promptAsync(questioning.id, 'ask question')
  await expect.poll(() => badge(a), { timeout: 30_000 }).toBe(1)
  // It is notified with its title and "Open", which opens the session at the question.
  await expect.poll(() => shown(worker), { timeout: 30_000 }).toEqual([{ title: 'Question: a question', tag: `question:${questioning.id}`, actions: ['Open'] }])
  await clickAction(worker, 'open')
  // The service worker routes one window of the app (the focused one, else the first it finds).
  const routed = (): Promise<Page | undefined> => Promise.resolve([a, b].find((p) => p.url().includes(`/session/${questioning.id}`)))
  await expect.poll(async () => (await routed()) !== undefined).toBe(true)
  const target = await routed()
  if (!target) throw new Error('no tab was routed')
  await expect(target.getByTestId('question-prompt')).toBeVisible()
})

test('"Reject" answers from the service worker; a click on the body opens the session in the app', async ({ stack, context }) => {
  await context.grantPermissions(['notifications'], { origin: stack.app.url })
  const watched = await stack.api.createSession('watched')
  const asking = await stack.api.createSession('risky')
  const [a] = await openTabs(context, stack, watched.id, 1)
  await optIn(a)
  const worker = await serviceWorkerOf(context, a)

  await stack.api.promptAsync(asking.id, 'bash: echo never')
  await expect.poll(() => shown(worker), { timeout: 30_000 }).toHaveLength(1)
  await clickAction(worker, 'reject')
  await stack.api.waitIdle(asking.id)
  expect(await stack.api.permissions()).toEqual([])
  expect(await stack.api.transcript(asking.id)).not.toContain('Tool finished: never')

  // A session that finishes unseen: its notification's body opens it in the tab, without a reload.
  await stack.api.prompt(asking.id, 'stream 3')
  await expect.poll(() => shown(worker), { timeout: 30_000 }).toEqual([{ title: 'Finished: risky', tag: `finished:${asking.id}`, actions: [] }])
  await a.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true))
  await clickAction(worker, '')
  await expect(a).toHaveURL(new RegExp(`/session/${asking.id}`))
  await expect(a.getByTestId('session-title')).toHaveText('risky')
  expect(await a.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true)
})

test('the app badge counts a question waiting in a project no tab loaded, also in a tab opened after it was asked', async ({ stack, context }) => {
  await recordBadge(context)
  // Another project on the same server, with the scripted provider.
  const other = mkdtempSync(join(tmpdir(), 'relay-badge-project-'))
  try {
    copyFileSync(join(stack.directory, 'opencode.json'), join(other, 'opencode.json'))
    const elsewhere = new ServerApi(stack.opencode.url, other)
    const watched = await stack.api.createSession('watched')
    // One tab keeps the relay running and sees the question asked.
    const [a] = await openTabs(context, stack, watched.id, 1)
    const asking = await elsewhere.createSession('elsewhere')
    await elsewhere.promptAsync(asking.id, 'ask question')
    await expect.poll(() => badge(a), { timeout: 30_000 }).toBe(1)
    // A tab opened now never loads that project (its count comes from the replayed log and the relay's own count).
    const b = await context.newPage()
    await openSession(b, stack, watched.id)
    await expect.poll(() => badge(b)).toBe(1)
  } finally {
    rmSync(other, { recursive: true, force: true })
  }
})
