import { onScopeDispose, watch, type Ref } from 'vue'
import { useSyncStore } from '../stores/sync.ts'

/** Options of {@link useSessionSnapshot}. */
export interface UseSessionSnapshotOptions {
  directory: Ref<string | undefined>
  sessionID: Ref<string | undefined>
  /** Debounce in ms after the last change (default 500). */
  delayMs?: number
}

/** What {@link useSessionSnapshot} returns. */
export interface UseSessionSnapshotReturn {
  /** Writes the snapshot now (e.g. on `pagehide`). */
  flush(): Promise<void>
}

/**
 * Keeps the warm-start snapshot (src/db/snapshots.ts) of the shown session fresh: writes it
 * `delayMs` after the session's data last changed (debounced), and once more on `pagehide`.
 * Stops when the calling scope is disposed.
 */
export function useSessionSnapshot(options: UseSessionSnapshotOptions): UseSessionSnapshotReturn {
  const sync = useSyncStore()
  const delay = options.delayMs ?? 500
  let timer: ReturnType<typeof setTimeout> | undefined

  async function flush(): Promise<void> {
    clearTimeout(timer)
    timer = undefined
    const d = options.directory.value
    const s = options.sessionID.value
    if (!d || !s) return
    const ok = await sync.persistSnapshot(d, s)
    // Events were still buffered behind a REST read: try again shortly.
    if (!ok && sync.sessionLoads[s]?.status === 'loading') schedule()
  }

  function schedule(): void {
    clearTimeout(timer)
    timer = setTimeout(() => void flush(), delay)
  }

  const stop = watch(
    () => [options.directory.value, options.sessionID.value, options.sessionID.value ? sync.sessionVersion[options.sessionID.value] : 0],
    schedule,
  )
  const onHide = () => void flush()
  if (typeof window !== 'undefined') window.addEventListener('pagehide', onHide)

  onScopeDispose(() => {
    stop()
    clearTimeout(timer)
    if (typeof window !== 'undefined') window.removeEventListener('pagehide', onHide)
  })
  return { flush }
}
