/**
 * Issue 17, "Honest actions", against the real `opencode serve` 1.18.33:
 * - Share on the test server (`share: "manual"`, `OPENCODE_DISABLE_SHARE=1`, no network): the
 *   server answers 200 with no `share` at all, so the app says "The server returned no share link".
 * - Share on a server with sharing on, whose share service (`enterprise.url`) is a local fake:
 *   the server's link is copied, shown in a toast and in the header; Unshare stops it and it stays
 *   stopped after a reload (the server keeps answering the old `share.url`); a share the service
 *   refuses shows the server's answer.
 * - A project path the server cannot list (missing, or a file) is refused next to the input with
 *   the server's reason and is not remembered; one opened by URL says so on the home page.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import type { Session } from '@opencode-ai/sdk/v2/types'
import { test, expect, openSession, stackOn, closeStack, type Stack } from './support/fixtures.ts'
import { startScriptedModel } from '../test/support/scripted-model.ts'
import { createOpencodeApi } from '../src/api/opencode.ts'
import { startOpencode } from '../test/support/opencode-server.ts'

const RECENT_KEY = 'opencode-relay:recent-directories'

// ---- a share service and a server that uses it ---------------------------------------------------

/**
 * A stand-in for opncd.ai, speaking what opencode 1.18.33 sends it: `POST /api/share`
 * `{sessionID}` → `{id, url, secret}`, `POST /api/share/{id}/sync`, `DELETE /api/share/{id}`
 * `{secret}`. With `refuse` set it answers 403 to everything.
 */
interface ShareService {
  url: string
  /** `METHOD /path` of every request, in order. */
  requests: string[]
  refuse: boolean
  /** The link handed out for a session. */
  linkFor(sessionID: string): string
  close(): Promise<void>
}

async function startShareService(): Promise<ShareService> {
  const requests: string[] = []
  const service: ShareService = {
    url: '',
    requests,
    refuse: false,
    linkFor: (sessionID) => `https://share.example.test/s/${sessionID}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`)
      res.setHeader('content-type', 'application/json')
      if (service.refuse) {
        res.writeHead(403).end(JSON.stringify({ error: 'sharing is off' }))
        return
      }
      if (req.method === 'POST' && req.url === '/api/share') {
        const parsed: unknown = JSON.parse(body)
        const sessionID = typeof parsed === 'object' && parsed !== null && 'sessionID' in parsed && typeof parsed.sessionID === 'string' ? parsed.sessionID : 'unknown'
        res.end(JSON.stringify({ id: `shr_${sessionID}`, url: service.linkFor(sessionID), secret: 'secret' }))
        return
      }
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('share service has no port')
  service.url = `http://127.0.0.1:${address.port}`
  return service
}

const sharingTest = test.extend<{ sharing: { stack: Stack; service: ShareService } }>({
  sharing: async ({}, use) => {
    const service = await startShareService()
    const model = await startScriptedModel()
    // Sharing on, against the local stand-in for the share service.
    const opencode = await startOpencode({ modelBaseURL: model.baseURL, shareEnabled: true, config: { share: 'manual', enterprise: { url: service.url } } })
    const stack = await stackOn(model, opencode)
    await use({ stack, service })
    await closeStack(stack)
    await service.close()
  },
})

// ---- helpers -------------------------------------------------------------------------------------

async function sessionMenu(page: Page, action: 'share' | 'unshare'): Promise<void> {
  await page.getByTestId('session-menu').click()
  await page.getByTestId(`action-${action}`).click()
}

/** The session as the server reports it (`GET /session/{id}`, read with the app's own client). */
function serverSession(stack: Stack, id: string): Promise<Session> {
  return createOpencodeApi({ url: stack.opencode.url }).getSession(stack.directory, id)
}

/** Every recent directory the app keeps (one list per server: `<RECENT_KEY>:<server>`). */
async function recentDirectories(page: Page): Promise<string[]> {
  const raws = await page.evaluate(
    (key) => Object.keys(localStorage).filter((k) => k.startsWith(key)).map((k) => localStorage.getItem(k) ?? '[]'),
    RECENT_KEY,
  )
  return raws.flatMap((raw) => {
    const parsed: unknown = JSON.parse(raw)
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : []
  })
}

async function openHome(page: Page, stack: Stack, directory = stack.directory): Promise<void> {
  await page.goto(`${stack.app.url}/?directory=${encodeURIComponent(directory)}`)
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
}

// ---- sharing -------------------------------------------------------------------------------------

test('Share on a server that answers without a link says so, and the session stays unshared', async ({ page, stack }) => {
  const session = await stack.api.createSession('no link')
  await openSession(page, stack, session.id)
  await sessionMenu(page, 'share')
  await expect(page.getByTestId('toast').filter({ hasText: 'Share failed: The server returned no share link' })).toHaveAttribute('data-kind', 'error')
  // What the server really answered: the session, with no `share`.
  expect((await serverSession(stack, session.id)).share).toBeUndefined()
  await expect(page.getByTestId('share-chip')).toHaveCount(0)
  await page.getByTestId('session-menu').click()
  await expect(page.getByTestId('action-share')).toBeVisible()
  await expect(page.getByTestId('action-unshare')).toHaveCount(0)
})

sharingTest('Share copies the server’s link, shows it in a toast and the header; Unshare stops it, also after a reload', async ({ page, sharing }) => {
  const { stack, service } = sharing
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.app.url })
  const session = await stack.api.createSession('shared')
  const link = service.linkFor(session.id)
  await openSession(page, stack, session.id)

  await sessionMenu(page, 'share')
  await expect(page.getByTestId('toast').filter({ hasText: `Share link copied: ${link}` })).toHaveAttribute('data-kind', 'info')
  await expect(page.getByTestId('share-chip')).toHaveAttribute('href', link)
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link)
  expect(service.requests).toContain('POST /api/share')
  expect((await serverSession(stack, session.id)).share?.url).toBe(link)

  await sessionMenu(page, 'unshare')
  await expect(page.getByTestId('toast').filter({ hasText: 'Sharing stopped' })).toBeVisible()
  await expect(page.getByTestId('share-chip')).toHaveCount(0)
  expect(service.requests).toContain(`DELETE /api/share/shr_${session.id}`)
  // opencode 1.18.33 deleted the link at the share service but still reports it on the session.
  expect((await serverSession(stack, session.id)).share?.url).toBe(link)
  await page.getByTestId('session-menu').click()
  await expect(page.getByTestId('action-share')).toBeVisible()
  await page.keyboard.press('Escape')

  // A reload reads that stale link again: the session still shows as not shared.
  await page.reload()
  await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected')
  await expect(page.getByTestId('session-title')).toHaveText('shared')
  await expect(page.getByTestId('share-chip')).toHaveCount(0)
  await page.getByTestId('session-menu').click()
  await expect(page.getByTestId('action-share')).toBeVisible()
})

sharingTest('a share the server refuses shows the server’s answer, and nothing claims it is shared', async ({ page, sharing }) => {
  const { stack, service } = sharing
  const session = await stack.api.createSession('refused')
  await openSession(page, stack, session.id)
  service.refuse = true
  await sessionMenu(page, 'share')
  // The server's whole error body is `{"_tag":"InternalServerError"}` (HTTP 500).
  await expect(page.getByTestId('toast').filter({ hasText: 'Share failed: InternalServerError (HTTP 500)' })).toHaveAttribute('data-kind', 'error')
  expect(service.requests).toContain('POST /api/share')
  await expect(page.getByTestId('share-chip')).toHaveCount(0)
  await page.getByTestId('session-menu').click()
  await expect(page.getByTestId('action-share')).toBeVisible()
})

// ---- project paths -------------------------------------------------------------------------------

test('a project path that does not exist, or is a file, is refused with the server’s reason and not remembered', async ({ page, stack }) => {
  await openHome(page, stack)
  const picker = page.getByTestId('project-picker')
  const input = page.getByTestId('project-path-input')
  const error = page.getByTestId('project-path-error')
  await picker.getByRole('button').first().click()

  for (const bad of ['/does/not/exist', join(stack.directory, 'hello.txt')]) {
    await input.fill(bad)
    await page.getByTestId('project-path-open').click()
    // 1.18.33 answers GET /file?path=.&directory=<bad> with 500 UnknownError and a log ref.
    await expect(error).toContainText(`Cannot open ${bad}: the server could not list it (Unexpected server error. Check server logs for details. (ref err_`)
    await expect(input).toHaveAttribute('aria-invalid', 'true')
    await expect(page).toHaveURL(`${stack.app.url}/?directory=${encodeURIComponent(stack.directory)}`)
    await expect(page.locator(`[data-testid="project-item"][data-directory="${bad}"]`)).toHaveCount(0)
    expect(await recentDirectories(page)).not.toContain(bad)
  }

  // A directory the server can list opens and is remembered.
  const good = mkdtempSync(join(tmpdir(), 'relay-honest-dir-'))
  try {
    await input.fill(`${good}/`)
    await page.getByTestId('project-path-open').click()
    await expect(page).toHaveURL(`${stack.app.url}/?directory=${encodeURIComponent(good)}`)
    await expect(error).toHaveCount(0)
    await expect(page.getByTestId('home-view')).toContainText(good)
    await expect.poll(() => recentDirectories(page)).toContain(good)
  } finally {
    rmSync(good, { recursive: true, force: true })
  }
})

test('a project opened by URL that the server cannot list says why, offers no prompt and is not remembered', async ({ page, stack }) => {
  await openHome(page, stack, '/does/not/exist')
  await expect(page.getByTestId('project-refused')).toContainText('Cannot open /does/not/exist: the server could not list it (Unexpected server error')
  await expect(page.getByTestId('prompt-box')).toHaveCount(0)
  expect(await recentDirectories(page)).not.toContain('/does/not/exist')
  // The project the server knows still opens normally.
  await openHome(page, stack)
  await expect(page.getByTestId('project-refused')).toHaveCount(0)
  await expect(page.getByTestId('prompt-box')).toBeVisible()
})
