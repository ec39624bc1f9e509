/**
 * What a log finds in its database when it opens, and the database's identity: a random id in
 * `meta` whose absence means the database was deleted (or replaced) under the log, which then
 * writes everything it still holds back. See event-log.ts beside it for the design rules.
 */
import type { StoredCursors } from './cursors.ts'
import {
  META_COLLAPSED,
  META_FLOOR,
  META_INSTANCE,
  META_RESERVED,
  RESERVED_META_PREFIX,
  type MetaRow,
  type RelayDatabase,
  type SeqRow,
} from './schema.ts'

/** What {@link readStoredState} found. */
export interface StoredState {
  cursors: StoredCursors
  /** The database's instance id; `''` when it has none yet. */
  instance: string
  /** Delta collapse had examined every event up to this cursor; `undefined` when never stored. */
  collapsedThrough: number | undefined
  /** Every `seqs` row. */
  seqs: SeqRow[]
  /** The caller's `meta` rows (not the log's own `__eventlog/` markers). */
  meta: MetaRow[]
}

/**
 * Opens `db` and reads, in one transaction, the first and last event cursors, `seqs` and `meta`.
 * Stored markers of the wrong type count as absent. Rejects with the Dexie error when IndexedDB
 * cannot be opened or read.
 */
export async function readStoredState(db: RelayDatabase): Promise<StoredState> {
  await db.open()
  const snapshot = await db.transaction('r', [db.events, db.seqs, db.meta], async () => ({
    first: await db.events.toCollection().firstKey(),
    last: await db.events.toCollection().lastKey(),
    seqs: await db.seqs.toArray(),
    meta: await db.meta.toArray(),
  }))
  let instance = ''
  let floor = 0
  let collapsedThrough: number | undefined
  let reserved = 0
  const meta: MetaRow[] = []
  for (const row of snapshot.meta) {
    if (row.key === META_INSTANCE) {
      if (typeof row.value === 'string') instance = row.value
    } else if (row.key === META_FLOOR) {
      if (typeof row.value === 'number') floor = row.value
    } else if (row.key === META_COLLAPSED) {
      if (typeof row.value === 'number') collapsedThrough = row.value
    } else if (row.key === META_RESERVED) {
      if (typeof row.value === 'number' && Number.isFinite(row.value)) reserved = row.value
    } else if (!row.key.startsWith(RESERVED_META_PREFIX)) {
      meta.push(row)
    }
  }
  return {
    cursors: {
      first: typeof snapshot.first === 'number' ? snapshot.first : undefined,
      last: typeof snapshot.last === 'number' ? snapshot.last : 0,
      floor,
      reserved,
    },
    instance,
    collapsedThrough,
    seqs: snapshot.seqs,
    meta,
  }
}

function randomInstanceId(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * The identity of the database a log writes to, and whether the log must restore it. The id is
 * written once; a database without it (or with another one) is not the one the log wrote, unless
 * the log never managed to write its id.
 */
export class DatabaseInstance {
  /** The database was lost: on the next write, restore instance, seqs, meta and the ring. */
  private mustRestore = false

  private constructor(
    /** Random id stored in `meta`; its absence means the database was deleted under us. */
    private readonly id: string,
    private unwritten: boolean,
  ) {}

  /** The identity of a database opened with `stored` as its id (`''`: none yet, a new one is due to be written). */
  static resume(stored: string): DatabaseInstance {
    return stored ? new DatabaseInstance(stored, false) : new DatabaseInstance(randomInstanceId(), true)
  }

  /** The identity of a log that could not open its database (memory only): it never reads or writes one. */
  static detached(): DatabaseInstance {
    return new DatabaseInstance('', false)
  }

  /** Inside a transaction that includes `meta`: true when the database is not the one we wrote. */
  async isLost(db: RelayDatabase): Promise<boolean> {
    const row = await db.meta.get(META_INSTANCE)
    const stored = row && typeof row.value === 'string' ? row.value : undefined
    if (stored === this.id) return false
    return !(stored === undefined && this.unwritten)
  }

  /** The database was lost: the next write restores it (see {@link DatabaseInstance.restoring}). */
  lost(): void {
    this.mustRestore = true
  }

  /** True from {@link DatabaseInstance.lost} until a write that restored everything committed. */
  get restoring(): boolean {
    return this.mustRestore
  }

  /** True when the next write has something to do for the identity (write the id, or restore). */
  get due(): boolean {
    return this.mustRestore || this.unwritten
  }

  /** The `meta` row of the id when it is due, or always when `all`. */
  rowToWrite(all: boolean): MetaRow | undefined {
    return all || this.unwritten ? { key: META_INSTANCE, value: this.id } : undefined
  }

  /** A write committed with the id; `restored`: it also wrote everything back after a loss. */
  written(restored: boolean): void {
    if (restored) this.mustRestore = false
    this.unwritten = false
  }
}
