/**
 * How the transcript shows each kind of message part: the one place that decides it, as an
 * exhaustive switch over the SDK's `Part` union (`@opencode-ai/sdk/v2/types`), so a part type the
 * SDK adds is a type error here and not an empty bubble, and a type the server sends that this
 * build does not know (a newer server) is still shown, as "unsupported".
 *
 * Facts from the pinned server (opencode 1.18.33, `GET /session/{id}/message`):
 * - `POST /session/{id}/summarize` writes a user message whose only part is `compaction`
 *   (`auto: false`), then an assistant message with `summary: true` (agent `compaction`) whose text is the summary;
 * - a command with `subtask: true` (`POST /session/{id}/command`) writes a user message whose only
 *   part is `subtask` (`prompt`, `description`, `agent`, `command`); the reply's `task` tool part
 *   carries the child session in `state.metadata.sessionId`; then the server adds a user message
 *   whose only part is synthetic text ("Summarize the task tool output above and continue…");
 * - `step-start` and `snapshot` parts hold git tree hashes the server uses for revert: bookkeeping,
 *   not content.
 */
import type { FilePart, Message, Part, ReasoningPart, StepFinishPart, SubtaskPart, TextPart, ToolPart } from '@opencode-ai/sdk/v2/types'
import type { IconName } from '../components/ui/Icon.vue'
import { stringField } from '../../sw/shared/guards.ts'
import { t, tn } from '../i18n/index.ts'

/**
 * A one-line part: what happened, with an icon and, where it helps, more text behind a disclosure.
 * `text` is in the current locale (the catalogue's `parts.note`), so read it in a computed to follow a
 * locale switch.
 */
export interface PartNote {
  icon: IconName
  text: string
  /** `warning` for retries and unknown types. */
  tone: 'info' | 'warning'
  /** Longer text shown on demand (a subtask's prompt). */
  detail?: string
}

/**
 * What the transcript renders for one part:
 * - `text`: markdown (assistant) or plain text (user); `hidden` for ignored or, once finished, empty text;
 * - `synthetic`: text OpenCode added, not typed by anyone (file read results, continue prompts);
 * - `reasoning`, `tool`, `file`, `step-finish`: their own views;
 * - `note`: one line (compaction, subtask, agent mention, retry, patch, unknown type);
 * - `bookkeeping`: `step-start` and `snapshot`, rendered as nothing.
 */
export type PartPresentation =
  | { kind: 'text'; part: TextPart; hidden: boolean }
  | { kind: 'synthetic'; part: TextPart }
  | { kind: 'reasoning'; part: ReasoningPart }
  | { kind: 'tool'; part: ToolPart }
  | { kind: 'file'; part: FilePart }
  | { kind: 'step-finish'; part: StepFinishPart }
  | { kind: 'note'; note: PartNote }
  | { kind: 'bookkeeping' }

/** The line a subtask part shows: `/command · description · @agent`, or `Subtask · …` without a command (no description: left out). */
export function subtaskLine(part: SubtaskPart): string {
  const head = part.command ? t('parts.note.subtaskCommand', { command: part.command }) : t('parts.note.subtaskHead')
  if (!part.description) return t('parts.note.subtaskWithoutDescription', { head, agent: part.agent })
  return t('parts.note.subtask', { head, description: part.description, agent: part.agent })
}

/**
 * How to show `part`. `streaming` keeps an empty text part visible while its message is still
 * being written (its first delta is on the way). Never throws: a part whose `type` is not in the
 * SDK's union becomes a warning note naming the type.
 */
export function presentPart(part: Part, streaming = false): PartPresentation {
  switch (part.type) {
    case 'text':
      if (part.synthetic) return { kind: 'synthetic', part }
      return { kind: 'text', part, hidden: part.ignored === true || (part.text.length === 0 && !streaming) }
    case 'reasoning':
      return { kind: 'reasoning', part }
    case 'tool':
      return { kind: 'tool', part }
    case 'file':
      return { kind: 'file', part }
    case 'step-finish':
      return { kind: 'step-finish', part }
    case 'step-start':
    case 'snapshot':
      return { kind: 'bookkeeping' }
    case 'patch':
      return { kind: 'note', note: { icon: 'diff', tone: 'info', text: patchLine(part.files) } }
    case 'agent':
      return { kind: 'note', note: { icon: 'sparkles', tone: 'info', text: t('parts.note.agent', { agent: part.name }) } }
    case 'subtask':
      return { kind: 'note', note: { icon: 'sparkles', tone: 'info', text: subtaskLine(part), detail: part.prompt } }
    case 'retry':
      return { kind: 'note', note: { icon: 'alert', tone: 'warning', text: t('parts.note.retry', { attempt: part.attempt, message: part.error.data.message }) } }
    case 'compaction':
      return { kind: 'note', note: { icon: 'archive', tone: 'info', text: compactionLine(part.auto, part.overflow === true) } }
    default:
      return unknownPart(part)
  }
}

/** `Changed 2 files: a.ts, c.ts` (the files' base names). */
function patchLine(files: readonly string[]): string {
  return tn('parts.note.patch', files.length, { files: files.map((f) => f.split('/').pop()).join(', ') })
}

function compactionLine(auto: boolean, overflow: boolean): string {
  if (overflow) return t('parts.note.compactedOverflow')
  return auto ? t('parts.note.compactedAutomatically') : t('parts.note.compacted')
}

/** The note for a part type this build does not know; `part` is `never` to the compiler, so a new SDK type fails the build above. */
function unknownPart(part: never): PartPresentation {
  const value: unknown = part
  return { kind: 'note', note: { icon: 'alert', tone: 'warning', text: t('parts.note.unsupported', { type: stringField(value, 'type') ?? t('parts.note.unknownType') }) } }
}

/**
 * What a user message is, for the transcript:
 * - `prompt`: something a person sent (text, files, an @agent): a bubble;
 * - `compaction`: a request to compact the session: a divider line;
 * - `subtask`: a command that runs as a subtask (`/review`): its line, with the child session;
 * - `automatic`: only text OpenCode added (it continues after a subtask): a faint line, text on demand.
 * An empty message (parts not loaded yet) is a `prompt`.
 */
export type UserMessageKind = 'prompt' | 'compaction' | 'subtask' | 'automatic'

/** Classifies a user message by its parts (see {@link UserMessageKind}). */
export function userMessageKind(parts: readonly Part[]): UserMessageKind {
  if (parts.length === 0) return 'prompt'
  if (parts.some((p) => p.type === 'compaction')) return 'compaction'
  const authored = parts.some((p) => (p.type === 'text' && !p.synthetic) || p.type === 'file' || p.type === 'agent')
  if (authored) return 'prompt'
  if (parts.some((p) => p.type === 'subtask')) return 'subtask'
  return parts.every((p) => p.type === 'text') ? 'automatic' : 'prompt'
}

/** Whether an assistant message is the summary a compaction wrote (`summary: true`, agent `compaction`). */
export function isSummary(message: Message): boolean {
  return message.role === 'assistant' && message.summary === true
}

/**
 * The child session a `task` tool part ran in: `state.metadata.sessionId` (set once the task
 * started, opencode 1.18). Undefined for other tools or before the server reports it.
 */
export function taskSessionID(part: ToolPart): string | undefined {
  if (part.tool !== 'task' || part.state.status === 'pending') return undefined
  return stringField(part.state.metadata, 'sessionId') || undefined
}

/**
 * The child session of each subtask part of a user message, found in the replies' `task` tool
 * parts (the reply runs the subtask as a `task` call with the same `description`); keyed by the
 * subtask part's id. Replies are the parts of the assistant messages whose `parentID` is the user
 * message, in order.
 */
export function subtaskSessions(parts: readonly Part[], replies: readonly (readonly Part[])[]): Record<string, string> {
  const out: Record<string, string> = {}
  const tasks: Array<{ description: string | undefined; sessionID: string }> = []
  for (const reply of replies) {
    for (const p of reply) {
      if (p.type !== 'tool') continue
      const sessionID = taskSessionID(p)
      if (sessionID) tasks.push({ description: stringField(p.state.input, 'description'), sessionID })
    }
  }
  for (const p of parts) {
    if (p.type !== 'subtask') continue
    const i = tasks.findIndex((t) => t.description === p.description)
    if (i >= 0) out[p.id] = tasks.splice(i, 1)[0].sessionID
  }
  return out
}
