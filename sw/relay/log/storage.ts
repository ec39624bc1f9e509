/**
 * The event log's IndexedDB connection and its health: whether the database could be opened at
 * all, whether the log was closed, the last storage error with the retry throttle that follows
 * it, and reopening a connection closed under the log. See event-log.ts beside it for the design
 * rules (storage failures never stop the live stream).
 */
import type { RelayDatabase } from './schema.ts'
import { describeStorageError, isClosedError } from './storage-errors.ts'

/** What {@link LogStorage} needs to throttle write attempts while storage fails. */
export interface RetrySettings {
  /** While writes fail, at most one write attempt per this many ms. */
  retryIntervalMs: number
  /** Wall clock in epoch ms. */
  now: () => number
}

/**
 * The database of one log and how it is doing. Every write asks {@link LogStorage.canAttemptWrite}
 * first and reports back ({@link LogStorage.succeeded} or {@link LogStorage.fail}); results carry
 * {@link LogStorage.report} so callers see the error on every call while it lasts.
 */
export class LogStorage {
  private isClosed = false
  /** IndexedDB could not be opened: the log lives in memory only. */
  private isMemoryOnly = false
  private errorMessage: string | undefined
  private nextAttemptAt = 0

  constructor(
    /** The Dexie database; opened by the log, closed by {@link LogStorage.close}. */
    readonly db: RelayDatabase,
    private readonly retry: RetrySettings,
  ) {}

  /** `undefined` when the last write succeeded (or none failed), else the error in words (see `describeStorageError`). */
  get error(): string | undefined {
    return this.errorMessage
  }

  /** `{ storageError }` while storage fails, else `{}`: spread into a result. */
  report(): { storageError?: string } {
    return this.errorMessage !== undefined ? { storageError: this.errorMessage } : {}
  }

  /** True once {@link LogStorage.close} ran. */
  get closed(): boolean {
    return this.isClosed
  }

  /** True when IndexedDB could not be opened: nothing is ever read from or written to it. */
  get memoryOnly(): boolean {
    return this.isMemoryOnly
  }

  /** Throws `Error('EventLog is closed')` once closed. */
  assertOpen(): void {
    if (this.isClosed) throw new Error('EventLog is closed')
  }

  /** Opening the database failed with `err`: the log works in memory only from now on. */
  unavailable(err: unknown): void {
    this.isMemoryOnly = true
    this.fail(err)
  }

  /** A write failed with `err`: report it, and make no other attempt for `retryIntervalMs`. */
  fail(err: unknown): void {
    this.errorMessage = describeStorageError(err)
    this.nextAttemptAt = this.retry.now() + this.retry.retryIntervalMs
  }

  /** A write succeeded: storage is healthy again. */
  succeeded(): void {
    this.errorMessage = undefined
    this.nextAttemptAt = 0
  }

  /** False when memory-only or closed, and while failing until the retry interval has passed. */
  canAttemptWrite(): boolean {
    if (this.isMemoryOnly || this.isClosed) return false
    return this.errorMessage === undefined || this.retry.now() >= this.nextAttemptAt
  }

  /** Runs `op`; when it fails because the connection is closed, reopens the database and retries once. Rejects with what `op` (or the reopen) rejects with. */
  async withReopen<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op()
    } catch (err) {
      if (this.isClosed || !isClosedError(err)) throw err
      await this.db.open()
      return await op()
    }
  }

  /** Closes the database for good; idempotent. */
  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.db.close()
  }
}
