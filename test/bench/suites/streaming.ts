/**
 * Benchmarks 8 and 9 (issue 18, streaming render): this project's app beside the official web UI
 * of `opencode web`, both on the one server of the UI stack (lib/ui-stack.ts, shared with
 * suites/ui.ts), in the same headless chromium, with the same in-page instruments
 * (lib/token-observe.ts, lib/observe.ts). Both clients reach the server through the tap proxy
 * (lib/tap-proxy.ts), which stamps every delta when it writes it to that client's own
 * `GET /global/event` connection — the "delta left the server" reference of every latency here.
 *
 * 8. Rates — the scripted model streams a reply at 50, 200 and 1,000 tokens/s
 *    (`stream N rate R para 100`: paced against the clock, paragraphs of {@link PARA} tokens).
 *    For every token: the animation frame that first paints it − its delta written to the
 *    client's connection. p50 and p99 per rate; the
 *    issue's target is p99 ≤ one frame + 20 ms ({@link TARGET_P99_MS}).
 * 9. Long reply — a 50,000-token reply (paragraphs of {@link PARA} tokens) at
 *    {@link LONG_RATE} tokens/s, ~50 s per UI. While it streams: animation-frame intervals
 *    (p95, longest) between the first and the last token painted, main-thread long tasks
 *    (`PerformanceObserver` `longtask`: count and longest; and, from a Chromium trace, the same
 *    main thread's tasks by their own CPU time, lib/task-trace.ts: on shared cores a task is long
 *    by the wall clock while it waits for one), and the page's JS heap after a forced
 *    GC before the prompt and after the last token painted (the SharedWorker of this project's
 *    app is a separate heap, not counted). Per-token latency as in 8, over the whole reply.
 *
 * Nothing here asserts a time: targets are printed as met or not (`npm run bench` reports,
 * `npm test` only checks that the quick mode produces numbers).
 */
import type { Page } from '@playwright/test'
import { heapUsed, launchProfile, type Profile } from '../lib/browser.ts'
import type { BenchContext, Row, SuiteResult } from '../lib/context.ts'
import { fmt, maximum, percentile, summarize, type Stat } from '../lib/stats.ts'
import { startTaskTrace, type TracedTask } from '../lib/task-trace.ts'
import { trackFramePhase } from '../lib/observe.ts'
import { startFrameLog, startLongTasks, stopFrameLog, stopLongTasks, watchTokens, type LongTask } from '../lib/token-observe.ts'
import { deltaTokens, tokenLatencies } from '../lib/tokens.ts'
import type { UiStack } from '../lib/ui-stack.ts'
import { getStack } from './ui.ts'

/** One animation frame at 60 Hz, ms. */
export const FRAME_MS = 1000 / 60
/** Issue 18's per-token target: p99 ≤ one frame + 20 ms (≈ 36.7 ms). */
export const TARGET_P99_MS = FRAME_MS + 20
/** Issue 18's frame target while a long reply streams: p95 frame interval ≤ 20 ms. */
export const TARGET_FRAME_P95_MS = 20
/** A long task, ms (the Long Tasks API's threshold; the issue's "no long task over 50 ms"). */
const LONG_TASK_MS = 50
/** Token rates of benchmark 8, tokens/s. */
export const RATES = [50, 200, 1_000] as const
/** Tokens per reply in benchmark 8, by rate: ≥ 300 samples per run and 3–6 s of streaming. */
const RATE_TOKENS: Record<(typeof RATES)[number], number> = { 50: 300, 200: 1_000, 1_000: 3_000 }
/** Tokens per reply in quick mode (both benchmarks' smoke run). */
const QUICK_TOKENS = 40
/** Benchmark 9: tokens of the long reply. */
export const LONG_TOKENS = 50_000
/** Benchmark 9: tokens/s of the long reply (50,000 tokens in 50 s). */
export const LONG_RATE = 1_000
/**
 * Tokens per paragraph of every streamed reply (a blank line between paragraphs), as a model
 * writes prose; a reply that is one paragraph of thousands of tokens is the burst benchmark's case.
 */
export const PARA = 100
/** After the server went idle, how long a UI may take to paint the rest of the reply, ms. */
const PAINT_CAP_MS = 60_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Client = 'app' | 'official'

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${fmt(a / b, 2)}×` : ''
}

/** A browser profile whose pages all carry the token watcher (lib/token-observe.ts). */
async function tokenProfile(): Promise<Profile> {
  const profile = await launchProfile()
  await profile.context.addInitScript(trackFramePhase)
  await profile.context.addInitScript(watchTokens)
  return profile
}

/**
 * Opens `sessionID` in `client` (through the tap proxy) in a new page of `profile` and waits
 * until that page holds exactly one upstream event stream.
 * @throws Error when the client does not connect within 30 s or opens more than one stream.
 */
async function openClient(ctx: BenchContext, stack: UiStack, profile: Profile, client: Client, sessionID: string): Promise<Page> {
  const page = await profile.context.newPage()
  try {
    if (client === 'app') {
      await page.goto(stack.appSessionUrl(sessionID))
      await page.waitForSelector('[data-testid="connection-badge"][data-state="connected"]', { timeout: 30_000 })
      await page.waitForSelector('[data-testid="session-view"]', { timeout: 30_000 })
    } else {
      await page.goto(stack.officialSessionUrl(stack.proxy.url, sessionID))
    }
    const deadline = Date.now() + 30_000
    while (stack.proxy.openEventStreams() < 1 && Date.now() < deadline) await sleep(50)
    if (stack.proxy.openEventStreams() !== 1) throw new Error(`${client}: expected 1 upstream stream, found ${stack.proxy.openEventStreams()}`)
    await sleep(ctx.quick ? 200 : 700)
    return page
  } catch (err) {
    await page.close()
    throw err
  }
}

/** Closes `page` and waits (≤ 10 s) until its upstream stream is gone, so the next client is alone on the proxy. */
async function closeClient(stack: UiStack, page: Page): Promise<void> {
  stack.proxy.setTap(undefined)
  await page.close()
  const until = Date.now() + 10_000
  while (stack.proxy.openEventStreams() > 0 && Date.now() < until) await sleep(50)
}

/** Waits until the page painted token `index`; false after `timeoutMs`. */
async function waitToken(page: Page, index: number, timeoutMs: number): Promise<boolean> {
  try {
    await page.waitForFunction((i) => (window.__benchTokenMax ?? -1) >= i, index, { polling: 100, timeout: timeoutMs })
    return true
  } catch {
    return false
  }
}

/**
 * Streams `prompt` into a fresh page of `client` and returns per-token write times (tap) and
 * paint times (page). `during` runs with the page open, just before the prompt is sent, and its
 * result's `stop` right after the last token was painted (or the cap passed).
 */
async function streamOnce<T>(
  ctx: BenchContext,
  stack: UiStack,
  profile: Profile,
  client: Client,
  title: string,
  prompt: string,
  tokens: number,
  streamMs: number,
  during?: (page: Page) => Promise<() => Promise<T>>,
): Promise<{ writtenAt: number[]; paintedAt: Array<number | null>; complete: boolean; extra: T | undefined }> {
  const session = await stack.api.createSession(title)
  const page = await openClient(ctx, stack, profile, client, session.id)
  const writtenAt: number[] = []
  try {
    const stop = during ? await during(page) : undefined
    stack.proxy.setTap((data, at) => {
      for (const i of deltaTokens(data, session.id)) writtenAt[i] ??= at
    })
    await stack.api.promptAsync(session.id, prompt)
    await stack.api.waitIdle(session.id, streamMs + 120_000)
    const complete = await waitToken(page, tokens - 1, PAINT_CAP_MS)
    await sleep(100) // the stamping frame's callback has run; let a trailing long task end
    const extra = stop ? await stop() : undefined
    const paintedAt = await page.evaluate(() => Array.from(window.__benchTokens ?? [], (v) => v ?? null))
    return { writtenAt, paintedAt, complete, extra }
  } finally {
    await closeClient(stack, page)
  }
}

/** Benchmark 8: per-token latency at realistic rates. */
export async function rates(ctx: BenchContext): Promise<SuiteResult> {
  const stack = await getStack(ctx)
  stack.setAppServer(stack.proxy.url)
  const clients: Client[] = stack.app ? ['app', 'official'] : ['official']
  type PerRate = { p50: number[]; p99: number[]; max: number[]; unpainted: number[]; samples: number[] }
  const empty = (): PerRate => ({ p50: [], p99: [], max: [], unpainted: [], samples: [] })
  const data: Record<Client, Record<number, PerRate>> = { app: {}, official: {} }
  for (const c of ['app', 'official'] as const) for (const r of RATES) data[c][r] = empty()
  const profiles = new Map<Client, Profile>()
  try {
    for (const c of clients) profiles.set(c, await tokenProfile())
    for (let run = 0; run < ctx.runs; run++) {
      for (const rate of RATES) {
        const tokens = ctx.quick ? QUICK_TOKENS : RATE_TOKENS[rate]
        for (const client of clients) {
          const profile = profiles.get(client)
          if (!profile) continue
          const streamMs = (tokens / rate) * 1000
          const prompt = `stream ${tokens} rate ${rate} para ${ctx.quick ? 20 : PARA}`
          const r = await streamOnce(ctx, stack, profile, client, `rates ${rate}/s run ${run + 1} ${client}`, prompt, tokens, streamMs)
          const lat = tokenLatencies(r.writtenAt, r.paintedAt, tokens)
          const d = data[client][rate]
          d.p50.push(percentile(lat.latencies, 50))
          d.p99.push(percentile(lat.latencies, 99))
          d.max.push(maximum(lat.latencies))
          d.unpainted.push(lat.unpainted)
          d.samples.push(lat.latencies.length)
          ctx.log(
            `  rates run ${run + 1}, ${rate} tokens/s, ${client}: delta → painted p50 ${fmt(percentile(lat.latencies, 50))} ms, ` +
              `p99 ${fmt(percentile(lat.latencies, 99))} ms, max ${fmt(d.max[d.max.length - 1])} ms over ${lat.latencies.length} tokens` +
              (lat.unpainted ? `; ${lat.unpainted} never painted` : '') +
              (lat.untapped ? `; ${lat.untapped} painted but not seen on the connection` : ''),
          )
        }
      }
    }
  } finally {
    for (const p of profiles.values()) await p.close()
  }
  const na = `n/a (app not built: ${stack.appError ?? 'unknown'})`
  const rows: Row[] = []
  for (const rate of RATES) {
    const tokens = ctx.quick ? QUICK_TOKENS : RATE_TOKENS[rate]
    const label = `${rate.toLocaleString('en-US')} tokens/s (${tokens.toLocaleString('en-US')}-token reply, paragraphs of ${ctx.quick ? 20 : PARA})`
    for (const p of ['p50', 'p99'] as const) {
      const a = summarize(data.app[rate][p], 'ms')
      const o = summarize(data.official[rate][p], 'ms')
      const target = p === 'p99' ? `≤ ${fmt(TARGET_P99_MS)} ms (one frame + 20 ms)` : undefined
      rows.push({
        bench: '8. Rates',
        metric: `${p} delta written to the client's own SSE connection → token painted, ${label}`,
        relay: stack.app ? withUnpainted(a, data.app[rate].unpainted) : na,
        official: withUnpainted(o, data.official[rate].unpainted),
        ratio: ratio(a.median, o.median),
        target,
        met: target && stack.app && !ctx.quick && Number.isFinite(a.median) ? a.median <= TARGET_P99_MS : null,
      })
    }
  }
  return { rows, details: { rates: [...RATES], para: ctx.quick ? 20 : PARA, tokens: ctx.quick ? QUICK_TOKENS : RATE_TOKENS, targetP99Ms: TARGET_P99_MS, app: data.app, official: data.official } }
}

/** The summary, or a note beside it when some run left tokens unpainted. */
function withUnpainted(s: Stat, unpainted: number[]): Stat | string {
  const missed = unpainted.reduce((a, b) => a + b, 0)
  if (!missed) return s
  const runs = unpainted.filter((n) => n > 0).length
  return `${Number.isFinite(s.median) ? `${fmt(s.median)} ms` : 'n/a'} (${missed.toLocaleString('en-US')} tokens never painted, ${runs}/${unpainted.length} runs)`
}

/** What benchmark 9 records in the page while the reply streams. */
interface LongRecord {
  /** Animation-frame timestamps, epoch ms (`performance.timeOrigin` + rAF time). */
  frames: number[]
  /** Long tasks: start (epoch ms) and duration (ms). */
  longTasks: LongTask[]
  /** The page main thread's tasks from the trace, wall and own CPU time. */
  traced: TracedTask[]
  /** Page JS heap after GC before the prompt and after the reply, bytes. */
  heapBefore: number
  heapAfter: number
}

/** Benchmark 9: a 50,000-token reply. */
export async function longReply(ctx: BenchContext): Promise<SuiteResult> {
  const stack = await getStack(ctx)
  stack.setAppServer(stack.proxy.url)
  const clients: Client[] = stack.app ? ['app', 'official'] : ['official']
  const tokens = ctx.quick ? 200 : LONG_TOKENS
  const para = ctx.quick ? 20 : PARA
  const rate = LONG_RATE
  const keys = ['frameP95', 'frameMax', 'longTasks', 'longTaskMax', 'cpuLongTasks', 'cpuTaskMax', 'heapGrowthMB', 'p50', 'p99', 'lastLag', 'unpainted'] as const
  type Metrics = Record<(typeof keys)[number], number[]>
  const emptyMetrics = (): Metrics => {
    const out: Partial<Metrics> = {}
    for (const k of keys) out[k] = []
    return out as Metrics
  }
  const m: Record<Client, Metrics> = { app: emptyMetrics(), official: emptyMetrics() }
  const profiles = new Map<Client, Profile>()
  try {
    for (const c of clients) profiles.set(c, await tokenProfile())
    for (let run = 0; run < ctx.runs; run++) {
      for (const client of clients) {
        const profile = profiles.get(client)
        if (!profile) continue
        const during = async (page: Page): Promise<() => Promise<LongRecord>> => {
          const heapBefore = await heapUsed(page)
          await page.evaluate(startLongTasks)
          await page.evaluate(startFrameLog)
          const stopTrace = await startTaskTrace(page)
          return async () => {
            const frames = await page.evaluate(stopFrameLog)
            const longTasks = await page.evaluate(stopLongTasks)
            const traced = await stopTrace()
            return { frames, longTasks, traced, heapBefore, heapAfter: await heapUsed(page) }
          }
        }
        const r = await streamOnce(
          ctx,
          stack,
          profile,
          client,
          `long reply run ${run + 1} ${client}`,
          `stream ${tokens} rate ${rate} para ${para}`,
          tokens,
          (tokens / rate) * 1000,
          during,
        )
        if (!r.extra) throw new Error('no in-page record')
        const rec = r.extra
        const lat = tokenLatencies(r.writtenAt, r.paintedAt, tokens)
        const painted = r.paintedAt.filter((v): v is number => typeof v === 'number')
        const first = painted.length ? painted[0] : Number.NaN
        const last = painted.length ? painted[painted.length - 1] : Number.NaN
        const frames = intervalsWithin(rec.frames, first, last)
        const tasks = rec.longTasks.map((t) => t.duration)
        const cpu = rec.traced.map((t) => t.cpuMs)
        const cpuLong = cpu.filter((ms) => ms > LONG_TASK_MS)
        const lastWritten = r.writtenAt[tokens - 1]
        const x = m[client]
        x.frameP95.push(percentile(frames, 95))
        x.frameMax.push(maximum(frames))
        x.longTasks.push(tasks.length)
        x.longTaskMax.push(maximum(tasks, 0))
        x.cpuLongTasks.push(cpuLong.length)
        x.cpuTaskMax.push(maximum(cpu))
        x.heapGrowthMB.push((rec.heapAfter - rec.heapBefore) / 1024 / 1024)
        x.p50.push(percentile(lat.latencies, 50))
        x.p99.push(percentile(lat.latencies, 99))
        x.lastLag.push(r.complete && typeof lastWritten === 'number' ? (r.paintedAt[tokens - 1] ?? Number.NaN) - lastWritten : Number.NaN)
        x.unpainted.push(lat.unpainted)
        ctx.log(
          `  long reply run ${run + 1}, ${client}: ${r.complete ? 'all painted' : `${lat.unpainted} tokens not painted ${PAINT_CAP_MS / 1000} s after the server went idle`}; ` +
            `streamed for ${fmt((last - first) / 1000)} s in the page; frames p95 ${fmt(percentile(frames, 95))} ms, max ${fmt(x.frameMax[x.frameMax.length - 1])} ms (${frames.length} frames); ` +
            `${tasks.length} long tasks, longest ${fmt(x.longTaskMax[x.longTaskMax.length - 1])} ms; ` +
            `by own CPU time ${cpuLong.length} tasks > ${LONG_TASK_MS} ms of ${cpu.length}, longest ${fmt(x.cpuTaskMax[x.cpuTaskMax.length - 1])} ms; heap ${fmt(rec.heapBefore / 1048576)} → ${fmt(rec.heapAfter / 1048576)} MB; ` +
            `delta → painted p50 ${fmt(percentile(lat.latencies, 50))} ms, p99 ${fmt(percentile(lat.latencies, 99))} ms`,
        )
      }
    }
  } finally {
    for (const p of profiles.values()) await p.close()
  }
  const na = `n/a (app not built: ${stack.appError ?? 'unknown'})`
  const label = `${tokens.toLocaleString('en-US')}-token reply at ${rate.toLocaleString('en-US')} tokens/s (paragraphs of ${para})`
  const pair = (key: keyof Metrics, unit: string) => {
    const a = summarize(m.app[key], unit)
    const o = summarize(m.official[key], unit)
    return { a, o, relay: stack.app ? a : na, official: o, ratio: ratio(a.median, o.median) }
  }
  const full = !ctx.quick
  const frameP95 = pair('frameP95', 'ms')
  const longTasks = pair('longTasks', '')
  const longest = pair('longTaskMax', 'ms')
  const row = (metric: string, p: ReturnType<typeof pair>, target?: string, met?: boolean): Row => ({
    bench: '9. Long reply',
    metric: `${label}: ${metric}`,
    relay: p.relay,
    official: p.official,
    ratio: p.ratio,
    target,
    met: target && stack.app && full && Number.isFinite(p.a.median) ? (met ?? null) : null,
  })
  const unpainted = pair('unpainted', '')
  const rows: Row[] = [
    row('frame interval p95, first → last token painted', frameP95, `≤ ${TARGET_FRAME_P95_MS} ms`, frameP95.a.median <= TARGET_FRAME_P95_MS),
    row('longest frame', pair('frameMax', 'ms')),
    row('long tasks > 50 ms (count, page main thread)', longTasks, 'none > 50 ms', longest.a.median <= 50),
    row('longest long task (0: none)', longest),
    row(`main-thread tasks over ${LONG_TASK_MS} ms of their own CPU time (count; Chromium trace, thread time)`, pair('cpuLongTasks', '')),
    row('longest main-thread task by its own CPU time (Chromium trace)', pair('cpuTaskMax', 'ms')),
    row('JS heap growth, after GC: before the prompt → after the last token (page only)', pair('heapGrowthMB', 'MB')),
    row("p50 delta written to the client's own SSE connection → token painted", pair('p50', 'ms')),
    row("p99 delta written to the client's own SSE connection → token painted", pair('p99', 'ms')),
    row("last token painted − its delta on the client's own connection", pair('lastLag', 'ms')),
  ]
  if (unpainted.a.max > 0 || unpainted.o.max > 0) rows.push(row(`tokens not painted ${PAINT_CAP_MS / 1000} s after the server went idle`, unpainted))
  return { rows, details: { tokens, rate, para, paintCapMs: PAINT_CAP_MS, app: m.app, official: m.official } }
}

/** Intervals (ms) between consecutive frames whose timestamps lie in [from, to]; all of them when the bounds are not finite. */
export function intervalsWithin(frames: readonly number[], from: number, to: number): number[] {
  const inside = Number.isFinite(from) && Number.isFinite(to) ? frames.filter((t) => t >= from - FRAME_MS && t <= to + FRAME_MS) : [...frames]
  const out: number[] = []
  for (let i = 1; i < inside.length; i++) out.push(inside[i] - inside[i - 1])
  return out
}
