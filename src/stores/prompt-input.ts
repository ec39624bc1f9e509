/**
 * What the prompt box sends, as plain data and pure functions (the chat store, src/stores/chat.ts,
 * holds the state): `@` attachments and Files-panel mentions and the `file://` parts they are sent
 * as, `provider/model` references, slash commands, and which reply a Stop aims at.
 */
import type { FilePartInput, Message, UserMessage } from '@opencode-ai/sdk/v2/types'
import type { ModelRef } from '../api/opencode.ts'
import { newPartId } from '../api/ids.ts'
import { fileMentionUrl, type LineRange } from '../api/file-mention.ts'
import { isRecord } from '../../sw/shared/guards.ts'

/** A file attached with `@` (sent as a `file://` part). */
export interface Attachment {
  /** Path relative to the project directory, as `/find/file` returns it. */
  path: string
  /** Absolute path. */
  absolute: string
  /** Whether it is a directory (path ends with `/`). */
  directory: boolean
}

/** A file, or some of its lines, mentioned from the Files panel ("Mention in prompt"). */
export interface FileMention {
  /** Path relative to the project directory (the part's `filename`). */
  path: string
  /** Absolute path (the part's `file://` URL). */
  absolute: string
  /** The lines mentioned; the whole file when absent. */
  range?: LineRange
}

/**
 * The part a mention is sent as: `{ type: 'file', mime: 'text/plain', filename: <path>, url }`
 * with `url` `file://<absolute>?start=<n>&end=<m>`, or `file://<absolute>` for the whole file
 * (OpenCode's contract for selections: src/api/file-mention.ts).
 */
export function mentionPart(m: FileMention): FilePartInput {
  return { id: newPartId(), type: 'file', mime: 'text/plain', filename: m.path, url: fileMentionUrl(m.absolute, m.range) }
}

/** Agent and model chosen for a session in the prompt box. */
export interface Selection {
  agent?: string
  model?: ModelRef
}

/** Parses `provider/model` (OpenCode's config format). */
export function parseModelRef(value: string | undefined): ModelRef | undefined {
  if (!value) return undefined
  const slash = value.indexOf('/')
  if (slash <= 0 || slash === value.length - 1) return undefined
  return { providerID: value.slice(0, slash), modelID: value.slice(slash + 1) }
}

/** Formats a model as `provider/model`. */
export function formatModelRef(model: ModelRef): string {
  return `${model.providerID}/${model.modelID}`
}

/** Joins a project directory and a relative path. */
export function joinPath(directory: string, relative: string): string {
  if (relative.startsWith('/')) return relative
  return `${directory.replace(/[\\/]+$/, '')}/${relative.replace(/^\.\//, '')}`
}

/** The `file://` part for an attachment, with the `@path` mention as its source text. */
export function attachmentPart(att: Attachment, text: string): FilePartInput {
  const mention = `@${att.path}`
  const start = Math.max(0, text.indexOf(mention))
  return {
    id: newPartId(),
    type: 'file',
    mime: att.directory ? 'application/x-directory' : 'text/plain',
    filename: att.path,
    url: `file://${att.absolute}`,
    source: { type: 'file', path: att.path, text: { value: mention, start, end: start + mention.length } },
  }
}

/** Splits `/name args` into command and arguments, or undefined when `text` is no command. */
export function parseSlashCommand(text: string): { command: string; arguments: string } | undefined {
  const m = /^\/([\w.:-]+)(?:\s+([\s\S]*))?$/.exec(text.trim())
  if (!m) return undefined
  return { command: m[1], arguments: (m[2] ?? '').trim() }
}

/** A model stored as `{ providerID, modelID }` (the last model used), or undefined. */
export function parseStoredModel(json: unknown): ModelRef | undefined {
  if (!isRecord(json) || typeof json.providerID !== 'string' || typeof json.modelID !== 'string') return undefined
  return { providerID: json.providerID, modelID: json.modelID }
}

/**
 * The run a Stop aims at, as the user message it answers (the `parentID` of its assistant
 * messages, one per step): the newest assistant message's while it streams; else a user message
 * newer than every assistant message (its run has not written one yet; the newest such); else the
 * newest assistant message's (between two steps). Undefined when the session has no message.
 * Ids are OpenCode's ascending ones (src/api/ids.ts), so string order is time order.
 */
export function runningReplyOf(messages: readonly Message[] | undefined): string | undefined {
  let assistant: Extract<Message, { role: 'assistant' }> | undefined
  let user: UserMessage | undefined
  for (const m of messages ?? []) {
    if (m.role === 'assistant' && (!assistant || m.id > assistant.id)) assistant = m
    if (m.role === 'user' && (!user || m.id > user.id)) user = m
  }
  if (assistant && assistant.time.completed === undefined) return assistant.parentID
  if (user && (!assistant || user.id > assistant.id)) return user.id
  return assistant?.parentID
}

/** The newest user message of a session's messages (oldest first). */
export function lastUserMessage(messages: readonly Message[] | undefined): UserMessage | undefined {
  if (!messages) return undefined
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]
    if (m.role === 'user') return m
  }
  return undefined
}
