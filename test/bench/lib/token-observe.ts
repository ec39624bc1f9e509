/**
 * In-page instruments of the streaming benchmarks (suites/streaming.ts), installed identically
 * into this project's app and into the official web UI:
 *
 * - {@link watchTokens} (an init script, from document start): when each token of a scripted
 *   `stream N` reply (`alpha0 bravo1 … hotel4999`) is first painted. A MutationObserver looks at
 *   the text that changed — a changed text node's data, or the last text of an added subtree —
 *   and finds the highest token index in its tail; the next animation frame (the frame that
 *   paints it; or now, when the change was made inside a frame's callbacks: `trackFramePhase` in
 *   observe.ts) stamps every index up to it that had no time yet. Tokens arrive in order, so a
 *   painted token i means tokens 0…i are painted too. Only the tail (400 characters) of the
 *   changed text is read, so the instrument costs the same whether the reply has 50 or 50,000
 *   tokens, and whether a UI patches one text node or re-creates a whole message.
 * - {@link startLongTasks} / {@link stopLongTasks}: `PerformanceObserver` entries of type
 *   `longtask` (main-thread tasks over 50 ms) while recording.
 * - {@link startFrameLog} / {@link stopFrameLog}: animation-frame timestamps on the epoch clock.
 *
 * These functions run in the page (passed to Playwright's `addInitScript` / `evaluate`), so they
 * must be self-contained: constants are repeated inside them.
 */

declare global {
  interface Window {
    /** Token index → epoch ms (`Date.now()`) of the animation frame that first painted it. */
    __benchTokens?: number[]
    /** Highest token index painted so far; -1 before the first. */
    __benchTokenMax?: number
    /** The long tasks seen while recording. */
    __benchLongTasks?: LongTask[]
    __benchLongTaskObserver?: PerformanceObserver
    /** Animation-frame timestamps, epoch ms, while logging. */
    __benchFrameLog?: number[]
    __benchFrameLogOn?: boolean
  }
}

/**
 * Init script: records per-token paint times in `window.__benchTokens` (epoch ms, index = token
 * index) and the highest painted index in `window.__benchTokenMax`. Text in shadow DOM is not
 * seen; text that is in the DOM but hidden (e.g. by CSS) counts as painted.
 */
export function watchTokens(): void {
  const TAIL = 400
  const MAX_NODES = 40
  const re = /(?:alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel)(\d+)(?!\d)/g
  const painted: number[] = []
  window.__benchTokens = painted
  window.__benchTokenMax = -1
  let stamped = -1
  let seen = -1
  let scheduled = false
  /** Highest token index in the last `TAIL` characters of `text`; -1 when none. */
  const maxIn = (text: string): number => {
    let best = -1
    re.lastIndex = 0
    const tail = text.length > TAIL ? text.slice(-TAIL) : text
    for (let m = re.exec(tail); m; m = re.exec(tail)) best = Math.max(best, Number(m[1]))
    return best
  }
  /** The last text of `node`'s subtree: its last text nodes, backwards, until `TAIL` characters. */
  const tailOf = (node: Node): string => {
    if (node.nodeType === Node.TEXT_NODE) return (node as Text).data
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return ''
    let deepest: Node = node
    while (deepest.lastChild) deepest = deepest.lastChild
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT)
    walker.currentNode = deepest
    let text = deepest.nodeType === Node.TEXT_NODE ? (deepest as Text).data : ''
    for (let i = 0; i < MAX_NODES && text.length < TAIL; i++) {
      const prev = walker.previousNode()
      if (!prev) break
      text = (prev as Text).data + text
    }
    return text
  }
  const stamp = () => {
    scheduled = false
    const at = Date.now()
    for (let i = stamped + 1; i <= seen; i++) painted[i] = at
    stamped = seen
    window.__benchTokenMax = stamped
  }
  const observer = new MutationObserver((records) => {
    let best = -1
    for (const r of records) {
      if (r.type === 'characterData') best = Math.max(best, maxIn((r.target as CharacterData).data))
      else for (const n of r.addedNodes) best = Math.max(best, maxIn(tailOf(n)))
    }
    if (best > seen) {
      seen = best
      // Changed inside a frame's callbacks: painted by this frame (trackFramePhase in observe.ts).
      if (window.__benchInFrame) stamp()
      else if (!scheduled) {
        scheduled = true
        requestAnimationFrame(stamp)
      }
    }
  })
  observer.observe(document, { childList: true, subtree: true, characterData: true })
}

/** A long task seen by {@link startLongTasks}. */
export interface LongTask {
  /** Start, epoch ms (`performance.timeOrigin` + the entry's `startTime`). */
  start: number
  /** Duration, ms (> 50 by definition of a long task). */
  duration: number
}

/** Starts collecting long tasks (> 50 ms on the page's main thread) into `window.__benchLongTasks`. */
export function startLongTasks(): void {
  const tasks: LongTask[] = []
  window.__benchLongTasks = tasks
  window.__benchLongTaskObserver?.disconnect()
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) tasks.push({ start: performance.timeOrigin + e.startTime, duration: e.duration })
  })
  observer.observe({ type: 'longtask' })
  window.__benchLongTaskObserver = observer
}

/** Stops collecting; returns the long tasks seen (start epoch ms, duration ms). */
export function stopLongTasks(): LongTask[] {
  const observer = window.__benchLongTaskObserver
  const tasks = window.__benchLongTasks ?? []
  if (observer) {
    for (const e of observer.takeRecords()) tasks.push({ start: performance.timeOrigin + e.startTime, duration: e.duration })
    observer.disconnect()
  }
  window.__benchLongTaskObserver = undefined
  return tasks
}

/**
 * Starts logging animation frames into `window.__benchFrameLog` as epoch ms
 * (`performance.timeOrigin` + the `requestAnimationFrame` timestamp), so the harness can keep
 * the frames of a time window given in `Date.now()` terms.
 */
export function startFrameLog(): void {
  const frames: number[] = []
  window.__benchFrameLog = frames
  window.__benchFrameLogOn = true
  const tick = (t: number) => {
    frames.push(performance.timeOrigin + t)
    if (window.__benchFrameLogOn) requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
}

/** Stops logging; returns the frame timestamps, epoch ms, oldest first. */
export function stopFrameLog(): number[] {
  window.__benchFrameLogOn = false
  return window.__benchFrameLog ?? []
}
