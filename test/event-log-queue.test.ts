/**
 * The event log's operation queue on its own (sw/relay/log/queue.ts): one operation at a time in
 * call order, a failure does not stop the ones after it, and only ordered operations make a live
 * append take the ordered path.
 */
import { describe, expect, it } from 'vitest'
import { SerialQueue } from '../sw/relay/log/queue.ts'

describe('SerialQueue', () => {
  it('runs operations one at a time, in call order, whatever each takes', async () => {
    const q = new SerialQueue()
    const log: string[] = []
    const op = (name: string, ms: number) => async () => {
      log.push(`${name} start`)
      await new Promise((r) => setTimeout(r, ms))
      log.push(`${name} end`)
      return name
    }
    const results = await Promise.all([q.run(op('a', 20)), q.run(op('b', 0)), q.run(op('c', 5))])
    expect(results).toEqual(['a', 'b', 'c'])
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end'])
  })

  it('a rejected operation rejects its caller only; the next one still runs', async () => {
    const q = new SerialQueue()
    const failed = q.run(async () => {
      throw new Error('boom')
    })
    const next = q.run(async () => 'ran')
    await expect(failed).rejects.toThrow('boom')
    expect(await next).toBe('ran')
  })

  it('counts ordered operations, queued or running, and not write-behind persists', async () => {
    const q = new SerialQueue()
    let release = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const persist = q.run(() => gate, false)
    expect(q.orderedPending).toBe(false)
    const ordered = q.run(async () => 'ordered')
    expect(q.orderedPending).toBe(true)
    release()
    await persist
    expect(await ordered).toBe('ordered')
    expect(q.orderedPending).toBe(false)
  })
})
