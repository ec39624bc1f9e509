import { nextTick, toValue, watch, type MaybeRefOrGetter, type WatchSource } from 'vue'

/** What {@link useAutoGrow} needs of the element (an `HTMLTextAreaElement` fits). */
export type GrowingField = { style: Pick<CSSStyleDeclaration, 'height'>; readonly scrollHeight: number }

/** Options of {@link useAutoGrow}. */
export interface UseAutoGrowOptions {
  /** The text area to size. */
  element: MaybeRefOrGetter<GrowingField | null | undefined>
  /** Its text: the element is resized after each change (also ones made by code, not typing). */
  text: WatchSource<string>
  /** Tallest height in px (default 40% of the window's height, read at each resize). */
  maxHeight?: () => number
}

/** What {@link useAutoGrow} returns. */
export interface UseAutoGrowReturn {
  /** Fits the height to the content now (e.g. on `input`, before the text change is rendered). */
  resize(): void
}

/**
 * Grows a text area with its content, up to a ceiling (then it scrolls): the height is reset and
 * set to the content's `scrollHeight`. The watch stops with the calling scope.
 */
export function useAutoGrow(options: UseAutoGrowOptions): UseAutoGrowReturn {
  const maxHeight = options.maxHeight ?? (() => window.innerHeight * 0.4)

  function resize(): void {
    const el = toValue(options.element)
    if (!el) return
    el.style.height = 'auto'
    el.style.height = `${Math.min(el.scrollHeight, maxHeight())}px`
  }

  watch(options.text, () => void nextTick(resize))
  return { resize }
}
