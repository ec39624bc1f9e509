/**
 * How each part type shows in the transcript (src/render/parts.ts). Part shapes are those the
 * pinned server (opencode 1.18.33) returned for a compaction, a subtask command and plain replies.
 */
import { describe, expect, it } from 'vitest'
import type { AssistantMessage, Part, SubtaskPart, ToolPart, UserMessage } from '@opencode-ai/sdk/v2/types'
import { assistantMessage } from './support/messages.ts'
import { isSummary, presentPart, subtaskLine, subtaskSessions, taskSessionID, userMessageKind } from '../src/render/parts.ts'

const ids = { id: 'prt_1', sessionID: 'ses_1', messageID: 'msg_1' }

const text = (t: string, extra: { synthetic?: boolean; ignored?: boolean } = {}): Part => ({ ...ids, type: 'text', text: t, ...extra })
const subtask: SubtaskPart = {
  ...ids,
  id: 'prt_sub',
  type: 'subtask',
  prompt: 'Review the code',
  description: 'Review as subtask',
  agent: 'general',
  model: { providerID: 'scripted', modelID: 'scripted-model' },
  command: 'sub',
}
function taskPart(sessionId: string | undefined, description = 'Review as subtask'): ToolPart {
  return {
    ...ids,
    id: `prt_task_${sessionId ?? 'none'}`,
    type: 'tool',
    callID: 'call_1',
    tool: 'task',
    state: {
      status: 'completed',
      input: { prompt: 'Review the code', description, subagent_type: 'general', command: 'sub' },
      output: '<task id="ses_child">…</task>',
      title: description,
      metadata: sessionId ? { parentSessionId: 'ses_1', sessionId } : {},
      time: { start: 1, end: 2 },
    },
  }
}

describe('presentPart: one presentation per part type', () => {
  it('shows typed text, hides ignored text and finished empty text, keeps empty text while streaming', () => {
    expect(presentPart(text('hi'))).toMatchObject({ kind: 'text', hidden: false })
    expect(presentPart(text('hi', { ignored: true }))).toMatchObject({ kind: 'text', hidden: true })
    expect(presentPart(text(''))).toMatchObject({ kind: 'text', hidden: true })
    expect(presentPart(text(''), true)).toMatchObject({ kind: 'text', hidden: false })
  })

  it('marks text OpenCode added as synthetic', () => {
    expect(presentPart(text('Summarize the task tool output above', { synthetic: true }))).toMatchObject({ kind: 'synthetic' })
  })

  it('gives reasoning, tool, file and step-finish parts their own views', () => {
    expect(presentPart({ ...ids, type: 'reasoning', text: 'hmm', time: { start: 1 } }).kind).toBe('reasoning')
    expect(presentPart(taskPart('ses_child')).kind).toBe('tool')
    expect(presentPart({ ...ids, type: 'file', mime: 'image/png', url: 'data:image/png;base64,AA==' }).kind).toBe('file')
    const finish: Part = { ...ids, type: 'step-finish', reason: 'stop', cost: 0, tokens: { input: 1, output: 2, reasoning: 0, cache: { read: 0, write: 0 } } }
    expect(presentPart(finish).kind).toBe('step-finish')
  })

  it('renders step-start and snapshot bookkeeping as nothing', () => {
    expect(presentPart({ ...ids, type: 'step-start', snapshot: 'abc' })).toEqual({ kind: 'bookkeeping' })
    expect(presentPart({ ...ids, type: 'snapshot', snapshot: 'abc' })).toEqual({ kind: 'bookkeeping' })
  })

  it('says a session was compacted, by hand, automatically or because the window was full', () => {
    expect(presentPart({ ...ids, type: 'compaction', auto: false })).toMatchObject({ kind: 'note', note: { text: 'Session compacted', icon: 'archive' } })
    expect(presentPart({ ...ids, type: 'compaction', auto: true })).toMatchObject({ note: { text: 'Session compacted automatically' } })
    expect(presentPart({ ...ids, type: 'compaction', auto: true, overflow: true })).toMatchObject({ note: { text: 'Session compacted: the context window was full' } })
  })

  it('shows a subtask as its command, description and agent, with the prompt on demand', () => {
    expect(presentPart(subtask)).toMatchObject({ kind: 'note', note: { text: '/sub · Review as subtask · @general', detail: 'Review the code' } })
    expect(subtaskLine({ ...subtask, command: undefined })).toBe('Subtask · Review as subtask · @general')
  })

  it('shows agent mentions, patches and retries as one line; a retry is a warning', () => {
    expect(presentPart({ ...ids, type: 'agent', name: 'general' })).toMatchObject({ note: { text: '@general', tone: 'info' } })
    expect(presentPart({ ...ids, type: 'patch', hash: 'h', files: ['/p/a.ts', '/p/b/c.ts'] })).toMatchObject({ note: { text: 'Changed 2 files: a.ts, c.ts', icon: 'diff' } })
    const retry: Part = { ...ids, type: 'retry', attempt: 2, time: { created: 1 }, error: { name: 'APIError', data: { message: 'Overloaded', isRetryable: true } } }
    expect(presentPart(retry)).toMatchObject({ note: { text: 'Retry 2: Overloaded', tone: 'warning' } })
  })

  it('shows a part type this build does not know as an unsupported-type warning instead of nothing', () => {
    const future: unknown = { ...ids, type: 'hologram', beam: 1 }
    // A newer server's part, as the reducer stores whatever `message.part.updated` carries.
    const view = presentPart(future as Part)
    expect(view).toMatchObject({ kind: 'note', note: { tone: 'warning', text: 'Unsupported part type: hologram' } })
  })
})

describe('userMessageKind', () => {
  it('tells a compaction request, a subtask command and an automatic continuation from a prompt', () => {
    expect(userMessageKind([{ ...ids, type: 'compaction', auto: false }])).toBe('compaction')
    expect(userMessageKind([subtask])).toBe('subtask')
    expect(userMessageKind([text('Summarize the task tool output above and continue with your task.', { synthetic: true })])).toBe('automatic')
    expect(userMessageKind([text('hello')])).toBe('prompt')
    expect(userMessageKind([text('look', { synthetic: false }), text('file body', { synthetic: true })])).toBe('prompt')
    expect(userMessageKind([{ ...ids, type: 'file', mime: 'image/png', url: 'data:image/png;base64,AA==' }])).toBe('prompt')
    expect(userMessageKind([])).toBe('prompt')
  })
})

describe('subtask sessions', () => {
  it('reads the child session of a task call from its metadata, not before it starts', () => {
    expect(taskSessionID(taskPart('ses_child'))).toBe('ses_child')
    expect(taskSessionID(taskPart(undefined))).toBeUndefined()
    const pending: ToolPart = { ...taskPart('x'), state: { status: 'pending', input: {}, raw: '' } }
    expect(taskSessionID(pending)).toBeUndefined()
    const bash: ToolPart = { ...taskPart('ses_child'), tool: 'bash' }
    expect(taskSessionID(bash)).toBeUndefined()
  })

  it('pairs each subtask part with the task call of the same description among the replies', () => {
    const other: SubtaskPart = { ...subtask, id: 'prt_sub2', description: 'Second' }
    const map = subtaskSessions([subtask, other], [[taskPart('ses_a', 'Second')], [taskPart('ses_b')]])
    expect(map).toEqual({ prt_sub: 'ses_b', prt_sub2: 'ses_a' })
    expect(subtaskSessions([subtask], [])).toEqual({})
  })
})

describe('isSummary', () => {
  it('is true only for the assistant message a compaction wrote', () => {
    const base: AssistantMessage = { ...assistantMessage({ id: 'msg_2', sessionID: 'ses_1', parentID: 'msg_1', directory: '/', time: { created: 1 } }), mode: 'compaction', agent: 'compaction' }
    expect(isSummary({ ...base, summary: true })).toBe(true)
    expect(isSummary(base)).toBe(false)
    const user: UserMessage = { id: 'msg_1', sessionID: 'ses_1', role: 'user', time: { created: 1 }, agent: 'build', model: { providerID: 'p', modelID: 'm' } }
    expect(isSummary(user)).toBe(false)
  })
})
