/**
 * The outbox's persistence ({@link OutboxStore} of sw/relay/outbox.ts): one Dexie database per
 * server, apart from the event log's (`<name>` is the log's name with `:outbox`), so the log's
 * schema and its retention never touch what the user still has to say. Table `entries`, keyed by
 * the entry id, version 1.
 */
import Dexie, { type DexieOptions, type Table } from 'dexie'
import type { OutboxEntry, OutboxStore } from './outbox.ts'

/** Dexie schema of the outbox database, version 1 (the first field is the primary key). */
export const OUTBOX_SCHEMA = { entries: '&id, state, createdAt' } as const

class OutboxDatabase extends Dexie {
  entries!: Table<OutboxEntry, string>
  constructor(name: string, options?: DexieOptions) {
    super(name, options)
    this.version(1).stores(OUTBOX_SCHEMA)
  }
}

/** The outbox of one server in IndexedDB. Calls reject with IndexedDB's error (a full disk: `QuotaExceededError`). */
export class DexieOutboxStore implements OutboxStore {
  private readonly db: OutboxDatabase

  /**
   * @param name the database name, e.g. `opencode-relay:<server identity>:outbox`.
   * @param options Dexie options (tests pass fake-indexeddb's `indexedDB` and `IDBKeyRange`).
   */
  constructor(name: string, options?: DexieOptions) {
    this.db = new OutboxDatabase(name, options)
  }

  /** Every entry, oldest first. */
  all(): Promise<OutboxEntry[]> {
    return this.db.entries.orderBy('createdAt').toArray()
  }

  put(entry: OutboxEntry): Promise<void> {
    return this.db.entries.put(entry).then(() => undefined)
  }

  remove(id: string): Promise<void> {
    return this.db.entries.delete(id)
  }

  /** Closes the database (another server, the relay stops). */
  close(): void {
    this.db.close()
  }
}
