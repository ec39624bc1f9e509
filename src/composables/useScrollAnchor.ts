import { onScopeDispose, type Ref } from 'vue'

/** A reader's place: the first anchorable row reaching below the viewport's top, and its top relative to the viewport's top, in px (negative when partly scrolled past). */
export interface ScrollAnchor {
  key: string
  delta: number
}

/** Options of {@link useScrollAnchor}. */
export interface UseScrollAnchorOptions {
  /** The scrolling element. */
  scroller: Readonly<Ref<HTMLElement | null>>
  /** CSS selector of the rendered rows inside it; each carries its key in `data-key`. */
  rowSelector: string
  /** Whether a row may anchor the reader's place (a message; not a "load earlier" row that always stays first). */
  isAnchorKey: (key: string) => boolean
  /**
   * Where a row starts in the list's own measurements, in px from the top of the content, or
   * undefined when the key is unknown. Used before the row is rendered (a virtualized list).
   */
  startOf: (key: string) => number | undefined
  /** Scrolls the list to an offset in px (the virtualizer's `scrollToOffset`, or `scrollTop`). */
  scrollToOffset: (px: number) => void
  /** Frames the anchor is held at most while rows above it settle (default 30). */
  holdFrames?: number
}

/** What {@link useScrollAnchor} returns. */
export interface UseScrollAnchorReturn {
  /** The reader's place read from the DOM, or undefined with no anchorable row rendered. */
  capture(): ScrollAnchor | undefined
  /**
   * Puts the anchor row back where it was: first from the list's measurements, then frame by
   * frame from the row's real position while the rows above it are measured (their sizes were
   * estimates), until it stays put for three frames, the reader scrolls, or `holdFrames` pass.
   */
  hold(anchor: ScrollAnchor): void
  /** Records the reader's own scroll input (wheel, touch, keys): a hold in progress stops there. */
  noteReaderScroll(): void
  /** Whether the reader scrolled by their own input after `since` (`performance.now()` ms). */
  readerScrolledAfter(since: number): boolean
}

/** Frames a row must stay within 1 px of its place before a hold ends. */
const STILL_FRAMES = 3

/**
 * Keeps a reader's place in a list while rows are inserted above it (earlier pages of a
 * transcript). Not the virtualizer's own anchor: with `anchorTo: 'end'` it anchors on the row at
 * the scroll offset, and near the top that is the row that stays first, so a page prepended under
 * it would push what the reader was looking at down by the page's whole height. The pending
 * animation frame is cancelled when the calling scope is disposed.
 */
export function useScrollAnchor(options: UseScrollAnchorOptions): UseScrollAnchorReturn {
  const holdFrames = options.holdFrames ?? 30
  let readerScrolledAt = 0
  let frame: number | undefined

  const rows = (): NodeListOf<HTMLElement> | readonly HTMLElement[] => options.scroller.value?.querySelectorAll<HTMLElement>(options.rowSelector) ?? []

  function rowElement(key: string): HTMLElement | undefined {
    for (const el of rows()) if (el.dataset.key === key) return el
    return undefined
  }

  function capture(): ScrollAnchor | undefined {
    const el = options.scroller.value
    if (!el) return undefined
    const top = el.getBoundingClientRect().top
    let best: ScrollAnchor | undefined
    for (const row of rows()) {
      const key = row.dataset.key
      if (!key || !options.isAnchorKey(key)) continue
      const box = row.getBoundingClientRect()
      if (box.bottom <= top) continue
      if (!best || box.top - top < best.delta) best = { key, delta: box.top - top }
    }
    return best
  }

  function hold(anchor: ScrollAnchor): void {
    const el = options.scroller.value
    const start = options.startOf(anchor.key)
    if (!el || start === undefined) return
    options.scrollToOffset(Math.max(0, start - anchor.delta))
    const since = performance.now()
    let frames = 0
    let still = 0
    const step = () => {
      frame = undefined
      if (readerScrolledAt > since || ++frames > holdFrames || still >= STILL_FRAMES) return
      const row = rowElement(anchor.key)
      const drift = row ? row.getBoundingClientRect().top - el.getBoundingClientRect().top - anchor.delta : 0
      if (Math.abs(drift) >= 1) {
        el.scrollTop += drift
        still = 0
      } else if (row) still++
      frame = requestAnimationFrame(step)
    }
    if (frame !== undefined) cancelAnimationFrame(frame)
    frame = requestAnimationFrame(step)
  }

  onScopeDispose(() => {
    if (frame !== undefined) cancelAnimationFrame(frame)
  })

  return {
    capture,
    hold,
    noteReaderScroll: () => {
      readerScrolledAt = performance.now()
    },
    readerScrolledAfter: (since) => readerScrolledAt > since,
  }
}
