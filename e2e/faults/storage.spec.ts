/**
 * Issue 6, storage faults: the relay's IndexedDB event log fails under it — quota exceeded, the
 * database deleted while open, an app update that changes the Dexie schema. The app must keep
 * working from the network (every tab still equals the server, truth.ts) and tell the user (the
 * storage banner / the relay status), and once storage works again, no event is stored twice.
 */
import type { Page } from '@playwright/test'
import { test, expect } from '../support/fixtures.ts'
import { readTab } from './truth.ts'
import { expectConverged, expectLogWithoutDuplicates, openTab, PageErrors, setQuotaFault, startFuzzApp, statusesSince, waitConnected } from './assert.ts'

/** Runs a reply to completion and waits until every tab shows it. */
async function replyAndConverge(stack: Parameters<typeof startFuzzApp>[0], pages: readonly Page[], truth: Awaited<ReturnType<typeof startFuzzApp>>['truth'], sessionID: string, text: string, storageOk: boolean): Promise<void> {
  await stack.api.prompt(sessionID, text)
  await expectConverged(pages, truth, [sessionID], { storageOk })
}

test('IndexedDB quota exceeded: live updates keep flowing, the user is told, writes resume when space is back', async ({ stack, context }) => {
  test.setTimeout(180_000)
  const fa = await startFuzzApp(stack, { instrumented: true })
  const errors = new PageErrors()
  try {
    const dir = stack.directory
    const session = await stack.api.createSession('quota')
    const pages = [await openTab(context, fa.url(session.id), dir, errors, 'tab 0'), await openTab(context, fa.url(session.id), dir, errors, 'tab 1')]
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 10', true)

    // The origin's quota is exhausted: Chromium's own override (not enforced on IndexedDB writes
    // by this Chromium, so also…) and the worker's IndexedDB writes fail with QuotaExceededError.
    const since = Date.now()
    const cdp = await context.newCDPSession(pages[0])
    const origin = new URL(fa.app.url).origin
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 })
    await setQuotaFault(pages[0], true)
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 30 delay 5', false)
    for (const p of pages) await expect(p.getByTestId('storage-banner')).toContainText(/quota/i)
    expect((await statusesSince(pages[0], since)).some((s) => !s.storageOk && /quota/i.test(s.storageError ?? ''))).toBe(true)
    // While storage fails: a reloaded tab replays from the relay's memory and still equals the server…
    await pages[1].reload()
    await waitConnected(pages[1], dir)
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 20 delay 5', false)
    // …and a catch-up after a cut works too.
    await stack.api.promptAsync(session.id, 'stream 40 delay 10')
    await expect(pages[0].getByTestId('part').filter({ hasText: 'alpha0' })).not.toHaveCount(0)
    fa.fuzz.cutAll()
    await stack.api.waitIdle(session.id)
    await expectConverged(pages, fa.truth, [session.id], { storageOk: false })

    // Space is back: the next write succeeds (it also writes what was kept in memory), the banner goes.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin })
    await setQuotaFault(pages[0], false)
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 12', true)
    for (const p of pages) await expect(p.getByTestId('storage-banner')).toHaveCount(0)
    await expectLogWithoutDuplicates(pages[0], fa.logName)
    // Every tab closes and one reopens: the new worker replays the log written after the fault.
    for (const p of pages) await p.close()
    const again = [await openTab(context, fa.url(session.id), dir, errors, 'tab 2')]
    await replyAndConverge(stack, again, fa.truth, session.id, 'stream 8', true)
    await expectLogWithoutDuplicates(again[0], fa.logName)
    expect(errors.errors).toEqual([])
  } finally {
    await fa.close()
  }
})

test('the event log database is deleted while open: the relay rebuilds it, no tab loses or repeats anything', async ({ stack, context }) => {
  test.setTimeout(180_000)
  const fa = await startFuzzApp(stack)
  const errors = new PageErrors()
  try {
    const dir = stack.directory
    const session = await stack.api.createSession('deleted db')
    const pages = [await openTab(context, fa.url(session.id), dir, errors, 'tab 0'), await openTab(context, fa.url(session.id), dir, errors, 'tab 1')]
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 10', true)

    // Delete the relay's log (and the tabs' warm-start cache) while a reply streams.
    await stack.api.promptAsync(session.id, 'stream 60 delay 10')
    await expect(pages[0].getByTestId('part').filter({ hasText: 'alpha0' })).not.toHaveCount(0)
    const deleted = await pages[0].evaluate(async (names: string[]) => {
      const results: string[] = []
      for (const name of names) {
        results.push(
          await new Promise<string>((resolve) => {
            const req = indexedDB.deleteDatabase(name)
            req.onsuccess = () => resolve('deleted')
            req.onerror = () => resolve(`error ${String(req.error)}`)
            req.onblocked = () => undefined
          }),
        )
      }
      return results
    }, [fa.logName, 'opencode-relay-ui'])
    expect(deleted).toEqual(['deleted', 'deleted'])
    await stack.api.waitIdle(session.id)
    await expectConverged(pages, fa.truth, [session.id], { storageOk: false })
    // The log is recreated by the next writes; a reload (cold start: no snapshot) and a later reply work.
    await pages[1].reload()
    await waitConnected(pages[1], dir)
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 12', true)
    await expectLogWithoutDuplicates(pages[0], fa.logName)
    // Every tab closes (the worker dies) and one reopens: the rebuilt log serves it.
    for (const p of pages) await p.close()
    const again = [await openTab(context, fa.url(session.id), dir, errors, 'tab 2')]
    await replyAndConverge(stack, again, fa.truth, session.id, 'stream 8', true)
    await expectLogWithoutDuplicates(again[0], fa.logName)
    expect(errors.errors).toEqual([])
  } finally {
    await fa.close()
  }
})

test('an app update changes the Dexie schema under a running relay: the app keeps working, nothing lost or stored twice', async ({ stack, context }) => {
  test.setTimeout(180_000)
  const fa = await startFuzzApp(stack)
  const errors = new PageErrors()
  try {
    const dir = stack.directory
    const session = await stack.api.createSession('schema change')
    const pages = [await openTab(context, fa.url(session.id), dir, errors, 'tab 0'), await openTab(context, fa.url(session.id), dir, errors, 'tab 1')]
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 10', true)

    // "The new version" opens the log at Dexie version 3 (IndexedDB version 30) while a reply
    // streams: it renames the events table, drops the seqs table and adds one. The running relay's
    // connection gets `versionchange` and is closed under it.
    await stack.api.promptAsync(session.id, 'stream 60 delay 10')
    await expect(pages[0].getByTestId('part').filter({ hasText: 'alpha0' })).not.toHaveCount(0)
    const since = Date.now()
    const upgraded = await pages[0].evaluate(async (name: string) => {
      return new Promise<string>((resolve) => {
        const req = indexedDB.open(name, 30)
        req.onupgradeneeded = () => {
          const db = req.result
          db.deleteObjectStore('events')
          db.deleteObjectStore('seqs')
          const log = db.createObjectStore('log', { keyPath: 'cursor' })
          log.createIndex('id', 'id', { unique: true })
          db.createObjectStore('drafts', { keyPath: 'id' })
        }
        req.onsuccess = () => {
          const v = req.result.version
          req.result.close()
          resolve(`version ${v}`)
        }
        req.onerror = () => resolve(`error ${String(req.error)}`)
      })
    }, fa.logName)
    expect(upgraded).toBe('version 30')
    await stack.api.waitIdle(session.id)
    await expectConverged(pages, fa.truth, [session.id], { storageOk: false })
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 30 delay 5', false)

    // Whatever the relay did about it, the user was told when storage failed (banner ⇔ status).
    const log = await statusesSince(pages[0], since)
    const failed = log.find((s) => !s.storageOk)
    if (failed) expect(failed.storageError ?? '').toMatch(/IndexedDB/)
    const now = await readTab(pages[0], dir)
    await expect(pages[0].getByTestId('storage-banner')).toHaveCount(now.relay.storageOk ? 0 : 1)

    // Tabs reloaded and reopened after the update (a new worker) still work and store nothing twice.
    await pages[1].reload()
    await waitConnected(pages[1], dir)
    await replyAndConverge(stack, pages, fa.truth, session.id, 'stream 12', false)
    for (const p of pages) await p.close()
    const fresh = [await openTab(context, fa.url(session.id), dir, errors, 'tab 2'), await openTab(context, fa.url(session.id), dir, errors, 'tab 3')]
    await replyAndConverge(stack, fresh, fa.truth, session.id, 'stream 12', false)
    const final = await readTab(fresh[0], dir)
    await expect(fresh[0].getByTestId('storage-banner')).toHaveCount(final.relay.storageOk ? 0 : 1)
    await expectLogWithoutDuplicates(fresh[0], fa.logName)
    expect(errors.errors).toEqual([])
  } finally {
    await fa.close()
  }
})
