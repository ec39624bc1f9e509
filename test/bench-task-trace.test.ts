/**
 * The bench's trace reader (test/bench/lib/task-trace.ts): the page's main-thread tasks with their
 * wall and own CPU time, picked out of a browser-wide Chromium trace.
 */
import { describe, expect, it } from 'vitest'
import { mainThreadTasks } from './bench/lib/task-trace.ts'

const thread = (pid: number, tid: number, name: string) => ({ ph: 'M', name: 'thread_name', pid, tid, args: { name } })
const task = (pid: number, tid: number, dur: number, tdur?: number) => ({ ph: 'X', name: 'ThreadControllerImpl::RunTask', pid, tid, dur, ...(tdur === undefined ? {} : { tdur }) })

describe('mainThreadTasks', () => {
  it("reads the busiest renderer main thread's tasks in ms, own CPU time from tdur", () => {
    const events = [
      thread(1, 10, 'CrRendererMain'),
      thread(2, 20, 'CrRendererMain'),
      thread(2, 21, 'DedicatedWorker thread'),
      task(1, 10, 5_000, 4_000),
      task(2, 20, 120_000, 30_000),
      task(2, 20, 60_000, 55_000),
      task(2, 21, 900_000, 900_000),
      { ph: 'X', name: 'Receive mojo message', pid: 2, tid: 20, dur: 120_000, tdur: 30_000 },
    ]
    expect(mainThreadTasks(events)).toEqual([
      { wallMs: 120, cpuMs: 30 },
      { wallMs: 60, cpuMs: 55 },
    ])
  })

  it('takes the wall time when a task has no thread time, and nothing from an empty trace', () => {
    expect(mainThreadTasks([thread(1, 1, 'CrRendererMain'), task(1, 1, 7_000)])).toEqual([{ wallMs: 7, cpuMs: 7 }])
    expect(mainThreadTasks([])).toEqual([])
  })
})
