/**
 * The world of the fault suite: the real stack (scripted model, `opencode serve`, the built app),
 * the network between them — app → fault proxy (cuts, refusals) → fuzzing proxy (half-open
 * streams) → `opencode serve` — two browser contexts — one on the SharedWorker relay, one forced into the leader-tab
 * fallback (`?relay=leader`; a context of its own, since both modes in one origin would share one
 * event log) — several tabs on several sessions, the fault injectors, and the invariant check
 * that runs after every cycle (see truth.ts).
 */
import { expect, type BrowserContext, type Page } from '@playwright/test'
import { appDist, freezePage, type Stack } from '../support/fixtures.ts'
import { startFaultProxy, type FaultProxy } from '../../test/support/fault-proxy.ts'
import { startFuzzProxy, type FuzzProxy } from '../../test/support/fuzz-proxy.ts'
import { startStaticServer, type StaticServer } from '../../src/cli/static-server.ts'
import type { Rng } from './rng.ts'
import type { SavedWorld } from './soak-state.ts'
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
  type TabView,
} from './truth.ts'

/** Which relay a browser context runs. */
export type RelayKind = 'shared-worker' | 'leader-tab'

/** Every fault kind the cycles inject (the keys of the summary's "faults by kind"). */
export const FAULT_KINDS = [
  'proxy-cut',
  'proxy-refuse',
  'server-kill',
  'tab-freeze',
  'browser-offline',
  'tab-reload',
  'leader-close',
  'all-tabs-close',
  'sleep',
] as const

/** One fault kind. */
export type FaultKind = (typeof FAULT_KINDS)[number]

/** A fault with its parameters (all durations in ms; tab positions index {@link World.allTabs}). */
export type Fault =
  | { kind: 'proxy-cut'; times: number; gapMs: number }
  | { kind: 'proxy-refuse'; ms: number }
  | { kind: 'server-kill'; downMs: number }
  | { kind: 'tab-freeze'; tabs: number[]; ms: number }
  | { kind: 'browser-offline'; contexts: RelayKind[]; ms: number }
  | { kind: 'tab-reload'; tabs: number[] }
  | { kind: 'leader-close'; reopenAfterMs: number }
  | { kind: 'all-tabs-close'; context: RelayKind; downMs: number }
  | {
      kind: 'sleep'
      ms: number
      externalSession: boolean
      wakeOrder: number[]
      /**
       * false: the connection is cut and refused for the whole sleep; true: it is left half-open
       * (no byte reaches the relay, nothing closes), as a real sleep leaves a TCP connection: the
       * relay must notice when the tabs wake (or, failing that, by its 25 s watchdog).
       */
      halfOpen: boolean
    }

/** One open tab. */
export interface Tab {
  /** Stable position in {@link World.allTabs}: a reopened tab takes the place of the one it replaces. */
  position: number
  kind: RelayKind
  page: Page
  /** Index of the session slot this tab shows. */
  slot: number
  /** Epoch ms of the last `GET /global/event` this page itself sent (leader tabs only). */
  lastStreamRequestAt: number
  /** The page's latest console errors and warnings, failed requests and 4xx/5xx answers (newest last, at most {@link PAGE_LOG_MAX}), for failure reports. */
  pageLog: string[]
  /** How many times the page fired `load` (a reload counts). */
  loads: number
}

/** Lines kept in {@link Tab.pageLog}. */
const PAGE_LOG_MAX = 30

/** Appends one line to a tab's page log, stamped with the UTC time of day (HH:MM:SS.mmm), dropping the oldest. */
function logPage(tab: Tab, line: string): void {
  tab.pageLog.push(`${new Date().toISOString().slice(11, 23)} ${line.slice(0, 300)}`)
  if (tab.pageLog.length > PAGE_LOG_MAX) tab.pageLog.shift()
}

/**
 * How far a page's own document got, for failure reports on a tab whose app never mounted: its
 * URL and title (a browser error page has neither the app's), `readyState`, the service worker
 * controlling it, and each module script with whether the resource timing list has it (a module
 * that never arrived leaves the app unmounted).
 */
async function pageLoadState(page: Page): Promise<string> {
  return page
    .evaluate(() => {
      const scripts = [...document.querySelectorAll('script[type=module][src], link[rel=modulepreload]')].map((el) => (el instanceof HTMLScriptElement ? el.src : el instanceof HTMLLinkElement ? el.href : ''))
      const loaded = new Set(performance.getEntriesByType('resource').map((e) => e.name))
      const nav = performance.getEntriesByType('navigation')[0]
      const navType = nav instanceof PerformanceNavigationTiming ? nav.type : '?'
      const sw = navigator.serviceWorker?.controller?.state ?? 'none'
      const mods = scripts.map((u) => `${u.split('/').pop() ?? u}${loaded.has(u) ? '' : ' (no timing entry)'}`).join(', ')
      return `${location.href.slice(0, 60)} readyState=${document.readyState}, title=${JSON.stringify(document.title)}, navigation=${navType}, sw controller=${sw}, modules: ${mods}`
    })
    .catch((err: unknown) => `unreadable (${String(err).slice(0, 80)})`)
}

/** One browser context and its tabs. */
export interface Ctx {
  kind: RelayKind
  context: BrowserContext
  tabs: Tab[]
  /** Highest event-log cursor already checked for duplicate ids. */
  logAfter: number
  /** Event id → cursor of every log row checked so far. */
  logIds: Map<string, number>
}

/** Counters printed in the summary. */
export interface Stats {
  cycles: number
  /** Cycles whose check failed or that aborted (a fault or a wait threw). */
  failedCycles: number
  faults: Record<string, number>
  /** Sleeps that left the connection half-open (the rest cut it). */
  halfOpenSleeps: number
  prompts: number
  permissionsReplied: number
  checks: number
  messagesChecked: number
  partsChecked: number
  logEventsChecked: number
  lost: number
  duplicated: number
  extra: number
  stale: number
  pageErrors: string[]
  cycleMs: number[]
}

/** Options of {@link World.create}. */
export interface WorldOptions {
  /** Number of session slots (each with one live session). */
  slots: number
  /** Slot shown by each SharedWorker tab. */
  sharedWorkerTabs: number[]
  /** Slot shown by each leader-tab-fallback tab. */
  leaderTabs: number[]
  /** How long a check may take to converge, ms. */
  convergeMs: number
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/**
 * `context.setOffline`, retried and verified: Playwright applies it page by page and throws when a
 * page of the context closes meanwhile (a concurrent tab fault), and a page still being created
 * while it runs can miss it (seed 2870981485 cycle 76: a tab reopened during an offline blip
 * stayed offline for good, every request "Failed to fetch" — suspected). Done when every open page of the
 * context reports `navigator.onLine === !offline`; never leaves the context half switched.
 * @throws the last error after 5 attempts.
 */
async function setOffline(context: BrowserContext, offline: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await context.setOffline(offline)
      const wrong = await pagesNotInState(context, offline)
      if (wrong === 0) return
      if (attempt >= 5) throw new Error(`${wrong} page(s) still ${offline ? 'online' : 'offline'} after setOffline(${offline})`)
      // Playwright skips a setOffline that does not change its own flag: flip it to re-send the
      // emulation to every page (the others see a blip of a few ms).
      console.log(`[faults] setOffline(${offline}): ${wrong} page(s) missed it, applying again`)
      await context.setOffline(!offline)
      await context.setOffline(offline)
      if ((await pagesNotInState(context, offline)) === 0) return
    } catch (err) {
      if (attempt >= 5) throw err
    }
    await sleep(200)
  }
}

/** How many open pages of `context` do not report `navigator.onLine === !offline` (closing pages are skipped). */
async function pagesNotInState(context: BrowserContext, offline: boolean): Promise<number> {
  const states = await Promise.all(
    context.pages().map((p) =>
      p
        .evaluate(() => navigator.onLine)
        .then((online) => online === !offline)
        .catch(() => true),
    ),
  )
  return states.filter((ok) => !ok).length
}

/**
 * Whether a page's own network works, for failure reports: `navigator.onLine` and a 3 s probe
 * `GET {proxy}/path` from the page (a tab stuck on "Failed to fetch" is then either offline by
 * emulation, or its requests hang, or they work and the app failed to retry).
 */
async function probeNetwork(page: Page, proxyUrl: string): Promise<string> {
  return page
    .evaluate(async (url) => {
      const started = performance.now()
      try {
        const res = await fetch(`${url}/path`, { signal: AbortSignal.timeout(3000), cache: 'no-store' })
        return `onLine=${navigator.onLine}, probe ${res.status} in ${Math.round(performance.now() - started)} ms`
      } catch (err) {
        return `onLine=${navigator.onLine}, probe failed after ${Math.round(performance.now() - started)} ms: ${String(err)}`
      }
    }, proxyUrl)
    .catch((err: unknown) => `unreadable (${String(err).slice(0, 80)})`)
}

/** Tallies problems by kind into `stats`. */
function tally(stats: Stats, problems: readonly Problem[]): void {
  for (const p of problems) stats[p.kind]++
}

/** The fault suite's world. Create with {@link World.create}; dispose with {@link World.close}. */
export class World {
  readonly truth: ServerTruth
  readonly contexts: Ctx[] = []
  /** Session id of each slot. */
  readonly slots: string[] = []
  /** Sessions created by "another client" during a sleep (must show in every session list). */
  readonly external: string[] = []
  readonly stats: Stats = {
    cycles: 0,
    failedCycles: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])),
    halfOpenSleeps: 0,
    prompts: 0,
    permissionsReplied: 0,
    checks: 0,
    messagesChecked: 0,
    partsChecked: 0,
    logEventsChecked: 0,
    lost: 0,
    duplicated: 0,
    extra: 0,
    stale: 0,
    pageErrors: [],
    cycleMs: [],
  }
  private nextPosition = 0
  /** The cycle running (1-based; 0 before the first), for error reports. */
  cycle = 0

  private constructor(
    readonly stack: Stack,
    readonly options: WorldOptions,
    /** In front of the fuzzing proxy: cuts and refusals. */
    readonly proxy: FaultProxy,
    /** In front of `opencode serve`: half-open streams. */
    readonly fuzz: FuzzProxy,
    /** The built app, configured to use {@link World.proxy}. */
    readonly app: StaticServer,
  ) {
    this.truth = new ServerTruth(stack.opencode.url, stack.directory)
  }

  /**
   * Starts the network chain and opens every tab (each waits for its relay to be connected).
   * A new world creates its session slots; with `saved` (a soak resumed in a new run, see
   * soak-state.ts) it listens on the saved ports, takes back the slots, counters and checked
   * event ids, and reopens the saved tabs at their positions.
   * @param shared the context running the SharedWorker relay; `leader` the one forced into the
   *   leader-tab fallback (the caller owns and closes both).
   * @throws Error when a saved port is taken or a tab's relay does not connect within 45 s.
   */
  static async create(stack: Stack, shared: BrowserContext, leader: BrowserContext, options: WorldOptions, saved?: SavedWorld): Promise<World> {
    const fuzz = await startFuzzProxy(stack.opencode.url, saved?.ports.fuzz ?? 0)
    const proxy = await startFaultProxy(fuzz.url, saved?.ports.proxy ?? 0)
    const app = await startStaticServer({
      root: appDist(),
      port: saved?.ports.app ?? 0,
      config: () => ({ server: { url: proxy.url }, source: 'e2e' }),
      connectSources: () => [proxy.url],
    })
    const world = new World(stack, options, proxy, fuzz, app)
    const blank = [...shared.pages(), ...leader.pages()]
    for (const [kind, context] of [['shared-worker', shared], ['leader-tab', leader]] as const) {
      const s = saved?.contexts.find((c) => c.kind === kind)
      world.contexts.push({ kind, context, tabs: [], logAfter: s?.logAfter ?? 0, logIds: new Map(s?.logIds ?? []) })
    }
    if (saved) {
      world.slots.push(...saved.slots)
      world.external.push(...saved.external)
      Object.assign(world.stats, saved.stats)
      world.nextPosition = saved.nextPosition
      const tabs = saved.contexts.flatMap((c) => c.tabs.map((t) => ({ ...t, kind: c.kind }))).sort((a, b) => a.position - b.position)
      for (const t of tabs) await world.openTab(world.ctx(t.kind), t.slot, t.position)
    } else {
      for (let i = 0; i < options.slots; i++) world.slots.push((await stack.api.createSession(`fault slot ${i}`)).id)
      for (const slot of options.sharedWorkerTabs) await world.openTab(world.ctx('shared-worker'), slot)
      for (const slot of options.leaderTabs) await world.openTab(world.ctx('leader-tab'), slot)
    }
    // A persistent context starts with a blank page: not one of the world's tabs.
    for (const p of blank) await p.close().catch(() => undefined)
    return world
  }

  /** The state a later run resumes from (see soak-state.ts): ports, slots, tab layout, counters, checked event ids. */
  save(): SavedWorld {
    return {
      ports: { app: this.app.port, proxy: this.proxy.port, fuzz: this.fuzz.port },
      slots: [...this.slots],
      external: [...this.external],
      nextPosition: this.nextPosition,
      contexts: this.contexts.map((c) => ({
        kind: c.kind,
        logAfter: c.logAfter,
        logIds: [...c.logIds],
        tabs: c.tabs.map((t) => ({ position: t.position, slot: t.slot })),
      })),
      stats: { ...this.stats, faults: { ...this.stats.faults }, pageErrors: [...this.stats.pageErrors], cycleMs: [...this.stats.cycleMs] },
    }
  }

  /**
   * Applies a new build of the app as a user does (a resumed soak whose `RELAY_DIST` changed): waits
   * for "New version available" in the first tab of each context, clicks its Reload, and waits
   * until every tab of that context loaded again on another build (other content-hashed entry
   * scripts) and every tab is connected. Each context has its
   * own service worker registration (its own profile).
   * @throws Error when a banner does not show within `timeoutMs` or a tab does not reload.
   */
  async applyUpdate(timeoutMs = 60_000): Promise<void> {
    for (const ctx of this.contexts) {
      const tabs = [...ctx.tabs]
      const first = tabs[0]
      if (!first) continue
      // The content-hashed entry scripts name the build, whatever its RELAY_BUILD_ID.
      const build = (t: Tab) => t.page.evaluate(() => [...document.scripts].map((el) => el.src).join(' ')).catch(() => '')
      const before = new Map(tabs.map((t) => [t, t.loads]))
      const oldBuild = await build(first)
      await first.page.getByTestId('update-reload').click({ timeout: timeoutMs })
      await expect
        .poll(async () => {
          const stale: string[] = []
          for (const t of tabs) {
            if (t.loads <= (before.get(t) ?? 0)) stale.push(`${t.kind} tab ${t.position} not reloaded`)
            else if ((await build(t)) === oldBuild) stale.push(`${t.kind} tab ${t.position} still runs ${oldBuild}`)
          }
          return stale
        }, { timeout: timeoutMs })
        .toEqual([])
    }
    await this.waitAllConnected()
  }

  /** Stops the network chain (the caller closes the browser contexts). */
  async close(): Promise<void> {
    await this.app.close()
    await this.proxy.close()
    await this.fuzz.close()
  }

  /**
   * The browser context running relay `kind`.
   * @throws Error when there is none (a bug of the harness).
   */
  ctx(kind: RelayKind): Ctx {
    const c = this.contexts.find((x) => x.kind === kind)
    if (!c) throw new Error(`no ${kind} context`)
    return c
  }

  /** Every open tab, ordered by position. */
  allTabs(): Tab[] {
    return this.contexts.flatMap((c) => c.tabs).sort((a, b) => a.position - b.position)
  }

  /** URL of a slot's session in the given relay mode. */
  url(slot: number, kind: RelayKind): string {
    const base = `${this.app.url}/session/${this.slots[slot]}?directory=${encodeURIComponent(this.stack.directory)}`
    return kind === 'leader-tab' ? `${base}&relay=leader` : base
  }

  /** Opens a tab on `slot`, at `position` (a new one when omitted), and waits until its relay is connected. */
  async openTab(ctx: Ctx, slot: number, position?: number): Promise<Tab> {
    const page = await ctx.context.newPage()
    const tab: Tab = { position: position ?? this.nextPosition++, kind: ctx.kind, page, slot, lastStreamRequestAt: 0, pageLog: [], loads: 0 }
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') logPage(tab, `console.${msg.type()}: ${msg.text()}`)
    })
    page.on('requestfailed', (req) => logPage(tab, `request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText ?? '?'})`))
    page.on('response', (res) => {
      if (res.status() >= 400) logPage(tab, `HTTP ${res.status()}: ${res.request().method()} ${res.url()}`)
    })
    page.on('load', () => {
      tab.loads++
      logPage(tab, 'load')
    })
    page.on('pageerror', (err) => this.stats.pageErrors.push(`[cycle ${this.cycle} ${ctx.kind} tab ${tab.position}] ${err.stack ?? err.message}`))
    page.on('crash', () => this.stats.pageErrors.push(`[${ctx.kind} tab ${tab.position}] page crashed`))
    page.on('request', (req) => {
      if (req.url().includes('/global/event')) tab.lastStreamRequestAt = Date.now()
    })
    ctx.tabs.push(tab)
    await page.goto(this.url(slot, ctx.kind))
    await this.waitConnected(tab)
    return tab
  }

  /** After the faults: every page of every context is back online (verified, re-applied if a page missed it). */
  async ensureOnline(): Promise<void> {
    for (const c of this.contexts) await setOffline(c.context, false)
  }

  /** Closes a tab (its `pagehide` runs, as when the user closes it). */
  async closeTab(tab: Tab): Promise<void> {
    const ctx = this.ctx(tab.kind)
    ctx.tabs = ctx.tabs.filter((t) => t !== tab)
    await tab.page.close({ runBeforeUnload: false })
  }

  /** Waits until the tab's relay status is `connected` and no catch-up runs. */
  async waitConnected(tab: Tab, timeout = 45_000): Promise<void> {
    await expect
      .poll(
        async () => {
          try {
            const v = await readTab(tab.page, this.stack.directory)
            return v.relay.state === 'connected' && !v.relay.catchingUp ? 'connected' : `${v.relay.state}${v.relay.catchingUp ? ' (catching up)' : ''}: ${v.relay.lastError ?? ''}`
          } catch (err) {
            return String(err)
          }
        },
        { timeout, intervals: [100, 200, 300] },
      )
      .toBe('connected')
    await recordStatuses(tab.page).catch(() => false)
  }

  /** What every tab last heard from its relay, for failure reports. */
  async diagnose(): Promise<string> {
    const lines: string[] = [`proxy: ${this.proxy.openEventStreams()} event streams open, ${this.proxy.eventStreamRequests()} requested so far`]
    for (const tab of this.allTabs()) {
      try {
        const log = await statusLog(tab.page)
        const now = Date.now()
        const recent = log.slice(-8).map((r) => `${((r.at - now) / 1000).toFixed(1)}s ${r.state}${r.catchingUp ? '+catchup' : ''}#${r.attempt}${r.lastError ? ` (${r.lastError})` : ''}`)
        lines.push(`${tab.kind} tab ${tab.position} (slot ${tab.slot}): ${recent.join(' → ') || 'no statuses recorded'}`)
        lines.push(`  its own network: ${await probeNetwork(tab.page, this.proxy.url)}`)
        if (!log.length) lines.push(`  its document: ${await pageLoadState(tab.page)}`)
        if (tab.pageLog.length) lines.push(`  its page log:\n    ${tab.pageLog.slice(-12).join('\n    ')}`)
      } catch (err) {
        lines.push(`${tab.kind} tab ${tab.position}: unreadable (${String(err).slice(0, 120)})`)
      }
    }
    return lines.join('\n')
  }

  /** Waits until every tab is connected. */
  async waitAllConnected(timeout = 45_000): Promise<void> {
    await Promise.all(this.allTabs().map((t) => this.waitConnected(t, timeout)))
  }

  /**
   * Waits until the server is quiet: every live session is idle, or busy only because a
   * permission request blocks it.
   * @throws Error after `timeoutMs`, naming the busy sessions.
   */
  async settleServer(timeoutMs = 60_000): Promise<void> {
    const started = Date.now()
    const deadline = started + timeoutMs
    let busy: string[] = []
    const lastBusy = new Map<string, number>()
    while (Date.now() < deadline) {
      const [status, perms] = await Promise.all([this.truth.statuses(), this.truth.permissions()])
      busy = [...this.slots, ...this.external].filter((id) => (status[id] ?? 'idle') !== 'idle' && !(perms[id]?.length))
      for (const id of busy) lastBusy.set(id, Date.now() - started)
      if (busy.length === 0) {
        if (process.env.FAULT_DEBUG && Date.now() - started > 4000) console.log(`[faults] slow settle ${Date.now() - started} ms: ${[...lastBusy].map(([id, ms]) => `${id} busy until +${ms} ms`).join(', ')}`)
        return
      }
      await sleep(150)
    }
    throw new Error(`sessions still busy after ${timeoutMs} ms: ${busy.join(', ')}`)
  }

  /**
   * The invariant check: until every tab equals the server (or `convergeMs` passes), reads every
   * tab and the server and compares them — every loaded live session message by message and part
   * by part, the session list, the status, the pending permissions in the store AND on screen,
   * relay connected with healthy storage. Then checks each context's event log for duplicate ids.
   * @param convergeMs how long the tabs may take to agree (default {@link WorldOptions.convergeMs})
   * @returns the problems of the last attempt (empty when everything agreed); counts go to `stats`.
   */
  async check(convergeMs = this.options.convergeMs): Promise<Problem[]> {
    const deadline = Date.now() + convergeMs
    let problems: Problem[] = []
    let counts = { messages: 0, parts: 0 }
    for (;;) {
      ;[problems, counts] = await this.compareOnce()
      if (problems.length === 0 || Date.now() > deadline) break
      await sleep(300)
    }
    this.stats.checks++
    this.stats.messagesChecked += counts.messages
    this.stats.partsChecked += counts.parts
    const logProblems = await this.checkLogs()
    problems = [...problems, ...logProblems]
    tally(this.stats, problems)
    return problems
  }

  private async compareOnce(): Promise<[Problem[], { messages: number; parts: number }]> {
    const problems: Problem[] = []
    const counts = { messages: 0, parts: 0 }
    const live = new Set(this.slots)
    const [serverIds, server] = await Promise.all([this.truth.sessionIds(), this.truth.sessions(this.slots)])
    for (const tab of this.allTabs()) {
      const where = `${tab.kind} tab ${tab.position}`
      let view: TabView
      try {
        view = await readTab(tab.page, this.stack.directory)
      } catch (err) {
        problems.push({ kind: 'stale', what: `${where}: ${String(err)}` })
        continue
      }
      if (view.relay.state !== 'connected' || view.relay.catchingUp) problems.push({ kind: 'stale', what: `${where}: relay ${view.relay.state}${view.relay.catchingUp ? ' catching up' : ''}` })
      if (!view.relay.storageOk) problems.push({ kind: 'stale', what: `${where}: storage error ${view.relay.storageError ?? ''}` })
      for (const p of compareSessionList(view.sessionIds, serverIds)) problems.push({ ...p, what: `${where}: ${p.what}` })
      const shown = this.slots[tab.slot]
      if (!view.sessions[shown] || view.sessions[shown].load !== 'ready') problems.push({ kind: 'stale', what: `${where}: shown session ${shown} is ${view.sessions[shown]?.load ?? 'not loaded'}` })
      for (const [sid, mine] of Object.entries(view.sessions)) {
        if (!live.has(sid) || mine.load !== 'ready') continue
        const res = compareSession(sid, mine, server[sid])
        counts.messages += res.messages
        counts.parts += res.parts
        for (const p of res.problems) problems.push({ ...p, what: `${where}: ${p.what}` })
      }
      const onScreen = view.promptIds.join(',')
      const expected = server[shown].permissions.join(',')
      if (onScreen !== expected) problems.push({ kind: server[shown].permissions.length > view.promptIds.length ? 'lost' : 'extra', what: `${where}: permission prompts on screen [${onScreen}], pending on the server [${expected}]` })
    }
    return [problems, counts]
  }

  /** Reads each context's new event-log rows; an id stored under two cursors is a duplicate. */
  private async checkLogs(): Promise<Problem[]> {
    const problems: Problem[] = []
    const name = logDatabaseName(this.proxy.url)
    for (const ctx of this.contexts) {
      const tab = ctx.tabs[0]
      if (!tab) continue
      const rows = await readLogRows(tab.page, name, ctx.logAfter)
      this.stats.logEventsChecked += rows.length
      for (const row of rows) {
        const prev = ctx.logIds.get(row.id)
        if (prev !== undefined && prev !== row.cursor) problems.push({ kind: 'duplicated', what: `${ctx.kind} event log: id ${row.id} at cursors ${prev} and ${row.cursor}` })
        ctx.logIds.set(row.id, row.cursor)
        if (row.cursor > ctx.logAfter) ctx.logAfter = row.cursor
      }
    }
    return problems
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** Injects one fault and undoes it (resumes, reopens, restarts), without waiting for recovery. */
  async inject(fault: Fault, rng: Rng): Promise<void> {
    this.stats.faults[fault.kind]++
    const { proxy, fuzz } = this
    const { opencode } = this.stack
    switch (fault.kind) {
      case 'proxy-cut':
        for (let i = 0; i < fault.times; i++) {
          proxy.cutAll()
          if (i + 1 < fault.times) await sleep(fault.gapMs)
        }
        return
      case 'proxy-refuse':
        proxy.refuse()
        await sleep(fault.ms)
        proxy.resume()
        return
      case 'server-kill':
        await opencode.kill()
        await sleep(fault.downMs)
        await opencode.restart()
        return
      case 'tab-freeze': {
        const tabs = this.pickTabs(fault.tabs)
        const resumes = []
        for (const t of tabs) resumes.push(await freezePage(t.page))
        await sleep(fault.ms)
        for (const r of resumes) await r()
        return
      }
      case 'browser-offline': {
        const ctxs = fault.contexts.map((k) => this.ctx(k))
        try {
          for (const c of ctxs) await setOffline(c.context, true)
          await sleep(fault.ms)
        } finally {
          for (const c of ctxs) await setOffline(c.context, false)
        }
        return
      }
      case 'tab-reload':
        for (const t of this.pickTabs(fault.tabs)) await t.page.reload()
        return
      case 'leader-close': {
        const ctx = this.ctx('leader-tab')
        const leader = [...ctx.tabs].sort((a, b) => b.lastStreamRequestAt - a.lastStreamRequestAt)[0]
        if (!leader) return
        await this.closeTab(leader)
        await sleep(fault.reopenAfterMs)
        await this.openTab(ctx, leader.slot, leader.position)
        return
      }
      case 'all-tabs-close': {
        const ctx = this.ctx(fault.context)
        const closed = [...ctx.tabs].sort((a, b) => a.position - b.position)
        await Promise.all(closed.map((t) => this.closeTab(t)))
        await sleep(fault.downMs)
        for (const t of closed) await this.openTab(ctx, t.slot, t.position)
        return
      }
      case 'sleep': {
        const tabs = this.allTabs()
        const resumes: Array<() => Promise<void>> = []
        for (const t of tabs) resumes.push(await freezePage(t.page))
        if (fault.halfOpen) {
          this.stats.halfOpenSleeps++
          fuzz.stallOpenStreams()
        } else proxy.refuse()
        if (fault.externalSession) {
          // Another client works while this machine sleeps: a new session with a reply.
          const s = await this.stack.api.createSession('created during sleep')
          this.external.push(s.id)
          await this.stack.api.promptAsync(s.id, 'stream 12 delay 5')
          this.stats.prompts++
        }
        await sleep(fault.ms)
        if (!fault.halfOpen) proxy.resume()
        const order = fault.wakeOrder.map((i) => resumes[i % resumes.length]).filter((r, i, all) => all.indexOf(r) === i)
        for (const r of resumes) if (!order.includes(r)) order.push(r)
        for (const r of order) {
          await r()
          await sleep(rng.int(0, 150))
        }
        return
      }
    }
  }

  private pickTabs(positions: readonly number[]): Tab[] {
    const all = this.allTabs()
    const out: Tab[] = []
    for (const p of positions) {
      const t = all[p % all.length]
      if (t && !out.includes(t)) out.push(t)
    }
    return out
  }

  // ---- workload --------------------------------------------------------------------------------

  /**
   * Replies to a pending permission: through the UI (clicks "Allow once" in a tab showing the
   * session) when `viaUi` and such a tab exists, else over REST.
   */
  async replyPermission(sessionID: string, requestID: string, viaUi: boolean): Promise<void> {
    this.stats.permissionsReplied++
    const tab = viaUi ? this.allTabs().find((t) => this.slots[t.slot] === sessionID) : undefined
    if (tab) {
      const prompt = tab.page.locator(`[data-testid="permission-prompt"][data-request-id="${requestID}"]`)
      await prompt.getByTestId('permission-once').click({ timeout: 10_000 })
      return
    }
    await this.truth.replyPermission(requestID, 'once')
  }

  /** Gives `slot` a fresh session and points its tabs at it (keeps transcripts short). */
  async rotate(slot: number): Promise<void> {
    this.slots[slot] = (await this.stack.api.createSession(`fault slot ${slot}`)).id
    for (const tab of this.allTabs()) {
      if (tab.slot !== slot) continue
      await tab.page.goto(this.url(slot, tab.kind))
      await this.waitConnected(tab)
    }
  }
}
