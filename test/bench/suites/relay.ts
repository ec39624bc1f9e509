/**
 * Benchmarks 1, 2 and 4 of issue 7, on the relay itself: the real SharedWorker and the real
 * reducer in bench pages (`test/bench/page/`), fed by the loopback SSE source replaying the
 * trace recorded from `opencode serve` (`fixtures/trace.jsonl`).
 *
 * 1. Ingest — events/s from the source's first write to the moment the LAST of 1, 4 or 8 tabs has
 *    applied the last event (the relay parses, persists to IndexedDB, then fans out; a tab applies
 *    only what the log committed). Beside it, on the same bytes in the same browser: the
 *    eventsource-parser ceiling and the Dexie `bulkPut` ceiling.
 * 2. Latency — p50/p99 of `Date.now()` at apply in the tab − `Date.now()` at the source's write,
 *    at 200, 1,000 and 5,000 events/s.
 * 4. Catch-up — a tab frozen (Page.setWebLifecycleState) while 10,000 events arrive; time from the
 *    resume command to that tab having applied the last event (its cursor equal to the relay's head,
 *    as a live tab proves).
 */
import type { Page } from '@playwright/test'
import type { StaticServer } from '../../../src/cli/static-server.ts'
import { freeze, launchProfile, type Profile } from '../lib/browser.ts'
import type { BenchContext, Row, SuiteResult } from '../lib/context.ts'
import { serveBenchPage } from '../lib/page-build.ts'
import { startSseSource, type SseSource } from '../lib/sse-source.ts'
import { fmt, percentile, summarize } from '../lib/stats.ts'
import { frame, loadTrace, scaleTrace, sentinel, sentinelId, traceDirectory, type TraceEvent } from '../lib/trace.ts'
import '../page/api.ts'

interface Rig {
  page: StaticServer
  source: SseSource
  trace: string[]
  directory: string
}

let rig: Promise<Rig> | undefined

/** The bench page server and the loopback source, started once per process. */
function getRig(ctx: BenchContext): Promise<Rig> {
  rig ??= (async () => {
    ctx.log('building the bench page (vite) and starting the loopback SSE source…')
    const page = await serveBenchPage()
    const source = await startSseSource()
    const trace = loadTrace()
    ctx.defer(async () => {
      rig = undefined
      await source.close()
      await page.close()
    })
    return { page, source, trace, directory: traceDirectory(trace) }
  })()
  return rig
}

let runCounter = 0
/** A run tag unique in this process: the relay gets a fresh server URL, hence a fresh event log. */
function runTag(kind: string): string {
  return `${kind}-${process.pid}-${++runCounter}-${Date.now().toString(36)}`
}

/** Opens `n` bench tabs in `profile`, each started on `serverUrl`. */
async function openBenchTabs(profile: Profile, r: Rig, n: number, serverUrl: string): Promise<Page[]> {
  const pages: Page[] = []
  for (let i = 0; i < n; i++) {
    const page = await profile.context.newPage()
    await page.goto(`${r.page.url}/index.html`)
    await page.waitForFunction(() => typeof window.bench === 'object')
    await page.evaluate((url) => window.bench.start(url), serverUrl)
    pages.push(page)
  }
  return pages
}

async function closeTabs(pages: Page[]): Promise<void> {
  for (const p of pages) {
    await p.evaluate(() => window.bench.stop()).catch(() => undefined)
    await p.close().catch(() => undefined)
  }
}

/**
 * Waits until the tab applied the sentinel; resolves with its epoch ms.
 * @throws Error when the tab makes no progress for `stallMs` (default 15 s), e.g. when the relay
 * dropped it, with the tab's counters in the message.
 */
async function endSeen(page: Page, stallMs = 15_000): Promise<number> {
  let last = -1
  let lastChange = Date.now()
  for (;;) {
    const s = await page.evaluate(() => window.bench.state())
    if (s.endSeenAt !== null) return s.endSeenAt
    if (s.applied !== last) {
      last = s.applied
      lastChange = Date.now()
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(
        `a tab stopped receiving events (relay ${s.relayState}, ${s.applied} applied, ${s.batches} batches, ${s.resets} resets)` +
          (s.batches === 0 ? ': the relay never sent it a batch — was it dropped as closed?' : ''),
      )
    }
    await sleep(25)
  }
}

function body(events: readonly TraceEvent[], tag: string, directory: string): string {
  let out = ''
  for (const e of events) out += frame(e)
  return out + frame(sentinel(tag, directory))
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Benchmark 1: ingest throughput with 1, 4, 8 tabs, and the raw ceilings. */
export async function ingest(ctx: BenchContext): Promise<SuiteResult> {
  const r = await getRig(ctx)
  const count = ctx.quick ? 1_000 : 5_000
  const tabCounts = ctx.quick ? [2] : [1, 4, 8]
  const events = scaleTrace(r.trace, count)
  const stream = body(events, 'ceiling', r.directory)
  r.source.putBytes('ingest', stream)
  const rows: Row[] = []
  const details: Record<string, unknown> = { events: count, bytes: Buffer.byteLength(stream), traceEvents: r.trace.length }

  // Raw ceilings, in a page of their own (no relay running), same bytes.
  const ceilProfile = await launchProfile()
  const parserRuns: number[] = []
  const parseJsonRuns: number[] = []
  const dexieRuns: number[] = []
  const chunkRuns: number[] = []
  let storedRows = 0
  try {
    const page = await ceilProfile.context.newPage()
    await page.goto(`${r.page.url}/index.html`)
    await page.waitForFunction(() => typeof window.bench === 'object')
    const url = `${r.source.url}/bytes/ingest`
    for (let run = 0; run < ctx.runs; run++) {
      const p = await page.evaluate((u) => window.bench.parseCeiling(u), url)
      const d = await page.evaluate((u) => window.bench.dexieCeiling(u, 1000), url)
      const c = await page.evaluate((u) => window.bench.chunkCeiling(u, 100), url)
      parserRuns.push((p.events / p.parserMs) * 1000)
      parseJsonRuns.push((p.events / p.parseJsonMs) * 1000)
      dexieRuns.push((count / d.ms) * 1000)
      chunkRuns.push((count / c.ms) * 1000)
      storedRows = d.rows
      ctx.log(
        `  ceiling run ${run + 1}: parser ${fmt(parserRuns[run], 0)}/s, +JSON ${fmt(parseJsonRuns[run], 0)}/s, ` +
          `Dexie bulkPut ${fmt(dexieRuns[run], 0)} events/s (${d.rows} rows in ${fmt(d.ms)} ms), 100 events per row ${fmt(chunkRuns[run], 0)} events/s`,
      )
    }
  } finally {
    await ceilProfile.close()
  }
  details.storedRows = storedRows
  const parser = summarize(parserRuns, 'events/s')
  const parseJson = summarize(parseJsonRuns, 'events/s')
  const dexie = summarize(dexieRuns, 'events/s')
  const chunks = summarize(chunkRuns, 'events/s')

  const perTabs: Record<string, unknown> = {}
  for (const tabs of tabCounts) {
    const rates: number[] = []
    const upstream: number[] = []
    for (let run = 0; run < ctx.runs; run++) {
      const profile = await launchProfile()
      try {
        const tag = runTag(`ingest${tabs}`)
        const pages = await openBenchTabs(profile, r, tabs, r.source.runUrl(tag))
        await r.source.waitForStreams(tag, 1)
        await sleep(300)
        for (const p of pages) await p.evaluate((id) => window.bench.expectEnd(id), sentinelId(tag))
        const runBody = body(events, tag, r.directory)
        const { firstWriteAt } = await r.source.emit(tag, runBody)
        const ends = await Promise.all(pages.map((p) => endSeen(p)))
        const states = await Promise.all(pages.map((p) => p.evaluate(() => window.bench.state())))
        const elapsed = Math.max(...ends) - firstWriteAt
        rates.push(((count + 1) / Math.max(elapsed, 1)) * 1000)
        upstream.push(r.source.streamRequests(tag))
        // Every tab must end at the same cursor (the relay's head). Applied counts may differ a
        // little: the log's compaction may drop deltas superseded by a later part update before a
        // slower tab reads them (by design, see EventLog.compact).
        const applied = states.map((s) => s.applied)
        const cursors = states.map((s) => s.lastCursor)
        if (new Set(cursors).size !== 1 || states.some((s) => s.failedEvents || s.resets)) {
          throw new Error(`tabs disagree after ingest: cursors ${cursors.join(',')}, failed ${states.map((s) => s.failedEvents).join(',')}, resets ${states.map((s) => s.resets).join(',')}`)
        }
        ctx.log(`  ingest ${tabs} tab(s) run ${run + 1}: ${fmt(rates[run], 0)} events/s (${count + 1} events in ${elapsed} ms, ${applied[0]} applied per tab, ${upstream[run]} upstream request(s))`)
        await closeTabs(pages)
        r.source.endRun(tag)
      } finally {
        await profile.close()
      }
    }
    const rate = summarize(rates, 'events/s')
    perTabs[tabs] = { rates, upstreamRequests: upstream }
    rows.push({
      bench: '1. Ingest',
      metric: `relay, ${tabs} tab${tabs > 1 ? 's' : ''} (parse + IndexedDB + fan-out + reducer)`,
      relay: rate,
      ratio: `${fmt(rate.median / Math.min(parseJson.median, dexie.median), 2)}× of the ${dexie.median <= parseJson.median ? 'Dexie' : 'parse'} ceiling`,
      target: tabs === 4 ? '≥ 20,000 events/s' : undefined,
      met: tabs === 4 ? rate.median >= 20_000 : null,
    })
  }
  details.tabs = perTabs
  rows.push(
    { bench: '1. Ingest', metric: 'ceiling: eventsource-parser alone (in page)', relay: parser },
    { bench: '1. Ingest', metric: 'ceiling: eventsource-parser + JSON.parse (in page)', relay: parseJson },
    { bench: '1. Ingest', metric: `ceiling: Dexie bulkPut alone, event log schema, 1 row per event (${storedRows} rows per ${count} events, 1,000 rows/tx)`, relay: dexie },
    { bench: '1. Ingest', metric: 'reference: Dexie bulkPut, 100 events per row (a batched-row log design)', relay: chunks },
  )
  details.ceilings = { parserRuns, parseJsonRuns, dexieRuns, chunkRuns }
  return { rows, details }
}

/** Benchmark 2: latency source → tab store at 200, 1,000 and 5,000 events/s (one tab). */
export async function latency(ctx: BenchContext): Promise<SuiteResult> {
  const r = await getRig(ctx)
  const rates = ctx.quick ? [1_000] : [200, 1_000, 5_000]
  const seconds = ctx.quick ? 0.3 : 2
  const rows: Row[] = []
  const details: Record<string, unknown> = { seconds }
  for (const rate of rates) {
    const p50s: number[] = []
    const p99s: number[] = []
    const up50s: number[] = []
    const up99s: number[] = []
    const count = Math.round(rate * seconds)
    const warm = scaleTrace(r.trace, Math.min(ctx.quick ? 50 : 200, count), 1)
    const events = scaleTrace(r.trace, count, 2)
    for (let run = 0; run < ctx.runs; run++) {
      const profile = await launchProfile()
      try {
        const tag = runTag(`latency${rate}`)
        const [page] = await openBenchTabs(profile, r, 1, r.source.runUrl(tag))
        await r.source.waitForStreams(tag, 1)
        await sleep(300)
        await r.source.emitAtRate(tag, warm, rate, false)
        await page.evaluate((id) => {
          window.bench.expectEnd(id)
          window.bench.recordLatency(true)
        }, sentinelId(tag))
        await r.source.emitAtRate(tag, [...events, sentinel(tag, r.directory)], rate, true)
        await endSeen(page)
        const samples = await page.evaluate(() => window.bench.takeLatencies())
        p50s.push(percentile(samples.total, 50))
        p99s.push(percentile(samples.total, 99))
        up50s.push(percentile(samples.upstream, 50))
        up99s.push(percentile(samples.upstream, 99))
        ctx.log(
          `  latency ${rate}/s run ${run + 1}: p50 ${fmt(p50s[run])} ms, p99 ${fmt(p99s[run])} ms (${samples.total.length} samples; ` +
            `source → relay p50 ${fmt(up50s[run])} ms, p99 ${fmt(up99s[run])} ms)`,
        )
        await closeTabs([page])
        r.source.endRun(tag)
      } finally {
        await profile.close()
      }
    }
    details[rate] = { p50s, p99s, sourceToRelayP50s: up50s, sourceToRelayP99s: up99s, events: count }
    const label = `${rate.toLocaleString('en-US')} events/s`
    const p99 = summarize(p99s, 'ms')
    rows.push(
      { bench: '2. Latency', metric: `p50 source → tab store, ${label}`, relay: summarize(p50s, 'ms') },
      {
        bench: '2. Latency',
        metric: `p99 source → tab store, ${label}`,
        relay: p99,
        target: rate === 1_000 ? '≤ 30 ms' : undefined,
        met: rate === 1_000 ? p99.median <= 30 : null,
      },
    )
  }
  return { rows, details }
}

/** Benchmark 4: catch-up of a tab frozen while 10,000 events arrive. */
export async function catchup(ctx: BenchContext): Promise<SuiteResult> {
  const r = await getRig(ctx)
  const count = ctx.quick ? 1_000 : 10_000
  const events = scaleTrace(r.trace, count, 3)
  const times: number[] = []
  const applied: number[] = []
  for (let run = 0; run < ctx.runs; run++) {
    const profile = await launchProfile()
    try {
      const tag = runTag('catchup')
      const [live, frozen] = await openBenchTabs(profile, r, 2, r.source.runUrl(tag))
      await r.source.waitForStreams(tag, 1)
      await sleep(300)
      for (const p of [live, frozen]) await p.evaluate((id) => window.bench.expectEnd(id), sentinelId(tag))
      const resume = await freeze(frozen)
      await r.source.emit(tag, body(events, tag, r.directory))
      await endSeen(live)
      const head = (await live.evaluate(() => window.bench.state())).lastCursor
      await sleep(200)
      const resumedAt = await resume()
      const doneAt = await endSeen(frozen)
      let s = await frozen.evaluate(() => window.bench.state())
      // Waking may make the relay reconnect (and its catch-up log more): compare with the live tab now.
      const until = Date.now() + 5_000
      let now = head
      while (s.lastCursor !== now && Date.now() < until) {
        await sleep(50)
        s = await frozen.evaluate(() => window.bench.state())
        now = (await live.evaluate(() => window.bench.state())).lastCursor
      }
      if (s.lastCursor !== now) throw new Error(`the resumed tab is at cursor ${s.lastCursor}, the relay head is ${now}`)
      times.push(doneAt - resumedAt)
      applied.push(s.applied)
      ctx.log(`  catch-up run ${run + 1}: ${doneAt - resumedAt} ms to apply ${s.applied} events (cursor ${s.lastCursor} = head)`)
      await closeTabs([live, frozen])
      r.source.endRun(tag)
    } finally {
      await profile.close()
    }
  }
  const t = summarize(times, 'ms')
  return {
    rows: [
      {
        bench: '4. Catch-up',
        metric: `frozen tab, ${count.toLocaleString('en-US')} events: resume → tab equal to relay head`,
        relay: t,
        target: count === 10_000 ? '≤ 500 ms' : undefined,
        met: count === 10_000 ? t.median <= 500 : null,
      },
    ],
    details: { events: count, times, applied },
  }
}
