/**
 * The chat store's way to the relay's outbox (issue 19; the engine is sw/relay/outbox.ts): a
 * prompt or slash command is handed to the relay, which stores it in IndexedDB before anything is
 * sent and delivers it exactly once when the server is reachable, whatever happens to this tab. The
 * relay's entries come back to every tab and become the ghost bubbles' states
 * ({@link PendingSend.status}); a prompt another tab or an earlier page load left waiting shows up
 * as a ghost bubble here too.
 *
 * Where there is no relay (unit tests of other stores) or the relay cannot store the entry (a full
 * disk), the chat store sends the request itself (`fallback`), as before the outbox.
 */
import { shallowRef, toRaw } from 'vue'
import type { AgentPartInput, FilePartInput, TextPartInput } from '@opencode-ai/sdk/v2/types'
import type { OutboxAction, OutboxEntry } from '../../sw/shared/outbox-types.ts'
import type { CommandInput, PromptInput } from '../api/opencode.ts'
import { newPartId } from '../api/ids.ts'
import type { FileAttachment } from '../api/file-attachments.ts'
import { hasRelay, useRelay } from '../relay-client/provide.ts'

/** A send that has not shown up in the synced state yet. */
export interface PendingSend {
  messageID: string
  sessionID: string
  directory: string
  /** What the user typed (for the ghost bubble). */
  text: string
  /**
   * `sending` (on its way, or about to be), `waiting` (the relay keeps it until the server answers:
   * `error` says why), `sent` (the server took it; the message is on its way back), `failed` (the
   * server refused it: `error`, with Retry and Discard).
   */
  status: 'sending' | 'waiting' | 'sent' | 'failed'
  error?: string
  /** Images/PDFs sent with it (put back into the draft when discarded). */
  files?: FileAttachment[]
  attempts: number
  request: { kind: 'prompt'; input: PromptInput } | { kind: 'command'; input: CommandInput }
}

/** What {@link useOutboxSends} gives the chat store. */
export interface OutboxSends {
  /** Hands a new send to the relay's outbox; false when there is no relay (send it yourself). */
  send(p: PendingSend): boolean
  /** Retries a failed send that the outbox holds; false when the outbox does not hold it. */
  retry(messageID: string): boolean
  /** Cancels a send that has not left; false when the outbox does not hold it. */
  cancel(messageID: string): boolean
  /**
   * Replaces the body of a prompt the outbox holds with `input` (same message id): the relay
   * applies it while the prompt has not left, and every tab's ghost bubble shows the new text when
   * the entries come back; when it has left, `editRefused` is called. False when the outbox does
   * not hold the send (edit it yourself). `input` must be plain data (not a reactive proxy).
   * @throws DataCloneError when `input` holds something the port cannot take.
   */
  edit(messageID: string, input: PromptInput): boolean
  /**
   * Hands a permission reply or a question's answer or rejection to the outbox (id
   * `<kind>:<requestID>`); false when there is no relay (answer it yourself).
   */
  reply(directory: string, action: Extract<OutboxAction, { kind: 'permission-reply' | 'question-reply' | 'question-reject' }>): boolean
  /**
   * Hands an abort (the Stop button) to the outbox (id `abort:<sessionID>:<epoch ms>`): the relay
   * sends it only while the run it aims at (`parentID`) still goes. False when there is no relay
   * (abort it yourself).
   */
  abort(directory: string, action: Extract<OutboxAction, { kind: 'abort' }>): boolean
  /**
   * Whether a Stop of `sessionID` (from any tab) waits in the relay's outbox: pending or being
   * sent, not yet delivered, dropped or refused. Reactive.
   */
  stopWaiting(sessionID: string): boolean
}

/** Options of {@link useOutboxSends}. */
export interface OutboxSendsOptions {
  /** The chat store's pending sends by message id (reactive; updated here). */
  pending: Record<string, PendingSend>
  /** Sends a pending send itself (the relay refused to store it). */
  fallback: (p: PendingSend) => void
  /** Performs a reply or an abort itself (the relay refused to store it). */
  fallbackReply: (directory: string, action: OutboxAction) => void
  /** A reply or an abort the server refused (`failed` entry): show its error. */
  replyFailed: (error: string) => void
  /**
   * A reply or an abort the relay dropped without sending it (`dropped` entry, not cancelled):
   * the request was answered elsewhere, the reply to stop had finished. `reason` is the relay's.
   */
  replyDropped: (action: OutboxAction, reason: string) => void
  /**
   * The relay refused an edit: the prompt was no longer waiting (sent or discarded meanwhile), so
   * it goes, or went, as it was. `text` is the edited text the user typed (not to be lost).
   */
  editRefused: (sessionID: string, text: string) => void
}

/**
 * A prompt's input with its text replaced by `text` (trimmed): one text part (the first text
 * part's id kept) before the other parts, none when `text` is blank and there are files; the
 * `@path` mentions' source offsets (`source.text.start`/`end`, characters) follow the new text.
 * The message id and everything else stay.
 */
export function withPromptText(input: PromptInput, text: string): PromptInput {
  const trimmed = text.trim()
  const first = input.parts.find((part) => part.type === 'text')
  const others = input.parts.flatMap((part): Array<FilePartInput | AgentPartInput> => {
    if (part.type === 'text') return []
    if (part.type !== 'file' || !part.source) return [part]
    const { value } = part.source.text
    const start = Math.max(0, trimmed.indexOf(value))
    return [{ ...part, source: { ...part.source, text: { value, start, end: start + value.length } } }]
  })
  const textParts: TextPartInput[] = trimmed || others.length === 0 ? [{ id: first?.id ?? newPartId(), type: 'text', text: trimmed }] : []
  return { ...input, parts: [...textParts, ...others] }
}

/** The text a prompt shows: its text parts, one per line. */
function promptText(input: PromptInput): string {
  return input.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n')
}

/**
 * The outbox action of a pending send: the request's body without its message id. Read from the
 * raw object: a Vue proxy cannot be posted to the relay (`DataCloneError`).
 */
function actionOf(pending: PendingSend): OutboxAction {
  const p = toRaw(pending)
  if (p.request.kind === 'prompt') {
    const { messageID, ...body } = p.request.input
    return { kind: 'prompt', sessionID: p.sessionID, messageID, body }
  }
  // The endpoint's body calls the files `parts` (see src/api/opencode.ts `command`).
  const { messageID, command, arguments: args, agent, model, files } = p.request.input
  const body = { command, arguments: args, ...(agent ? { agent } : {}), ...(model ? { model } : {}), ...(files?.length ? { parts: files } : {}) }
  return { kind: 'command', sessionID: p.sessionID, messageID, body }
}

/** The tab's form of a prompt entry's request (the parts a prompt box makes: text, file, agent). */
function promptInputOf(action: Extract<OutboxAction, { kind: 'prompt' }>): PromptInput {
  const parts = (action.body.parts ?? []).flatMap((part) => (part.type === 'text' || part.type === 'file' || part.type === 'agent' ? [part] : []))
  const { agent, model, variant } = action.body
  return { messageID: action.messageID, parts, ...(agent ? { agent } : {}), ...(model ? { model } : {}), ...(variant ? { variant } : {}) }
}

/** A ghost bubble for an entry this tab did not add (another tab, an earlier page load); undefined for other actions. */
function pendingFromEntry(entry: OutboxEntry): PendingSend | undefined {
  const { action } = entry
  const base = { messageID: entry.id, sessionID: action.sessionID, directory: entry.directory, status: 'sending' as const, attempts: entry.attempts }
  if (action.kind === 'prompt') {
    const input = promptInputOf(action)
    return { ...base, text: promptText(input), request: { kind: 'prompt', input } }
  }
  if (action.kind === 'command') {
    const { command = '', arguments: args = '', agent, model, parts } = action.body
    const files = (parts ?? []).flatMap((part) => (part.type === 'file' ? [part] : []))
    return {
      ...base,
      text: `/${command}${args ? ` ${args}` : ''}`,
      request: { kind: 'command', input: { messageID: action.messageID, command, arguments: args, ...(agent ? { agent } : {}), ...(model ? { model } : {}), files } },
    }
  }
  return undefined
}

/** Wires the chat store's `pending` sends and request replies to the relay's outbox (see {@link OutboxSendsOptions}). */
export function useOutboxSends(options: OutboxSendsOptions): OutboxSends {
  const { pending, fallback } = options
  const relay = hasRelay() ? useRelay() : undefined
  /** Message ids the outbox holds (this tab's and those it reported). */
  const held = new Set<string>()
  /** Replies and aborts this tab handed over and has not seen settle, by entry id. */
  const replies = new Map<string, { directory: string; action: OutboxAction }>()
  /** The last edit this tab asked for, per message id (kept for when the relay refuses it). */
  const edits = new Map<string, { sessionID: string; text: string }>()
  /** Sessions with a Stop waiting in the outbox (any tab's), from the relay's latest entries. */
  const stopping = shallowRef<ReadonlySet<string>>(new Set())

  relay?.onOutbox((entries) => {
    stopping.value = new Set(entries.flatMap((e) => (e.action.kind === 'abort' && (e.state === 'pending' || e.state === 'sending') ? [e.action.sessionID] : [])))
    for (const entry of entries) {
      if (entry.action.kind !== 'prompt' && entry.action.kind !== 'command') {
        if (!replies.has(entry.id)) continue
        if (entry.state === 'failed') options.replyFailed(entry.error ?? entry.state)
        if (entry.state === 'dropped' && entry.reason !== 'cancelled') options.replyDropped(entry.action, entry.reason ?? entry.state)
        if (entry.state === 'failed' || entry.state === 'delivered' || entry.state === 'dropped') replies.delete(entry.id)
        continue
      }
      let p = pending[entry.id]
      // An edit is settled once the relay holds its text; a refusal may still come after the
      // prompt shows delivered (it left while the edit was on its way), so that does not settle it.
      const edit = edits.get(entry.id)
      if (edit && entry.action.kind === 'prompt' && promptText(promptInputOf(entry.action)) === edit.text) edits.delete(entry.id)
      if (entry.state === 'dropped') {
        if (p && held.has(entry.id)) delete pending[entry.id]
        held.delete(entry.id)
        continue
      }
      if (entry.state === 'delivered') {
        if (p) p.status = 'sent'
        continue
      }
      if (!p) {
        const ghost = pendingFromEntry(entry)
        if (!ghost) continue
        pending[entry.id] = ghost
        p = pending[entry.id]
      }
      held.add(entry.id)
      // An edit (from any tab) changed what will be sent: the bubble shows it.
      if (entry.action.kind === 'prompt' && p.request.kind === 'prompt') {
        const input = promptInputOf(entry.action)
        const text = promptText(input)
        if (text !== p.text || input.parts.length !== p.request.input.parts.length) {
          p.text = text
          p.request = { kind: 'prompt', input }
        }
      }
      p.attempts = entry.attempts
      p.error = entry.error
      p.status = entry.state === 'failed' ? 'failed' : entry.state === 'pending' && entry.error ? 'waiting' : 'sending'
    }
  })
  relay?.onOutboxRefused(({ op, id, error }) => {
    if (op === 'edit') {
      const edit = edits.get(id)
      edits.delete(id)
      console.warn(`[outbox] the relay did not edit ${id} (${error})`)
      if (edit) options.editRefused(edit.sessionID, edit.text)
      return
    }
    const reply = replies.get(id)
    if (reply) {
      replies.delete(id)
      options.fallbackReply(reply.directory, reply.action)
      return
    }
    held.delete(id)
    const p = pending[id]
    if (!p) return
    console.warn(`[outbox] the relay could not keep ${id} (${error}); this tab sends it`)
    fallback(p)
  })

  /**
   * Posts an `add` to the relay: a copy the port can take, made now (a value it cannot clone throws
   * here, not later when a message queued before `hello` is posted). False when it could not: the
   * caller sends it itself, nothing is lost (also when there is no relay).
   */
  function post(id: string, directory: string, action: OutboxAction): boolean {
    if (!relay) return false
    try {
      relay.outbox({ op: 'add', id, directory, action: structuredClone(action) })
      return true
    } catch (err) {
      console.warn(`[outbox] could not hand ${id} to the relay (${err instanceof Error ? err.message : String(err)}); this tab sends it`)
      return false
    }
  }

  return {
    send(p) {
      if (!post(p.messageID, p.directory, actionOf(p))) return false
      held.add(p.messageID)
      return true
    },
    retry(messageID) {
      if (!relay || !held.has(messageID)) return false
      relay.outbox({ op: 'retry', id: messageID })
      return true
    },
    cancel(messageID) {
      if (!relay || !held.has(messageID)) return false
      held.delete(messageID)
      relay.outbox({ op: 'cancel', id: messageID })
      return true
    },
    edit(messageID, input) {
      const p = pending[messageID]
      if (!relay || !p || !held.has(messageID)) return false
      const { messageID: _id, ...body } = input
      // A copy the port can take, made now (a reactive proxy in `input` throws here, not in the port).
      relay.outbox({ op: 'edit', id: messageID, body: structuredClone(body) })
      edits.set(messageID, { sessionID: p.sessionID, text: promptText(input) })
      return true
    },
    reply(directory, action) {
      const id = `${action.kind}:${action.requestID}`
      // Plain copies: the answers may come from a component's reactive state (not clonable).
      const plain: OutboxAction = action.kind === 'question-reply' ? { ...action, answers: action.answers.map((a) => [...a]) } : { ...action }
      if (!post(id, directory, plain)) return false
      replies.set(id, { directory, action: plain })
      return true
    },
    stopWaiting: (sessionID) => stopping.value.has(sessionID),
    abort(directory, action) {
      const id = `abort:${action.sessionID}:${Date.now()}`
      const plain: OutboxAction = { ...action }
      if (!post(id, directory, plain)) return false
      replies.set(id, { directory, action: plain })
      return true
    },
  }
}
