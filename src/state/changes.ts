/**
 * Which files a session changed, and what each turn changed: derived from the messages the tab
 * already holds, with no request of its own.
 *
 * Protocol facts (opencode 1.18.33, observed against the pinned server):
 * - `GET /session/{id}/diff` without `messageID` and the `session.diff` event are always empty
 *   since opencode 1.16 (the session aggregate was dropped upstream); they carry the reverted
 *   range only while a revert is pending. Nothing here reads them.
 * - A turn's changes are on its **user** message: `UserMessage.summary.diffs`
 *   (`SnapshotFileDiff[]`: `file` relative to the worktree, jsdiff `patch`, `additions`,
 *   `deletions`, `status` added|deleted|modified), kept fresh by `message.updated` (one step
 *   behind during the turn; final ~300 ms after `session.idle`) and equal to
 *   `GET /session/{id}/diff?messageID=<user message id>`. They come from opencode's snapshot of the
 *   whole worktree, so changes made through `bash` are included — in git projects only.
 * - In a project without git the summaries stay empty; the tool parts are all there is: `edit`'s
 *   `state.metadata.filediff` (`{file (absolute), patch, additions, deletions}`), `write`'s
 *   `state.metadata.filepath` (+ `exists`), and a `bash` call's command (its effects are unknown).
 * - A reverted session (`Session.revert.messageID`) hides that message and every later one until
 *   unreverted; the next prompt drops them for good (`message.removed`).
 */
import type { Message, Part, SnapshotFileDiff, ToolPart } from '@opencode-ai/sdk/v2/types'
import { isRecord } from '../../sw/shared/guards.ts'

/** What happened to a file: it appeared, it went away, or its content changed. */
export type ChangeStatus = 'added' | 'deleted' | 'modified'

/** One file as one turn changed it. */
export interface FileChange {
  /** Path relative to the session's directory (forward slashes). */
  file: string
  status: ChangeStatus
  /** Lines added / removed by this turn; 0 when unknown (a `write` seen only through its tool part). */
  additions: number
  deletions: number
  /** Unified diff text (jsdiff or git format); absent when the server gave none. */
  patch?: string
}

/** Where a turn's list comes from: the server's worktree snapshot (complete) or the tool parts (no git). */
export type ChangeSource = 'snapshot' | 'tools'

/** What one turn (a user message and the assistant steps answering it) changed. */
export interface TurnChanges {
  /** The user message that started the turn; the id `POST /session/{id}/revert` takes. */
  messageID: string
  /** Epoch ms the user message was created. */
  created: number
  source: ChangeSource
  files: FileChange[]
  /**
   * Shell commands of a turn without snapshot data: they may have changed files nobody can list
   * (empty for `snapshot` turns, whose list includes what the shell did).
   */
  untrackedCommands: string[]
}

/** One file's net change over the session's visible turns. */
export interface SessionFileChange {
  file: string
  /** Net status: a file added then deleted within the session does not appear at all. */
  status: ChangeStatus
  /** Sums over the turns (an approximation when turns touched the same lines). */
  additions: number
  deletions: number
  /** The turn-by-turn changes of this file, oldest first. */
  turns: Array<FileChange & { messageID: string }>
}

/** Messages and parts of one session, as the tab's state holds them (sorted by id = chronological). */
export interface SessionTranscript {
  messages: readonly Message[]
  /** Parts by message id. */
  parts: Readonly<Record<string, readonly Part[] | undefined>>
  /** The session's directory, to make the tool parts' absolute paths relative. */
  directory: string
  /** `Session.revert.messageID`: this message and every later one are hidden. */
  revertedFrom?: string
}

/** The turns of a session that are not reverted, oldest first, each with what it changed (possibly nothing). */
export function turnChanges(transcript: SessionTranscript): TurnChanges[] {
  const turns: TurnChanges[] = []
  let current: { user: Message; steps: Message[] } | undefined
  const flush = (): void => {
    if (current) turns.push(changesOfTurn(current.user, current.steps, transcript))
  }
  for (const message of transcript.messages) {
    if (transcript.revertedFrom !== undefined && message.id >= transcript.revertedFrom) break
    if (message.role === 'user') {
      flush()
      current = { user: message, steps: [] }
    } else if (current && message.parentID === current.user.id) current.steps.push(message)
  }
  flush()
  return turns
}

/** Folds the turns into one entry per file, by path, with the net status; ordered by path. */
export function sessionChanges(turns: readonly TurnChanges[]): SessionFileChange[] {
  const byFile = new Map<string, SessionFileChange['turns']>()
  for (const turn of turns) {
    for (const change of turn.files) {
      const list = byFile.get(change.file) ?? []
      list.push({ ...change, messageID: turn.messageID })
      byFile.set(change.file, list)
    }
  }
  const out: SessionFileChange[] = []
  for (const [file, list] of byFile) {
    const status = netStatus(list[0].status, list[list.length - 1].status)
    if (!status) continue
    out.push({
      file,
      status,
      additions: list.reduce((n, c) => n + c.additions, 0),
      deletions: list.reduce((n, c) => n + c.deletions, 0),
      turns: list,
    })
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
}

/**
 * Net effect of a first and a last change: did the file exist before the first, and after the last?
 * `undefined` when it existed at neither end (added, then deleted).
 */
export function netStatus(first: ChangeStatus, last: ChangeStatus): ChangeStatus | undefined {
  const before = first !== 'added'
  const after = last !== 'deleted'
  if (before && after) return 'modified'
  if (after) return 'added'
  if (before) return 'deleted'
  return undefined
}

function changesOfTurn(user: Message, steps: readonly Message[], transcript: SessionTranscript): TurnChanges {
  const created = user.time.created
  const diffs = user.role === 'user' ? (user.summary?.diffs ?? []) : []
  const snapshot = diffs.map(fromSnapshot).filter((c): c is FileChange => c !== undefined)
  if (snapshot.length > 0) return { messageID: user.id, created, source: 'snapshot', files: snapshot, untrackedCommands: [] }
  const tools = toolChanges(steps.flatMap((m) => transcript.parts[m.id] ?? []), transcript.directory)
  if (tools.files.length === 0 && tools.commands.length === 0) return { messageID: user.id, created, source: 'snapshot', files: [], untrackedCommands: [] }
  return { messageID: user.id, created, source: 'tools', files: tools.files, untrackedCommands: tools.commands }
}

function fromSnapshot(diff: SnapshotFileDiff): FileChange | undefined {
  if (!diff.file) return undefined
  const change: FileChange = { file: diff.file, status: diff.status ?? 'modified', additions: diff.additions, deletions: diff.deletions }
  if (diff.patch) change.patch = diff.patch
  return change
}

/**
 * What the completed `edit` and `write` tool parts say they changed (later parts win per file),
 * and the commands of completed `bash` parts. Paths under `directory` become relative.
 */
export function toolChanges(parts: readonly Part[], directory: string): { files: FileChange[]; commands: string[] } {
  const files = new Map<string, FileChange>()
  const commands: string[] = []
  for (const part of parts) {
    if (part.type !== 'tool' || part.state.status !== 'completed') continue
    if (part.tool === 'bash') {
      const command = part.state.input.command
      if (typeof command === 'string') commands.push(command)
      continue
    }
    const change = part.tool === 'edit' ? editChange(part, directory) : part.tool === 'write' ? writeChange(part, directory) : undefined
    if (!change) continue
    const earlier = files.get(change.file)
    // A file written (created) and then edited in the same turn is still new.
    if (earlier?.status === 'added') change.status = 'added'
    if (earlier && change.additions === 0 && change.deletions === 0 && !change.patch) {
      change.additions = earlier.additions
      change.deletions = earlier.deletions
      if (earlier.patch) change.patch = earlier.patch
    }
    files.set(change.file, change)
  }
  return { files: [...files.values()], commands }
}

function editChange(part: ToolPart, directory: string): FileChange | undefined {
  if (part.state.status !== 'completed') return undefined
  const diff = part.state.metadata.filediff
  if (!isRecord(diff) || typeof diff.file !== 'string') return undefined
  const change: FileChange = {
    file: relativeTo(directory, diff.file),
    status: 'modified',
    additions: typeof diff.additions === 'number' ? diff.additions : 0,
    deletions: typeof diff.deletions === 'number' ? diff.deletions : 0,
  }
  if (typeof diff.patch === 'string' && diff.patch) change.patch = diff.patch
  return change
}

function writeChange(part: ToolPart, directory: string): FileChange | undefined {
  if (part.state.status !== 'completed') return undefined
  const { filepath, exists } = part.state.metadata
  if (typeof filepath !== 'string') return undefined
  return { file: relativeTo(directory, filepath), status: exists === true ? 'modified' : 'added', additions: 0, deletions: 0 }
}

/** `path` relative to `directory` when inside it (forward slashes), else `path` unchanged. */
export function relativeTo(directory: string, path: string): string {
  const base = directory.replace(/[\\/]+$/, '')
  if (path === base) return '.'
  for (const sep of ['/', '\\']) {
    if (path.startsWith(base + sep)) return path.slice(base.length + 1).replaceAll('\\', '/')
  }
  return path
}
