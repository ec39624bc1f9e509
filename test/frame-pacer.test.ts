import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFramePacer, QUIET_FRAMES } from '../src/composables/useFramePacer.ts'

/** A fake display: frames run when the test says so; visibility is a flag. */
function fakeDisplay() {
  let next = 1
  const frames = new Map<number, () => void>()
  const visible = new Set<() => void>()
  const display = {
    hidden: false,
    requestFrame: (cb: () => void) => {
      frames.set(next, cb)
      return next++
    },
    cancelFrame: (h: number) => void frames.delete(h),
    isHidden: () => display.hidden,
    onVisible: (listener: () => void) => {
      visible.add(listener)
      return () => visible.delete(listener)
    },
    /** Runs the callbacks of one animation frame. */
    frame() {
      const due = [...frames.values()]
      frames.clear()
      for (const cb of due) cb()
    },
    show() {
      display.hidden = false
      for (const l of visible) l()
    },
    pendingFrames: () => frames.size,
    listeners: () => visible.size,
  }
  return display
}

describe('frame pacer', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('renders the first change on a quiet display at once, without waiting for a frame', () => {
    const d = fakeDisplay()
    const render = vi.fn()
    createFramePacer(render, d).request()
    expect(render).toHaveBeenCalledTimes(1)
  })

  it('coalesces the changes that follow within a frame into one render at the next frame', () => {
    const d = fakeDisplay()
    const render = vi.fn()
    const pacer = createFramePacer(render, d)
    pacer.request()
    for (let i = 0; i < 50; i++) pacer.request()
    expect(render).toHaveBeenCalledTimes(1)
    d.frame()
    expect(render).toHaveBeenCalledTimes(2)
    for (let f = 0; f < QUIET_FRAMES; f++) d.frame()
    expect(render).toHaveBeenCalledTimes(2)
    expect(d.pendingFrames()).toBe(0)
    // Quiet again: the next change renders at once.
    pacer.request()
    expect(render).toHaveBeenCalledTimes(3)
  })

  it('renders a change that follows a frame without one in the next frame, not between frames', () => {
    const d = fakeDisplay()
    const render = vi.fn()
    const pacer = createFramePacer(render, d)
    pacer.request()
    expect(render).toHaveBeenCalledTimes(1)
    // A stream with a gap of one frame: its next change still waits for a frame.
    for (let f = 0; f < QUIET_FRAMES - 1; f++) d.frame()
    pacer.request()
    expect(render).toHaveBeenCalledTimes(1)
    d.frame()
    expect(render).toHaveBeenCalledTimes(2)
  })

  it('renders once per frame under a steady stream of changes', () => {
    const d = fakeDisplay()
    const render = vi.fn()
    const pacer = createFramePacer(render, d)
    for (let f = 0; f < 20; f++) {
      for (let i = 0; i < 10; i++) pacer.request()
      d.frame()
    }
    // The first change renders at once, then one render per frame.
    expect(render).toHaveBeenCalledTimes(21)
  })

  it('renders on the fallback timer when a visible page gets no frames', () => {
    const d = fakeDisplay()
    const render = vi.fn()
    const pacer = createFramePacer(render, { ...d, fallbackMs: 100 })
    pacer.request()
    pacer.request()
    vi.advanceTimersByTime(99)
    expect(render).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1)
    expect(render).toHaveBeenCalledTimes(2)
    expect(d.pendingFrames()).toBe(1)
  })

  it('renders nothing while the document is hidden, and the latest state once it is shown', () => {
    const d = fakeDisplay()
    d.hidden = true
    const render = vi.fn()
    const pacer = createFramePacer(render, d)
    for (let i = 0; i < 5; i++) pacer.request()
    vi.advanceTimersByTime(5_000)
    d.frame()
    expect(render).not.toHaveBeenCalled()
    d.show()
    expect(render).toHaveBeenCalledTimes(1)
  })

  it('keeps a change made just before the page was hidden for when it is shown', () => {
    const d = fakeDisplay()
    const render = vi.fn()
    const pacer = createFramePacer(render, d)
    pacer.request()
    pacer.request()
    d.hidden = true
    d.frame()
    expect(render).toHaveBeenCalledTimes(1)
    pacer.request()
    d.show()
    expect(render).toHaveBeenCalledTimes(2)
  })

  it('drops a pending render on cancel, and dispose stops listening', () => {
    const d = fakeDisplay()
    const render = vi.fn()
    const pacer = createFramePacer(render, d)
    pacer.request()
    pacer.request()
    pacer.cancel()
    d.frame()
    vi.advanceTimersByTime(1_000)
    expect(render).toHaveBeenCalledTimes(1)
    d.hidden = true
    pacer.request()
    expect(d.listeners()).toBe(1)
    pacer.dispose()
    expect(d.listeners()).toBe(0)
    d.show()
    expect(render).toHaveBeenCalledTimes(1)
  })
})
