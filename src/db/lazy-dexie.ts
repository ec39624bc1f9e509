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

/** A database of the tab-side caches, opened on first use (see {@link lazyDatabase}). */
export interface LazyDatabase<Db extends Dexie> {
  /** Loads Dexie and opens the database once; a failed open is not kept (the next call tries again). */
  open(): Promise<Db>
  /** Closes the database once it is open, and forgets it (tests, or before deleting it). */
  close(): void
}

/**
 * The database `name` with the version-1 `schema` (Dexie's `stores()` syntax), typed as `Db`
 * (Dexie's table typing: `Dexie & { table: EntityTable<…> }`), opened on first use.
 */
export function lazyDatabase<Db extends Dexie>(name: string, schema: Record<string, string>): LazyDatabase<Db> {
  let db: Promise<Db> | undefined
  return {
    open() {
      db ??= loadDexie().then(
        (DexieClass) => {
          const created = new DexieClass(name) as Db
          created.version(1).stores(schema)
          return created
        },
        (err: unknown) => {
          db = undefined
          throw err
        },
      )
      return db
    },
    close() {
      const pending = db
      db = undefined
      void pending?.then(
        (d) => d.close(),
        () => undefined,
      )
    },
  }
}
