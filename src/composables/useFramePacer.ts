/**
 * Paces a render to the display while something streams. A change while the display is quiet (no
 * change in the last {@link QUIET_FRAMES} frames) renders at once: a lone token waits for nothing.
 * Once changes keep coming, each one waits for the next animation frame and the changes within a
 * frame are coalesced into one render there, so under load there is one render per frame whatever
 * the event rate, made in the frame's own callbacks: the DOM then changes only in the frame that
 * paints it, and a frame lays it out once (a change made between frames, in an event's task, is
 * laid out again by whatever reads layout first — a scroll event's handler, say — and then once
 * more with the frame's own changes). The change waits for no paint by that: the frame that runs
 * the render paints it. Only the first frame after a quiet stretch may see two renders (the
 * immediate one, then the coalesced one). A hidden document renders nothing: the change is kept
 * and rendered when it becomes visible (Chromium, Firefox and WebKit run no animation frames in a
 * hidden tab). A visible document whose frames stall (an occluded window) renders on a fallback
 * timer instead.
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

/**
 * Frames without a change after which the display counts as quiet and the next change renders at
 * once. Two, not one: a stream whose changes arrive about once a frame (a batch of tokens every
 * ~16 ms) often leaves one frame without a change, and its next change would then render between
 * frames.
 */
export const QUIET_FRAMES = 2

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

  /** The next frame is awaited: a change renders there. Undefined once the display is quiet. */
  let frame: number | undefined
  let fallback: ReturnType<typeof setTimeout> | undefined
  /** A change not rendered yet. */
  let dirty = false
  /** Frames since the last render that had no change to render. */
  let idleFrames = 0
  let unsubscribe: (() => void) | undefined

  function clearFrame(): void {
    if (frame !== undefined) cancelFrame(frame)
    if (fallback !== undefined) clearTimeout(fallback)
    frame = undefined
    fallback = undefined
  }

  function awaitFrame(): void {
    frame = requestFrame(onFrame)
    fallback = setTimeout(onFrame, fallbackMs)
  }

  function renderNow(): void {
    dirty = false
    idleFrames = 0
    render()
    awaitFrame()
  }

  function onFrame(): void {
    clearFrame()
    if (dirty) {
      if (!isHidden()) renderNow()
    } else if (++idleFrames < QUIET_FRAMES) awaitFrame()
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
