/** Transient messages (action failures, confirmations), dismissed after a delay. */
import { defineStore } from 'pinia'
import { ref } from 'vue'

/** One toast. */
export interface Toast {
  id: number
  kind: 'info' | 'error'
  text: string
}

/** How long a toast stays (ms). */
export const TOAST_MS = 6000

/** Toasts: `toasts`, `push(text, kind)` → id, `dismiss(id)`. */
export const useToastsStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([])
  let next = 1

  /** Shows a toast for {@link TOAST_MS}. Returns its id. */
  function push(text: string, kind: Toast['kind'] = 'info'): number {
    const id = next++
    toasts.value = [...toasts.value.slice(-3), { id, kind, text }]
    setTimeout(() => dismiss(id), TOAST_MS)
    return id
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id)
  }

  return { toasts, push, dismiss }
})
