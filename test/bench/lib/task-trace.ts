/**
 * The tab's main-thread tasks by their own CPU time, from a Chromium trace (CDP `Tracing`, category
 * `toplevel`): every `ThreadControllerImpl::RunTask` of the page's renderer main thread with its
 * wall duration (`dur`) and its thread CPU time (`tdur`, both µs in the trace).
 *
 * Why beside the Long Tasks API: on a machine whose cores are shared by the server, the model, the
 * compositor and other browsers, a task is "long" by the wall clock when its thread waited for a
 * core; `tdur` counts only the time the thread itself ran, so it tells a task that did 50 ms of
 * work from one that did 10 ms and waited 40.
 *
 * The page's main thread is the `CrRendererMain` thread with the most task CPU time in the trace
 * (each benchmark client is alone in its browser, so that is the tab that renders the stream; a
 * SharedWorker or service worker runs on other threads and is not counted).
 */
import { writeFileSync } from 'node:fs'
import type { CDPSession, Page } from '@playwright/test'
import { isRecord } from '../../../sw/shared/guards.ts'

/** One main-thread task: wall and own-CPU durations, ms. */
export interface TracedTask {
  wallMs: number
  cpuMs: number
}

/** One raw trace event, as far as this module reads it. */
interface TraceEvent {
  name?: unknown
  ph?: unknown
  pid?: unknown
  tid?: unknown
  dur?: unknown
  tdur?: unknown
  args?: unknown
}

const TASK_EVENT = 'ThreadControllerImpl::RunTask'

/**
 * Categories of the whole timeline (what the DevTools Performance panel records), added when
 * `BENCH_TIMELINE` names a file prefix: each trace is then also written to
 * `<prefix>-<n>.json` (Chrome's JSON trace format, open it in DevTools or Perfetto) for profiling.
 */
const TIMELINE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'v8.execute', 'blink.user_timing', 'latencyInfo']
let timelines = 0

/**
 * Starts tracing the browser of `page`. Resolves with `stop`, which ends the trace and resolves
 * with the tasks of the page's main thread (see the module comment), in trace order. With the
 * environment variable `BENCH_TIMELINE=<prefix>` the whole timeline is recorded too and written to
 * `<prefix>-<n>.json`, n counting the traces of the process from 1; with `BENCH_CPUPROFILE=<prefix>`
 * the page's main thread is sampled by V8's profiler too (every 1 ms), written to
 * `<prefix>-<n>.cpuprofile`.
 * @throws the CDP error when tracing cannot start (one trace per browser at a time).
 */
export async function startTaskTrace(page: Page): Promise<() => Promise<TracedTask[]>> {
  const timeline = process.env.BENCH_TIMELINE
  const cpuProfile = process.env.BENCH_CPUPROFILE
  const cdp: CDPSession = await page.context().newCDPSession(page)
  const events: TraceEvent[] = []
  cdp.on('Tracing.dataCollected', (e) => {
    for (const v of e.value) if (isRecord(v)) events.push(v)
  })
  const categories = ['toplevel', '__metadata', ...(timeline ? TIMELINE_CATEGORIES : [])]
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: categories }, transferMode: 'ReportEvents' })
  if (cpuProfile) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 1000 })
    await cdp.send('Profiler.start')
  }
  return async () => {
    const n = ++timelines
    if (cpuProfile) writeFileSync(`${cpuProfile}-${n}.cpuprofile`, JSON.stringify((await cdp.send('Profiler.stop')).profile))
    const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()))
    await cdp.send('Tracing.end')
    await complete
    await cdp.detach().catch(() => undefined)
    if (timeline) writeFileSync(`${timeline}-${n}.json`, JSON.stringify({ traceEvents: events }))
    return mainThreadTasks(events)
  }
}

/** The tasks of the busiest `CrRendererMain` thread of `events` (see the module comment). Exported for tests. */
export function mainThreadTasks(events: readonly TraceEvent[]): TracedTask[] {
  const mainThreads = new Set<string>()
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && isRecord(e.args) && e.args.name === 'CrRendererMain') mainThreads.add(`${String(e.pid)}:${String(e.tid)}`)
  }
  const byThread = new Map<string, TracedTask[]>()
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== TASK_EVENT || typeof e.dur !== 'number') continue
    const thread = `${String(e.pid)}:${String(e.tid)}`
    if (!mainThreads.has(thread)) continue
    const tasks = byThread.get(thread) ?? []
    tasks.push({ wallMs: e.dur / 1000, cpuMs: (typeof e.tdur === 'number' ? e.tdur : e.dur) / 1000 })
    byThread.set(thread, tasks)
  }
  let busiest: TracedTask[] = []
  let most = -1
  for (const tasks of byThread.values()) {
    const cpu = tasks.reduce((sum, t) => sum + t.cpuMs, 0)
    if (cpu > most) {
      most = cpu
      busiest = tasks
    }
  }
  return busiest
}
