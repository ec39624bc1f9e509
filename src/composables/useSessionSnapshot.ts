import { onScopeDispose, watch, type Ref } from 'vue'
import { useSyncStore } from '../stores/sync.ts'

/** Options of {@link useSessionSnapshot}. */
export interface UseSessionSnapshotOptions {
  directory: Ref<string | undefined>
  sessionID: Ref<string | undefined>
  /** Debounce in ms after the last change (default 500). */
  delayMs?: number
  /**
   * Longest a change waits for its write while changes keep coming (ms, default 1500): a reply
   * streaming a delta every few ms would otherwise postpone the debounced write until it ends, and
   * a reload mid-stream would find no snapshot of what was already shown.
   */
  maxWaitMs?: number
  /** Clock in epoch ms (tests inject one; default `Date.now`). */
  now?: () => number
}

/** What {@link useSessionSnapshot} returns. */
export interface UseSessionSnapshotReturn {
  /** Writes the snapshot now (e.g. on `pagehide`). */
  flush(): Promise<void>
}

/**
 * Keeps the warm-start snapshot (src/db/snapshots.ts) of the shown session fresh: writes it
 * `delayMs` after the session's data last changed (debounced), at the latest `maxWaitMs` after the
 * first unwritten change (so a long stream is snapshotted while it runs), and once more on
 * `pagehide`. Stops when the calling scope is disposed.
 */
export function useSessionSnapshot(options: UseSessionSnapshotOptions): UseSessionSnapshotReturn {
  const sync = useSyncStore()
  const delay = options.delayMs ?? 500
  const maxWait = options.maxWaitMs ?? 1500
  const now = options.now ?? Date.now
  let timer: ReturnType<typeof setTimeout> | undefined
  /** When the oldest change not yet written happened (epoch ms), undefined when all is written. */
  let dirtySince: number | undefined

  async function flush(): Promise<void> {
    clearTimeout(timer)
    timer = undefined
    dirtySince = undefined
    const d = options.directory.value
    const s = options.sessionID.value
    if (!d || !s) return
    const ok = await sync.persistSnapshot(d, s)
    // Events were still buffered behind a REST read: try again shortly.
    if (!ok && sync.sessionLoad(s)?.status === 'loading') schedule()
  }

  function schedule(): void {
    clearTimeout(timer)
    const at = now()
    dirtySince ??= at
    const wait = Math.max(0, Math.min(delay, dirtySince + maxWait - at))
    timer = setTimeout(() => void flush(), wait)
  }

  const stop = watch(
    () => [options.directory.value, options.sessionID.value, options.sessionID.value ? sync.versionOf(options.sessionID.value) : 0],
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
