/**
 * The idle task (src/composables/useIdleTask.ts) with a fake scheduler: requests coalesce into one
 * run, a cancel drops it, and the deadline given to the scheduler is the option's.
 */
import { describe, expect, it } from 'vitest'
import { createIdleTask } from '../src/composables/useIdleTask.ts'

/** A fake idle scheduler: callbacks run when the test says the page is idle. */
function fakeIdle() {
  const pending = new Map<number, { callback: () => void; timeoutMs: number }>()
  let next = 1
  return {
    pending,
    schedule(callback: () => void, timeoutMs: number) {
      const id = next++
      pending.set(id, { callback, timeoutMs })
      return () => void pending.delete(id)
    },
    idle() {
      const due = [...pending.values()]
      pending.clear()
      for (const p of due) p.callback()
    },
  }
}

describe('idle task', () => {
  it('runs once per idle period however often it was requested, with the deadline asked for', () => {
    const idle = fakeIdle()
    let runs = 0
    const task = createIdleTask(() => runs++, { schedule: idle.schedule, timeoutMs: 250 })
    task.request()
    task.request()
    expect(task.pending).toBe(true)
    expect([...idle.pending.values()].map((p) => p.timeoutMs)).toEqual([250])
    idle.idle()
    expect(runs).toBe(1)
    expect(task.pending).toBe(false)
    task.request()
    idle.idle()
    expect(runs).toBe(2)
  })

  it('drops a pending run on cancel, and can be requested again', () => {
    const idle = fakeIdle()
    let runs = 0
    const task = createIdleTask(() => runs++, { schedule: idle.schedule })
    task.request()
    task.cancel()
    expect(idle.pending.size).toBe(0)
    idle.idle()
    expect(runs).toBe(0)
    task.request()
    idle.idle()
    expect(runs).toBe(1)
  })
})
