/**
 * A session as a file to keep or share: Markdown for people, JSON for programs. The JSON has the
 * shape `opencode export` writes — `{ info: Session, messages: [{ info, parts }] }`, the answers of
 * `GET /session/{id}` and `GET /session/{id}/message` — so it can be read back by OpenCode tools.
 */
import type { Message, Part, Session } from '@opencode-ai/sdk/v2/types'

/** One message with its parts, as `GET /session/{id}/message` lists them (oldest first). */
export interface ExportedMessage {
  info: Message
  parts: Part[]
}

/** What an export contains. */
export interface SessionExport {
  info: Session
  messages: ExportedMessage[]
}

/** The JSON export, pretty-printed (2 spaces). */
export function exportJson(data: SessionExport): string {
  return JSON.stringify(data, null, 2) + '\n'
}

/**
 * The Markdown export: a title, then each message under a heading (`User`, or `Assistant` with
 * agent and model), its text as written, tool calls with their input and output in code fences,
 * file attachments and patches as lists. Reasoning, step boundaries and snapshots are left out;
 * synthetic and ignored text is left out.
 */
export function exportMarkdown(data: SessionExport): string {
  const { info } = data
  const out: string[] = [`# ${info.title || 'Untitled session'}`, '', `Session \`${info.id}\` in \`${info.directory}\`, created ${iso(info.time.created)}.`, '']
  for (const { info: message, parts } of data.messages) {
    if (message.role === 'user') out.push(`## User (${iso(message.time.created)})`, '')
    else out.push(`## Assistant (${message.agent} · ${message.providerID}/${message.modelID})`, '')
    for (const part of parts) out.push(...partMarkdown(part))
    if (message.role === 'assistant' && message.error) out.push(`> Error: ${message.error.name}`, '')
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n'
}

/** A file name for the export: the title's words (or the id), `.md` or `.json`. */
export function exportFileName(info: Session, kind: 'md' | 'json'): string {
  const base = (info.title || info.id)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
  return `${base || info.id}.${kind}`
}

function partMarkdown(part: Part): string[] {
  switch (part.type) {
    case 'text':
      return part.synthetic || part.ignored ? [] : [part.text, '']
    case 'tool': {
      const lines = [`**Tool \`${part.tool}\`** (${part.state.status})`, '', fence(JSON.stringify(part.state.input, null, 2), 'json')]
      if (part.state.status === 'completed') lines.push(fence(part.state.output))
      if (part.state.status === 'error') lines.push(`> ${part.state.error}`, '')
      return lines
    }
    case 'file':
      return [`- Attached file: ${part.filename ?? part.url} (${part.mime})`, '']
    case 'patch':
      return [`- Changed files: ${part.files.map((f) => `\`${f}\``).join(', ')}`, '']
    case 'subtask':
      return [`- Subtask (${part.agent}): ${part.description}`, '']
    case 'agent':
      return [`- Agent: ${part.name}`, '']
    case 'compaction':
      return ['- Session compacted', '']
    default:
      return []
  }
}

/** A code fence long enough for any backticks inside `text`. */
function fence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const ticks = '`'.repeat(longest + 1)
  return `${ticks}${lang}\n${text.replace(/\n$/, '')}\n${ticks}\n`
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
