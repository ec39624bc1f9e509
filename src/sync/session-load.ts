/**
 * Session transcript loads: the newest page of a session's messages (with its info when unknown
 * and its todos) in one buffered scope, older pages on demand ("load earlier"), the file diff, and
 * what session events mean for a loaded transcript (deleted: forget it; compacted: read it again).
 */
import type { RelayedEvent } from '../../sw/shared/protocol.ts'
import { errorMessage, type MessagePage, type OpencodeApi } from '../api/opencode.ts'
import { deleteSnapshot } from '../db/snapshots.ts'
import type { DirectoryState } from '../state/client-state.ts'
import { loadMessages } from '../state/reducer.ts'
import { getSorted, upsertSorted } from '../state/sorted.ts'
import type { Intake } from './intake.ts'
import type { LoadOnce } from './load-once.ts'
import { bumpVersion, directoryData, loadOf, type SyncData } from './data.ts'
import { PROVISIONAL_PAGE_SIZE } from './first-page-prefetch.ts'

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
  /**
   * Whether REST reads still wait for the relay (its subscription, src/sync/subscription.ts): a
   * session with nothing shown is then read once at once too, for display only (see
   * {@link SessionLoader.ensureSession}). Absent: never.
   */
  readsWaiting?(): boolean
  /**
   * What may paint `directory`/`sessionID` before the provisional read: resolves the page read
   * before the app ran (src/sync/first-page-prefetch.ts), used instead of reading it again, or
   * `undefined` once nothing else will (a warm-start snapshot read has ended); the loader then
   * reads the page itself unless the session shows messages by then. Returning `undefined`, or
   * absent: the loader reads at once.
   */
  firstPage?(directory: string, sessionID: string): Promise<MessagePage | undefined> | undefined
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
   *
   * A cold page (nothing shown, no snapshot) would wait for the relay's subscription before its
   * first read; meanwhile the same page is read at once and painted as provisional
   * (`load.provisional`: not bracketed by the stream, so never saved as a snapshot), and the
   * gated read replaces it when it commits (a message the provisional page had and the gated one
   * has not is removed). A provisional answer that comes after the gated commit is dropped.
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
        let committed = false
        const shown = () => (directoryData(data, directory).messages[sessionID]?.length ?? 0) > 0
        if (options.readsWaiting?.() && !shown()) {
          const readPage = () => api.listMessages(directory, sessionID, { limit: PROVISIONAL_PAGE_SIZE })
          const prefetched = options.firstPage?.(directory, sessionID)
          const provisional = prefetched ? prefetched.then((page) => page ?? (shown() ? undefined : readPage())) : readPage()
          provisional.then(
            (page) => {
              const dir = directoryData(data, directory)
              if (!page || committed || load.status !== 'loading' || shown()) return
              loadMessages(dir, sessionID, page.messages)
              load.provisional = true
              load.hasEarlier = page.nextCursor !== undefined
              bumpVersion(data, sessionID)
            },
            // The gated read reports the failure.
            () => undefined,
          )
        }
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
              committed = true
              // What was shown before this read (a provisional page, a warm start's snapshot) may
              // hold messages removed since (a revert while the tab was closed).
              if (load.provisional || load.fromSnapshot) dropGone(directoryData(data, directory), sessionID, page.messages)
              load.provisional = false
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
    // Set before any wait: the list holds its scroll anchor while a page is on its way.
    load.loadingEarlier = true
    try {
      if (!load.nextCursor) {
        // Painted from a snapshot or a provisional read: the REST cursor is not known yet.
        await ensureSession(directory, sessionID, { force: load.fromSnapshot })
        if (!load.nextCursor) return
      }
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

/**
 * Removes the messages (and their parts) shown before the gated read (a provisional page, a
 * warm-start snapshot) that its page `kept` does not have at or after its oldest message: they were
 * removed (a revert) since. Live events of the session are held while the read runs
 * (src/sync/intake.ts), so nothing newer than the page is in the list yet.
 */
function dropGone(dir: DirectoryState, sessionID: string, kept: ReadonlyArray<{ info: { id: string } }>): void {
  const ids = new Set(kept.map((m) => m.info.id))
  const oldest = kept[0]?.info.id ?? ''
  const list = dir.messages[sessionID] ?? []
  const gone = list.filter((m) => m.id >= oldest && !ids.has(m.id))
  if (gone.length === 0) return
  for (const m of gone) delete dir.parts[m.id]
  dir.messages[sessionID] = list.filter((m) => !(m.id >= oldest && !ids.has(m.id)))
}
