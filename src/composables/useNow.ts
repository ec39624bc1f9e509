import { onScopeDispose, ref, type Ref } from 'vue'

/** Options of {@link useNow}. */
export interface UseNowOptions {
  /** Tick interval in ms (default 1,000). */
  intervalMs?: number
  /** Clock (default `Date.now`). */
  now?: () => number
}

/** A reactive epoch-ms clock for countdowns; the timer stops when the calling scope is disposed. */
export function useNow(options: UseNowOptions = {}): Ref<number> {
  const clock = options.now ?? Date.now
  const now = ref(clock())
  const timer = setInterval(() => (now.value = clock()), options.intervalMs ?? 1000)
  onScopeDispose(() => clearInterval(timer))
  return now
}
