/**
 * The tab's synchronized view of the server, as a thin Pinia setup store: it holds the reactive
 * data and wires the service parts of src/sync/, each one concept with its tests beside it:
 *
 * - data.ts: the data's shapes ({@link ClientState} from the reducer, per-directory meta, per-session
 *   load state and version) and the accessors the parts share;
 * - subscription.ts: the relay subscription, made BEFORE any REST read, which every read waits for;
 * - intake.ts (with scope-gate.ts): relay batches meeting REST reads — events of a scope being read
 *   are held and released after its answer, without those the answer already has;
 * - bootstrap.ts, session-load.ts (with load-once.ts): the REST loads;
 * - recovery.ts, retry.ts: what to read again after a reset, a resync, a gap or a failure, and
 *   when (backoff from sw/shared/backoff.ts);
 * - warm-start.ts: the session snapshot painted before any network, and the offline lists painted
 *   by src/pwa/offline.ts through this store's paint actions;
 * - selectors.ts: how components and other stores read the data.
 *
 * The relay (one SSE connection for every tab, event log in IndexedDB) delivers batches of
 * `RelayedEvent` in cursor order, replayed from a cursor then live; REST serves bootstrap,
 * catch-up after `reset`/`resync`, and "load earlier" pages.
 */
import { defineStore } from 'pinia'
import { computed, reactive, ref, watch, type ComputedRef } from 'vue'
import type { PermissionRequest, Project, QuestionRequest, Session } from '@opencode-ai/sdk/v2/types'
import { createClientState, type ClientState } from '../state/client-state.ts'
import { errorMessage } from '../api/opencode.ts'
import { saveSnapshot, type SessionSnapshot } from '../db/snapshots.ts'
import { useRelay } from '../relay-client/provide.ts'
import { clearSyncData, forgetRequest, loadedDirectories, loadedSessions, rememberSession as rememberSessionIn } from '../sync/data.ts'
import type { DirectoryMeta, LoadStatus, SessionLoad, SyncData, SyncPhase } from '../sync/data.ts'
import { createSubscription } from '../sync/subscription.ts'
import { createIntake } from '../sync/intake.ts'
import { createLoadOnce } from '../sync/load-once.ts'
import { createBootstrap } from '../sync/bootstrap.ts'
import { createSessionLoader } from '../sync/session-load.ts'
import { createRecovery } from '../sync/recovery.ts'
import { createRetry } from '../sync/retry.ts'
import {
  buildSnapshot as buildSnapshotOf,
  paintCachedProjects as paintCachedProjectsInto,
  paintCachedSessions as paintCachedSessionsInto,
  paintOfflineTranscript as paintOfflineTranscriptInto,
  paintWarmStart,
} from '../sync/warm-start.ts'
import * as select from '../sync/selectors.ts'
import { useConnectionStore } from './connection.ts'
import { useServerStore } from './server.ts'
import { takePrefetchedFirstPage } from '../sync/first-page-prefetch.ts'

export type { DirectoryMeta, LoadStatus, SessionLoad, SyncPhase } from '../sync/data.ts'
export type { SyncDiagnostics } from '../sync/selectors.ts'
export { SUBSCRIBE_TIMEOUT_MS } from '../sync/subscription.ts'
export { MESSAGE_PAGE_SIZE } from '../sync/session-load.ts'
export { scopeCovers } from '../sync/scope-gate.ts'

/**
 * A selector as a Pinia getter whose value is the function itself: calling it is a plain read
 * (tracked by the caller's computed or render), not a wrapped action.
 */
function getter<A extends unknown[], R>(fn: (...args: A) => R): ComputedRef<(...args: A) => R> {
  return computed(() => fn)
}

/** Options of `start`. */
export interface SyncStartOptions {
  /** Session whose warm-start snapshot to paint before any network. */
  warm?: { sessionID: string }
}

/**
 * The sync store.
 *
 * State (for the modules, devtools and tests; components read through the selectors): `state`,
 * `meta`, `sessionLoads`, `sessionVersion`, `homeDirectory`, `phase`, `bootstrapError`,
 * `subscription`.
 *
 * Selectors (getters whose value is a function; src/sync/selectors.ts): `projects`, `diagnostics`,
 * `knownDirectories()`, `sessionsOf(dir)`, `sessionOf(dir, id)`, `directoryOfSession(id)`,
 * `statusOf(dir, id)`, `statusesOf(dir)`, `messagesOf(dir, id)`, `partsOf(dir, messageID)`,
 * `sessionErrorOf(dir, id)`, `permissionsOf(dir, id)`, `questionsOf(dir, id)`, `descendantSessionsOf(dir, id)`,
 * `permissionCountOf(dir)`, `questionCountOf(dir)`, `pendingRequestIDsOf(dir)`, `todosOf(dir, id)`, `directoryMeta(dir)`,
 * `directoriesIn(statuses)`, `sessionLoad(id)`, `sessionLoadsIn(status)`, `versionOf(id)`.
 *
 * Actions: `start(options)`, `stop()`, `clear()`, `loadProjects()`, `ensureDirectory(dir, {force})`,
 * `ensureSession(dir, id, {force})`, `loadEarlier(dir, id)`,
 * `resyncDirectory(dir)`, `reloadEverything()`, `buildSnapshot(dir, id)`, `persistSnapshot(dir, id)`,
 * `onEvents(batch)`; local echoes `rememberSession(dir, session)`, `forgetPermission(dir, request)`,
 * `forgetQuestion(dir, request)`; offline paints `paintCachedProjects(list)`,
 * `paintCachedSessions(dir, list)`, `paintOfflineTranscript(failed, snapshot)`.
 */
export const useSyncStore = defineStore('sync', () => {
  const server = useServerStore()
  const connection = useConnectionStore()

  /** The reducer's state, made reactive (see src/state/client-state.ts). */
  const state: ClientState = reactive(createClientState())
  /** Per-directory REST data (agents, commands, providers, config, path) and load status. */
  const meta: Record<string, DirectoryMeta> = reactive({})
  /** Per-session transcript load state. */
  const sessionLoads: Record<string, SessionLoad> = reactive({})
  /** Bumped whenever a session's data changes (events or REST); drives snapshot writes. */
  const sessionVersion: Record<string, number> = reactive({})
  /** The above as one object, the way the modules of src/sync/ take them. */
  const data: SyncData = { state, meta, sessionLoads, sessionVersion }
  /** The server's own directory (`GET /path` without `directory`), the default project. */
  const homeDirectory = ref<string>()
  /** Overall phase: `warm` = a snapshot is painted; `ready` = first REST bootstrap done. */
  const phase = ref<SyncPhase>('idle')
  const bootstrapError = ref<string>()
  /** Range the relay announced at the last subscribe. */
  const subscription = ref<{ from: number; head: number }>()

  /**
   * Relay batches and REST reads meet here (src/sync/intake.ts). Reads of a store that is not
   * started (unit tests of the loads alone) have no subscription to wait for.
   */
  const intake = createIntake({
    data,
    beforeRead: () => (started ? relaySubscription.ready() : undefined),
    afterEvent: (ev) => sessionLoader.afterEvent(ev),
  })
  const read = intake.read
  const onEvents = intake.onEvents
  /** Deduplicates concurrent loads (src/sync/load-once.ts). */
  const loads = createLoadOnce()
  /**
   * This tab's relay subscription; every REST read waits for it (src/sync/subscription.ts). When
   * its answer comes after the timeout, every loaded directory and session is re-read: reads that
   * went ahead may predate the stream's start.
   */
  const relaySubscription = createSubscription({
    subscribe: (cursor) => useRelay().subscribe(cursor),
    onAnswer: (range) => void (subscription.value = range),
    onLateAnswer: () => resyncLoaded(),
  })
  let unsubscribers: Array<() => void> = []
  let started = false
  /** The warm-start snapshot being painted at start (`start({ warm })`), until its read has ended. */
  let warmPaint: { sessionID: string; done: Promise<unknown> } | undefined

  // ---- selectors -----------------------------------------------------------------------------
  // How components and other stores read the data (src/sync/selectors.ts): getters whose value is
  // a function, so a call is a plain read (tracked by the caller's computed or render), not an action.

  /** The server's projects, sorted by id. */
  const projects = computed(() => select.projectsOf(state))
  /** Relay and reducer counters (settings panel). */
  const diagnostics = computed(() => select.diagnosticsOf(state))
  /** Directories with data in the state, in insertion order. */
  const knownDirectories = getter(() => select.knownDirectories(state))
  /** Sessions of a directory, sorted by id. */
  const sessionsOf = getter((directory: string) => select.sessionsOf(state, directory))
  /** One listed session. */
  const sessionOf = getter((directory: string, sessionID: string) => select.sessionOf(state, directory, sessionID))
  /** The first known directory listing a session. */
  const directoryOfSession = getter((sessionID: string) => select.directoryOfSession(state, sessionID))
  /** A session's status (`idle` when absent). */
  const statusOf = getter((directory: string, sessionID: string) => select.statusOf(state, directory, sessionID))
  /** A directory's non-idle statuses by sessionID. */
  const statusesOf = getter((directory: string) => select.statusesOf(state, directory))
  /** A session's loaded messages, oldest first. */
  const messagesOf = getter((directory: string, sessionID: string) => select.messagesOf(state, directory, sessionID))
  /** A message's parts, in order. */
  const partsOf = getter((directory: string, messageID: string) => select.partsOf(state, directory, messageID))
  /** A session's last error message, until a new turn starts. */
  const sessionErrorOf = getter((directory: string, sessionID: string) => select.sessionErrorOf(state, directory, sessionID))
  /** A session's pending permission requests. */
  const permissionsOf = getter((directory: string, sessionID: string) => select.permissionsOf(state, directory, sessionID))
  /** A session's pending questions. */
  const questionsOf = getter((directory: string, sessionID: string) => select.questionsOf(state, directory, sessionID))
  const descendantSessionsOf = getter((directory: string, sessionID: string) => select.descendantSessionsOf(state, directory, sessionID))
  /** Pending permission requests over a directory's sessions. */
  const permissionCountOf = getter((directory: string) => select.permissionCountOf(state, directory))
  const questionCountOf = getter((directory: string) => select.questionCountOf(state, directory))
  /** Ids of a directory's pending permission and question requests. */
  const pendingRequestIDsOf = getter((directory: string) => select.pendingRequestIDsOf(state, directory))
  /** A session's todo list. */
  const todosOf = getter((directory: string, sessionID: string) => select.todosOf(state, directory, sessionID))
  /** A directory's REST data and load status. */
  const directoryMeta = getter((directory: string) => select.directoryMetaOf(meta, directory))
  /** Directories whose load status is one of `statuses`. */
  const directoriesIn = getter((statuses: readonly LoadStatus[]) => select.directoriesIn(meta, statuses))
  /** A session's transcript load state, if asked for. */
  const sessionLoad = getter((sessionID: string) => select.sessionLoadOf(sessionLoads, sessionID))
  /** Sessions whose transcript load is in `status`. */
  const sessionLoadsIn = getter((status: LoadStatus) => select.sessionLoadsIn(sessionLoads, status))
  /** How often a session's data changed (0 before the first change). */
  const versionOf = getter((sessionID: string) => select.versionOf(sessionVersion, sessionID))

  // ---- local echoes --------------------------------------------------------------------------

  /** Lists a session an action's REST answer returned, without waiting for its event. */
  function rememberSession(directory: string, session: Session): void {
    rememberSessionIn(data, directory, session)
  }

  /** Removes an answered permission request from its session's list, without waiting for its event. */
  function forgetPermission(directory: string, request: PermissionRequest): void {
    forgetRequest(data, directory, 'permission', request)
  }

  /** Removes an answered or rejected question from its session's list, without waiting for its event. */
  function forgetQuestion(directory: string, request: QuestionRequest): void {
    forgetRequest(data, directory, 'question', request)
  }

  // ---- REST loads ----------------------------------------------------------------------------

  /** Projects and directories (src/sync/bootstrap.ts). */
  const bootstrap = createBootstrap({
    data,
    api: () => server.api,
    read,
    loads,
    setHomeDirectory: (directory) => void (homeDirectory.value = directory),
    setApiError: (message) => connection.setApiError(message),
    failed: () => scheduleFailedRetry(),
  })
  /** Session transcripts (src/sync/session-load.ts). */
  const sessionLoader = createSessionLoader({
    data,
    api: () => server.api,
    read,
    loads,
    failed: () => scheduleFailedRetry(),
    readsWaiting: () => started && !relaySubscription.isReady(),
    firstPage: (directory, sessionID) => {
      const prefetched = takePrefetchedFirstPage(server.config, directory, sessionID)
      // A session being painted from its warm-start snapshot needs no provisional page of its
      // own; a prefetched page is painted at once (a fresh profile's first IndexedDB read, the
      // snapshot's, takes hundreds of ms and finds nothing).
      const warm = warmPaint?.sessionID === sessionID ? warmPaint.done.then(() => undefined) : undefined
      if (!warm) return prefetched
      return prefetched ? prefetched.then((page) => page ?? warm) : warm
    },
  })
  const { loadProjects, ensureDirectory } = bootstrap
  const { ensureSession, loadEarlier } = sessionLoader

  // ---- warm start and offline paints ---------------------------------------------------------

  /**
   * A structured-cloneable snapshot of a session's newest messages, consistent with
   * `state.lastCursor`; undefined while events are buffered (the cursor would overstate what is
   * applied) or when the session is unknown (src/sync/warm-start.ts).
   */
  function buildSnapshot(directory: string, sessionID: string): SessionSnapshot | undefined {
    return buildSnapshotOf(data, intake.idle, directory, sessionID, server.storageKey)
  }

  /**
   * Writes the session's snapshot now.
   * @returns false when it could not be built (events pending) or written (IndexedDB failed).
   */
  async function persistSnapshot(directory: string, sessionID: string): Promise<boolean> {
    const snap = buildSnapshot(directory, sessionID)
    if (!snap) return false
    return saveSnapshot(snap)
  }

  /** Paints a cached project list while `GET /project` has not succeeded (src/pwa/offline.ts). @returns whether it was painted. */
  function paintCachedProjects(list: readonly Project[]): boolean {
    return paintCachedProjectsInto(data, phase.value, list)
  }

  /** Adds a cached session list's missing sessions while the directory's read is under way or failed. @returns whether eligible. */
  function paintCachedSessions(directory: string, list: readonly Session[]): boolean {
    return paintCachedSessionsInto(data, directory, list)
  }

  /** Paints the snapshot of a session whose transcript read failed, when nothing of it is shown. @returns whether it was painted. */
  function paintOfflineTranscript(failed: { sessionID: string; directory: string }, snap: SessionSnapshot): boolean {
    return paintOfflineTranscriptInto(data, failed, snap)
  }

  // ---- recovery ------------------------------------------------------------------------------

  /** What to read again after a reset, a resync, a gap or a failure (src/sync/recovery.ts). */
  const recovery = createRecovery({
    data,
    active: () => started,
    phase: () => phase.value,
    loadProjects,
    ensureDirectory,
    ensureSession,
    bootstrapped: () => {
      phase.value = 'ready'
      bootstrapError.value = undefined
    },
    failed: () => scheduleFailedRetry(),
  })
  const { reloadEverything, resyncDirectory, resyncLoaded, retryFailed } = recovery

  /**
   * After a failed load: try again later by itself, with backoff, while the relay is connected
   * (when it is not, the reconnect retries); see src/sync/retry.ts.
   */
  const retry = createRetry({
    enabled: () => started,
    pending: () => recovery.hasFailedLoads(),
    canRun: () => connection.connected,
    run: () => retryFailed(),
  })

  function scheduleFailedRetry(): void {
    retry.schedule()
  }

  // ---- relay wiring --------------------------------------------------------------------------

  function onReset(info: { reason: string; head: number }): void {
    // The log cannot replay from our cursor: continue from head and re-read everything over REST.
    intake.reset(info.head)
    void reloadEverything()
  }

  function wireRelay(): void {
    const relay = useRelay()
    connection.setStatus(relay.status())
    unsubscribers = [
      relay.onStatus((s) => connection.setStatus(s)),
      relay.onEvents(onEvents),
      relay.onReset(onReset),
      relay.onResync((info) => void resyncDirectory(info.directory)),
    ]
    if (typeof window !== 'undefined') {
      // The page's own network came back (the relay may never have disconnected: in the
      // SharedWorker its connection does not follow the page's offline emulation or a captive
      // network that only broke this page's requests).
      const online = () => {
        retry.resetBackoff()
        retryFailed()
      }
      window.addEventListener('online', online)
      unsubscribers.push(() => window.removeEventListener('online', online))
    }
    unsubscribers.push(() => retry.cancel())
  }

  /**
   * Starts syncing: wires the relay, paints the warm snapshot (if any), subscribes (from the
   * snapshot's cursor, else `head`) BEFORE any REST read, then bootstraps the project list.
   * Directories and sessions are loaded by {@link ensureDirectory} / {@link ensureSession}.
   * Idempotent. Never throws: failures land in `bootstrapError` and `connection.apiError`.
   */
  async function start(options: SyncStartOptions = {}): Promise<void> {
    if (started) return
    started = true
    wireRelay()
    let cursor: number | 'head' = 'head'
    if (options.warm) {
      const painting = paintWarmStart(data, options.warm.sessionID, server.storageKey)
      warmPaint = { sessionID: options.warm.sessionID, done: painting.catch(() => undefined) }
      const snapCursor = await painting
      if (snapCursor !== undefined) {
        cursor = snapCursor
        state.lastCursor = snapCursor
        phase.value = 'warm'
      }
    }
    await relaySubscription.subscribe(cursor)
    if (phase.value !== 'warm') phase.value = 'bootstrapping'
    await bootstrapProjects(() => true)
  }

  /**
   * Loads the project list and sets the phase: `ready`, or `error` with `bootstrapError` and a
   * retry scheduled. Nothing is set once `current()` says a later bootstrap took over. Never rejects.
   */
  async function bootstrapProjects(current: () => boolean): Promise<void> {
    try {
      await loadProjects()
      if (!current()) return
      phase.value = 'ready'
      bootstrapError.value = undefined
    } catch (err) {
      if (!current()) return
      phase.value = 'error'
      bootstrapError.value = errorMessage(err)
      connection.setApiError(bootstrapError.value)
      scheduleFailedRetry()
    }
  }

  /** Detaches from the relay (tests, server switch). */
  function stop(): void {
    for (const u of unsubscribers.splice(0)) u()
    started = false
  }

  /** Clears all state (server switch). */
  function clear(): void {
    clearSyncData(data)
    intake.clear()
    homeDirectory.value = undefined
  }

  /** Counts server switches: a switch overtaken by the next one stops where it is. */
  let switchGeneration = 0

  /**
   * Another server is current: forget the previous one's data, paint the new one's warm snapshots
   * of the sessions this tab showed (switching back to a server shows its sessions at once), then
   * subscribe from head and read again — from the new server — the project list and every
   * directory and session this tab had loaded, so nothing stays "Loading…" waiting for a view to
   * ask again. Never rejects: failures land in `bootstrapError` / the loads' status, as on start.
   */
  async function switchServer(): Promise<void> {
    const generation = ++switchGeneration
    const directories = loadedDirectories(data)
    const sessions = loadedSessions(data).map(([sessionID, l]) => ({ sessionID, directory: l.directory }))
    clear()
    phase.value = 'bootstrapping'
    const storageKey = server.storageKey
    let painted = false
    for (const { sessionID } of sessions) {
      if ((await paintWarmStart(data, sessionID, storageKey).catch(() => undefined)) !== undefined) painted = true
      if (generation !== switchGeneration) return
    }
    if (painted) phase.value = 'warm'
    await relaySubscription.subscribe('head')
    if (generation !== switchGeneration) return
    const jobs: Array<Promise<void>> = [
      ...directories.map((directory) => ensureDirectory(directory, { force: true })),
      ...sessions.map(({ sessionID, directory }) => ensureSession(directory, sessionID, { force: true })),
    ]
    await bootstrapProjects(() => generation === switchGeneration)
    await Promise.allSettled(jobs)
  }

  // A different server: point the relay at it and bootstrap it (switchServer). The same server at
  // a new address (the launcher restarted on another port): the relay follows it with its log, so
  // only its address changes here; catch-up and `resync` bring what was missed.
  watch(
    () => [server.key, server.config.url] as const,
    ([nextKey, nextUrl], [prevKey, prevUrl]) => {
      if (!started || (nextKey === prevKey && nextUrl === prevUrl)) return
      useRelay().configure(server.config)
      if (nextKey !== prevKey) void switchServer()
    },
  )

  /** Set when the relay lost its upstream connection (reconnecting/offline); cleared once connected again. */
  let lostConnection = false

  // Back online: retry whatever failed while the server was unreachable. After a real gap, also
  // re-read every loaded directory and session over REST: the relay recovers durable events only
  // for sessions whose sync `seq` it saw live, so anything that changed during the gap in a session
  // that was idle since this relay started would otherwise stay missing until the next event.
  // The reads are idempotent merges and coalesce with a relay `resync` of the same directory.
  watch(
    () => connection.state,
    (next, prev) => {
      if (!started) return
      if (next === 'reconnecting' || next === 'offline') {
        lostConnection = true
        return
      }
      if (next !== 'connected' || prev === 'connected') return
      if (lostConnection) {
        lostConnection = false
        resyncLoaded()
      }
      retry.resetBackoff()
      retryFailed()
    },
    // Every transition counts: status broadcasts handled in one task must not hide a gap.
    { flush: 'sync' },
  )

  // `server.instance.disposed` / `global.disposed` counted by the reducer: re-read over REST.
  watch(
    () => ({ ...state.disposed }),
    (next, prev) => {
      for (const [key, count] of Object.entries(next)) {
        if ((prev[key] ?? 0) === count) continue
        if (key === 'global') void reloadEverything()
        else void resyncDirectory(key)
      }
    },
  )

  return {
    state,
    meta,
    sessionLoads,
    sessionVersion,
    homeDirectory,
    phase,
    bootstrapError,
    subscription,
    projects,
    diagnostics,
    knownDirectories,
    sessionsOf,
    sessionOf,
    directoryOfSession,
    statusOf,
    statusesOf,
    messagesOf,
    partsOf,
    sessionErrorOf,
    permissionsOf,
    questionsOf,
    descendantSessionsOf,
    permissionCountOf,
    questionCountOf,
    pendingRequestIDsOf,
    todosOf,
    directoryMeta,
    directoriesIn,
    sessionLoad,
    sessionLoadsIn,
    versionOf,
    rememberSession,
    forgetPermission,
    forgetQuestion,
    paintCachedProjects,
    paintCachedSessions,
    paintOfflineTranscript,
    start,
    stop,
    clear,
    loadProjects,
    ensureDirectory,
    ensureSession,
    loadEarlier,
    resyncDirectory,
    reloadEverything,
    buildSnapshot,
    persistSnapshot,
    onEvents,
  }
})
