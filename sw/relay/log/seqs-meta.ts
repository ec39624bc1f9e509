/**
 * The event log's small tables, `seqs` (catch-up positions) and `meta` (the caller's key/values),
 * held in memory — loaded on open, served from memory — with the rows changed since they were
 * last written. See event-log.ts beside it for the design rules.
 */
import { seqKey, type MetaRow, type SeqRow } from './schema.ts'

/** Rows to write to `seqs` and `meta`, from {@link SeqsAndMeta.rowsToWrite}. */
export interface SmallRows {
  seqs: SeqRow[]
  meta: MetaRow[]
}

/**
 * Catch-up positions (highest `seq` per `[directory, aggregateID]`) and the caller's `meta`
 * values (never the log's own `__eventlog/` markers), in memory, with what is due to be written.
 */
export class SeqsAndMeta {
  private readonly seqs = new Map<string, SeqRow>()
  private readonly dirtySeqs = new Set<string>()
  private readonly meta = new Map<string, unknown>()
  private readonly dirtyMeta = new Set<string>()

  /** Starts from rows read from the database (none for a new or memory-only log); nothing is due. */
  constructor(seqs: readonly SeqRow[] = [], meta: readonly MetaRow[] = []) {
    for (const row of meta) this.meta.set(row.key, row.value)
    for (const row of seqs) {
      if (typeof row.seq === 'number') this.seqs.set(seqKey(row.directory, row.aggregateID), row)
    }
  }

  /** Highest seq per aggregate, marked for the next write; rows with a non-finite or lower seq are ignored. */
  noteSeqs(rows: readonly SeqRow[]): void {
    for (const row of rows) {
      if (!Number.isFinite(row.seq)) continue
      const key = seqKey(row.directory, row.aggregateID)
      const current = this.seqs.get(key)
      if (current && current.seq >= row.seq) continue
      this.seqs.set(key, { directory: row.directory, aggregateID: row.aggregateID, seq: row.seq })
      this.dirtySeqs.add(key)
    }
  }

  /** Copies of the positions, of one directory or (`undefined`) all. */
  seqsOf(directory: string | undefined): SeqRow[] {
    const out: SeqRow[] = []
    for (const row of this.seqs.values()) {
      if (directory === undefined || row.directory === directory) out.push({ ...row })
    }
    return out
  }

  /** A structured clone of the value under `key`, when present and `guard` accepts it. Throws what `structuredClone` throws. */
  getMeta<T>(key: string, guard: (v: unknown) => v is T): T | undefined {
    if (!this.meta.has(key)) return undefined
    const value = structuredClone(this.meta.get(key))
    return guard(value) ? value : undefined
  }

  /** Sets `key` (the caller cloned `value` and checked the key), marked for the next write. */
  setMeta(key: string, value: unknown): void {
    this.meta.set(key, value)
    this.dirtyMeta.add(key)
  }

  /** True when a row changed since it was last written. */
  get unwritten(): boolean {
    return this.dirtySeqs.size > 0 || this.dirtyMeta.size > 0
  }

  /** The rows changed since last written, or every row when `all` (refilling a database that was lost). */
  rowsToWrite(all: boolean): SmallRows {
    const seqs: SeqRow[] = []
    for (const [key, row] of this.seqs) {
      if (all || this.dirtySeqs.has(key)) seqs.push(row)
    }
    const meta: MetaRow[] = []
    for (const [key, value] of this.meta) {
      if (all || this.dirtyMeta.has(key)) meta.push({ key, value })
    }
    return { seqs, meta }
  }

  /**
   * `rows` (from {@link SeqsAndMeta.rowsToWrite}) are in IndexedDB now. A row that changed again
   * after they were collected (a newer seq noted, a value set while the write ran) stays due.
   */
  written(rows: SmallRows): void {
    for (const row of rows.seqs) {
      const key = seqKey(row.directory, row.aggregateID)
      if (this.seqs.get(key) === row) this.dirtySeqs.delete(key)
    }
    for (const row of rows.meta) {
      if (this.meta.get(row.key) === row.value) this.dirtyMeta.delete(row.key)
    }
  }

  /** Forgets every position and value. */
  clear(): void {
    this.seqs.clear()
    this.dirtySeqs.clear()
    this.meta.clear()
    this.dirtyMeta.clear()
  }
}
