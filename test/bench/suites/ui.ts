/**
 * Benchmarks 3, 5 and 6 of issue 7: this project's app (`dist/`) beside the official web UI
 * served by `opencode web` from the same pinned `opencode-ai`, both on the same server, measured
 * with the same in-page instruments (lib/observe.ts) in the same headless chromium.
 *
 * 3. Burst — a 5,000-token reply from the scripted model (prompt `burst`) through the real server.
 *    Client lag = the frame that paints the last token (`hotel4999 END`) in the tab − the moment
 *    the last delta was written to that client's own SSE connection (lib/tap-proxy.ts explains
 *    why); also against a raw SSE listener in Node connected to the server first, and for the
 *    relay alone (bench page: relay + reducer, no UI), to split relay cost from UI cost.
 * 5. Long session — 2,000 messages (imported with `opencode import`, see lib/long-session.ts):
 *    first paint of the latest message cold (fresh profile: REST; two definitions: its text in
 *    the DOM, and its text inside the viewport) and warm (same profile reopened: IndexedDB
 *    snapshot + HTTP cache), animation-frame intervals while scrolling up, JS heap after GC.
 * 6. Tabs — 1…12 tabs opened one after another on one session: upstream `GET /global/event`
 *    streams (counted by a proxy in front of the server) and each tab's load time (navigation
 *    start → latest message painted).
 */
import type { Page } from '@playwright/test'
import { heapUsed, launchProfile, type Profile } from '../lib/browser.ts'
import type { BenchContext, Row, SuiteResult } from '../lib/context.ts'
import { importSession, LAST_MESSAGE_MARKER, writeLongSession, type LongSession } from '../lib/long-session.ts'
import { startFrames, stopFrames, trackFramePhase, watchMarkers, type MarkSeen } from '../lib/observe.ts'
import { openRawListener } from '../lib/raw-sse.ts'
import { fmt, maximum, percentile, summarize, type Stat } from '../lib/stats.ts'
import { startTaskTrace } from '../lib/task-trace.ts'
import { startUiStack, type UiStack } from '../lib/ui-stack.ts'
import { opencodeBin } from '../../support/opencode-server.ts'
import { streamedText } from '../../support/scripted-model.ts'
import '../page/api.ts'

/**
 * The last two words of a `stream N` / `burst` (N = 5,000) reply of the scripted model, e.g.
 * `hotel4999 END`: painted only once the last delta is.
 */
export function burstMarker(tokens: number): string {
  return streamedText(tokens).split(' ').slice(-2).join(' ')
}

/**
 * A tab that has not painted its latest message this long after navigation is "stalled" (the
 * following tabs of that run get 1 s each: once the browser's connection pool is exhausted, no
 * later tab of that origin can load either).
 */
const STALL_MS = 8_000
/** Wheel steps of 600 px (upwards) in the scroll measurement. */
const SCROLL_STEPS = 25

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let stackPromise: Promise<UiStack> | undefined
/** The UI stack, started once per process (closed by the runner at the end; shared with suites/degraded.ts). */
export function getStack(ctx: BenchContext): Promise<UiStack> {
  stackPromise ??= (async () => {
    ctx.log('starting opencode web (official UI + server), the scripted model, the app and a counting proxy…')
    const stack = await startUiStack(ctx.log, { warmUp: !ctx.quick })
    ctx.defer(async () => {
      stackPromise = undefined
      await stack.close()
    })
    return stack
  })()
  return stackPromise
}

let sessionsPromise: Promise<{ long: LongSession; small: LongSession }> | undefined
/** Imports the long session (2,000 messages) and the small one of the tabs benchmark (20 messages), once. */
function getSessions(ctx: BenchContext, stack: UiStack): Promise<{ long: LongSession; small: LongSession }> {
  sessionsPromise ??= (async () => {
    const res = await fetch(`${stack.url}/project/current?directory=${encodeURIComponent(stack.directory)}`)
    const project: unknown = await res.json()
    const projectID = typeof project === 'object' && project !== null && 'id' in project && typeof project.id === 'string' ? project.id : 'global'
    const t0 = Date.now()
    const small = writeLongSession(stack.root, stack.directory, projectID, ctx.quick ? 40 : 20)
    importSession(opencodeBin(), small.file, stack.directory, stack.env)
    // Quick mode (smoke test) reuses the small session as the "long" one: one import (~4 s) less.
    const long = ctx.quick ? small : writeLongSession(stack.root, stack.directory, projectID, 2_000)
    if (long !== small) importSession(opencodeBin(), long.file, stack.directory, stack.env)
    ctx.log(`  imported sessions of ${[...new Set([long.messages, small.messages])].join(' and ')} messages with \`opencode import\` in ${Date.now() - t0} ms`)
    ctx.defer(async () => {
      sessionsPromise = undefined
    })
    return { long, small }
  })()
  return sessionsPromise
}

/**
 * A browser profile whose pages all carry the marker watcher; with `rowSelector`, it also records
 * when a marker is first inside an element it matches (`watchMarkers`).
 */
export async function uiProfile(markers: string[], rowSelector?: string): Promise<Profile> {
  const profile = await launchProfile()
  await profile.context.addInitScript(trackFramePhase)
  await profile.context.addInitScript(watchMarkers, [markers, rowSelector] satisfies [string[], string | undefined])
  return profile
}

/**
 * Waits until `watchMarkers` recorded `marker` in `page` under `record` (`__benchSeen`: painted;
 * `__benchVisible`: inside the viewport); resolves with when, or undefined after `timeoutMs`.
 */
async function markedAt(page: Page, record: '__benchSeen' | '__benchVisible' | '__benchInRow', marker: string, timeoutMs: number): Promise<MarkSeen | undefined> {
  try {
    await page.waitForFunction(([r, m]) => window[r]?.[m] !== undefined, [record, marker] as const, { polling: 20, timeout: timeoutMs })
  } catch {
    return undefined
  }
  return page.evaluate(([r, m]) => window[r]?.[m], [record, marker] as const)
}

/** Waits until `marker` is painted in `page`; resolves with when, or undefined after `timeoutMs`. */
export function painted(page: Page, marker: string, timeoutMs: number): Promise<MarkSeen | undefined> {
  return markedAt(page, '__benchSeen', marker, timeoutMs)
}

/** When `marker` was first inside the viewport (see `watchMarkers`), or undefined after `timeoutMs`. */
function visibleAt(page: Page, marker: string, timeoutMs: number): Promise<MarkSeen | undefined> {
  return markedAt(page, '__benchVisible', marker, timeoutMs)
}

/** The app's transcript rows (not its first-paint preview, src/render/first-paint-preview.ts). */
const APP_ROW = '[data-testid="message"]'

/** When `marker` was first inside one of the app's own rows (see `uiProfile`), ms from navigation start; NaN after `timeoutMs`. */
async function appRowAt(page: Page, marker: string, timeoutMs: number): Promise<number> {
  return (await markedAt(page, '__benchInRow', marker, timeoutMs))?.perf ?? Number.NaN
}

/** Opens `url` in a new page and waits for `marker`; `loadMs` is ms from navigation start, NaN when it did not load in time. */
async function openAndWait(profile: Profile, url: string, marker: string, timeoutMs: number): Promise<{ page: Page; loadMs: number }> {
  const page = await profile.context.newPage()
  const started = Date.now()
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs })
  } catch {
    return { page, loadMs: Number.NaN }
  }
  const seen = await painted(page, marker, Math.max(1000, timeoutMs - (Date.now() - started)))
  return { page, loadMs: seen ? seen.perf : Number.NaN }
}

/** Table cell for values where NaN means "did not finish within the limit". */
function withStalls(values: number[], unit: string, limit: string): Stat | string {
  const stalled = values.filter((v) => !Number.isFinite(v)).length
  if (stalled === values.length) return `stalled (${limit}) in ${stalled}/${values.length} runs`
  const s = summarize(values, unit)
  return stalled ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}] ${unit}, stalled in ${stalled}/${values.length} runs` : s
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${fmt(a / b, 2)}×` : ''
}

type Client = 'app' | 'official' | 'relay-only'

/** SSE `data` of a `message.part.delta` of `sessionID` whose delta ends the reply (`… END`). */
function isLastDelta(data: string, sessionID: string): boolean {
  if (!data.includes('"message.part.delta"') || !data.includes(sessionID)) return false
  const parsed: unknown = JSON.parse(data)
  if (typeof parsed !== 'object' || parsed === null || !('payload' in parsed)) return false
  const payload = parsed.payload
  if (typeof payload !== 'object' || payload === null || !('properties' in payload)) return false
  const props = payload.properties
  return typeof props === 'object' && props !== null && 'delta' in props && typeof props.delta === 'string' && props.delta.endsWith('END')
}

/**
 * Benchmark 3: burst client lag. Every client reaches the server through the tap proxy, which
 * times the last delta on the client's own connection (the primary reference, see
 * lib/tap-proxy.ts); a separate raw listener, connected to the server directly BEFORE the
 * client, gives the issue's literal reference too (it includes opencode's per-subscriber
 * fan-out delay).
 */
export async function burst(ctx: BenchContext): Promise<SuiteResult> {
  const stack = await getStack(ctx)
  stack.setAppServer(stack.proxy.url)
  const clients: Client[] = stack.app ? ['app', 'official', 'relay-only'] : ['official', 'relay-only']
  const tokens = ctx.quick ? 100 : 5_000
  const marker = burstMarker(tokens)
  const prompt = ctx.quick ? `stream ${tokens}` : 'burst'
  const lags: Record<Client, number[]> = { app: [], official: [], 'relay-only': [] }
  const rawLags: Record<Client, number[]> = { app: [], official: [], 'relay-only': [] }
  const fanOutMs: number[] = []
  const profiles = new Map<Client, Profile>()
  try {
    for (const c of clients) profiles.set(c, await uiProfile([marker]))
    for (let run = 0; run < ctx.runs; run++) {
      for (const client of clients) {
        const profile = profiles.get(client)
        if (!profile) continue
        const session = await stack.api.createSession(`burst ${run + 1} ${client}`)
        let rawEndAt = 0
        let tapEndAt = 0
        const listener = await openRawListener(stack.url, (data, at) => {
          if (isLastDelta(data, session.id)) rawEndAt = at
        })
        const page = await profile.context.newPage()
        try {
          if (client === 'app') {
            await page.goto(stack.appSessionUrl(session.id))
            await page.waitForSelector('[data-testid="connection-badge"][data-state="connected"]', { timeout: 30_000 })
            await page.waitForSelector('[data-testid="session-view"]', { timeout: 30_000 })
          } else if (client === 'official') {
            await page.goto(stack.officialSessionUrl(stack.proxy.url, session.id))
          } else {
            await page.goto(`${stack.benchPage.url}/index.html`)
            await page.waitForFunction(() => typeof window.bench === 'object')
            await page.evaluate((url) => window.bench.start(url), stack.proxy.url)
            await page.evaluate(([m, id]) => window.bench.watchText(m, id), [marker, session.id])
          }
          const deadline = Date.now() + 30_000
          while (stack.proxy.openEventStreams() < 1 && Date.now() < deadline) await sleep(50)
          if (stack.proxy.openEventStreams() !== 1) throw new Error(`${client}: expected 1 upstream stream, found ${stack.proxy.openEventStreams()}`)
          await sleep(ctx.quick ? 200 : 700)
          stack.proxy.setTap((data, at) => {
            if (isLastDelta(data, session.id)) tapEndAt = at
          })
          // Profiling only (`BENCH_TIMELINE` / `BENCH_CPUPROFILE`, lib/task-trace.ts): the app tab's
          // timeline from the prompt to the paint, with the last delta's time as a user-timing mark.
          const stopTrace = client === 'app' && (process.env.BENCH_TIMELINE || process.env.BENCH_CPUPROFILE) ? await startTaskTrace(page) : undefined
          await stack.api.promptAsync(session.id, prompt)
          let seenAt: number | undefined
          if (client === 'relay-only') {
            await page.waitForFunction(() => window.bench.state().textSeenAt !== null, undefined, { polling: 20, timeout: 90_000 })
            seenAt = (await page.evaluate(() => window.bench.state())).textSeenAt ?? undefined
          } else {
            seenAt = (await painted(page, marker, 90_000))?.epoch
          }
          const until = Date.now() + 10_000
          while ((!tapEndAt || !rawEndAt) && Date.now() < until) await sleep(20)
          if (stopTrace) {
            await page.evaluate(
              ([delta, paint]) => {
                performance.mark('bench:last-delta', { startTime: delta - performance.timeOrigin })
                if (paint) performance.mark('bench:painted', { startTime: paint - performance.timeOrigin })
              },
              [tapEndAt, seenAt ?? 0],
            )
            await stopTrace()
          }
          const lag = seenAt !== undefined && tapEndAt ? seenAt - tapEndAt : Number.NaN
          const rawLag = seenAt !== undefined && rawEndAt ? seenAt - rawEndAt : Number.NaN
          lags[client].push(lag)
          rawLags[client].push(rawLag)
          fanOutMs.push(tapEndAt - rawEndAt)
          ctx.log(
            `  burst run ${run + 1}, ${client}: lag ${fmt(lag)} ms after the last delta on its own connection, ` +
              `${fmt(rawLag)} ms after a raw listener (which got it ${tapEndAt - rawEndAt} ms earlier)`,
          )
          await stack.api.waitIdle(session.id, 60_000)
        } finally {
          stack.proxy.setTap(undefined)
          listener.close()
          await page.close()
        }
        const until = Date.now() + 10_000
        while (stack.proxy.openEventStreams() > 0 && Date.now() < until) await sleep(50)
      }
    }
  } finally {
    for (const p of profiles.values()) await p.close()
  }
  const na = `n/a (app not built: ${stack.appError ?? 'unknown'})`
  const app = summarize(lags.app, 'ms')
  const official = summarize(lags.official, 'ms')
  const appRaw = summarize(rawLags.app, 'ms')
  const officialRaw = summarize(rawLags.official, 'ms')
  const label = `${tokens.toLocaleString('en-US')}-token reply`
  const rows: Row[] = [
    {
      bench: '3. Burst',
      metric: `client lag, ${label}: last token painted − last delta written to the client's own SSE connection`,
      relay: stack.app ? app : na,
      official,
      ratio: ratio(app.median, official.median),
      // Issue 18's target (issue 7's was ≤ 0.5×).
      target: tokens === 5_000 ? '≤ 100 ms and ≤ 0.25× official' : undefined,
      met: stack.app && tokens === 5_000 ? app.median <= 100 && app.median <= official.median / 4 : null,
    },
    {
      bench: '3. Burst',
      metric: `client lag, ${label}: vs a raw SSE listener connected first (adds opencode's per-subscriber fan-out delay)`,
      relay: stack.app ? appRaw : na,
      official: officialRaw,
      ratio: ratio(appRaw.median, officialRaw.median),
    },
    { bench: '3. Burst', metric: `client lag, ${label}: relay + reducer alone (bench page, no UI), own connection`, relay: summarize(lags['relay-only'], 'ms') },
  ]
  return { rows, details: { tokens, lags, rawListenerLags: rawLags, serverFanOutDelayMs: fanOutMs } }
}

/** Benchmark 5: long session. */
export async function longSession(ctx: BenchContext): Promise<SuiteResult> {
  const stack = await getStack(ctx)
  const { long } = await getSessions(ctx, stack)
  stack.setAppServer(stack.url)
  const clients: Array<Exclude<Client, 'relay-only'>> = stack.app ? ['app', 'official'] : ['official']
  const steps = ctx.quick ? 5 : SCROLL_STEPS
  type Metrics = { cold: number[]; coldVisible: number[]; coldAppRow: number[]; warm: number[]; frameP95: number[]; frameMax: number[]; heapMB: number[] }
  const m: Record<'app' | 'official', Metrics> = {
    app: { cold: [], coldVisible: [], coldAppRow: [], warm: [], frameP95: [], frameMax: [], heapMB: [] },
    official: { cold: [], coldVisible: [], coldAppRow: [], warm: [], frameP95: [], frameMax: [], heapMB: [] },
  }
  for (let run = 0; run < ctx.runs; run++) {
    for (const client of clients) {
      const url = client === 'app' ? stack.appSessionUrl(long.sessionID) : stack.officialSessionUrl(stack.url, long.sessionID)
      const profile = await uiProfile([LAST_MESSAGE_MARKER], client === 'app' ? APP_ROW : undefined)
      try {
        const cold = await openAndWait(profile, url, LAST_MESSAGE_MARKER, 60_000)
        const coldVisible = Number.isFinite(cold.loadMs) ? await visibleAt(cold.page, LAST_MESSAGE_MARKER, 60_000) : undefined
        // The app's own row (after its plain-text first-paint preview, src/render/first-paint-preview.ts).
        const coldAppRow = client === 'app' && Number.isFinite(cold.loadMs) ? await appRowAt(cold.page, LAST_MESSAGE_MARKER, 60_000) : Number.NaN
        await sleep(ctx.quick ? 800 : 1500) // let the app write its warm-start snapshot (debounced 500 ms)
        await cold.page.close({ runBeforeUnload: true })
        await sleep(300)
        const warm = await openAndWait(profile, url, LAST_MESSAGE_MARKER, 60_000)
        await sleep(500)
        await warm.page.mouse.move(800, 400)
        await warm.page.evaluate(startFrames)
        for (let i = 0; i < steps; i++) {
          await warm.page.mouse.wheel(0, -600)
          await sleep(40)
        }
        await sleep(300)
        const frames = await warm.page.evaluate(stopFrames)
        const heap = await heapUsed(warm.page)
        const r = m[client]
        r.cold.push(cold.loadMs)
        r.coldVisible.push(coldVisible ? coldVisible.perf : Number.NaN)
        if (client === 'app') r.coldAppRow.push(coldAppRow)
        r.warm.push(warm.loadMs)
        r.frameP95.push(percentile(frames, 95))
        r.frameMax.push(maximum(frames))
        r.heapMB.push(heap / 1024 / 1024)
        ctx.log(
          `  long session run ${run + 1}, ${client}: first paint cold ${fmt(cold.loadMs)} ms (visible ${fmt(coldVisible?.perf ?? Number.NaN)} ms` +
            `${client === 'app' ? `, app's row ${fmt(coldAppRow)} ms` : ''}), warm ${fmt(warm.loadMs)} ms; ` +
            `scroll frames p95 ${fmt(percentile(frames, 95))} ms, max ${fmt(maximum(frames))} ms (${frames.length} frames); heap ${fmt(heap / 1024 / 1024)} MB`,
        )
      } finally {
        await profile.close()
      }
    }
  }
  const na = `n/a (app not built: ${stack.appError ?? 'unknown'})`
  const pair = (key: keyof Metrics, unit: string): { relay: Stat | string; official: Stat; ratio: string } => {
    const a = summarize(m.app[key], unit)
    const o = summarize(m.official[key], unit)
    return { relay: stack.app ? a : na, official: o, ratio: ratio(a.median, o.median) }
  }
  const warm = pair('warm', 'ms')
  /** Issue 18: a cold first paint at most a third of the official UI's, by either definition. */
  const coldRow = (metric: string, p: ReturnType<typeof pair>): Row => ({
    bench: '5. Long session',
    metric,
    ...p,
    target: long.messages >= 2_000 ? '≤ ⅓ official' : undefined,
    met: stack.app && long.messages >= 2_000 && typeof p.relay !== 'string' && Number.isFinite(p.official.median) ? p.relay.median <= p.official.median / 3 : null,
  })
  const heap = pair('heapMB', 'MB')
  const n = long.messages.toLocaleString('en-US')
  const rows: Row[] = [
    {
      bench: '5. Long session',
      metric: `${n} messages: first paint of the latest message, warm (reopened tab)`,
      ...warm,
      target: long.messages >= 2_000 ? '≤ 300 ms' : undefined,
      met: stack.app && long.messages >= 2_000 && typeof warm.relay !== 'string' ? warm.relay.median <= 300 : null,
    },
    coldRow(`${n} messages: first paint of the latest message, cold (fresh profile, REST): navigation → its text in the DOM, next frame`, pair('cold', 'ms')),
    coldRow(`${n} messages: first paint of the latest message, cold (fresh profile, REST): navigation → its text inside the viewport`, pair('coldVisible', 'ms')),
    {
      bench: '5. Long session',
      metric: `${n} messages, cold: navigation → the latest message's text in the app's own row (after the plain-text preview), next frame`,
      relay: stack.app ? summarize(m.app.coldAppRow, 'ms') : na,
    },
    { bench: '5. Long session', metric: `scroll up ${steps} × 600 px: frame interval p95`, ...pair('frameP95', 'ms') },
    { bench: '5. Long session', metric: `scroll up ${steps} × 600 px: longest frame`, ...pair('frameMax', 'ms') },
    {
      bench: '5. Long session',
      metric: 'tab JS heap after scrolling (after GC)',
      ...heap,
      target: '≤ 100 MB',
      met: stack.app && typeof heap.relay !== 'string' ? heap.relay.median <= 100 : null,
    },
  ]
  return { rows, details: { messages: long.messages, app: m.app, official: m.official } }
}

/** Benchmark 6: tabs. */
export async function tabs(ctx: BenchContext): Promise<SuiteResult> {
  const stack = await getStack(ctx)
  const { small } = await getSessions(ctx, stack)
  stack.setAppServer(stack.proxy.url)
  const counts = ctx.quick ? [1, 2] : [1, 4, 8, 12]
  const maxTabs = Math.max(...counts)
  const clients: Array<Exclude<Client, 'relay-only'>> = stack.app ? ['app', 'official'] : ['official']
  type PerN = Record<number, { conns: number[]; loadMs: number[] }>
  const data: Record<'app' | 'official', PerN> = { app: {}, official: {} }
  /** Per run: how many of the `maxTabs` tabs painted their latest message. */
  const paintedTabs: Record<'app' | 'official', number[]> = { app: [], official: [] }
  for (const c of ['app', 'official'] as const) for (const n of counts) data[c][n] = { conns: [], loadMs: [] }
  for (let run = 0; run < ctx.runs; run++) {
    for (const client of clients) {
      const url = client === 'app' ? stack.appSessionUrl(small.sessionID) : stack.officialSessionUrl(stack.proxy.url, small.sessionID)
      const profile = await uiProfile([LAST_MESSAGE_MARKER])
      const loads: number[] = []
      try {
        let stalled = false
        for (let n = 1; n <= maxTabs; n++) {
          const { loadMs } = await openAndWait(profile, url, LAST_MESSAGE_MARKER, stalled ? 1_000 : STALL_MS)
          if (!Number.isFinite(loadMs)) stalled = true
          loads.push(loadMs)
          if (counts.includes(n)) {
            await sleep(ctx.quick ? 300 : 500)
            data[client][n].conns.push(stack.proxy.openEventStreams())
            data[client][n].loadMs.push(loadMs)
          }
        }
        paintedTabs[client].push(loads.filter((v) => Number.isFinite(v)).length)
        ctx.log(
          `  tabs run ${run + 1}, ${client}: load ms per tab ${loads.map((v) => (Number.isFinite(v) ? Math.round(v) : 'stalled')).join(', ')}; ` +
            `upstream streams at ${counts.map((n) => `${n} tabs: ${data[client][n].conns[run]}`).join(', ')}`,
        )
      } finally {
        await profile.close()
      }
      const deadline = Date.now() + 10_000
      while (stack.proxy.openEventStreams() > 0 && Date.now() < deadline) await sleep(50)
    }
  }
  const rows: Row[] = []
  const na = `n/a (app not built: ${stack.appError ?? 'unknown'})`
  for (const n of counts) {
    const a = summarize(data.app[n].conns, '')
    const o = summarize(data.official[n].conns, '')
    rows.push({
      bench: '6. Tabs',
      metric: `upstream SSE connections, ${n} tab${n > 1 ? 's' : ''}`,
      relay: stack.app ? a : na,
      official: o,
      target: 'exactly 1',
      met: stack.app ? data.app[n].conns.every((c) => c === 1) : null,
    })
  }
  rows.push({
    bench: '6. Tabs',
    metric: `tabs that painted their session, of ${maxTabs} opened one after another`,
    relay: stack.app ? summarize(paintedTabs.app, '') : na,
    official: summarize(paintedTabs.official, ''),
  })
  for (const n of counts) {
    const a = withStalls(data.app[n].loadMs, 'ms', `not painted in ${STALL_MS / 1000} s`)
    const o = withStalls(data.official[n].loadMs, 'ms', `not painted in ${STALL_MS / 1000} s`)
    const am = summarize(data.app[n].loadMs, 'ms').median
    const om = summarize(data.official[n].loadMs, 'ms').median
    rows.push({ bench: '6. Tabs', metric: `load time of tab ${n} (navigation → latest message painted)`, relay: stack.app ? a : na, official: o, ratio: ratio(am, om) })
  }
  return { rows, details: { sessionMessages: small.messages, app: data.app, official: data.official, paintedTabs } }
}
