/**
 * Deduplicates concurrent REST loads by key (`projects`, `dir:<directory>`, `ses:<sessionID>`).
 * A `force`d load asked for while one runs does not join it — that read started before the reason
 * to reload (a resync, a permission asked meanwhile) — but runs once more after it; several forced
 * asks share that one re-run.
 */

/** The dedupe: `run(key, load, force)` and `running(key)`. */
export interface LoadOnce {
  /** Runs `load` for `key` unless one runs already (then joins it, or queues one re-run when `force`). */
  run(key: string, load: () => Promise<void>, force?: boolean): Promise<void>
  /** The load of `key` in flight, if any. */
  running(key: string): Promise<void> | undefined
}

/** Creates an empty dedupe. */
export function createLoadOnce(): LoadOnce {
  const pending = new Map<string, Promise<void>>()
  const queued = new Map<string, Promise<void>>()
  function run(key: string, load: () => Promise<void>, force = false): Promise<void> {
    const existing = pending.get(key)
    if (existing && force) {
      const again = queued.get(key)
      if (again) return again
      const next = existing
        .catch(() => undefined)
        .then(() => {
          queued.delete(key)
          return run(key, load)
        })
      queued.set(key, next)
      return next
    }
    if (existing) return existing
    const p = load().finally(() => pending.delete(key))
    pending.set(key, p)
    return p
  }
  return { run, running: (key) => pending.get(key) }
}
