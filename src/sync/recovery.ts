/**
 * What to read again over REST, and when each case applies: everything after a relay `reset` or a
 * `global.disposed`; one directory and its loaded sessions after a relay `resync` or a
 * `server.instance.disposed`; everything loaded after a connection gap or a late subscribe answer;
 * only what failed on a retry (src/sync/retry.ts says when). Every re-read is an idempotent merge,
 * and one of a directory already being re-read coalesces with it (src/sync/load-once.ts).
 */
import { loadedDirectories, loadedSessions, type SyncData, type SyncPhase } from './data.ts'

/** The loads recovery re-runs, and the phase it reads and reports. */
export interface RecoveryOptions {
  data: SyncData
  /** Whether the sync is started (no retries before `start()` or after `stop()`). */
  active(): boolean
  /** The sync phase (`error`: the project list failed). */
  phase(): SyncPhase
  loadProjects(): Promise<void>
  ensureDirectory(directory: string, options?: { force?: boolean }): Promise<void>
  ensureSession(directory: string, sessionID: string, options?: { force?: boolean }): Promise<void>
  /** A retried project list loaded: the bootstrap is done after all. */
  bootstrapped(): void
  /** A retried project list failed again (the owner schedules the next retry). */
  failed(): void
}

/** The re-reads. */
export interface Recovery {
  /** Re-reads the project list and every directory and session this tab has loaded (after `reset`). Never rejects. */
  reloadEverything(): Promise<void>
  /** Re-reads one directory (when loaded) and its loaded sessions (relay `resync`, `server.instance.disposed`). Never rejects. */
  resyncDirectory(directory: string): Promise<void>
  /** Re-reads every directory and session this tab has loaded or is loading (connection gap, late subscribe answer). */
  resyncLoaded(): void
  /** Whether the project list, a directory or a session is in the `error` state. */
  hasFailedLoads(): boolean
  /** Loads again whatever failed: the project list, directories, sessions (no-op when not active). */
  retryFailed(): void
}

/** Creates the re-reads over `data`. */
export function createRecovery(options: RecoveryOptions): Recovery {
  const { data } = options

  async function reloadEverything(): Promise<void> {
    const jobs: Array<Promise<void>> = [options.loadProjects()]
    for (const directory of loadedDirectories(data)) jobs.push(options.ensureDirectory(directory, { force: true }))
    for (const [sessionID, l] of loadedSessions(data)) jobs.push(options.ensureSession(l.directory, sessionID, { force: true }))
    await Promise.allSettled(jobs)
  }

  async function resyncDirectory(directory: string): Promise<void> {
    const jobs: Array<Promise<void>> = []
    const m = data.meta[directory]
    if (m && m.status !== 'idle') jobs.push(options.ensureDirectory(directory, { force: true }))
    for (const [sessionID] of loadedSessions(data, directory)) jobs.push(options.ensureSession(directory, sessionID, { force: true }))
    await Promise.allSettled(jobs)
  }

  function resyncLoaded(): void {
    const directories = new Set<string>(loadedDirectories(data))
    for (const [, l] of loadedSessions(data)) directories.add(l.directory)
    for (const directory of directories) void resyncDirectory(directory)
  }

  function hasFailedLoads(): boolean {
    if (options.phase() === 'error') return true
    for (const m of Object.values(data.meta)) if (m.status === 'error') return true
    for (const [, l] of loadedSessions(data)) if (l.status === 'error') return true
    return false
  }

  function retryFailed(): void {
    if (!options.active()) return
    if (options.phase() === 'error') {
      void options.loadProjects().then(
        () => options.bootstrapped(),
        () => options.failed(),
      )
    }
    for (const [directory, m] of Object.entries(data.meta)) {
      if (m.status === 'error') void options.ensureDirectory(directory).catch(() => undefined)
    }
    for (const [sessionID, l] of loadedSessions(data)) {
      if (l.status === 'error') void options.ensureSession(l.directory, sessionID).catch(() => undefined)
    }
  }

  return { reloadEverything, resyncDirectory, resyncLoaded, hasFailedLoads, retryFailed }
}
