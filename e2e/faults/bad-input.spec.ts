/**
 * Issue 6, bad input: the relay reads `GET /global/event` through a fuzzing proxy
 * (test/support/fuzz-proxy.ts) that corrupts the stream while the scripted model streams a reply.
 * For every kind of bad input: nothing crashes (no page error, the tabs keep answering), the
 * status says what went wrong (the relay's `lastError` / bad-frame count, shown in the connection
 * badge's tooltip and the offline banner), and the relay recovers with the next valid stream —
 * every tab ends equal to the server (truth.ts), and the event log holds no event id twice.
 */
import type { Page } from '@playwright/test'
import { test, expect } from '../support/fixtures.ts'
import { readLogPayload, readTab } from './truth.ts'
import { expectConverged, expectLogWithoutDuplicates, expectStatusError, openTab, PageErrors, startFuzzApp, statusesSince, waitConnected, type FuzzApp } from './assert.ts'

const MB = 1024 * 1024

function frame(payload: object, directory?: string): string {
  return `data: ${JSON.stringify(directory === undefined ? { payload } : { directory, payload })}\n\n`
}

/** Waits until the proxy forwarded at least `n` more real frames than `before` (the reply is streaming). */
async function framesFlowing(fa: FuzzApp, before: number, n = 3): Promise<void> {
  await expect.poll(() => fa.fuzz.frames().length - before, { timeout: 30_000 }).toBeGreaterThanOrEqual(n)
}

async function badFrames(page: Page, directory: string): Promise<number> {
  return (await readTab(page, directory)).relay.badFrames
}

test('bad input on the live stream: nothing crashes, the status says what went wrong, the relay recovers', async ({ stack, context }) => {
  test.setTimeout(240_000)
  const fa = await startFuzzApp(stack)
  const errors = new PageErrors()
  try {
    const dir = stack.directory
    const session = await stack.api.createSession('fuzz')
    const pages = [await openTab(context, fa.url(session.id), dir, errors, 'tab 0'), await openTab(context, fa.url(session.id), dir, errors, 'tab 1')]
    await stack.api.prompt(session.id, 'stream 10')
    await expectConverged(pages, fa.truth, [session.id])

    /** Streams a reply, runs `fuzz` once it flows, then waits for the server and the tabs to agree. */
    async function duringReply(fuzz: () => Promise<void>): Promise<void> {
      const before = fa.fuzz.frames().length
      await stack.api.promptAsync(session.id, 'stream 60 delay 10')
      await framesFlowing(fa, before)
      await fuzz()
      await stack.api.waitIdle(session.id)
      await waitConnected(pages[0], dir)
      await expectConverged(pages, fa.truth, [session.id])
    }

    await test.step('a real frame cut in the middle, then the connection drops', async () => {
      const since = Date.now()
      await duringReply(async () => {
        expect(await fa.fuzz.truncateNext()).toBeGreaterThan(0)
        await expectStatusError(pages[0], since, /stream (ended by server|error)|network error/)
      })
    })

    await test.step('a truncated JSON frame (ended by a blank line)', async () => {
      const since = Date.now()
      const bad = await badFrames(pages[0], dir)
      await duringReply(async () => {
        await fa.fuzz.inject([`data: {"payload":{"id":"evt_fuzz_trunc","type":"message.part.upd\n\n`])
        await expectStatusError(pages[0], since, /bad frame skipped: bad JSON/)
      })
      expect(await badFrames(pages[0], dir)).toBeGreaterThan(bad)
    })

    await test.step('invalid UTF-8: in the JSON structure, inside a string, and a valid character split across writes', async () => {
      const since = Date.now()
      await duringReply(async () => {
        await fa.fuzz.inject([Buffer.concat([Buffer.from('data: {"payload":'), Buffer.from([0xff, 0xfe]), Buffer.from('{"id":"evt_fuzz_struct","type":"x","properties":{}}}\n\n')])])
        await expectStatusError(pages[0], since, /bad frame skipped/)
        await fa.fuzz.inject([Buffer.concat([Buffer.from(`data: {"directory":${JSON.stringify(dir)},"payload":{"id":"evt_fuzz_utf8","type":"fuzz.utf8","properties":{"s":"a`), Buffer.from([0xff, 0xc3]), Buffer.from('b"}}}\n\n')])])
        const split = Buffer.from(frame({ id: 'evt_fuzz_split', type: 'fuzz.split', properties: { s: 'é€😀' } }, dir))
        const at = split.indexOf(Buffer.from('é€😀'))
        // Cut inside each multi-byte sequence: 'é' (2 bytes), '€' (3), '😀' (4).
        await fa.fuzz.inject([split.subarray(0, at + 1), split.subarray(at + 1, at + 3), split.subarray(at + 3, at + 6), split.subarray(at + 6)])
      })
      await expect.poll(() => readLogPayload(pages[0], fa.logName, 'evt_fuzz_split')).toMatchObject({ properties: { s: 'é€😀' } })
      await expect.poll(() => readLogPayload(pages[0], fa.logName, 'evt_fuzz_utf8')).toMatchObject({ properties: { s: 'a\uFFFD\uFFFDb' } })
      const view = await readTab(pages[1], dir)
      expect(view.unknownTypes['fuzz.utf8']).toBeGreaterThanOrEqual(1)
      expect(view.unknownTypes['fuzz.split']).toBeGreaterThanOrEqual(1)
    })

    await test.step('10 MB lines: junk, a valid 10 MB event of an unknown type, and a 17 MB line over the 16 MiB cap', async () => {
      const since = Date.now()
      await duringReply(async () => {
        await fa.fuzz.inject([`data: ${'x'.repeat(10 * MB)}\n\n`])
        await expectStatusError(pages[0], since, /bad frame skipped: bad JSON/)
        await fa.fuzz.inject([frame({ id: 'evt_fuzz_big', type: 'fuzz.big', properties: { blob: 'y'.repeat(10 * MB) } }, dir)])
        const mark = Date.now()
        await fa.fuzz.inject([`data: ${'z'.repeat(17 * MB)}\n\n`])
        await expectStatusError(pages[0], mark, /larger than/)
      })
      await expect.poll(async () => (await readTab(pages[0], dir)).unknownTypes['fuzz.big'] ?? 0).toBeGreaterThanOrEqual(1)
    })

    await test.step('bogus JSON and bogus envelopes, SSE oddities, known types with broken properties', async () => {
      const since = Date.now()
      const bad = await badFrames(pages[0], dir)
      const bogus = [
        'data: null\n\n',
        'data: []\n\n',
        'data: 42\n\n',
        'data: "text"\n\n',
        'data: {}\n\n',
        'data: {"payload":null}\n\n',
        'data: {"directory":7,"payload":{"id":"evt_b1","type":"x","properties":{}}}\n\n',
        'data: {"payload":{"type":"sync","id":"evt_b2","syncEvent":{"id":"evt_b2","type":"message.updated.1","seq":"7","aggregateID":"ses_x","data":{}}}}\n\n',
        'data: {"payload":{"id":"","type":"x","properties":{}}}\n\n',
        'data: {"payload":{"id":"evt_b3","type":"x"}}\n\n',
      ]
      await duringReply(async () => {
        await fa.fuzz.inject(bogus)
        await fa.fuzz.inject([
          ': a comment line\n\n',
          'retry: soon\n\n',
          'id: 77\nevent: weird\n' + frame({ id: 'evt_fuzz_named', type: 'fuzz.named', properties: {} }, dir),
          'a line without a colon\n\n',
          frame({ id: 'evt_b4', type: 'message.part.updated', properties: {} }, dir),
          frame({ id: 'evt_b5', type: 'session.updated', properties: {} }, dir),
          frame({ id: 'evt_b6', type: 'session.status', properties: { sessionID: 'ses_nope' } }, dir),
          frame({ id: 'evt_b7', type: 'message.part.delta', properties: { sessionID: session.id, messageID: 'msg_nope', partID: 'prt_nope', field: 'text', delta: 'ghost' } }, dir),
        ])
        await expect.poll(() => badFrames(pages[0], dir)).toBeGreaterThanOrEqual(bad + bogus.length)
      })
      await expectStatusError(pages[0], since, /bad frame skipped/)
    })

    await test.step('unknown event types pass through and are counted, not reported as errors', async () => {
      const bad = await badFrames(pages[0], dir)
      await duringReply(async () => {
        await fa.fuzz.inject([
          frame({ id: 'evt_fuzz_new_1', type: 'brand.new.event', properties: { x: 1 } }, dir),
          frame({ id: 'evt_fuzz_new_2', type: 'server.brand.new', properties: {} }),
        ])
      })
      await expect.poll(async () => (await readTab(pages[1], dir)).unknownTypes['brand.new.event'] ?? 0).toBeGreaterThanOrEqual(1)
      expect(await badFrames(pages[0], dir)).toBe(bad)
    })

    await test.step('seq going backwards: earlier sync frames replayed, newest first', async () => {
      const syncFrames = fa.fuzz.frames().filter((f) => f.includes('"type":"sync"') && f.includes(session.id))
      expect(syncFrames.length).toBeGreaterThan(5)
      await duringReply(async () => {
        await fa.fuzz.inject([...syncFrames].reverse())
      })
      // A gap after the replay is still recovered from the right position.
      await duringReply(async () => fa.fuzz.cutAll())
    })

    await test.step('the next valid stream: a new reply reaches every tab; nothing crashed; no event stored twice', async () => {
      await stack.api.prompt(session.id, 'stream 15')
      const counted = await expectConverged(pages, fa.truth, [session.id])
      expect(counted.parts).toBeGreaterThan(0)
      expect(await expectLogWithoutDuplicates(pages[0], fa.logName)).toBeGreaterThan(0)
      expect(errors.errors).toEqual([])
      const log = await statusesSince(pages[0], 0)
      expect(log.length).toBeGreaterThan(0)
    })
  } finally {
    await fa.close()
  }
})

test('bad answers: an HTML page with status 200, a 401 storm, a 500 storm — the status says so, then the relay recovers', async ({ stack, context }) => {
  test.setTimeout(240_000)
  const fa = await startFuzzApp(stack)
  const errors = new PageErrors()
  try {
    const dir = stack.directory
    const session = await stack.api.createSession('bad answers')
    const pages = [await openTab(context, fa.url(session.id), dir, errors, 'tab 0'), await openTab(context, fa.url(session.id), dir, errors, 'tab 1')]
    await stack.api.prompt(session.id, 'stream 10')
    await expectConverged(pages, fa.truth, [session.id])

    /** While `answer` is served (and the live stream cut), a reply runs; the status must match `pattern`. */
    async function storm(answer: Parameters<typeof fa.fuzz.setEventResponse>[0], rest: boolean, pattern: RegExp, reload?: { page: Page; apiError: RegExp }): Promise<void> {
      const since = Date.now()
      fa.fuzz.setEventResponse(answer)
      if (rest) fa.fuzz.setRestResponse(answer)
      fa.fuzz.cutAll()
      await stack.api.promptAsync(session.id, 'stream 40 delay 10')
      await expectStatusError(pages[0], since, pattern)
      // What the user reads: the badge's tooltip and the banner name the failure.
      await expect(pages[0].getByTestId('connection-badge').first()).toHaveAttribute('title', pattern)
      await expect(pages[0].getByTestId('offline-banner')).toBeVisible()
      if (reload) {
        // A tab (re)loaded during the storm cannot read anything over REST and says why.
        await reload.page.reload()
        await expect.poll(async () => (await readTab(reload.page, dir).catch(() => undefined))?.apiError ?? '', { timeout: 20_000 }).toMatch(reload.apiError)
      }
      await stack.api.waitIdle(session.id)
      fa.fuzz.setEventResponse(undefined)
      fa.fuzz.setRestResponse(undefined)
      for (const p of pages) await waitConnected(p, dir)
      await expectConverged(pages, fa.truth, [session.id])
    }

    await test.step('HTML error page with status 200 and text/html', async () => {
      await storm({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>' }, false, /expected text\/event-stream, got text\/html/)
    })

    await test.step('HTML error page with status 200 labelled text/event-stream', async () => {
      await storm({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: '<!doctype html>\n<html><body>\n<h1>Service Unavailable</h1>\n</body></html>\n' }, false, /stream ended by server|SSE parse error/)
    })

    await test.step('401 storm on every endpoint (a tab reloads during it)', async () => {
      await storm({ status: 401, headers: { 'content-type': 'text/plain' }, body: 'Unauthorized' }, true, /HTTP 401/, { page: pages[1], apiError: /401|Unauthorized/i })
    })

    await test.step('500 storm on every endpoint (a tab reloads during it)', async () => {
      await storm({ status: 500, headers: { 'content-type': 'application/json' }, body: '{"name":"UnknownError","data":{"message":"storm"}}' }, true, /HTTP 500/, { page: pages[1], apiError: /500|storm/i })
    })

    await test.step('nothing crashed; no event stored twice', async () => {
      await stack.api.prompt(session.id, 'stream 5')
      await expectConverged(pages, fa.truth, [session.id])
      await expectLogWithoutDuplicates(pages[0], fa.logName)
      expect(errors.errors).toEqual([])
    })
  } finally {
    await fa.close()
  }
})
