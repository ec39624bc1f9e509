/**
 * Sending prompts and answering the agent: `POST /session/{id}/prompt_async` (returns at once;
 * the reply streams as events), slash commands (`POST /session/{id}/command`), permission replies
 * (`POST /permission/{requestID}/reply`) and question answers (`POST /question/{requestID}/reply`
 * and `/reject`).
 *
 * Every send carries a client-generated `messageID` (src/api/ids.ts), so a retried send, manual or
 * automatic after a network error, is idempotent: the server upserts the same user message. Until
 * the message shows up in the synced state, the send is listed in `pending` (shown as a ghost
 * bubble with its status).
 */
import { defineStore } from 'pinia'
import { computed, reactive, ref, toRaw, watch } from 'vue'
import type { Agent, PermissionRequest, QuestionAnswer, QuestionRequest, TextPartInput } from '@opencode-ai/sdk/v2/types'
import { getSorted } from '../state/sorted.ts'
import { errorMessage, type ModelRef, type PermissionReply } from '../api/opencode.ts'
import { newMessageId, newPartId } from '../api/ids.ts'
import { attachmentFilePart, type FileAttachment } from '../api/file-attachments.ts'
import { mentionLabel } from '../api/file-mention.ts'
import { readJson, writeJson } from './storage.ts'
import { computeBackoffMs } from '../../sw/shared/backoff.ts'
import { isRecord } from '../../sw/shared/guards.ts'
import { useConnectionStore } from './connection.ts'
import { useServerStore } from './server.ts'
import { useSyncStore } from './sync.ts'
import { useOutboxSends, withPromptText, type PendingSend } from './chat-outbox.ts'
import { useToastsStore } from './toasts.ts'
import { t } from '../i18n/index.ts'
import type { OutboxAction } from '../../sw/shared/outbox-types.ts'
import { usePersistedDrafts } from './persisted-drafts.ts'
import { attachmentPart, formatModelRef, lastUserMessage, mentionPart, parseModelRef, parseSlashCommand, parseStoredModel, runningReplyOf, type Attachment, type FileMention, type Selection } from './prompt-input.ts'

export type { PendingSend }

const LAST_MODEL_KEY = 'opencode-relay:last-model'

/** Automatic retries of a send that failed without an HTTP answer (network error). */
export const SEND_RETRIES = 2
/** Ceiling of the delay before the first automatic retry, ms (backoff with full jitter, doubling; see sw/shared/backoff.ts). */
export const SEND_RETRY_DELAY_MS = 1500
/** Largest delay before an automatic retry, ms. */
const SEND_RETRY_MAX_MS = 8000

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const cause: unknown = err.cause
  const hasStatus = isRecord(cause) && typeof cause.status === 'number'
  return !hasStatus
}

/**
 * Prompt state and replies. State: `drafts`, `attachments`, `mentions`, `selections`, `pending`, `lastModel`.
 * Queries: `primaryAgents(dir)`, `agentFor(dir, id)`, `modelFor(dir, id)`, `pendingFor(id)`,
 * `pendingCount`. Actions: `select(key, {agent, model})`, `attach`, `detach`, `mention`, `unmention`, `addFile`, `removeFile`,
 * `send(dir, id, text, draftKey?)`, `retry(messageID)`, `discard(messageID)`, `edit(messageID, text)`,
 * `editNotApplied(sessionID, text)`,
 * `replyPermission(dir, request, reply)`, `replyQuestion(dir, request, answers)`,
 * `rejectQuestion(dir, request)`, `abort(dir, sessionID)`, `stopWaiting(sessionID)`.
 */
export const useChatStore = defineStore('chat', () => {
  const sync = useSyncStore()
  const server = useServerStore()
  const connection = useConnectionStore()
  const toasts = useToastsStore()

  /** Unsent text per session (`new` for the home prompt), kept across reloads (persisted-drafts.ts). */
  const drafts: Record<string, string> = usePersistedDrafts()
  /** `@` attachments per session. */
  const attachments: Record<string, Attachment[]> = reactive({})
  /** Files and line ranges mentioned from the Files panel per draft key, sent as `file://` parts. */
  const mentions: Record<string, FileMention[]> = reactive({})
  /** Pasted, dropped or picked images/PDFs per draft key, sent as `data:` file parts. */
  const files: Record<string, FileAttachment[]> = reactive({})
  /** Agent/model picked per session. */
  const selections: Record<string, Selection> = reactive({})
  /** Sends not yet visible in the synced state, by messageID. */
  const pending: Record<string, PendingSend> = reactive({})
  /** Last model the user picked anywhere (default for new sessions). */
  const lastModel = ref<ModelRef | undefined>(parseStoredModel(readJson(LAST_MODEL_KEY)))
  watch(lastModel, (m) => writeJson(LAST_MODEL_KEY, m ?? null))

  /** Primary agents a prompt can use (not hidden, not subagent-only). */
  function primaryAgents(directory: string): Agent[] {
    return sync.directoryMeta(directory).agents.filter((a) => a.mode !== 'subagent' && !a.hidden)
  }

  /** The agent a send uses: picked → last used in the session → `default_agent` → first primary. */
  function agentFor(directory: string, sessionID: string | undefined): string | undefined {
    if (sessionID && selections[sessionID]?.agent) return selections[sessionID].agent
    const last = sessionID ? lastUserMessage(sync.messagesOf(directory, sessionID)) : undefined
    if (last?.agent) return last.agent
    const m = sync.directoryMeta(directory)
    if (m.config?.default_agent) return m.config.default_agent
    return primaryAgents(directory)[0]?.name
  }

  /** Whether `model` exists in the directory's providers (true while providers are unknown). */
  function modelExists(directory: string, model: ModelRef): boolean {
    const providers = sync.directoryMeta(directory).providers
    if (!providers) return true
    const p = providers.providers.find((x) => x.id === model.providerID)
    return p !== undefined && model.modelID in p.models
  }

  /**
   * The model a send uses: picked → last used in the session → last picked anywhere → config
   * `model` → the first provider's default. Undefined lets the server decide.
   */
  function modelFor(directory: string, sessionID: string | undefined): ModelRef | undefined {
    if (sessionID && selections[sessionID]?.model) return selections[sessionID].model
    const last = sessionID ? lastUserMessage(sync.messagesOf(directory, sessionID)) : undefined
    if (last) return { providerID: last.model.providerID, modelID: last.model.modelID }
    if (lastModel.value && modelExists(directory, lastModel.value)) return lastModel.value
    const m = sync.directoryMeta(directory)
    const configured = parseModelRef(m.config?.model)
    if (configured) return configured
    const first = m.providers?.providers[0]
    if (first) {
      const modelID = m.providers?.defaults[first.id] ?? Object.keys(first.models)[0]
      if (modelID) return { providerID: first.id, modelID }
    }
    return undefined
  }

  function select(sessionKey: string, patch: Selection): void {
    selections[sessionKey] = { ...selections[sessionKey], ...patch }
    if (patch.model) lastModel.value = patch.model
  }

  /** Adds an `@` attachment (no duplicates). */
  function attach(sessionKey: string, att: Attachment): void {
    const list = attachments[sessionKey] ?? []
    if (!list.some((a) => a.path === att.path)) attachments[sessionKey] = [...list, att]
  }

  function detach(sessionKey: string, path: string): void {
    attachments[sessionKey] = (attachments[sessionKey] ?? []).filter((a) => a.path !== path)
  }

  /** Adds a Files panel mention to a draft (once per path and range; label: src/api/file-mention.ts `mentionLabel`). */
  function mention(sessionKey: string, m: FileMention): void {
    const list = mentions[sessionKey] ?? []
    const label = mentionLabel(m.path, m.range)
    if (!list.some((x) => mentionLabel(x.path, x.range) === label)) mentions[sessionKey] = [...list, m]
  }

  /** Removes a mention from a draft by its label (`src/app.ts:3-7`). */
  function unmention(sessionKey: string, label: string): void {
    mentions[sessionKey] = (mentions[sessionKey] ?? []).filter((x) => mentionLabel(x.path, x.range) !== label)
  }

  /** Adds an image/PDF attachment (already checked and read: see src/api/file-attachments.ts) to a draft. */
  function addFile(sessionKey: string, file: FileAttachment): void {
    files[sessionKey] = [...(files[sessionKey] ?? []), file]
  }

  /** Removes an image/PDF attachment from a draft by its id. */
  function removeFile(sessionKey: string, id: string): void {
    files[sessionKey] = (files[sessionKey] ?? []).filter((f) => f.id !== id)
  }

  /** Sends currently pending for a session, oldest first. */
  function pendingFor(sessionID: string): PendingSend[] {
    return Object.values(pending)
      .filter((p) => p.sessionID === sessionID)
      .sort((a, b) => (a.messageID < b.messageID ? -1 : 1))
  }

  // A pending send is done once its message is in the synced state.
  watch(
    () => Object.values(pending).map((p) => (getSorted(sync.messagesOf(p.directory, p.sessionID), p.messageID) ? p.messageID : '')),
    (arrived) => {
      for (const id of arrived) if (id) delete pending[id]
    },
  )

  /** Through the relay's outbox when there is one; else (or when it cannot store it) {@link dispatch}. */
  const outbox = useOutboxSends({
    pending,
    fallback: (p) => void dispatch(p),
    fallbackReply: (directory, action) => void performReply(directory, action).catch(() => undefined),
    replyFailed: (error) => connection.setApiError(error),
    replyDropped: (action, reason) => toasts.push(t(action.kind === 'abort' ? 'session.pending.stopDropped' : 'session.pending.replyDropped', { reason }), 'info'),
    editRefused: (sessionID, text) => editNotApplied(sessionID, text),
  })

  /** Performs a reply or an abort from this tab (no outbox); errors are shown and thrown. */
  async function performReply(directory: string, action: OutboxAction): Promise<void> {
    try {
      if (action.kind === 'permission-reply') await server.api.replyPermission(directory, action.requestID, action.reply)
      else if (action.kind === 'question-reply') await server.api.replyQuestion(directory, action.requestID, action.answers.map((a) => [...a]))
      else if (action.kind === 'question-reject') await server.api.rejectQuestion(directory, action.requestID)
      else if (action.kind === 'abort') await server.api.abortSession(directory, action.sessionID)
    } catch (err) {
      connection.setApiError(errorMessage(err))
      throw err
    }
  }

  /** Sends a pending request from this tab: two automatic retries after a network error, then failed. */
  async function dispatch(p: PendingSend): Promise<void> {
    p.status = 'sending'
    p.error = undefined
    p.attempts++
    try {
      if (p.request.kind === 'prompt') {
        await server.api.promptAsync(p.directory, p.sessionID, p.request.input)
      } else {
        // The command endpoint answers when the turn ends; the events show progress meanwhile.
        await server.api.command(p.directory, p.sessionID, p.request.input)
      }
      if (pending[p.messageID]) pending[p.messageID].status = 'sent'
      connection.setApiError(undefined)
    } catch (err) {
      const live = pending[p.messageID]
      if (!live) return // arrived through events meanwhile
      if (isNetworkError(err) && live.attempts <= SEND_RETRIES) {
        live.status = 'sending'
        // The same message id is sent again, so a retry of a send that did arrive changes nothing.
        const delay = computeBackoffMs(live.attempts - 1, Math.random(), SEND_RETRY_DELAY_MS, SEND_RETRY_MAX_MS)
        await new Promise((r) => setTimeout(r, delay))
        if (pending[p.messageID]) await dispatch(live)
        return
      }
      live.status = 'failed'
      live.error = errorMessage(err)
    }
  }

  /**
   * Sends what the user typed to a session: a slash command when the text starts with `/name` and
   * `name` is a command of the project, else a prompt with the text, the `@` attachments, the Files
   * panel's mentions and the
   * image/PDF attachments (`data:` file parts, after the text; no text part when `text` is blank).
   * Clears the draft and attachments. Resolves when the request is answered (prompt_async: at once); errors
   * are recorded on the pending send, not thrown.
   * @returns the client-generated messageID.
   */
  async function send(directory: string, sessionID: string, text: string, sessionKey: string = sessionID): Promise<string> {
    const trimmed = text.trim()
    const mentioned = (attachments[sessionKey] ?? []).filter((a) => trimmed.includes(`@${a.path}`))
    const messageID = newMessageId()
    const agent = selections[sessionKey]?.agent ?? agentFor(directory, sessionID)
    const chosen = selections[sessionKey]?.model ?? modelFor(directory, sessionID)
    // A plain copy: the selection is reactive, and the request is posted to the relay (a proxy cannot be cloned).
    const model = chosen ? { providerID: chosen.providerID, modelID: chosen.modelID } : undefined
    const slash = parseSlashCommand(trimmed)
    // `/name` before the project's command list arrived: wait for it rather than send the text as a prompt.
    if (slash !== undefined && sync.directoryMeta(directory).status !== 'ready') await sync.ensureDirectory(directory).catch(() => undefined)
    const isCommand = slash !== undefined && sync.directoryMeta(directory).commands.some((c) => c.name === slash.command)
    const uploads = files[sessionKey] ?? []
    const fileParts = [...mentioned.map((f) => attachmentPart(f, trimmed)), ...(mentions[sessionKey] ?? []).map(mentionPart), ...uploads.map(attachmentFilePart)]
    let request: PendingSend['request']
    if (isCommand && slash) {
      request = {
        kind: 'command',
        input: {
          messageID,
          command: slash.command,
          arguments: slash.arguments,
          ...(agent ? { agent } : {}),
          ...(model ? { model: formatModelRef(model) } : {}),
          files: fileParts,
        },
      }
    } else {
      const textParts: TextPartInput[] = trimmed || fileParts.length === 0 ? [{ id: newPartId(), type: 'text', text: trimmed }] : []
      request = {
        kind: 'prompt',
        input: { messageID, parts: [...textParts, ...fileParts], ...(agent ? { agent } : {}), ...(model ? { model } : {}) },
      }
    }
    const p: PendingSend = { messageID, sessionID, directory, text: trimmed, status: 'sending', attempts: 0, request, ...(uploads.length ? { files: uploads } : {}) }
    pending[messageID] = p
    drafts[sessionKey] = ''
    attachments[sessionKey] = []
    mentions[sessionKey] = []
    files[sessionKey] = []
    if (sessionKey !== sessionID && selections[sessionKey]) selections[sessionID] = { ...selections[sessionKey] }
    if (!outbox.send(pending[messageID])) void dispatch(pending[messageID])
    return messageID
  }

  /** Sends a failed message again with the same messageID (idempotent on the server). */
  function retry(messageID: string): void {
    const p = pending[messageID]
    if (p && p.status === 'failed' && outbox.retry(messageID)) {
      p.status = 'sending'
      p.error = undefined
    } else if (p && p.status === 'failed') {
      p.attempts = 0
      void dispatch(p)
    }
  }

  /**
   * Replaces the text of a prompt that has not left (waiting in the outbox, or failed) with
   * `text`, keeping its message id, files, agent and model (see {@link withPromptText}). Through
   * the relay's outbox when it holds the prompt: every tab's bubble shows the new text once the
   * relay has it; when the prompt left meanwhile, {@link editNotApplied} says so. A failed send
   * this tab made itself (no outbox) is edited here. Returns false when there is nothing to edit
   * (not a prompt, gone, on its way from this tab).
   */
  function edit(messageID: string, text: string): boolean {
    const p = pending[messageID]
    // From the raw object: the relay gets a copy, and a reactive proxy cannot be cloned.
    const request = p ? toRaw(p).request : undefined
    if (!p || request?.kind !== 'prompt') return false
    const input = withPromptText(request.input, text)
    if (outbox.edit(messageID, input)) return true
    if (p.status !== 'failed') return false
    p.request = { kind: 'prompt', input }
    p.text = text.trim()
    return true
  }

  /**
   * An edit came too late (the prompt was sent, or discarded, meanwhile): an error toast says the
   * prompt went as it was, and the edited text goes into the session's prompt box when it is
   * empty, so nothing the user typed is lost.
   */
  function editNotApplied(sessionID: string, text: string): void {
    const kept = !drafts[sessionID]
    if (kept) drafts[sessionID] = text
    toasts.push(t(kept ? 'session.pending.editTooLateKept' : 'session.pending.editTooLate'), 'error')
  }

  /**
   * Drops a send that has not left (failed, or waiting in the outbox), putting its text and
   * image/PDF attachments back into the (empty) draft.
   */
  function discard(messageID: string): void {
    const p = pending[messageID]
    if (!p) return
    outbox.cancel(messageID)
    if (!drafts[p.sessionID]) drafts[p.sessionID] = p.text
    if (p.files?.length && !files[p.sessionID]?.length) files[p.sessionID] = [...p.files]
    delete pending[messageID]
  }

  /**
   * Answers a permission request (`POST /permission/{id}/reply`, `reply` = once | always |
   * reject). The prompt disappears in every tab when `permission.replied` arrives; this tab also
   * removes it at once.
   * Through the relay's outbox when there is one (delivered once, checked against the server first).
   * @throws Error from the server (e.g. the request was already answered elsewhere; only without the outbox).
   */
  async function replyPermission(directory: string, request: PermissionRequest, reply: PermissionReply): Promise<void> {
    const action = { kind: 'permission-reply', sessionID: request.sessionID, requestID: request.id, reply } as const
    if (!outbox.reply(directory, action)) await performReply(directory, action)
    sync.forgetPermission(directory, request)
  }

  /**
   * Answers a question request: one answer (list of chosen labels and/or custom text) per
   * question (`POST /question/{id}/reply`).
   * @throws Error from the server (only without the relay's outbox).
   */
  async function replyQuestion(directory: string, request: QuestionRequest, answers: QuestionAnswer[]): Promise<void> {
    const action = { kind: 'question-reply', sessionID: request.sessionID, requestID: request.id, answers } as const
    if (!outbox.reply(directory, action)) await performReply(directory, action)
    sync.forgetQuestion(directory, request)
  }

  /** Rejects a question request (`POST /question/{id}/reject`). @throws Error from the server (only without the relay's outbox). */
  async function rejectQuestion(directory: string, request: QuestionRequest): Promise<void> {
    const action = { kind: 'question-reject', sessionID: request.sessionID, requestID: request.id } as const
    if (!outbox.reply(directory, action)) await performReply(directory, action)
    sync.forgetQuestion(directory, request)
  }

  /**
   * Stops the session's running reply (the Stop button): `POST /session/{id}/abort` through the
   * relay's outbox, which sends it only while that reply still goes, so a Stop pressed while the
   * server is unreachable never stops a later reply (see {@link runningReplyOf} for what it aims
   * at). Without the outbox (or when it cannot store it) the tab sends it at once.
   * @throws Error from the server (only without the relay's outbox).
   */
  async function abort(directory: string, sessionID: string): Promise<void> {
    const parentID = runningReplyOf(sync.messagesOf(directory, sessionID))
    const action = { kind: 'abort', sessionID, ...(parentID ? { parentID } : {}) } as const
    if (!outbox.abort(directory, action)) await performReply(directory, action)
  }

  /** Number of sends in flight or failed (for tests and the status line). */
  const pendingCount = computed(() => Object.keys(pending).length)

  return {
    drafts,
    attachments,
    mentions,
    files,
    selections,
    pending,
    pendingCount,
    lastModel,
    primaryAgents,
    agentFor,
    modelFor,
    select,
    attach,
    detach,
    mention,
    unmention,
    addFile,
    removeFile,
    pendingFor,
    send,
    retry,
    discard,
    edit,
    editNotApplied,
    replyPermission,
    replyQuestion,
    rejectQuestion,
    abort,
    /** Whether a Stop of the session waits in the relay's outbox (the server has not been reached yet). */
    stopWaiting: outbox.stopWaiting,
  }
})
