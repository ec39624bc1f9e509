import { onScopeDispose } from 'vue'

/** A key binding: `mod` means Ctrl on Linux/Windows and Cmd on macOS. */
export interface Hotkey {
  key: string
  mod?: boolean
  shift?: boolean
  /** Alt (Option on macOS) must be held; it is ignored when unset. */
  alt?: boolean
  /** Runs the handler even when focus is in a text field (default true for `mod` bindings and Escape). */
  inInputs?: boolean
  handler: (ev: KeyboardEvent) => void
}

/** Options of {@link useHotkeys}. */
export interface UseHotkeysOptions {
  bindings: Hotkey[]
  /** Element to listen on (default `window`). */
  target?: Window | HTMLElement
  /** Listen in the capture phase: before every element on the way to the focused one (an open overlay's Esc). */
  capture?: boolean
}

function isTextTarget(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false
  return t.isContentEditable || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT'
}

/** Global keyboard shortcuts, removed when the calling scope is disposed. */
export function useHotkeys(options: UseHotkeysOptions): void {
  const target = options.target ?? window
  const onKey = (ev: Event) => {
    if (!(ev instanceof KeyboardEvent) || ev.defaultPrevented) return
    for (const b of options.bindings) {
      // With Alt, macOS types another character (⌥N is a dead key): a letter binding also matches its physical key.
      const sameKey = ev.key.toLowerCase() === b.key.toLowerCase() || (b.alt === true && /^[a-z]$/i.test(b.key) && ev.code === `Key${b.key.toUpperCase()}`)
      if (!sameKey) continue
      const mod = ev.ctrlKey || ev.metaKey
      if (Boolean(b.mod) !== mod) continue
      if (b.shift !== undefined && b.shift !== ev.shiftKey) continue
      if (b.alt !== undefined && b.alt !== ev.altKey) continue
      const inInputs = b.inInputs ?? (Boolean(b.mod) || b.key === 'Escape')
      if (!inInputs && isTextTarget(ev.target)) continue
      b.handler(ev)
      return
    }
  }
  const capture = Boolean(options.capture)
  target.addEventListener('keydown', onKey, { capture })
  onScopeDispose(() => target.removeEventListener('keydown', onKey, { capture }))
}

/**
 * Esc closes an open overlay wherever focus is (inside it, or on the page behind after a click):
 * on the window in the capture phase, so nothing underneath sees that Escape too — in particular
 * not a session's own Esc, which stops a running reply. An Escape that ends an IME composition is
 * left alone. Call it in the overlay's setup; removed when its scope is disposed.
 */
export function useEscapeToClose(close: () => void): void {
  useHotkeys({
    capture: true,
    bindings: [
      {
        key: 'Escape',
        handler: (ev) => {
          if (ev.isComposing) return
          ev.preventDefault()
          ev.stopPropagation()
          close()
        },
      },
    ],
  })
}
