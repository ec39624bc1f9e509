/**
 * Issue 3 acceptance: the Vue client against the real `opencode serve`, the scripted model
 * (test/support/scripted-model.ts) and Debian's chromium. Every assertion about data compares the
 * page with the server's truth (`GET /session/{id}/message`, `/session/status`, `/permission`).
 */
import { test, expect, openSession, openTabs } from './support/fixtures.ts'
import { streamedText, XSS_CORPUS } from '../test/support/scripted-model.ts'
import {
  assistantReply,
  assistantText,
  expectEqualToServer,
  norm,
  recordStream,
  send,
  serverParts,
  serverSession,
  sessionStatus,
  streamFrames,
  warmStartSnapshot,
} from './client-support.ts'

test('Enter sends and the reply streams; Shift+Enter adds a line; Esc and Stop abort mid-stream and the session returns to idle', async ({ stack, page }) => {
  const session = await stack.api.createSession('chat')
  await openSession(page, stack, session.id)
  const input = page.getByTestId('prompt-input')
  const item = page.locator(`[data-testid="session-item"][data-session-id="${session.id}"]`)
  await expect(sessionStatus(page)).toHaveAttribute('data-status', 'idle')

  // Shift+Enter is a new line, Enter sends the whole text.
  await input.fill('stream 60 delay 25')
  await input.press('Shift+Enter')
  await input.pressSequentially('two lines')
  await expect(input).toHaveValue('stream 60 delay 25\ntwo lines')
  await recordStream(page)
  await input.press('Enter')
  await expect(input).toHaveValue('')

  // The reply streams: busy everywhere, painted token by token, then idle and equal to the server.
  await expect(sessionStatus(page)).toHaveAttribute('data-status', 'busy')
  await expect(item).toHaveAttribute('data-status', 'busy')
  await expect(page.getByTestId('abort-button')).toBeVisible()
  const expected = streamedText(60)
  // The first model call of a fresh server is slow (provider and tool setup) on a loaded machine.
  await expect(assistantReply(page, 0)).toHaveText(expected, { timeout: 45_000 })
  await expect(sessionStatus(page)).toHaveAttribute('data-status', 'idle')
  await expect(item).toHaveAttribute('data-status', 'idle')
  const frames = await streamFrames(page)
  const partial = frames.filter((f) => f.startsWith('alpha0') && !f.endsWith('END'))
  expect(partial.length, `painted incrementally, frames: ${frames.length}`).toBeGreaterThanOrEqual(3)
  const user = (await stack.api.messages(session.id)).find((m) => m.info.role === 'user')
  expect(user?.parts.find((p) => p.type === 'text')).toMatchObject({ text: 'stream 60 delay 25\ntwo lines' })
  await expectEqualToServer(page, stack, session.id)

  // Esc aborts a long reply mid-stream.
  await send(page, 'stream 3000 delay 20')
  await expect(assistantReply(page, 1)).toContainText('hotel7')
  await expect(sessionStatus(page)).toHaveAttribute('data-status', 'busy')
  await input.press('Escape')
  await expect(sessionStatus(page)).toHaveAttribute('data-status', 'idle')
  await stack.api.waitIdle(session.id, 10_000)
  await expect(page.getByText('Interrupted')).toHaveCount(1)
  await expect(assistantReply(page, 1)).not.toContainText('END')

  // The Stop button does the same.
  await send(page, 'stream 3000 delay 20')
  await expect(assistantReply(page, 2)).toContainText('hotel7')
  await page.getByTestId('abort-button').click()
  await expect(sessionStatus(page)).toHaveAttribute('data-status', 'idle')
  await expect(page.getByTestId('abort-button')).toHaveCount(0)
  await stack.api.waitIdle(session.id, 10_000)
  await expect(page.getByText('Interrupted')).toHaveCount(2)
  expect((await stack.api.status())[session.id]?.type ?? 'idle').toBe('idle')
  await expectEqualToServer(page, stack, session.id)
  const aborted = (await stack.api.messages(session.id)).filter((m) => m.info.role === 'assistant' && m.info.error?.name === 'MessageAbortedError')
  expect(aborted).toHaveLength(2)
})

test('bash permission: both tabs ask, Allow once in B runs it and both show the output; Reject leaves the tool in error; a question is answered from the UI', async ({ stack, context }) => {
  const session = await stack.api.createSession('tools')
  const [a, b] = await openTabs(context, stack, session.id, 2)

  await send(a, 'bash: echo relay-permission-ok')
  for (const page of [a, b]) {
    // The first model call and tool of a fresh server are slow on a loaded machine.
    await expect(page.getByTestId('permission-prompt')).toHaveCount(1, { timeout: 45_000 })
    await expect(page.getByTestId('permission-prompt')).toContainText('echo relay-permission-ok')
    await expect(page.getByTestId('tool-part')).toHaveAttribute('data-status', /pending|running/)
  }
  expect(await stack.api.permissions()).toHaveLength(1)
  await b.getByTestId('permission-once').click()
  for (const page of [a, b]) {
    await expect(page.getByTestId('permission-prompt')).toHaveCount(0)
    const tool = page.getByTestId('tool-part')
    await expect(tool).toHaveAttribute('data-status', 'completed')
    await tool.locator('.part-toggle').click()
    await expect(tool.getByTestId('tool-output')).toContainText('relay-permission-ok')
    await expect(assistantText(page).filter({ hasText: 'Tool finished:' })).toContainText('relay-permission-ok')
  }
  expect(await stack.api.permissions()).toHaveLength(0)
  await stack.api.waitIdle(session.id)
  const ran = (await serverParts(stack, session.id)).find((p) => p.type === 'tool')
  expect(ran?.type === 'tool' && ran.state.status === 'completed' ? ran.state.output : '').toContain('relay-permission-ok')

  // Reject: the tool ends in error, in both tabs, as on the server.
  await send(b, 'bash: echo never-runs')
  for (const page of [a, b]) await expect(page.getByTestId('permission-prompt')).toContainText('echo never-runs')
  await a.getByTestId('permission-reject').click()
  for (const page of [a, b]) {
    await expect(page.getByTestId('permission-prompt')).toHaveCount(0)
    await expect(page.getByTestId('tool-part').nth(1)).toHaveAttribute('data-status', 'error')
  }
  await stack.api.waitIdle(session.id)
  const rejected = (await serverParts(stack, session.id)).filter((p) => p.type === 'tool')[1]
  expect(rejected?.type === 'tool' ? rejected.state.status : undefined).toBe('error')

  // A question from the agent, answered from the UI.
  await send(a, 'ask question')
  const question = a.getByTestId('question-prompt')
  await expect(question).toContainText('Which colour should the button be?')
  await expect(b.getByTestId('question-prompt')).toHaveCount(1)
  await expect(question.getByTestId('question-submit')).toBeDisabled()
  await question.getByTestId('question-option').filter({ hasText: 'Blue' }).click()
  await question.getByTestId('question-submit').click()
  for (const page of [a, b]) await expect(page.getByTestId('question-prompt')).toHaveCount(0)
  await expect(assistantText(a).filter({ hasText: 'Tool finished:' }).last()).toContainText('Blue')
  await stack.api.waitIdle(session.id)
  const asked = (await serverParts(stack, session.id)).filter((p) => p.type === 'tool' && p.tool === 'question')[0]
  expect(asked?.type === 'tool' ? asked.state.status : undefined).toBe('completed')
  expect(norm(asked?.type === 'tool' && asked.state.status === 'completed' ? asked.state.output : '')).toContain('Blue')
  for (const page of [a, b]) await expectEqualToServer(page, stack, session.id)
})

test('a reply made of an XSS corpus executes nothing and shows as text, live and after a reload', async ({ stack, page }) => {
  // Count every way a payload could run: the payloads set window.__xss; CSP violations mean an
  // injected script or handler reached the DOM (and was only stopped by the CSP); dialogs; popups.
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] }
    w.__csp = []
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
  const dialogs: string[] = []
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  const popups: string[] = []
  page.context().on('page', (p) => popups.push(p.url()))

  const session = await stack.api.createSession('xss')
  await openSession(page, stack, session.id)
  await send(page, 'xss corpus')
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').first()
  await expect(reply).toContainText('XSS corpus end', { timeout: 45_000 })
  await stack.api.waitIdle(session.id)
  const serverText = (await serverParts(stack, session.id)).find((p) => p.type === 'text' && p.text.includes('XSS corpus'))
  expect(serverText?.type === 'text' ? serverText.text : '').toBe(XSS_CORPUS)

  async function expectInert(): Promise<void> {
    // Let any deferred handler (img onerror, svg onload, details ontoggle) get its chance.
    await page.waitForTimeout(500)
    const report = await page.evaluate(() => {
      const w = window as unknown as { __xss?: unknown; __csp?: string[] }
      const messages = [...document.querySelectorAll('[data-testid="message"]')]
      const inMessages = (selector: string) => messages.flatMap((m) => [...m.querySelectorAll(selector)])
      const handlerAttrs: string[] = []
      const badUrls: string[] = []
      for (const el of inMessages('*')) {
        for (const attr of el.getAttributeNames()) {
          const value = el.getAttribute(attr) ?? ''
          if (attr.toLowerCase().startsWith('on')) handlerAttrs.push(`${el.tagName} ${attr}`)
          if (/^(href|src|xlink:href|action|formaction|data|srcdoc)$/i.test(attr) && /^\s*(javascript|data|vbscript):/i.test(value.replace(/[\u0000-\u0020]/g, ''))) {
            badUrls.push(`${el.tagName} ${attr}=${value}`)
          }
        }
      }
      return {
        xss: w.__xss,
        csp: w.__csp ?? [],
        handlerAttrs,
        badUrls,
        scripts: inMessages('script').length,
        embedded: inMessages('.markdown iframe, .markdown object, .markdown embed, .markdown img, .markdown svg, .markdown details, .markdown form, .markdown style, .markdown link, .markdown meta, .markdown base').map((e) => e.tagName),
        anchors: inMessages('.markdown a').map((a) => a.getAttribute('href')),
      }
    })
    expect(report).toEqual({ xss: undefined, csp: [], handlerAttrs: [], badUrls: [], scripts: 0, embedded: [], anchors: [] })
    expect(dialogs).toEqual([])
    expect(popups).toEqual([])
    // The payloads are shown as text.
    const text = await reply.innerText()
    for (const payload of [
      '<script>window.__xss = (window.__xss || 0) + 1</script>',
      '<img src="x" onerror="window.__xss = (window.__xss || 0) + 1">',
      '[click me](javascript:window.__xss=1)',
      '![img](javascript:window.__xss=1)',
      '<svg onload="window.__xss=1"><circle r="1"/></svg>',
      '<a href="javascript:window.__xss=1">html link</a>',
      '<iframe src="javascript:window.__xss=1"></iframe>',
      '[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)',
      '<details open ontoggle="window.__xss=1">x</details>',
      '<script>window.__xss=1</script>',
    ]) {
      expect(text, `payload shown as text: ${payload}`).toContain(payload)
    }
  }

  await expectInert()
  // Clicking the rendered payloads runs nothing either.
  for (const el of await reply.locator('.markdown p, .markdown code').all()) await el.click()
  await expectInert()
  // The same reply painted again after a reload (warm-start snapshot, then REST).
  await page.reload()
  await expect(reply).toContainText('XSS corpus end')
  await expectInert()
})

test('reloading a tab mid-stream paints the session from IndexedDB first, then the live stream completes it', async ({ stack, page }) => {
  test.setTimeout(150_000)
  const session = await stack.api.createSession('reload mid-stream')
  await openSession(page, stack, session.id)
  const tokens = 800
  await send(page, `stream ${tokens} delay 20`)
  const reply = assistantReply(page, 0)
  await expect(reply).toContainText('alpha40', { timeout: 45_000 })

  // The tab keeps its warm-start snapshot fresh while the reply streams (not only once it stops).
  let snapshotText = ''
  await expect
    .poll(
      async () => {
        snapshotText = JSON.stringify((await warmStartSnapshot(page, session.id)) ?? '')
        return /alpha40/.test(snapshotText) && !/ END/.test(snapshotText)
      },
      { timeout: 10_000, message: 'a snapshot written mid-stream' },
    )
    .toBe(true)
  const before = norm(await reply.innerText())
  expect(before).not.toContain('END')

  // Reload with the server unreachable: what was streamed is painted from IndexedDB alone.
  stack.proxy.refuse()
  await page.reload()
  const badge = page.getByTestId('connection-badge').first()
  await expect(reply).toContainText('alpha40')
  await expect(reply).not.toContainText('END')
  await expect(badge).not.toHaveAttribute('data-state', 'connected')
  const painted = norm(await reply.innerText())
  expect(streamedText(tokens).startsWith(painted)).toBe(true)
  // The server streamed on meanwhile.
  expect((await stack.api.status())[session.id]?.type).toBe('busy')

  // Network back: the live stream completes the reply, equal to the server.
  stack.proxy.resume()
  await badge.click()
  await expect(badge).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
  await expect(reply).toHaveText(streamedText(tokens), { timeout: 60_000 })
  await stack.api.waitIdle(session.id)
  await expectEqualToServer(page, stack, session.id)
  await expect(sessionStatus(page)).toHaveAttribute('data-status', 'idle')
})

test('two tabs on two sessions stream at the same time over one connection; a session finishing unseen notifies once', async ({ stack, context }) => {
  // A Notification stub shared by the tabs (permission persisted in localStorage), recording calls.
  await context.addInitScript(() => {
    const w = window as unknown as { __notes: Array<{ title: string; body?: string; tag?: string }>; __noteObjects: Array<{ onclick: (() => void) | null }> }
    w.__notes = []
    w.__noteObjects = []
    const KEY = 'test:notification-permission'
    class FakeNotification {
      static get permission(): NotificationPermission {
        return localStorage.getItem(KEY) === 'granted' ? 'granted' : 'default'
      }
      static requestPermission(): Promise<NotificationPermission> {
        localStorage.setItem(KEY, 'granted')
        return Promise.resolve('granted')
      }
      onclick: (() => void) | null = null
      constructor(title: string, options?: NotificationOptions) {
        w.__notes.push({ title, body: options?.body, tag: options?.tag })
        w.__noteObjects.push(this)
      }
      close(): void {}
    }
    Object.defineProperty(window, 'Notification', { value: FakeNotification, configurable: true, writable: true })
  })
  const one = await stack.api.createSession('first stream')
  const two = await stack.api.createSession('second stream')
  const unseen = await stack.api.createSession('unseen')
  // Warm the server up (its first model call is slow), so both streams start together.
  await stack.api.prompt(unseen.id, 'stream 1')
  const [a] = await openTabs(context, stack, one.id, 1)

  // Opt in to notifications from the settings panel.
  await a.getByTestId('settings-button').click()
  const toggle = a.getByTestId('notifications-toggle')
  await expect(toggle).toHaveAttribute('aria-checked', 'false')
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-checked', 'true')
  await a.keyboard.press('Escape')
  await expect(a.getByTestId('settings-panel')).toHaveCount(0)

  const b = await context.newPage()
  await openSession(b, stack, two.id)
  for (const page of [a, b]) {
    expect(await page.evaluate(() => document.visibilityState)).toBe('visible')
    await recordStream(page)
    await page.evaluate(() => {
      const w = window as unknown as { __frames: string[]; __frameTimes: number[]; __frameObserver?: MutationObserver }
      w.__frameTimes = []
      new MutationObserver(() => w.__frameTimes.push(Date.now())).observe(document.body, { subtree: true, childList: true, characterData: true })
    })
  }
  const tokens = 200
  await send(a, `stream ${tokens} delay 20`)
  await send(b, `stream ${tokens} delay 20`)
  const expected = streamedText(tokens)
  // Both tabs are mid-stream at the same moment.
  await expect
    .poll(
      async () => {
        const [ta, tb] = await Promise.all([a, b].map((p) => assistantReply(p, 0).innerText().catch(() => '')))
        return ta.includes('alpha8') && !ta.includes('END') && tb.includes('alpha8') && !tb.includes('END')
      },
      { timeout: 45_000, intervals: [100] },
    )
    .toBe(true)
  for (const page of [a, b]) await expect(assistantReply(page, 0)).toHaveText(expected, { timeout: 30_000 })
  await stack.api.waitIdle(one.id)
  await stack.api.waitIdle(two.id)
  await expectEqualToServer(a, stack, one.id)
  await expectEqualToServer(b, stack, two.id)
  expect(stack.proxy.openEventStreams()).toBe(1)
  expect(stack.proxy.eventStreamRequests()).toBe(1)

  // A session no visible tab shows finishes: exactly one tab shows exactly one notification.
  await stack.api.prompt(unseen.id, 'stream 5')
  const notes = async () => (await Promise.all([a, b].map((p) => p.evaluate(() => (window as unknown as { __notes: Array<{ title: string; body?: string; tag?: string }> }).__notes)))).flat()
  await expect.poll(async () => (await notes()).filter((n) => n.tag === `finished:${unseen.id}`).length, { timeout: 20_000 }).toBe(1)
  await a.waitForTimeout(1000)
  const all = await notes()
  expect(all.filter((n) => n.tag === `finished:${unseen.id}`)).toHaveLength(1)
  // It names the session by its title, not its id.
  expect(all.find((n) => n.tag === `finished:${unseen.id}`)?.title).toBe(`Finished: ${(await serverSession(stack, unseen.id)).title}`)
  // Sessions a visible tab shows never notify.
  expect(all.filter((n) => n.tag?.includes(one.id) || n.tag?.includes(two.id))).toEqual([])
  // A click on it opens that session in the tab that showed it.
  const shower = (await a.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes.length)) > 0 ? a : b
  await shower.evaluate(() => (window as unknown as { __noteObjects: Array<{ onclick: (() => void) | null }> }).__noteObjects.at(-1)?.onclick?.())
  await expect(shower).toHaveURL(new RegExp(`/session/${unseen.id}`))
  await expect(shower.getByTestId('session-title')).toHaveText((await serverSession(stack, unseen.id)).title)
})
