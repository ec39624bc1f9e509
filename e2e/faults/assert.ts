/**
 * Shared steps of the bad-input and storage tests: a stack whose app talks to OpenCode through
 * the fuzzing proxy, tabs that record every relay status, and the convergence check (every tab
 * equals the server, see truth.ts).
 */
import { expect, type BrowserContext, type Page } from '@playwright/test'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startStaticServer, type StaticServer } from '../../src/cli/static-server.ts'
import { startFuzzProxy, type FuzzProxy } from '../../test/support/fuzz-proxy.ts'
import { appDist, type Stack } from '../support/fixtures.ts'
import {
  compareSession,
  compareSessionList,
  logDatabaseName,
  readLogRows,
  readTab,
  recordStatuses,
  statusLog,
  ServerTruth,
  type Problem,
  type StatusRecord,
} from './truth.ts'

/** The app served with its config pointing at a fuzzing proxy in front of the stack's `opencode serve`. */
export interface FuzzApp {
  fuzz: FuzzProxy
  app: StaticServer
  truth: ServerTruth
  /** URL of a session in the app (add `&relay=leader` for the fallback). */
  url(sessionID: string): string
  /** Name of the relay's event log database for this app. */
  logName: string
  close(): Promise<void>
}

/**
 * Name of the BroadcastChannel through which a test switches on simulated storage faults in an
 * instrumented SharedWorker (see {@link startFuzzApp}): post `{ quota: true | false }`.
 */
export const FAULT_CHANNEL = 'relay-test-faults'

/**
 * Prepended to the SharedWorker bundle of an instrumented copy of the app: while `quota` is on,
 * `IDBObjectStore.add`/`put` throw a `QuotaExceededError` DOMException, as IndexedDB does when the
 * origin's quota is exhausted. Needed because Chromium does not enforce
 * `Storage.overrideQuotaForOrigin` on IndexedDB writes (measured: a 20 MB write succeeds with a
 * 1-byte quota), and a real full disk cannot be made in CI.
 */
const WORKER_PRELUDE = `;(() => {
  const faults = { quota: false }
  new BroadcastChannel(${JSON.stringify(FAULT_CHANNEL)}).onmessage = (e) => {
    if (e.data && typeof e.data.quota === 'boolean') faults.quota = e.data.quota
  }
  for (const name of ['add', 'put']) {
    const original = IDBObjectStore.prototype[name]
    IDBObjectStore.prototype[name] = function (...args) {
      if (faults.quota) throw new DOMException('Simulated by the fault suite: the quota for this origin has been exceeded.', 'QuotaExceededError')
      return original.apply(this, args)
    }
  }
})();
`

/** Copies the built app ({@link appDist}) to a temp folder and instruments its SharedWorker bundle with {@link WORKER_PRELUDE}. */
function instrumentedDist(): string {
  const root = mkdtempSync(join(tmpdir(), 'relay-dist-'))
  cpSync(appDist(), root, { recursive: true })
  const assets = join(root, 'assets')
  const worker = readdirSync(assets).find((f) => /^shared-worker-.*\.js$/.test(f))
  if (!worker) throw new Error('no shared-worker-*.js in dist/assets: did the build change?')
  writeFileSync(join(assets, worker), WORKER_PRELUDE + readFileSync(join(assets, worker), 'utf8'))
  return root
}

/**
 * Starts a fuzzing proxy in front of `stack.opencode` and a second static server of the built app
 * pointing at it. With `instrumented`, the app is a copy whose SharedWorker can simulate storage
 * faults on command ({@link FAULT_CHANNEL}).
 */
export async function startFuzzApp(stack: Stack, options: { instrumented?: boolean } = {}): Promise<FuzzApp> {
  const fuzz = await startFuzzProxy(stack.opencode.url)
  const root = options.instrumented ? instrumentedDist() : appDist()
  const app = await startStaticServer({
    root,
    port: 0,
    config: () => ({ server: { url: fuzz.url }, source: 'e2e' }),
    connectSources: () => [fuzz.url],
  })
  return {
    fuzz,
    app,
    truth: new ServerTruth(stack.opencode.url, stack.directory),
    url: (sessionID) => `${app.url}/session/${sessionID}?directory=${encodeURIComponent(stack.directory)}`,
    logName: logDatabaseName(fuzz.url),
    close: async () => {
      await app.close()
      await fuzz.close()
      if (options.instrumented) rmSync(root, { recursive: true, force: true })
    },
  }
}

/** Page errors (uncaught exceptions, unhandled rejections) and crashes of every watched page. */
export class PageErrors {
  /** `[label] stack` of every error seen so far. */
  readonly errors: string[] = []
  /** Starts collecting `page`'s errors under `label`; returns the page. */
  watch(page: Page, label: string): Page {
    page.on('pageerror', (err) => this.errors.push(`[${label}] ${err.stack ?? err.message}`))
    page.on('crash', () => this.errors.push(`[${label}] page crashed`))
    return page
  }
}

/** Waits until the tab's relay is `connected` with no catch-up running. */
export async function waitConnected(page: Page, directory: string, timeout = 45_000): Promise<void> {
  await expect
    .poll(
      async () => {
        try {
          const v = await readTab(page, directory)
          return v.relay.state === 'connected' && !v.relay.catchingUp ? 'connected' : `${v.relay.state}: ${v.relay.lastError ?? ''}`
        } catch (err) {
          return String(err)
        }
      },
      { timeout, intervals: [100, 200, 300] },
    )
    .toBe('connected')
  await recordStatuses(page)
}

/** Opens `url` in a new page of `context`, waits for the relay, and starts recording its statuses. */
export async function openTab(context: BrowserContext, url: string, directory: string, errors: PageErrors, label: string): Promise<Page> {
  const page = errors.watch(await context.newPage(), label)
  await page.goto(url)
  await waitConnected(page, directory)
  return page
}

/** The statuses the tab received since `since` (epoch ms). */
export async function statusesSince(page: Page, since: number): Promise<StatusRecord[]> {
  return (await statusLog(page)).filter((r) => r.at >= since)
}

/**
 * Waits until some status received since `since` has a `lastError` matching `pattern` (what the
 * user reads in the connection badge's tooltip and the offline banner).
 * @returns that status.
 */
export async function expectStatusError(page: Page, since: number, pattern: RegExp, timeout = 20_000): Promise<StatusRecord> {
  let found: StatusRecord | undefined
  await expect
    .poll(
      async () => {
        const log = await statusesSince(page, since)
        found = log.find((r) => r.lastError !== undefined && pattern.test(r.lastError))
        return found ? 'seen' : log.map((r) => `${r.state}: ${r.lastError ?? '-'}`).slice(-6).join(' | ') || 'no status since'
      },
      { timeout, intervals: [100, 200, 300] },
    )
    .toBe('seen')
  if (!found) throw new Error('unreachable')
  return found
}

/** Options of {@link expectConverged}. */
export interface ConvergeOptions {
  timeoutMs?: number
  /** Require healthy storage in every tab (default true). */
  storageOk?: boolean
}

/**
 * Waits until every page equals the server for every given session it has loaded (the shown
 * session must be loaded), lists every session, shows the pending permissions, and is connected.
 * @returns the messages and parts compared on the last (successful) attempt.
 * @throws the last attempt's problems after `timeoutMs` (default 30 s).
 */
export async function expectConverged(pages: readonly Page[], truth: ServerTruth, sessions: readonly string[], options: ConvergeOptions = {}): Promise<{ messages: number; parts: number }> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  let problems: Problem[] = []
  for (;;) {
    problems = []
    let messages = 0
    let parts = 0
    const [ids, server] = await Promise.all([truth.sessionIds(), truth.sessions(sessions)])
    for (const [i, page] of pages.entries()) {
      const where = `tab ${i}`
      try {
        const view = await readTab(page, truth.directory)
        if (view.relay.state !== 'connected' || view.relay.catchingUp) problems.push({ kind: 'stale', what: `${where}: relay ${view.relay.state}` })
        if (options.storageOk !== false && !view.relay.storageOk) problems.push({ kind: 'stale', what: `${where}: storage ${view.relay.storageError ?? ''}` })
        for (const p of compareSessionList(view.sessionIds, ids)) problems.push({ ...p, what: `${where}: ${p.what}` })
        if (view.shownSession && !view.sessions[view.shownSession]) problems.push({ kind: 'stale', what: `${where}: shown session not loaded` })
        for (const sid of sessions) {
          const mine = view.sessions[sid]
          if (!mine) continue
          if (mine.load !== 'ready') {
            problems.push({ kind: 'stale', what: `${where}: session ${sid} ${mine.load}` })
            continue
          }
          const res = compareSession(sid, mine, server[sid])
          messages += res.messages
          parts += res.parts
          for (const p of res.problems) problems.push({ ...p, what: `${where}: ${p.what}` })
        }
        if (view.shownSession && server[view.shownSession]) {
          const expected = server[view.shownSession].permissions.join(',')
          if (view.promptIds.join(',') !== expected) problems.push({ kind: 'lost', what: `${where}: prompts [${view.promptIds.join(',')}] vs pending [${expected}]` })
        }
      } catch (err) {
        problems.push({ kind: 'stale', what: `${where}: ${String(err)}` })
      }
    }
    if (problems.length === 0) return { messages, parts }
    if (Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`tabs did not converge to the server:\n${problems.slice(0, 20).map((p) => `  - [${p.kind}] ${p.what}`).join('\n')}`)
}

/**
 * Reads the whole event log of the page's origin and asserts each event id is stored once, under
 * strictly increasing cursors.
 * @returns the number of rows checked.
 */
export async function expectLogWithoutDuplicates(page: Page, logName: string): Promise<number> {
  const rows = await readLogRows(page, logName, 0)
  const seen = new Map<string, number>()
  const dups: string[] = []
  let last = 0
  for (const row of rows) {
    const prev = seen.get(row.id)
    if (prev !== undefined) dups.push(`${row.id} at ${prev} and ${row.cursor}`)
    seen.set(row.id, row.cursor)
    expect(row.cursor, 'cursors strictly increase').toBeGreaterThan(last)
    last = row.cursor
  }
  expect(dups, 'event ids stored twice').toEqual([])
  return rows.length
}

export { logDatabaseName }

/** Switches the simulated quota fault of an instrumented app's SharedWorker on or off (through any of its pages). */
export async function setQuotaFault(page: Page, on: boolean): Promise<void> {
  await page.evaluate(
    ({ channel, on }: { channel: string; on: boolean }) => {
      const bc = new BroadcastChannel(channel)
      bc.postMessage({ quota: on })
      bc.close()
    },
    { channel: FAULT_CHANNEL, on },
  )
  // BroadcastChannel delivery is asynchronous; give the worker a moment.
  await new Promise((r) => setTimeout(r, 200))
}
