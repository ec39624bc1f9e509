/**
 * The event log's operation queue: every write (append, setSeqs, setMeta, compaction steps, clear,
 * write-behind persists) runs after the ones queued before it, so cursors never interleave.
 */

/**
 * A promise queue that runs one operation at a time, in call order. It counts the queued
 * "ordered" operations, those that hand out cursors or empty the log (an ordered append, clear):
 * while one is queued, a live append must queue behind it instead of taking cursors at once (see
 * `LogWriter.appendLive`). Write-behind persists, compaction steps and the small writes of seqs and
 * meta are not ordered: they take no cursor and touch only stored rows below the live ones, so
 * live events keep fanning out while they wait for IndexedDB.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()
  private ordered = 0

  /** True while an ordered operation (one that hands out cursors or empties the log) is queued or running. */
  get orderedPending(): boolean {
    return this.ordered > 0
  }

  /**
   * Runs `fn` after every queued operation; resolves or rejects with its result. A rejection does
   * not stop the queue. `ordered` (default) counts it in {@link SerialQueue.orderedPending}.
   */
  run<T>(fn: () => Promise<T>, ordered = true): Promise<T> {
    if (!ordered) {
      const run = this.tail.then(fn)
      this.tail = run.catch(() => undefined)
      return run
    }
    this.ordered++
    const run = this.tail.then(fn).finally(() => {
      this.ordered--
    })
    this.tail = run.catch(() => undefined)
    return run
  }
}
