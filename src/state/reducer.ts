/**
 * The client-side reducer: turns OpenCode events into normalized, per-directory state (the role
 * of `packages/app/src/context/global-sync/event-reducer.ts` in OpenCode's own web app). The
 * state's shape, {@link ClientState}, and its constructors live in ./client-state.ts.
 *
 * Data flow: the relay (SharedWorker or leader tab) holds the single SSE stream
 * `GET /global/event`, appends every event to the IndexedDB event log with a local cursor and fans
 * batches of {@link RelayedEvent} out to the tabs. Each tab's Pinia store keeps one
 * {@link ClientState} (made reactive by Vue), calls {@link applyRelayed} for every batch, and the
 * `load*` functions with REST bootstrap / catch-up answers.
 *
 * Rules:
 * - Pure state transition: mutates only the state it is given; no IO, no globals (but the locale
 *   of the one display string, {@link describeSessionError}), no clock, no randomness, so the same
 *   events always produce the same state.
 * - Never mutates event payloads or REST objects: they are stored by reference and never edited,
 *   except parts, which are stored as shallow copies because `message.part.delta` appends to the
 *   stored part's `text` in place. Replaying the same payload objects therefore always sees them
 *   as the server sent them.
 * - Idempotent: applying any event twice leaves `directories` and `projects` as applying it once,
 *   EXCEPT `message.part.delta`, which appends text. That is why {@link applyRelayed} skips every
 *   event whose cursor is not above {@link ClientState.lastCursor}: a replay from the event log
 *   that overlaps live events never applies a delta twice. (The diagnostic counters
 *   `unknownEvents`, `droppedDeltas`, `failedEvents` and `disposed` count occurrences and are not
 *   idempotent by design.)
 * - Narrowing is by `event.type` over the SDK's `Event` union, without casts. The union is closed
 *   at compile time but the wire is open: unknown runtime types land in `default` and are counted.
 *
 * Protocol facts (event names, payload shapes) come from `@opencode-ai/sdk` 1.18.33
 * (`dist/v2/gen/types.gen.d.ts`, type `Event`) and were checked against the pinned
 * `opencode serve` 1.18.33 by recording its `GET /global/event` stream.
 */
import type {
  Event,
  Message,
  Part,
  PermissionRequest,
  QuestionRequest,
  Session,
  SessionStatus,
} from '@opencode-ai/sdk/v2/types'
import type { RelayedEvent } from '../../sw/shared/protocol.ts'
import { directoryState, type ClientState, type DirectoryState } from './client-state.ts'
import { findIndexById, mergeSorted, removeSorted, sortById, upsertSorted } from './sorted.ts'
import { t, tn } from '../i18n/index.ts'

/**
 * Event types that `opencode serve` 1.18.33 puts on `GET /global/event` although they are not
 * members of the SDK's `Event` union: `server.heartbeat` (keep-alive, every ~10 s) and `sync`
 * (the durable sync-event envelope duplicating `session.*` / `message.*` events). Known, no state.
 */
const WIRE_ONLY_TYPES: ReadonlySet<string> = new Set(['server.heartbeat', 'sync'])

/** The error union carried by `session.error` and by `AssistantMessage.error`. */
export type SessionError = NonNullable<Extract<Event, { type: 'session.error' }>['properties']['error']>

/**
 * A one-line, human-readable message for a session error (from `session.error` or an assistant
 * message's `error`), e.g. `scripted provider error (HTTP 400)`, in the current locale (the one
 * display string the reducer makes: it reads the locale, the only global it touches). Never throws.
 */
export function describeSessionError(error: SessionError | undefined): string {
  if (!error) return t('session.error.unknown')
  switch (error.name) {
    case 'ProviderAuthError':
      return t('session.error.providerAuth', { provider: error.data.providerID, message: error.data.message })
    case 'UnknownError':
      return error.data.message || t('session.error.unknown')
    case 'MessageOutputLengthError':
      return t('session.error.outputLength')
    case 'MessageAbortedError':
      return error.data.message || t('session.error.aborted')
    case 'StructuredOutputError':
      return tn('session.error.structuredOutput', error.data.retries, { message: error.data.message })
    case 'ContextOverflowError':
      return t('session.error.contextOverflow', { message: error.data.message })
    case 'ContentFilterError':
      return t('session.error.contentFilter', { message: error.data.message })
    case 'APIError':
      return error.data.statusCode === undefined
        ? error.data.message
        : t('session.error.http', { message: error.data.message, status: error.data.statusCode })
    default: {
      const unknown: never = error
      return t('session.error.unknownKind', { name: nameOf(unknown) ?? t('session.error.unknownName') })
    }
  }
}

/** The string `type` of a value TS thinks impossible (a runtime type outside the union), without casts. */
function typeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('type' in value)) return undefined
  return typeof value.type === 'string' ? value.type : undefined
}

/** The string `name` of an error TS thinks impossible (a runtime error kind outside the union). */
function nameOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('name' in value)) return undefined
  return typeof value.name === 'string' ? value.name : undefined
}

function countUnknown(state: ClientState, type: string): void {
  state.unknownEvents++
  state.unknownTypes[type] = (state.unknownTypes[type] ?? 0) + 1
}

/** The list at `record[key]`, created empty when absent. */
function listOf<T>(record: Record<string, T[]>, key: string): T[] {
  const existing = record[key]
  if (existing) return existing
  record[key] = []
  return record[key]
}

/** Removes the session and everything hanging off it (messages, parts, status, requests, todos, diffs, error). */
function removeSession(dir: DirectoryState, sessionID: string): void {
  removeSorted(dir.sessions, sessionID)
  for (const message of dir.messages[sessionID] ?? []) delete dir.parts[message.id]
  // Parts whose message info never arrived (or was already removed) still name their session.
  for (const [messageID, parts] of Object.entries(dir.parts)) {
    if (parts.length > 0 && parts[0].sessionID === sessionID) delete dir.parts[messageID]
  }
  delete dir.messages[sessionID]
  delete dir.status[sessionID]
  delete dir.permissions[sessionID]
  delete dir.questions[sessionID]
  delete dir.todos[sessionID]
  delete dir.diffs[sessionID]
  delete dir.errors[sessionID]
}

/**
 * A shallow copy of a part, so that deltas can append to the stored `text` in place without
 * touching the event payload or REST object it came from.
 */
function ownPart(part: Part): Part {
  return { ...part }
}

/**
 * Appends `delta` to `field` of the stored part, in place (the stored part is the reducer's own
 * shallow copy, see {@link ownPart}). In place on purpose: on a Vue-reactive state this triggers
 * only readers of that part's `text`, and never embeds reactive proxies into new raw objects.
 * @returns false when the delta cannot be applied (unknown part, or not a string field of its kind).
 */
function applyDelta(dir: DirectoryState, messageID: string, partID: string, field: string, delta: string): boolean {
  if (field !== 'text') return false
  const parts = dir.parts[messageID]
  if (!parts) return false
  const { found, index } = findIndexById(parts, partID)
  if (!found) return false
  const part = parts[index]
  if (part.type !== 'text' && part.type !== 'reasoning') return false
  part.text += delta
  return true
}

/**
 * Applies one OpenCode event to `state`. `directory` is the envelope's directory
 * (`RelayedEvent.directory`, `global` for server-wide events). Idempotent except for
 * `message.part.delta` (see the module comment). Unknown types are counted in `unknownEvents` /
 * `unknownTypes`, never thrown.
 *
 * Handled (state change): `session.created|updated|deleted`, `message.updated|removed`,
 * `message.part.updated|removed|delta`, `session.status`, `session.idle`, `session.diff`,
 * `session.error`, `todo.updated`, `permission.asked|replied`, `permission.v2.asked|replied`,
 * `question.asked|replied|rejected`, `question.v2.asked|replied|rejected`, `project.updated`,
 * `server.instance.disposed`, `global.disposed`. Every other member of the SDK union is known and
 * leaves the state unchanged.
 *
 * @throws TypeError only when a payload lacks fields its type requires (a malformed frame);
 *   {@link applyRelayed} catches that and counts it in `failedEvents`.
 */
export function applyEvent(state: ClientState, directory: string, event: Event): void {
  switch (event.type) {
    // ---- sessions -------------------------------------------------------------------------
    case 'session.created':
    case 'session.updated':
      upsertSorted(directoryState(state, directory).sessions, event.properties.info)
      return
    case 'session.deleted': {
      const dir = state.directories[directory]
      if (dir) removeSession(dir, event.properties.sessionID)
      return
    }
    case 'session.status': {
      const dir = directoryState(state, directory)
      const { sessionID, status } = event.properties
      dir.status[sessionID] = status
      if (status.type === 'busy') delete dir.errors[sessionID]
      return
    }
    case 'session.idle':
      directoryState(state, directory).status[event.properties.sessionID] = { type: 'idle' }
      return
    case 'session.diff':
      directoryState(state, directory).diffs[event.properties.sessionID] = event.properties.diff
      return
    case 'todo.updated':
      directoryState(state, directory).todos[event.properties.sessionID] = event.properties.todos
      return
    case 'session.error': {
      const { sessionID, error } = event.properties
      // Errors without a session (e.g. a failing title generation) have nowhere to go.
      if (sessionID) directoryState(state, directory).errors[sessionID] = describeSessionError(error)
      return
    }

    // ---- messages and parts ---------------------------------------------------------------
    case 'message.updated': {
      const dir = directoryState(state, directory)
      upsertSorted(listOf(dir.messages, event.properties.info.sessionID), event.properties.info)
      return
    }
    case 'message.removed': {
      const dir = state.directories[directory]
      if (!dir) return
      const messages = dir.messages[event.properties.sessionID]
      if (messages) removeSorted(messages, event.properties.messageID)
      delete dir.parts[event.properties.messageID]
      return
    }
    case 'message.part.updated': {
      const dir = directoryState(state, directory)
      upsertSorted(listOf(dir.parts, event.properties.part.messageID), ownPart(event.properties.part))
      return
    }
    case 'message.part.removed': {
      const parts = state.directories[directory]?.parts[event.properties.messageID]
      if (parts) removeSorted(parts, event.properties.partID)
      return
    }
    case 'message.part.delta': {
      const { messageID, partID, field, delta } = event.properties
      const dir = state.directories[directory]
      if (!dir || !applyDelta(dir, messageID, partID, field, delta)) state.droppedDeltas++
      return
    }

    // ---- permissions and questions --------------------------------------------------------
    case 'permission.asked': {
      const dir = directoryState(state, directory)
      upsertSorted(listOf(dir.permissions, event.properties.sessionID), event.properties)
      return
    }
    case 'permission.v2.asked': {
      // Same request in the v2 vocabulary: action → permission, resources → patterns,
      // save → always, source → tool. The pinned server 1.18.33 emits only the v1 events.
      const p = event.properties
      const request: PermissionRequest = {
        id: p.id,
        sessionID: p.sessionID,
        permission: p.action,
        patterns: p.resources,
        metadata: p.metadata ?? {},
        always: p.save ?? [],
      }
      if (p.source) request.tool = { messageID: p.source.messageID, callID: p.source.callID }
      upsertSorted(listOf(directoryState(state, directory).permissions, p.sessionID), request)
      return
    }
    case 'permission.replied':
    case 'permission.v2.replied': {
      const list = state.directories[directory]?.permissions[event.properties.sessionID]
      if (list) removeSorted(list, event.properties.requestID)
      return
    }
    case 'question.asked':
    case 'question.v2.asked': {
      // `question.v2.asked` carries exactly the fields of a v1 QuestionRequest.
      const dir = directoryState(state, directory)
      upsertSorted(listOf(dir.questions, event.properties.sessionID), event.properties)
      return
    }
    case 'question.replied':
    case 'question.rejected':
    case 'question.v2.replied':
    case 'question.v2.rejected': {
      const list = state.directories[directory]?.questions[event.properties.sessionID]
      if (list) removeSorted(list, event.properties.requestID)
      return
    }

    // ---- global ---------------------------------------------------------------------------
    case 'project.updated':
      // The payload is a complete Project.
      upsertSorted(state.projects, event.properties)
      return
    case 'server.instance.disposed': {
      const key = event.properties.directory
      state.disposed[key] = (state.disposed[key] ?? 0) + 1
      return
    }
    case 'global.disposed':
      state.disposed.global = (state.disposed.global ?? 0) + 1
      return

    // ---- known, no state kept by this client ----------------------------------------------
    case 'session.compacted': // the store may re-fetch messages; the events that follow update them
    case 'server.connected':
    case 'file.edited':
    case 'file.watcher.updated':
    case 'vcs.branch.updated':
    case 'lsp.updated':
    case 'plugin.added':
    case 'catalog.updated':
    case 'reference.updated':
    case 'integration.updated':
    case 'integration.connection.updated':
    case 'models-dev.refreshed':
    case 'installation.updated':
    case 'installation.update-available':
    case 'project.directories.updated':
    case 'pty.created':
    case 'pty.updated':
    case 'pty.exited':
    case 'pty.deleted':
    case 'tui.prompt.append':
    case 'tui.command.execute':
    case 'tui.toast.show':
    case 'tui.session.select':
    case 'mcp.tools.changed':
    case 'mcp.browser.open.failed':
    case 'command.executed':
    case 'workspace.ready':
    case 'workspace.failed':
    case 'workspace.status':
    case 'worktree.ready':
    case 'worktree.failed':
    // The experimental `session.next.*` event model: the v1 events above carry the same facts.
    case 'session.next.agent.switched':
    case 'session.next.model.switched':
    case 'session.next.moved':
    case 'session.next.prompted':
    case 'session.next.prompt.admitted':
    case 'session.next.context.updated':
    case 'session.next.synthetic':
    case 'session.next.shell.started':
    case 'session.next.shell.ended':
    case 'session.next.step.started':
    case 'session.next.step.ended':
    case 'session.next.step.failed':
    case 'session.next.text.started':
    case 'session.next.text.delta':
    case 'session.next.text.ended':
    case 'session.next.reasoning.started':
    case 'session.next.reasoning.delta':
    case 'session.next.reasoning.ended':
    case 'session.next.tool.input.started':
    case 'session.next.tool.input.delta':
    case 'session.next.tool.input.ended':
    case 'session.next.tool.called':
    case 'session.next.tool.progress':
    case 'session.next.tool.success':
    case 'session.next.tool.failed':
    case 'session.next.retried':
    case 'session.next.compaction.started':
    case 'session.next.compaction.delta':
    case 'session.next.compaction.ended':
    case 'session.next.revert.staged':
    case 'session.next.revert.cleared':
    case 'session.next.revert.committed':
      return

    default: {
      // Compile time: every union member is handled above (a new SDK member fails to compile
      // here). Run time: types the union does not list arrive here.
      const unlisted: never = event
      const type = typeOf(unlisted) ?? '(no type)'
      if (!WIRE_ONLY_TYPES.has(type)) countUnknown(state, type)
      return
    }
  }
}

/**
 * Applies a batch of relayed events (`RelayToTab` `events`, or a replay from the event log) in
 * array order. Events with `cursor <= state.lastCursor` are skipped, so a replay overlapping
 * already-applied live events never applies anything twice (deltas included); every applied event
 * advances `lastCursor` to its cursor. An event whose payload makes the reducer throw is skipped,
 * counted in `failedEvents`, and its cursor still consumed (it would fail again).
 * @returns the number of events applied (skipped ones not counted; failed ones not counted).
 */
export function applyRelayed(state: ClientState, events: readonly RelayedEvent[]): number {
  let applied = 0
  for (const relayed of events) {
    if (relayed.cursor <= state.lastCursor) continue
    state.lastCursor = relayed.cursor
    try {
      applyEvent(state, relayed.directory, relayed.payload)
      applied++
    } catch {
      state.failedEvents++
    }
  }
  return applied
}

/**
 * Replaces the session list of `dir` with `sessions` (REST `GET /session?directory=…`), sorted by
 * id; duplicates collapse (the last wins). Messages and other per-session data of sessions not in
 * the list are kept (the list may be a page); `session.deleted` is what removes them.
 */
export function loadSessions(dir: DirectoryState, sessions: Session[]): void {
  dir.sessions = sortById(sessions)
}

/**
 * Merges messages with their parts (REST `GET /session/{sessionID}/message`, a full load or a
 * "load earlier" page) into `dir`: each info is upserted into `messages[sessionID]` and each part
 * into `parts[info.id]`. REST is the truth for everything it returns (it replaces local copies
 * with the same id); local messages and parts it does not mention are kept, since they may be
 * newer than the snapshot. One array assignment per list, not one splice per item.
 */
export function loadMessages(
  dir: DirectoryState,
  sessionID: string,
  messages: Array<{ info: Message; parts: Part[] }>,
): void {
  dir.messages[sessionID] = mergeSorted(
    dir.messages[sessionID] ?? [],
    messages.map((m) => m.info),
  )
  for (const { info, parts } of messages) {
    dir.parts[info.id] = mergeSorted(dir.parts[info.id] ?? [], parts.map(ownPart))
  }
}

/**
 * Replaces all statuses of `dir` with `status` (REST `GET /session/status`: sessionID → status,
 * idle sessions omitted). Sessions absent from the record are idle.
 */
export function loadStatus(dir: DirectoryState, status: Record<string, SessionStatus>): void {
  dir.status = { ...status }
}

/** Groups requests by `sessionID`, each group sorted by id. */
function groupBySession<T extends { id: string; sessionID: string }>(list: readonly T[]): Record<string, T[]> {
  const grouped: Record<string, T[]> = {}
  for (const item of list) listOf(grouped, item.sessionID).push(item)
  for (const key of Object.keys(grouped)) grouped[key] = sortById(grouped[key])
  return grouped
}

/** Replaces all pending permission requests of `dir` with `list` (REST `GET /permission?directory=…`). */
export function loadPermissions(dir: DirectoryState, list: PermissionRequest[]): void {
  dir.permissions = groupBySession(list)
}

/** Replaces all pending questions of `dir` with `list` (REST `GET /question?directory=…`). */
export function loadQuestions(dir: DirectoryState, list: QuestionRequest[]): void {
  dir.questions = groupBySession(list)
}
