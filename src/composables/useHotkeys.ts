import { onScopeDispose } from 'vue'

/** A key binding: `mod` means Ctrl on Linux/Windows and Cmd on macOS. */
export interface Hotkey {
  key: string
  mod?: boolean
  shift?: boolean
  /** Runs the handler even when focus is in a text field (default true for `mod` bindings and Escape). */
  inInputs?: boolean
  handler: (ev: KeyboardEvent) => void
}

/** Options of {@link useHotkeys}. */
export interface UseHotkeysOptions {
  bindings: Hotkey[]
  /** Element to listen on (default `window`). */
  target?: Window | HTMLElement
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
      if (ev.key.toLowerCase() !== b.key.toLowerCase()) continue
      const mod = ev.ctrlKey || ev.metaKey
      if (Boolean(b.mod) !== mod) continue
      if (b.shift !== undefined && b.shift !== ev.shiftKey) continue
      const inInputs = b.inInputs ?? (Boolean(b.mod) || b.key === 'Escape')
      if (!inInputs && isTextTarget(ev.target)) continue
      b.handler(ev)
      return
    }
  }
  target.addEventListener('keydown', onKey)
  onScopeDispose(() => target.removeEventListener('keydown', onKey))
}
