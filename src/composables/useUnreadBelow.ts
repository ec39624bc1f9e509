import { computed, ref, type ComputedRef, type Ref } from 'vue'

/** Options of {@link useUnreadBelow}. */
export interface UseUnreadBelowOptions {
  /** The scrolling element. */
  scroller: Readonly<Ref<HTMLElement | null>>
  /** The ids of the list's messages, oldest first; ids sort in creation order (OpenCode's ascending ids). */
  ids: () => readonly string[]
  /** Distance from the end, in px, within which the reader counts as at the end (default 48). */
  thresholdPx?: number
}

/** What {@link useUnreadBelow} returns. */
export interface UseUnreadBelowReturn {
  /** Whether the reader is at the end of the list (new messages are then in view). */
  atEnd: Readonly<Ref<boolean>>
  /** Messages that arrived since the reader left the end (0 at the end). */
  unread: ComputedRef<number>
  /** Re-reads the scroll position: call from the scroller's `scroll` event. */
  update(): void
  /** Marks the reader as back at the end (after a programmatic jump to the end). */
  markAtEnd(): void
}

/**
 * Tracks whether a reader is at the end of a chat-like list and how many messages arrived below
 * since they scrolled away: the "N new" of a jump-to-bottom button.
 */
export function useUnreadBelow(options: UseUnreadBelowOptions): UseUnreadBelowReturn {
  const threshold = options.thresholdPx ?? 48
  const atEnd = ref(true)
  /** Id of the last message when the reader left the end; messages after it are unread. */
  const lastSeenID = ref<string>()

  function update(): void {
    const el = options.scroller.value
    if (!el) return
    const end = el.scrollHeight - el.scrollTop - el.clientHeight <= threshold
    if (end === atEnd.value) return
    atEnd.value = end
    lastSeenID.value = end ? undefined : options.ids().at(-1)
  }

  const unread = computed(() => {
    const seen = lastSeenID.value
    if (atEnd.value || seen === undefined) return 0
    const ids = options.ids()
    let n = 0
    for (let i = ids.length - 1; i >= 0 && ids[i] > seen; i--) n++
    return n
  })

  function markAtEnd(): void {
    atEnd.value = true
    lastSeenID.value = undefined
  }

  return { atEnd, unread, update, markAtEnd }
}
