/**
 * Dexie for the tab-side caches (snapshots.ts, offline-cache.ts), loaded on first use. A warm start
 * reads its snapshot without it (snapshot-prefetch.ts) and the caches are written after the first
 * paint, so the library (~95 KB minified) stays out of the main bundle that every page load
 * compiles before it can paint. The service worker precaches the chunk, so this works offline.
 */
import type Dexie from 'dexie'

let loading: Promise<typeof Dexie> | undefined

/**
 * The Dexie class. A failed load (the chunk could not be fetched) is not cached: the next call
 * tries again.
 * @throws whatever the dynamic import threw
 */
export function loadDexie(): Promise<typeof Dexie> {
  loading ??= import('dexie').then(
    (m) => m.default,
    (err: unknown) => {
      loading = undefined
      throw err
    },
  )
  return loading
}
