/**
 * Paces a render to the display while something streams. The first change after a frame without
 * a render runs at once (a token that arrives while the stream is quiet waits for nothing); the
 * changes that follow within the same frame are coalesced into one render at the next animation
 * frame. So under load there is one render per frame whatever the event rate, and the only frame
 * that may see two renders is the first after a quiet one (the immediate render, then the coalesced
 * one). A hidden document renders nothing: the change is kept and rendered when it becomes visible
 * (Chromium, Firefox and WebKit run no animation frames in a hidden tab). A visible document whose
 * frames stall (an occluded window) renders on a fallback timer instead.
 */
import { onScopeDispose } from 'vue'

/** Options of {@link createFramePacer}; every field has a browser default (for tests: fakes). */
export interface FramePacerOptions {
  /** A pending render runs without a frame after this long, ms. Default 100. */
  fallbackMs?: number
  /** Default `requestAnimationFrame`. */
  requestFrame?: (callback: () => void) => number
  /** Default `cancelAnimationFrame`. */
  cancelFrame?: (handle: number) => void
  /** Whether the document is hidden. Default `document.visibilityState === 'hidden'`. */
  isHidden?: () => boolean
  /** Subscribes to the document becoming visible; returns the unsubscribe. Default `visibilitychange` on `document`. */
  onVisible?: (listener: () => void) => () => void
}

/** A render paced to animation frames (see the module comment). */
export interface FramePacer {
  /** Something changed: render now, at the next frame, or when the document is visible again. */
  request(): void
  /** Drops a pending render (the caller rendered itself, e.g. the stream ended). */
  cancel(): void
  /** Cancels and stops listening for visibility. */
  dispose(): void
}

/** Creates a {@link FramePacer} for `render` (not tied to a component: see {@link useFramePacer}). */
export function createFramePacer(render: () => void, options: FramePacerOptions = {}): FramePacer {
  const fallbackMs = options.fallbackMs ?? 100
  const requestFrame = options.requestFrame ?? ((cb: () => void) => requestAnimationFrame(cb))
  const cancelFrame = options.cancelFrame ?? ((h: number) => cancelAnimationFrame(h))
  const isHidden = options.isHidden ?? (() => document.visibilityState === 'hidden')
  const onVisible =
    options.onVisible ??
    ((listener: () => void) => {
      const handler = () => {
        if (document.visibilityState === 'visible') listener()
      }
      document.addEventListener('visibilitychange', handler)
      return () => document.removeEventListener('visibilitychange', handler)
    })

  /** A render ran since the last frame; the frame that ends its interval is awaited. */
  let frame: number | undefined
  let fallback: ReturnType<typeof setTimeout> | undefined
  /** A change not rendered yet. */
  let dirty = false
  let unsubscribe: (() => void) | undefined

  function clearFrame(): void {
    if (frame !== undefined) cancelFrame(frame)
    if (fallback !== undefined) clearTimeout(fallback)
    frame = undefined
    fallback = undefined
  }

  function renderNow(): void {
    dirty = false
    render()
    frame = requestFrame(onFrame)
    fallback = setTimeout(onFrame, fallbackMs)
  }

  function onFrame(): void {
    clearFrame()
    if (dirty && !isHidden()) renderNow()
  }

  function request(): void {
    if (isHidden()) {
      dirty = true
      unsubscribe ??= onVisible(() => {
        if (dirty && frame === undefined) renderNow()
      })
      return
    }
    if (frame === undefined) renderNow()
    else dirty = true
  }

  function cancel(): void {
    clearFrame()
    dirty = false
  }

  return {
    request,
    cancel,
    dispose() {
      cancel()
      unsubscribe?.()
      unsubscribe = undefined
    },
  }
}

/** {@link createFramePacer} disposed with the calling component or effect scope. */
export function useFramePacer(render: () => void, options?: FramePacerOptions): FramePacer {
  const pacer = createFramePacer(render, options)
  onScopeDispose(() => pacer.dispose())
  return pacer
}
