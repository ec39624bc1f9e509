/**
 * Runtime guards for what arrives on a port: a message from another context is `unknown` until
 * it is checked against the protocol union (sw/shared/protocol.ts).
 */
import type { OutboxRequest, ServerConfig, TabToRelay } from '../shared/protocol.ts'
import type { CommandBody, OutboxAction, PromptBody } from '../shared/outbox-types.ts'
import { isOptionalString, isRecord } from '../shared/guards.ts'

/** True when `x` is a usable `ServerConfig` (an http(s) URL, optional string credentials). */
export function isServerConfig(x: unknown): x is ServerConfig {
  if (!isRecord(x) || typeof x.url !== 'string' || !/^https?:\/\//.test(x.url)) return false
  if (x.username !== undefined && typeof x.username !== 'string') return false
  if (x.password !== undefined && typeof x.password !== 'string') return false
  if (x.identity !== undefined && typeof x.identity !== 'string') return false
  if (x.followLauncher !== undefined && typeof x.followLauncher !== 'boolean') return false
  return true
}

/** Narrows an incoming port message to `TabToRelay`; anything else is rejected. */
export function isTabToRelay(x: unknown): x is TabToRelay {
  if (!isRecord(x) || typeof x.type !== 'string') return false
  switch (x.type) {
    case 'hello':
      return typeof x.tabId === 'string' && typeof x.lockName === 'string' && isServerConfig(x.server) && typeof x.visible === 'boolean'
    case 'subscribe':
      return x.cursor === 'head' || (typeof x.cursor === 'number' && Number.isFinite(x.cursor))
    case 'visibility':
      return typeof x.visible === 'boolean'
    case 'resumed':
      return typeof x.frozenMs === 'number' && Number.isFinite(x.frozenMs)
    case 'view':
      return isOptionalString(x.directory) && isOptionalString(x.sessionID)
    case 'settings':
      return typeof x.notifications === 'boolean'
    case 'configure':
      return isServerConfig(x.server)
    case 'outbox':
      return isOutboxRequest(x.request)
    case 'reconnect':
    case 'bye':
      return true
    default:
      return false
  }
}

/** A non-empty string (an id). */
function isId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0
}

/** `{ providerID, modelID }` strings: a prompt's model. */
function isModelRef(x: unknown): boolean {
  return isRecord(x) && typeof x.providerID === 'string' && typeof x.modelID === 'string'
}

/** A file part of a prompt or command (the SDK's `FilePartInput`): string `mime` and `url` (a data: URL or a file:// one), optional `filename`. */
function isFilePartInput(x: unknown): boolean {
  return isRecord(x) && x.type === 'file' && typeof x.mime === 'string' && typeof x.url === 'string' && isOptionalString(x.filename) && isOptionalString(x.id) && (x.source === undefined || isRecord(x.source))
}

/**
 * One part of a prompt body (the SDK's `TextPartInput | FilePartInput | AgentPartInput |
 * SubtaskPartInput`): `text` with a string `text`; `file` with string `mime` and `url`; `agent`
 * with a string `name`; `subtask` with string `prompt`, `description` and `agent`. An optional
 * `id` must be a string.
 */
function isPromptPart(x: unknown): boolean {
  if (!isRecord(x) || typeof x.type !== 'string' || !isOptionalString(x.id)) return false
  switch (x.type) {
    case 'text':
      return typeof x.text === 'string'
    case 'file':
      return isFilePartInput(x)
    case 'agent':
      return typeof x.name === 'string'
    case 'subtask':
      return typeof x.prompt === 'string' && typeof x.description === 'string' && typeof x.agent === 'string' && (x.model === undefined || isModelRef(x.model))
    default:
      return false
  }
}

/**
 * True when `x` is a usable body of `POST /session/{id}/prompt_async` ({@link PromptBody}): `parts`
 * an array of parts (see the part kinds above); optional `agent` and `variant` strings, `model`
 * `{ providerID, modelID }` strings, `system` a string, `noReply` a boolean, `tools` a record of
 * booleans, `format` a record with a string `type`.
 */
export function isPromptBody(x: unknown): x is PromptBody {
  if (!isRecord(x) || !Array.isArray(x.parts) || !x.parts.every(isPromptPart)) return false
  if (!isOptionalString(x.agent) || !isOptionalString(x.variant) || !isOptionalString(x.system)) return false
  if (x.model !== undefined && !isModelRef(x.model)) return false
  if (x.noReply !== undefined && typeof x.noReply !== 'boolean') return false
  if (x.tools !== undefined && !(isRecord(x.tools) && Object.values(x.tools).every((v) => typeof v === 'boolean'))) return false
  if (x.format !== undefined && !(isRecord(x.format) && typeof x.format.type === 'string')) return false
  return true
}

/**
 * True when `x` is a usable body of `POST /session/{id}/command` ({@link CommandBody}): string
 * `command` (its name, without the slash) and `arguments` (may be empty); optional `agent`,
 * `model` (`provider/model`, this endpoint's format) and `variant` strings; optional `parts`, an
 * array of file parts. A `files` array of file parts is tolerated too (checked the same way), but
 * the SDK does not send it: attachments of a command must be in `parts`.
 */
export function isCommandBody(x: unknown): x is CommandBody {
  if (!isRecord(x) || typeof x.command !== 'string' || typeof x.arguments !== 'string') return false
  if (!isOptionalString(x.agent) || !isOptionalString(x.model) || !isOptionalString(x.variant)) return false
  for (const files of [x.parts, x.files]) if (files !== undefined && !(Array.isArray(files) && files.every(isFilePartInput))) return false
  return true
}

/**
 * True when `x` is an {@link OutboxAction} the relay can perform, checked per `kind`: `prompt`
 * (`sessionID`, `messageID`, a {@link isPromptBody prompt body}), `command` (`sessionID`,
 * `messageID`, a {@link isCommandBody command body}), `permission-reply` (`sessionID`,
 * `requestID`, `reply` once | always | reject), `question-reply` (`sessionID`, `requestID`,
 * `answers` an array of string arrays: one per question), `question-reject` (`sessionID`,
 * `requestID`), `abort` (`sessionID`, optional `parentID`: the user message whose run it stops).
 * Ids are non-empty strings.
 */
export function isOutboxAction(x: unknown): x is OutboxAction {
  if (!isRecord(x) || !isId(x.sessionID)) return false
  switch (x.kind) {
    case 'prompt':
      return isId(x.messageID) && isPromptBody(x.body)
    case 'command':
      return isId(x.messageID) && isCommandBody(x.body)
    case 'permission-reply':
      return isId(x.requestID) && (x.reply === 'once' || x.reply === 'always' || x.reply === 'reject')
    case 'question-reply':
      return isId(x.requestID) && Array.isArray(x.answers) && x.answers.every((a) => Array.isArray(a) && a.every((s) => typeof s === 'string'))
    case 'question-reject':
      return isId(x.requestID)
    case 'abort':
      return x.parentID === undefined || isId(x.parentID)
    default:
      return false
  }
}

/**
 * True when `x` is a well-formed {@link OutboxRequest}: `op` add | cancel | edit | retry with a
 * non-empty string `id`; an `add` also a string `directory` and an {@link isOutboxAction action};
 * an `edit` a {@link isPromptBody prompt body}.
 */
export function isOutboxRequest(x: unknown): x is OutboxRequest {
  if (!isRecord(x) || !isId(x.id)) return false
  switch (x.op) {
    case 'add':
      return typeof x.directory === 'string' && isOutboxAction(x.action)
    case 'edit':
      return isPromptBody(x.body)
    case 'cancel':
    case 'retry':
      return true
    default:
      return false
  }
}
