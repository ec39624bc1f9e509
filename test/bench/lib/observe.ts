/**
 * In-page instruments of the UI benchmarks, installed identically into this project's app and
 * into the official web UI, so both are measured the same way:
 *
 * - {@link watchMarkers} (an init script, from document start): a MutationObserver that notices
 *   when a marker text first appears in the DOM; the time taken is that of the next animation
 *   frame (the frame that paints it; or now, when the change was made inside a frame's callbacks:
 *   {@link trackFramePhase}), as `performance.now()` (ms since navigation start) and as
 *   `Date.now()` (epoch ms, comparable with Node's clock). From then on it also looks, once per
 *   animation frame, for the first frame in which an element holding the marker's text lies in
 *   the viewport (`getBoundingClientRect` overlapping it): "visible" is later than "painted" when
 *   the text is in the DOM but scrolled out of view (a transcript rendered top-down, then
 *   scrolled to its end).
 * - {@link startFrames} / {@link stopFrames}: animation-frame intervals while the harness scrolls.
 * - {@link trackFramePhase} (an init script, installed before the watchers): whether the page is
 *   inside a frame's rendering update, so a watcher that sees a change made there stamps it now
 *   rather than at the next frame (see there).
 *
 * These functions run in the page (passed to Playwright's `addInitScript` / `evaluate`), so they
 * must be self-contained.
 */

/** When a marker was painted. */
export interface MarkSeen {
  /** `performance.now()` at the animation frame after the marker appeared, ms since navigation start. */
  perf: number
  /** `Date.now()` at that frame, epoch ms. */
  epoch: number
}

declare global {
  interface Window {
    /** Marker text → when it was first painted. */
    __benchSeen?: Record<string, MarkSeen>
    /** Marker text → the first animation frame in which it was inside the viewport. */
    __benchVisible?: Record<string, MarkSeen>
    /** Marker text → the first animation frame in which it was inside a row of `watchMarkers`' `rowSelector`. */
    __benchInRow?: Record<string, MarkSeen>
    /** Frame timestamps (`requestAnimationFrame` arguments) while recording. */
    __benchFrames?: number[]
    __benchFramesOn?: boolean
    /** True from a frame's first animation-frame callback until that frame's rendering task ended (see {@link trackFramePhase}). */
    __benchInFrame?: boolean
  }
}

/**
 * Init script (before any page script): keeps `window.__benchInFrame` true while the page is in
 * an animation frame's rendering update: set by the frame's first `requestAnimationFrame`
 * callback (the page's own callbacks are wrapped), cleared by a message posted from there, which
 * runs as the next task, after that frame's style, layout and paint.
 *
 * Why: a DOM change is painted in the next frame's rendering update, so a watcher stamps "painted"
 * at the next animation frame. But a change made inside a frame's callbacks (a UI that renders in
 * `requestAnimationFrame`) is painted by that very frame, and a callback the watcher requests
 * then runs only in the frame after: one frame (16.7 ms) late. With this, the watcher stamps such
 * a change when it sees it (after the UI's callback, before that frame's layout and paint), as
 * the next frame's callback would stamp a change made between frames. Same script in both UIs.
 */
export function trackFramePhase(): void {
  const request = window.requestAnimationFrame.bind(window)
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    window.__benchInFrame = false
  }
  window.__benchInFrame = false
  window.requestAnimationFrame = (callback) =>
    request((time) => {
      if (!window.__benchInFrame) {
        window.__benchInFrame = true
        channel.port2.postMessage(0)
      }
      callback(time)
    })
}

/**
 * Init script: watches the DOM for `markers`. Text split over several text nodes of one element
 * is found through the element's `textContent`. Markers in shadow DOM are not seen. With
 * `rowSelector`, also when each marker is first inside an element it matches (checked once per
 * animation frame from the marker's first appearance; for a UI that paints something else first,
 * e.g. the app's first-paint preview before its own rows).
 */
export function watchMarkers([markers, rowSelector]: [string[], string | undefined]): void {
  const seen: Record<string, MarkSeen> = {}
  const visible: Record<string, MarkSeen> = {}
  const inRow: Record<string, MarkSeen> = {}
  window.__benchSeen = seen
  window.__benchVisible = visible
  window.__benchInRow = inRow
  const pending = new Set(markers)
  /** Whether the element of a text node holding `marker` overlaps the viewport now. */
  const inView = (marker: string): boolean => {
    const found = document.evaluate(`//text()[contains(., ${JSON.stringify(marker)})]`, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null)
    for (let i = 0; i < found.snapshotLength; i++) {
      const node = found.snapshotItem(i)?.parentElement
      if (!node) continue
      const r = node.getBoundingClientRect()
      if (r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth) return true
    }
    return false
  }
  const watchVisible = (marker: string) => {
    const frame = () => {
      if (inView(marker)) visible[marker] = { perf: performance.now(), epoch: Date.now() }
      else requestAnimationFrame(frame)
    }
    requestAnimationFrame(frame)
  }
  const watchRow = (marker: string, selector: string) => {
    const frame = () => {
      for (const row of document.querySelectorAll(selector)) {
        if (row.textContent?.includes(marker)) {
          inRow[marker] = { perf: performance.now(), epoch: Date.now() }
          return
        }
      }
      requestAnimationFrame(frame)
    }
    requestAnimationFrame(frame)
  }
  const hit = (marker: string) => {
    pending.delete(marker)
    const stamp = () => {
      seen[marker] = { perf: performance.now(), epoch: Date.now() }
    }
    // Changed inside a frame's callbacks: painted by this frame (see trackFramePhase).
    if (window.__benchInFrame) stamp()
    else requestAnimationFrame(stamp)
    watchVisible(marker)
    if (rowSelector) watchRow(marker, rowSelector)
  }
  const check = (text: string | null) => {
    if (!text) return
    for (const m of pending) if (text.includes(m)) hit(m)
  }
  const observer = new MutationObserver((records) => {
    if (pending.size === 0) return
    const parents = new Set<Element>()
    for (const r of records) {
      if (r.type === 'characterData') {
        check(r.target.textContent)
        if (r.target.parentElement) parents.add(r.target.parentElement)
        continue
      }
      for (const node of r.addedNodes) {
        check(node.textContent)
        if (node.nodeType === Node.TEXT_NODE && node.parentElement) parents.add(node.parentElement)
      }
    }
    for (const p of parents) if (pending.size) check(p.textContent)
  })
  observer.observe(document, { childList: true, subtree: true, characterData: true })
}

/** Starts recording animation-frame timestamps. */
export function startFrames(): void {
  const frames: number[] = []
  window.__benchFrames = frames
  window.__benchFramesOn = true
  const tick = (t: number) => {
    frames.push(t)
    if (window.__benchFramesOn) requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
}

/** Stops recording; returns the intervals between consecutive frames, ms. */
export function stopFrames(): number[] {
  window.__benchFramesOn = false
  const f = window.__benchFrames ?? []
  const out: number[] = []
  for (let i = 1; i < f.length; i++) out.push(f[i] - f[i - 1])
  return out
}
