import { onScopeDispose, type Ref } from 'vue'

/** Options of {@link useClickOutside}. */
export interface UseClickOutsideOptions {
  target: Ref<HTMLElement | null>
  onOutside: (ev: PointerEvent) => void
}

/** Calls `onOutside` on a pointer-down outside `target` (closing popovers); removed on scope dispose. */
export function useClickOutside(options: UseClickOutsideOptions): void {
  const handler = (ev: PointerEvent) => {
    const el = options.target.value
    if (el && ev.target instanceof Node && !el.contains(ev.target)) options.onOutside(ev)
  }
  window.addEventListener('pointerdown', handler, true)
  onScopeDispose(() => window.removeEventListener('pointerdown', handler, true))
}
