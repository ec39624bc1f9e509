/**
 * Session transcript loads: the newest page of a session's messages (with its info when unknown
 * and its todos) in one buffered scope, older pages on demand ("load earlier"), the file diff, and
 * what session events mean for a loaded transcript (deleted: forget it; compacted: read it again).
 */
import type { RelayedEvent } from '../../sw/shared/protocol.ts'
import { errorMessage, type OpencodeApi } from '../api/opencode.ts'
import { deleteSnapshot } from '../db/snapshots.ts'
import { loadMessages } from '../state/reducer.ts'
import { getSorted, upsertSorted } from '../state/sorted.ts'
import type { Intake } from './intake.ts'
import type { LoadOnce } from './load-once.ts'
import { bumpVersion, directoryData, loadOf, type SyncData } from './data.ts'

/** Messages per REST page (`GET /session/{id}/message?limit=`): the first page and each "load earlier". */
export const MESSAGE_PAGE_SIZE = 100

/** What the session loads read with and report to. */
export interface SessionLoaderOptions {
  data: SyncData
  /** The current server's REST client (read at the start of each load). */
  api(): OpencodeApi
  /** Ordered reads (src/sync/intake.ts). */
  read: Intake['read']
  /** Load dedupe (src/sync/load-once.ts), shared with the bootstrap. */
  loads: LoadOnce
  /** A transcript load failed (the owner schedules a retry). */
  failed(): void
  /** Deletes a session's warm-start snapshot (default: src/db/snapshots.ts). */
  deleteSnapshot?: (sessionID: string) => Promise<void>
}

/** The session loads. */
export interface SessionLoader {
  /**
   * Loads a session's newest page of messages (`GET /session/{id}/message?limit=`
   * {@link MESSAGE_PAGE_SIZE}), its todos (`GET /session/{id}/todo`, failure ignored) and, when the
   * session is not listed yet, its info (`GET /session/{id}`). Returns the running load when one is
   * in flight, at once when already loaded.
   * @param options.force re-read even when loaded (after `resync`, `reset`, `session.compacted`).
   * @throws Error when the messages or the info cannot be read (also recorded in the session's load state).
   */
  ensureSession(directory: string, sessionID: string, options?: { force?: boolean }): Promise<void>
  /**
   * Loads the next older page ("load earlier", `GET /session/{id}/message?before=`); no-op while
   * one loads or when nothing is older.
   * @throws Error when the page cannot be read.
   */
  loadEarlier(directory: string, sessionID: string): Promise<void>
  /** Side effects of an applied event on loaded transcripts (`session.deleted`, `session.compacted`). */
  afterEvent(ev: RelayedEvent): void
}

/** Creates the session loads. */
export function createSessionLoader(options: SessionLoaderOptions): SessionLoader {
  const { data, read, loads } = options
  const removeSnapshot = options.deleteSnapshot ?? deleteSnapshot

  function ensureSession(directory: string, sessionID: string, opts: { force?: boolean } = {}): Promise<void> {
    const load = loadOf(data, sessionID, directory)
    if (!opts.force && (load.status === 'ready' || load.status === 'loading')) return loads.running(`ses:${sessionID}`) ?? Promise.resolve()
    return loads.run(
      `ses:${sessionID}`,
      async () => {
        load.status = 'loading'
        load.error = undefined
        const api = options.api()
        const d = directoryData(data, directory)
        try {
          const infoPromise = getSorted(d.sessions, sessionID)
            ? Promise.resolve()
            : api.getSession(directory, sessionID).then((info) => {
                upsertSorted(directoryData(data, directory).sessions, info)
              })
          // If the message read fails first, `infoPromise` is never awaited: mark it handled so its
          // own failure is not an unhandled rejection (the read's error is the one reported).
          infoPromise.catch(() => undefined)
          await read(
            { kind: 'session', directory, sessionID },
            () => Promise.all([api.listMessages(directory, sessionID, { limit: MESSAGE_PAGE_SIZE }), api.sessionTodos(directory, sessionID).catch(() => undefined)]),
            ([page, todos]) => {
              loadMessages(directoryData(data, directory), sessionID, page.messages)
              if (todos) directoryData(data, directory).todos[sessionID] = todos
              // A re-read after the user paged further back keeps the older cursor: those pages stay loaded.
              if (load.pages <= 1) {
                load.nextCursor = page.nextCursor
                load.hasEarlier = page.nextCursor !== undefined
                load.pages = 1
              }
              bumpVersion(data, sessionID)
            },
          )
          await infoPromise
          load.status = 'ready'
          load.fromSnapshot = false
        } catch (err) {
          load.status = 'error'
          load.error = errorMessage(err)
          options.failed()
          throw err
        }
      },
      opts.force,
    )
  }

  async function loadEarlier(directory: string, sessionID: string): Promise<void> {
    const load = loadOf(data, sessionID, directory)
    if (load.loadingEarlier || !load.hasEarlier) return
    if (!load.nextCursor) {
      // Painted from a snapshot: the REST cursor is not known yet.
      await ensureSession(directory, sessionID, { force: load.fromSnapshot })
      if (!load.nextCursor) return
    }
    load.loadingEarlier = true
    try {
      const page = await options.api().listMessages(directory, sessionID, { limit: MESSAGE_PAGE_SIZE, before: load.nextCursor })
      // Older messages are not touched by live events in practice; load them directly.
      loadMessages(directoryData(data, directory), sessionID, page.messages)
      load.nextCursor = page.nextCursor
      load.hasEarlier = page.nextCursor !== undefined
      load.pages++
      bumpVersion(data, sessionID)
    } finally {
      load.loadingEarlier = false
    }
  }

  function afterEvent(ev: RelayedEvent): void {
    const event = ev.payload
    switch (event.type) {
      case 'session.deleted':
        delete data.sessionLoads[event.properties.sessionID]
        void removeSnapshot(event.properties.sessionID)
        return
      case 'session.compacted':
        // Compaction rewrites history: re-read the transcript if this tab has it.
        if (data.sessionLoads[event.properties.sessionID]?.status === 'ready') {
          // A failed re-read is recorded in the session's load state (and retried from there).
          ensureSession(ev.directory, event.properties.sessionID, { force: true }).catch(() => undefined)
        }
        return
      default:
        return
    }
  }

  return { ensureSession, loadEarlier, afterEvent }
}
