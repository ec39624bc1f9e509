/**
 * Reducer tests. Payloads are modelled on a recording of the pinned `opencode serve` 1.18.33
 * `GET /global/event` stream (ids, field sets and orders as the server sent them); the last
 * describe block runs the reducer against the real server and compares it with its REST API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  AssistantMessage,
  Event,
  Message,
  Part,
  PermissionRequest,
  Project,
  QuestionRequest,
  Session,
  SessionStatus,
  TextPart,
  UserMessage,
} from '@opencode-ai/sdk/v2/types'
import { createParser } from 'eventsource-parser'
import { isDeepStrictEqual } from 'node:util'
import { computed, reactive, toRaw } from 'vue'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import { coalesceRelayed } from '../sw/shared/delta-runs.ts'
import { createClientState, createDirectoryState, type ClientState } from '../src/state/client-state.ts'
import {
  applyEvent,
  applyRelayed,
  describeSessionError,
  loadMessages,
  loadPermissions,
  loadQuestions,
  loadSessions,
  loadStatus,
  type SessionError,
} from '../src/state/reducer.ts'
import { startOpencode, type OpencodeServer } from './support/opencode-server.ts'
import { startScriptedModel, streamedText, type ScriptedModel } from './support/scripted-model.ts'

// ---- fixtures (shapes and ids from the recorded stream) ---------------------------------------

const DIR = '/tmp/relay-oc-JVqsoz/project'
const PROJECT_ID = '6f5ffceb4e3cf224fb2d4a8ec26a4c3fd3be189f'
const SES = 'ses_e017fdf28ffeECuf9XVfMV4c5i'
/** Created after SES: OpenCode session ids decrease over time. */
const SES2 = 'ses_e017fbb56ffeGPW5u7e2snmzjZ'
const MSG_USER = 'msg_1fe80213d001dDTzGEzmozAeNY'
const MSG_ASSISTANT = 'msg_1fe8027310014w820Pe1Cw0yEZ'
const PRT_USER_TEXT = 'prt_1fe802143001cOxjc4j5sE23sO'
const PRT_STEP_START = 'prt_1fe802c1f001Z6OVTPJM3WFFmz'
const PRT_TEXT = 'prt_1fe802c220013eFbI1VU0Dx0KL'
const PRT_STEP_FINISH = 'prt_1fe802c59001haAPafR7Ju5jw2'
const PER = 'per_1fe802e27001c465ufkpUZfGB7'
const QUE = 'que_1fe8031e8001OB7CaXAjE9Xi23'

let evtSeq = 0
/** A fresh `evt_…` id (the value is irrelevant to the reducer). */
function eid(): string {
  evtSeq++
  return `evt_1fe8${evtSeq.toString(16).padStart(8, '0')}glgf9jW6eqP6mE`
}

function session(id: string, over: Partial<Session> = {}): Session {
  return {
    id,
    slug: 'neon-meadow',
    version: '1.18.33',
    projectID: PROJECT_ID,
    directory: DIR,
    path: '',
    title: 'New session - 2026-11-21T14:26:12.311Z',
    cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
    time: { created: 1795271172311, updated: 1795271172311 },
    ...over,
  }
}

function userMessage(id: string, sessionID = SES): UserMessage {
  return {
    id,
    role: 'user',
    sessionID,
    time: { created: 1795271172413 },
    agent: 'build',
    model: { providerID: 'scripted', modelID: 'scripted-model' },
  }
}

function assistantMessage(id: string, sessionID = SES, over: Partial<AssistantMessage> = {}): AssistantMessage {
  return {
    id,
    sessionID,
    role: 'assistant',
    time: { created: 1795271173937 },
    parentID: MSG_USER,
    modelID: 'scripted-model',
    providerID: 'scripted',
    mode: 'build',
    agent: 'build',
    path: { cwd: DIR, root: DIR },
    cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
    ...over,
  }
}

function textPart(id: string, messageID: string, text: string, sessionID = SES): TextPart {
  return { id, sessionID, messageID, type: 'text', text, time: { start: 1795271175202 } }
}

const stepStart: Part = {
  id: PRT_STEP_START,
  sessionID: SES,
  messageID: MSG_ASSISTANT,
  type: 'step-start',
  snapshot: 'd668a672dde04946e9f51d36d3ae9fd4b7d7e07e',
}
const stepFinish: Part = {
  id: PRT_STEP_FINISH,
  sessionID: SES,
  messageID: MSG_ASSISTANT,
  type: 'step-finish',
  reason: 'stop',
  snapshot: 'd668a672dde04946e9f51d36d3ae9fd4b7d7e07e',
  cost: 0,
  tokens: { total: 23, input: 12, output: 11, reasoning: 0, cache: { read: 0, write: 0 } },
}
const toolPart: Part = {
  id: 'prt_1fe802d9000177K7W3YWY6BT98',
  sessionID: SES,
  messageID: MSG_ASSISTANT,
  type: 'tool',
  callID: 'call_3',
  tool: 'bash',
  state: {
    status: 'completed',
    input: { command: 'echo hi', description: 'Scripted command' },
    output: 'hi\n',
    title: 'echo hi',
    metadata: { output: 'hi\n', exit: 0, truncated: false },
    time: { start: 1795271175583, end: 1795271175962 },
  },
}

const permissionRequest: PermissionRequest = {
  id: PER,
  sessionID: SES,
  permission: 'bash',
  patterns: ['echo hi'],
  metadata: { command: 'echo hi' },
  always: ['echo *'],
  tool: { messageID: MSG_ASSISTANT, callID: 'call_3' },
}

const questionRequest: QuestionRequest = {
  id: QUE,
  sessionID: SES,
  questions: [
    {
      question: 'Which colour should the button be?',
      header: 'Colour',
      options: [
        { label: 'Red', description: 'A red button' },
        { label: 'Blue', description: 'A blue button' },
      ],
    },
  ],
  tool: { messageID: MSG_ASSISTANT, callID: 'call_5' },
}

const project: Project = {
  id: PROJECT_ID,
  worktree: DIR,
  vcs: 'git',
  sandboxes: [],
  time: { created: 1795271172239, updated: 1795271172239 },
}

const apiError: SessionError = {
  name: 'APIError',
  data: {
    message: 'scripted provider error',
    statusCode: 400,
    isRetryable: false,
    responseHeaders: { 'content-type': 'application/json' },
    responseBody: '{"error":{"message":"scripted provider error","type":"invalid_request_error","code":"scripted"}}',
    metadata: { url: 'http://127.0.0.1:46101/v1/chat/completions' },
  },
}

const retryStatus: SessionStatus = { type: 'retry', attempt: 1, message: 'scripted transient failure', next: 1795271180767 }

// ---- event builders ----------------------------------------------------------------------------

const ev = {
  sessionCreated: (info: Session): Event => ({ id: eid(), type: 'session.created', properties: { sessionID: info.id, info } }),
  sessionUpdated: (info: Session): Event => ({ id: eid(), type: 'session.updated', properties: { sessionID: info.id, info } }),
  sessionDeleted: (info: Session): Event => ({ id: eid(), type: 'session.deleted', properties: { sessionID: info.id, info } }),
  messageUpdated: (info: Message): Event => ({ id: eid(), type: 'message.updated', properties: { sessionID: info.sessionID, info } }),
  messageRemoved: (sessionID: string, messageID: string): Event => ({
    id: eid(),
    type: 'message.removed',
    properties: { sessionID, messageID },
  }),
  partUpdated: (part: Part): Event => ({
    id: eid(),
    type: 'message.part.updated',
    properties: { sessionID: part.sessionID, part, time: 1795271172424 },
  }),
  partRemoved: (part: Part): Event => ({
    id: eid(),
    type: 'message.part.removed',
    properties: { sessionID: part.sessionID, messageID: part.messageID, partID: part.id },
  }),
  delta: (messageID: string, partID: string, delta: string, field = 'text'): Event => ({
    id: eid(),
    type: 'message.part.delta',
    properties: { sessionID: SES, messageID, partID, field, delta },
  }),
  status: (status: SessionStatus, sessionID = SES): Event => ({ id: eid(), type: 'session.status', properties: { sessionID, status } }),
  idle: (sessionID = SES): Event => ({ id: eid(), type: 'session.idle', properties: { sessionID } }),
}

/** The recorded turn "stream 10": session, user message, assistant streaming 11 deltas, idle. */
function streamTurn(): Event[] {
  const words = 'alpha0 bravo1 charlie2 delta3 echo4 foxtrot5 golf6 hotel7 alpha8 bravo9 END'.split(' ')
  const full = words.join(' ')
  return [
    ev.sessionCreated(session(SES)),
    ev.sessionUpdated(session(SES, { agent: 'build', time: { created: 1795271172311, updated: 1795271172413 } })),
    ev.messageUpdated(userMessage(MSG_USER)),
    ev.partUpdated(textPart(PRT_USER_TEXT, MSG_USER, 'stream 10')),
    ev.status({ type: 'busy' }),
    ev.messageUpdated(assistantMessage(MSG_ASSISTANT)),
    ev.partUpdated(stepStart),
    ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, '')),
    ...words.map((w, i) => ev.delta(MSG_ASSISTANT, PRT_TEXT, i === 0 ? w : ` ${w}`)),
    ev.partUpdated({ ...textPart(PRT_TEXT, MSG_ASSISTANT, full), time: { start: 1795271175202, end: 1795271175208 } }),
    ev.partUpdated(stepFinish),
    ev.messageUpdated(assistantMessage(MSG_ASSISTANT, SES, { time: { created: 1795271173937, completed: 1795271175301 }, finish: 'stop' })),
    { id: eid(), type: 'session.diff', properties: { sessionID: SES, diff: [] } },
    ev.status({ type: 'idle' }),
    ev.idle(),
  ]
}

/**
 * Simulates a frame the relay handed over without knowing its type: the relay's guards only check
 * the envelope, so a payload typed `Event` may carry a type the union does not list.
 */
function wireEvent(value: unknown): Event {
  if (!isWireEvent(value)) throw new Error('not an event envelope')
  return value
}
function isWireEvent(value: unknown): value is Event {
  return typeof value === 'object' && value !== null && 'type' in value && typeof value.type === 'string'
}

function relayed(events: readonly Event[], firstCursor = 1, directory = DIR): RelayedEvent[] {
  return events.map((payload, i) => ({ cursor: firstCursor + i, id: payload.id, directory, payload, receivedAt: 0 }))
}

function applyAll(events: readonly Event[], directory = DIR): ClientState {
  const state = createClientState()
  for (const e of events) applyEvent(state, directory, e)
  return state
}

/** Every member of the union that changes no state, one realistic payload each. */
const NO_STATE_EVENTS: Event[] = [
  { id: eid(), type: 'session.compacted', properties: { sessionID: SES } },
  { id: eid(), type: 'server.connected', properties: {} },
  { id: eid(), type: 'file.edited', properties: { file: `${DIR}/hello.txt` } },
  { id: eid(), type: 'file.watcher.updated', properties: { file: `${DIR}/hello.txt`, event: 'change' } },
  { id: eid(), type: 'vcs.branch.updated', properties: { branch: 'main' } },
  { id: eid(), type: 'lsp.updated', properties: {} },
  { id: eid(), type: 'plugin.added', properties: { id: 'core/config-reference' } },
  { id: eid(), type: 'catalog.updated', properties: {} },
  { id: eid(), type: 'reference.updated', properties: {} },
  { id: eid(), type: 'integration.updated', properties: {} },
  { id: eid(), type: 'integration.connection.updated', properties: { integrationID: 'github' } },
  { id: eid(), type: 'models-dev.refreshed', properties: {} },
  { id: eid(), type: 'installation.updated', properties: { version: '1.18.34' } },
  { id: eid(), type: 'installation.update-available', properties: { version: '1.18.34' } },
  { id: eid(), type: 'project.directories.updated', properties: { projectID: PROJECT_ID } },
  {
    id: eid(),
    type: 'pty.created',
    properties: { info: { id: 'pty_1', title: 'bash', command: 'bash', args: [], cwd: DIR, status: 'running', pid: 4242 } },
  },
  {
    id: eid(),
    type: 'pty.updated',
    properties: { info: { id: 'pty_1', title: 'bash', command: 'bash', args: [], cwd: DIR, status: 'running', pid: 4242 } },
  },
  { id: eid(), type: 'pty.exited', properties: { id: 'pty_1', exitCode: 0 } },
  { id: eid(), type: 'pty.deleted', properties: { id: 'pty_1' } },
  { id: eid(), type: 'tui.prompt.append', properties: { text: 'hi' } },
  { id: eid(), type: 'tui.command.execute', properties: { command: 'session.new' } },
  { id: eid(), type: 'tui.toast.show', properties: { message: 'Saved', variant: 'info' } },
  { id: eid(), type: 'tui.session.select', properties: { sessionID: SES } },
  { id: eid(), type: 'mcp.tools.changed', properties: { server: 'fs' } },
  { id: eid(), type: 'mcp.browser.open.failed', properties: { mcpName: 'fs', url: 'http://127.0.0.1:1/auth' } },
  { id: eid(), type: 'command.executed', properties: { name: 'init', sessionID: SES, arguments: '', messageID: MSG_USER } },
  { id: eid(), type: 'workspace.ready', properties: { name: 'ws' } },
  { id: eid(), type: 'workspace.failed', properties: { message: 'no space' } },
  { id: eid(), type: 'workspace.status', properties: { workspaceID: 'wrk_1', status: 'connected' } },
  { id: eid(), type: 'worktree.ready', properties: { name: 'wt', branch: 'feature' } },
  { id: eid(), type: 'worktree.failed', properties: { message: 'exists' } },
  { id: eid(), type: 'session.next.agent.switched', properties: { timestamp: 1, sessionID: SES, messageID: MSG_USER, agent: 'plan' } },
  {
    id: eid(),
    type: 'session.next.text.delta',
    properties: { timestamp: 1, sessionID: SES, assistantMessageID: MSG_ASSISTANT, textID: PRT_TEXT, delta: 'x' },
  },
  {
    id: eid(),
    type: 'session.next.text.ended',
    properties: { timestamp: 1, sessionID: SES, assistantMessageID: MSG_ASSISTANT, textID: PRT_TEXT, text: 'x' },
  },
  {
    id: eid(),
    type: 'session.next.step.failed',
    properties: { timestamp: 1, sessionID: SES, assistantMessageID: MSG_ASSISTANT, error: { type: 'unknown', message: 'boom' } },
  },
  { id: eid(), type: 'session.next.revert.cleared', properties: { timestamp: 1, sessionID: SES } },
  {
    id: eid(),
    type: 'session.next.compaction.started',
    properties: { timestamp: 1, sessionID: SES, messageID: MSG_USER, reason: 'auto' },
  },
]

// ---- tests -------------------------------------------------------------------------------------

describe('sessions', () => {
  it('upserts on created/updated and keeps ascending id order (newer sessions have smaller ids)', () => {
    const state = applyAll([
      ev.sessionCreated(session(SES)),
      ev.sessionCreated(session(SES2, { slug: 'neon-circuit' })),
      ev.sessionUpdated(session(SES, { title: 'Scripted session' })),
    ])
    const dir = state.directories[DIR]
    expect(dir.sessions.map((s) => s.id)).toEqual([SES2, SES])
    expect(dir.sessions[1].title).toBe('Scripted session')
  })

  it('session.deleted cascades to messages, parts (also orphans), status, requests, todos, diffs and errors', () => {
    const orphan = textPart('prt_1fe803000001orphanPartAAAA', 'msg_1fe803000001orphanMsgAAAAA', 'orphan')
    const other = textPart('prt_1fe804000001otherSessionAA', 'msg_1fe804000001otherSessionAA', 'keep', SES2)
    const state = applyAll([
      ...streamTurn(),
      ev.sessionCreated(session(SES2)),
      ev.messageUpdated(userMessage('msg_1fe804000001otherSessionAA', SES2)),
      ev.partUpdated(other),
      ev.status({ type: 'busy' }, SES2),
      ev.partUpdated(orphan),
      { id: eid(), type: 'permission.asked', properties: permissionRequest },
      { id: eid(), type: 'question.asked', properties: questionRequest },
      { id: eid(), type: 'todo.updated', properties: { sessionID: SES, todos: [{ content: 'x', status: 'pending', priority: 'high' }] } },
      { id: eid(), type: 'session.error', properties: { sessionID: SES, error: apiError } },
      ev.sessionDeleted(session(SES)),
    ])
    const dir = state.directories[DIR]
    expect(dir.sessions.map((s) => s.id)).toEqual([SES2])
    expect(dir.messages[SES]).toBeUndefined()
    expect(dir.parts[MSG_USER]).toBeUndefined()
    expect(dir.parts[MSG_ASSISTANT]).toBeUndefined()
    expect(dir.parts[orphan.messageID]).toBeUndefined()
    expect(dir.status[SES]).toBeUndefined()
    expect(dir.permissions[SES]).toBeUndefined()
    expect(dir.questions[SES]).toBeUndefined()
    expect(dir.todos[SES]).toBeUndefined()
    expect(dir.diffs[SES]).toBeUndefined()
    expect(dir.errors[SES]).toBeUndefined()
    // The other session is untouched.
    expect(dir.messages[SES2]).toHaveLength(1)
    expect(dir.parts[other.messageID]).toEqual([other])
    expect(dir.status[SES2]).toEqual({ type: 'busy' })
  })

  it('session.deleted for an unknown directory creates nothing', () => {
    const state = applyAll([ev.sessionDeleted(session(SES))])
    expect(state.directories).toEqual({})
  })
})

describe('messages and parts', () => {
  it('upserts messages per session in id order and replaces updated infos', () => {
    const completed = assistantMessage(MSG_ASSISTANT, SES, { time: { created: 1, completed: 2 }, finish: 'stop' })
    const state = applyAll([
      ev.messageUpdated(assistantMessage(MSG_ASSISTANT)),
      ev.messageUpdated(userMessage(MSG_USER)),
      ev.messageUpdated(completed),
    ])
    expect(state.directories[DIR].messages[SES]).toEqual([userMessage(MSG_USER), completed])
  })

  it('message.removed removes the message and its parts', () => {
    const state = applyAll([
      ev.messageUpdated(userMessage(MSG_USER)),
      ev.partUpdated(textPart(PRT_USER_TEXT, MSG_USER, 'stream 10')),
      ev.messageUpdated(assistantMessage(MSG_ASSISTANT)),
      ev.partUpdated(stepStart),
      ev.messageRemoved(SES, MSG_ASSISTANT),
    ])
    const dir = state.directories[DIR]
    expect(dir.messages[SES].map((m) => m.id)).toEqual([MSG_USER])
    expect(dir.parts[MSG_ASSISTANT]).toBeUndefined()
    expect(dir.parts[MSG_USER]).toHaveLength(1)
  })

  it('upserts parts per message in id order and removes them', () => {
    const state = applyAll([
      ev.partUpdated(stepFinish),
      ev.partUpdated(stepStart),
      ev.partUpdated(toolPart),
      ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, 'hi')),
    ])
    const parts = state.directories[DIR].parts[MSG_ASSISTANT]
    expect(parts.map((p) => p.id)).toEqual([PRT_STEP_START, PRT_TEXT, PRT_STEP_FINISH, toolPart.id])
    applyEvent(state, DIR, ev.partRemoved(toolPart))
    applyEvent(state, DIR, ev.partRemoved(toolPart))
    expect(parts.map((p) => p.id)).toEqual([PRT_STEP_START, PRT_TEXT, PRT_STEP_FINISH])
  })

  it('part.updated then deltas builds the streamed text; the final part.updated sets the full text', () => {
    const events = streamTurn()
    const state = createClientState()
    const finalIndex = events.findIndex((e) => e.type === 'message.part.updated' && e.properties.part.id === PRT_TEXT && 'text' in e.properties.part && e.properties.part.text !== '')
    for (const e of events.slice(0, finalIndex)) applyEvent(state, DIR, e)
    const streamed = state.directories[DIR].parts[MSG_ASSISTANT].find((p) => p.id === PRT_TEXT)
    expect(streamed?.type === 'text' && streamed.text).toBe('alpha0 bravo1 charlie2 delta3 echo4 foxtrot5 golf6 hotel7 alpha8 bravo9 END')
    for (const e of events.slice(finalIndex)) applyEvent(state, DIR, e)
    const parts = state.directories[DIR].parts[MSG_ASSISTANT]
    expect(parts.map((p) => p.type)).toEqual(['step-start', 'text', 'step-finish'])
    expect(parts[1]).toEqual({ ...textPart(PRT_TEXT, MSG_ASSISTANT, streamed?.type === 'text' ? streamed.text : ''), time: { start: 1795271175202, end: 1795271175208 } })
    expect(state.droppedDeltas).toBe(0)
  })

  it('appends deltas to reasoning parts', () => {
    const reasoning: Part = { id: 'prt_1fe805000001reasoningAAAA', sessionID: SES, messageID: MSG_ASSISTANT, type: 'reasoning', text: 'Let', time: { start: 1 } }
    const state = applyAll([ev.partUpdated(reasoning), ev.delta(MSG_ASSISTANT, reasoning.id, ' me'), ev.delta(MSG_ASSISTANT, reasoning.id, ' think')])
    expect(state.directories[DIR].parts[MSG_ASSISTANT]).toEqual([{ ...reasoning, text: 'Let me think' }])
  })

  it('never mutates event payloads: re-applying the creating part.updated restores its text', () => {
    const created = ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, ''))
    const snapshot = structuredClone(created)
    const state = applyAll([created, ev.delta(MSG_ASSISTANT, PRT_TEXT, 'abc')])
    expect(created).toEqual(snapshot)
    applyEvent(state, DIR, created)
    expect(state.directories[DIR].parts[MSG_ASSISTANT]).toEqual([textPart(PRT_TEXT, MSG_ASSISTANT, '')])
  })

  it('drops (and counts) deltas for unknown parts, non-string fields and parts without text', () => {
    const state = applyAll([
      ev.delta(MSG_ASSISTANT, PRT_TEXT, 'lost'), // no directory yet
      ev.partUpdated(toolPart),
      ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, 'a')),
      ev.delta(MSG_ASSISTANT, 'prt_1fe8ffffffffnotThereAAAAAA', 'lost'), // unknown part
      ev.delta('msg_1fe8ffffffffnotThereAAAAAA', PRT_TEXT, 'lost'), // unknown message
      ev.delta(MSG_ASSISTANT, toolPart.id, 'lost'), // tool part has no text
      ev.delta(MSG_ASSISTANT, PRT_TEXT, 'lost', 'metadata'), // not a string field
    ])
    expect(state.droppedDeltas).toBe(5)
    const dir = state.directories[DIR]
    expect(dir.parts[MSG_ASSISTANT]).toEqual([textPart(PRT_TEXT, MSG_ASSISTANT, 'a'), toolPart])
    expect(Object.keys(dir.parts)).toEqual([MSG_ASSISTANT])
  })
})

describe('status, diffs, todos, errors', () => {
  it('tracks busy, retry (with attempt, message, next) and idle', () => {
    const state = applyAll([ev.status({ type: 'busy' })])
    const dir = state.directories[DIR]
    expect(dir.status[SES]).toEqual({ type: 'busy' })
    applyEvent(state, DIR, ev.status(retryStatus))
    expect(dir.status[SES]).toEqual({ type: 'retry', attempt: 1, message: 'scripted transient failure', next: 1795271180767 })
    applyEvent(state, DIR, ev.idle())
    expect(dir.status[SES]).toEqual({ type: 'idle' })
    applyEvent(state, DIR, ev.status({ type: 'busy' }))
    applyEvent(state, DIR, ev.status({ type: 'idle' }))
    expect(dir.status[SES]).toEqual({ type: 'idle' })
  })

  it('replaces diffs and todos wholesale', () => {
    const diff = [{ file: 'hello.txt', patch: '@@ -1 +1 @@\n-hello\n+bye\n', additions: 1, deletions: 1, status: 'modified' as const }]
    const todos = [
      { content: 'Write tests', status: 'in_progress', priority: 'high' },
      { content: 'Ship', status: 'pending', priority: 'medium' },
    ]
    const state = applyAll([
      { id: eid(), type: 'session.diff', properties: { sessionID: SES, diff } },
      { id: eid(), type: 'todo.updated', properties: { sessionID: SES, todos } },
    ])
    const dir = state.directories[DIR]
    expect(dir.diffs[SES]).toEqual(diff)
    expect(dir.todos[SES]).toEqual(todos)
    applyEvent(state, DIR, { id: eid(), type: 'session.diff', properties: { sessionID: SES, diff: [] } })
    applyEvent(state, DIR, { id: eid(), type: 'todo.updated', properties: { sessionID: SES, todos: [todos[1]] } })
    expect(dir.diffs[SES]).toEqual([])
    expect(dir.todos[SES]).toEqual([todos[1]])
  })

  it('keeps the last session.error as a readable message, cleared when the session turns busy', () => {
    const state = applyAll([
      ev.status({ type: 'busy' }),
      { id: eid(), type: 'session.error', properties: { sessionID: SES, error: apiError } },
      ev.idle(),
    ])
    const dir = state.directories[DIR]
    expect(dir.errors[SES]).toBe('scripted provider error (HTTP 400)')
    applyEvent(state, DIR, ev.status(retryStatus))
    expect(dir.errors[SES]).toBe('scripted provider error (HTTP 400)')
    applyEvent(state, DIR, ev.status({ type: 'busy' }))
    expect(dir.errors[SES]).toBeUndefined()
  })

  it('ignores a session.error without a session and describes a missing error', () => {
    const state = applyAll([{ id: eid(), type: 'session.error', properties: { error: apiError } }])
    expect(state.directories).toEqual({})
    applyEvent(state, DIR, { id: eid(), type: 'session.error', properties: { sessionID: SES } })
    expect(state.directories[DIR].errors[SES]).toBe('Unknown error')
  })

  it('describes every error kind of the union', () => {
    const cases: Array<[SessionError, string]> = [
      [{ name: 'ProviderAuthError', data: { providerID: 'anthropic', message: 'invalid key' } }, 'Authentication failed for provider anthropic: invalid key'],
      [{ name: 'UnknownError', data: { message: 'boom' } }, 'boom'],
      [{ name: 'MessageOutputLengthError', data: {} }, 'The model reached its output length limit'],
      [{ name: 'MessageAbortedError', data: { message: 'The operation was aborted.' } }, 'The operation was aborted.'],
      [{ name: 'StructuredOutputError', data: { message: 'bad json', retries: 2 } }, 'Structured output failed after 2 retries: bad json'],
      [{ name: 'ContextOverflowError', data: { message: 'too long' } }, 'Context window exceeded: too long'],
      [{ name: 'ContentFilterError', data: { message: 'nope' } }, 'Blocked by the content filter: nope'],
      [{ name: 'APIError', data: { message: 'overloaded', isRetryable: true } }, 'overloaded'],
      [apiError, 'scripted provider error (HTTP 400)'],
    ]
    for (const [error, text] of cases) expect(describeSessionError(error)).toBe(text)
    expect(describeSessionError(undefined)).toBe('Unknown error')
  })
})

describe('permissions and questions', () => {
  it('permission.asked upserts, permission.replied removes by requestID', () => {
    const later: PermissionRequest = { ...permissionRequest, id: 'per_1fe803e27001laterRequestAA', patterns: ['ls'] }
    const state = applyAll([
      { id: eid(), type: 'permission.asked', properties: later },
      { id: eid(), type: 'permission.asked', properties: permissionRequest },
    ])
    const dir = state.directories[DIR]
    expect(dir.permissions[SES]).toEqual([permissionRequest, later])
    applyEvent(state, DIR, { id: eid(), type: 'permission.replied', properties: { sessionID: SES, requestID: PER, reply: 'once' } })
    expect(dir.permissions[SES]).toEqual([later])
  })

  it('maps permission.v2.asked to a PermissionRequest and removes it on permission.v2.replied', () => {
    const state = applyAll([
      {
        id: eid(),
        type: 'permission.v2.asked',
        properties: {
          id: PER,
          sessionID: SES,
          action: 'bash',
          resources: ['echo hi'],
          save: ['echo *'],
          metadata: { command: 'echo hi' },
          source: { type: 'tool', messageID: MSG_ASSISTANT, callID: 'call_3' },
        },
      },
      { id: eid(), type: 'permission.v2.asked', properties: { id: 'per_1fe803000001minimalAAAAAA', sessionID: SES, action: 'read', resources: ['/etc/hosts'] } },
    ])
    const dir = state.directories[DIR]
    expect(dir.permissions[SES]).toEqual([
      permissionRequest,
      { id: 'per_1fe803000001minimalAAAAAA', sessionID: SES, permission: 'read', patterns: ['/etc/hosts'], metadata: {}, always: [] },
    ])
    applyEvent(state, DIR, { id: eid(), type: 'permission.v2.replied', properties: { sessionID: SES, requestID: PER, reply: 'reject' } })
    expect(dir.permissions[SES].map((p) => p.id)).toEqual(['per_1fe803000001minimalAAAAAA'])
  })

  it('question.asked upserts; question.replied and question.rejected remove', () => {
    const second: QuestionRequest = { ...questionRequest, id: 'que_1fe8035a8001fh7GgwVlz5xUEl' }
    const state = applyAll([
      { id: eid(), type: 'question.asked', properties: questionRequest },
      { id: eid(), type: 'question.asked', properties: second },
    ])
    const dir = state.directories[DIR]
    expect(dir.questions[SES]).toEqual([questionRequest, second])
    applyEvent(state, DIR, { id: eid(), type: 'question.replied', properties: { sessionID: SES, requestID: QUE, answers: [['Red']] } })
    expect(dir.questions[SES]).toEqual([second])
    applyEvent(state, DIR, { id: eid(), type: 'question.rejected', properties: { sessionID: SES, requestID: second.id } })
    expect(dir.questions[SES]).toEqual([])
  })

  it('handles the question.v2.* variants the same way', () => {
    const state = applyAll([{ id: eid(), type: 'question.v2.asked', properties: questionRequest }])
    const dir = state.directories[DIR]
    expect(dir.questions[SES]).toEqual([questionRequest])
    applyEvent(state, DIR, { id: eid(), type: 'question.v2.replied', properties: { sessionID: SES, requestID: QUE, answers: [['Blue']] } })
    expect(dir.questions[SES]).toEqual([])
    applyEvent(state, DIR, { id: eid(), type: 'question.v2.asked', properties: questionRequest })
    applyEvent(state, DIR, { id: eid(), type: 'question.v2.rejected', properties: { sessionID: SES, requestID: QUE } })
    expect(dir.questions[SES]).toEqual([])
  })

  it('replies for unknown requests or directories change nothing', () => {
    const state = applyAll([
      { id: eid(), type: 'permission.replied', properties: { sessionID: SES, requestID: PER, reply: 'always' } },
      { id: eid(), type: 'question.rejected', properties: { sessionID: SES, requestID: QUE } },
      ev.messageRemoved(SES, MSG_USER),
      ev.partRemoved(stepStart),
    ])
    expect(state).toEqual(createClientState())
  })
})

describe('global events', () => {
  it('project.updated upserts into the global project list without creating a directory', () => {
    const state = applyAll([{ id: eid(), type: 'project.updated', properties: project }], 'global')
    expect(state.projects).toEqual([project])
    const renamed = { ...project, name: 'Scripted', time: { created: project.time.created, updated: 1795271999999 } }
    applyEvent(state, 'global', { id: eid(), type: 'project.updated', properties: renamed })
    applyEvent(state, 'global', { id: eid(), type: 'project.updated', properties: { ...project, id: 'global', worktree: '/' } })
    expect(state.projects.map((p) => p.id)).toEqual([PROJECT_ID, 'global'])
    expect(state.projects[0]).toEqual(renamed)
    expect(state.directories).toEqual({})
  })

  it('counts server.instance.disposed per directory and global.disposed under "global"', () => {
    const state = createClientState()
    applyEvent(state, DIR, { id: eid(), type: 'server.instance.disposed', properties: { directory: DIR } })
    applyEvent(state, DIR, { id: eid(), type: 'server.instance.disposed', properties: { directory: DIR } })
    applyEvent(state, 'global', { id: eid(), type: 'global.disposed', properties: {} })
    expect(state.disposed).toEqual({ [DIR]: 2, global: 1 })
    expect(state.directories).toEqual({})
  })
})

describe('known and unknown event types', () => {
  it('covers the no-state members of the union without counting them as unknown', () => {
    const state = applyAll(NO_STATE_EVENTS)
    expect(state).toEqual(createClientState())
  })

  it('counts unknown runtime types instead of throwing', () => {
    const state = createClientState()
    applyEvent(state, DIR, wireEvent({ id: eid(), type: 'session.teleported', properties: {} }))
    applyEvent(state, DIR, wireEvent({ id: eid(), type: 'session.teleported', properties: {} }))
    applyEvent(state, DIR, wireEvent({ id: eid(), type: 'brand.new', properties: { x: 1 } }))
    expect(state.unknownEvents).toBe(3)
    expect(state.unknownTypes).toEqual({ 'session.teleported': 2, 'brand.new': 1 })
    expect(state.directories).toEqual({})
  })

  it('treats the wire-only server.heartbeat and sync envelopes as known', () => {
    const state = createClientState()
    applyEvent(state, 'global', wireEvent({ id: eid(), type: 'server.heartbeat', properties: {} }))
    applyEvent(state, DIR, wireEvent({ id: eid(), type: 'sync', syncEvent: { type: 'session.created.1', seq: 0 } }))
    expect(state).toEqual(createClientState())
  })
})

describe('idempotence', () => {
  /** Non-delta events of a realistic run: the stream turn plus every other state-changing type. */
  function richRun(): Event[] {
    return [
      { id: eid(), type: 'project.updated', properties: project },
      ...streamTurn(),
      ev.sessionCreated(session(SES2)),
      ev.messageUpdated(userMessage('msg_1fe804000001otherSessionAA', SES2)),
      ev.partUpdated(textPart('prt_1fe804000001otherSessionAA', 'msg_1fe804000001otherSessionAA', 'hello', SES2)),
      ev.status({ type: 'busy' }),
      ev.status(retryStatus),
      { id: eid(), type: 'permission.asked', properties: permissionRequest },
      { id: eid(), type: 'question.asked', properties: questionRequest },
      { id: eid(), type: 'question.v2.asked', properties: { ...questionRequest, id: 'que_1fe8040000015econdQuestion' } },
      { id: eid(), type: 'permission.v2.asked', properties: { id: 'per_1fe8040000015econdPermiss', sessionID: SES, action: 'edit', resources: ['a.ts'] } },
      { id: eid(), type: 'todo.updated', properties: { sessionID: SES, todos: [{ content: 'x', status: 'pending', priority: 'low' }] } },
      { id: eid(), type: 'session.diff', properties: { sessionID: SES, diff: [{ file: 'a.ts', additions: 3, deletions: 0, status: 'added' }] } },
      { id: eid(), type: 'session.error', properties: { sessionID: SES, error: apiError } },
      { id: eid(), type: 'permission.replied', properties: { sessionID: SES, requestID: PER, reply: 'once' } },
      { id: eid(), type: 'question.replied', properties: { sessionID: SES, requestID: QUE, answers: [['Red']] } },
      ev.partRemoved(stepStart),
      ev.messageRemoved(SES, MSG_USER),
      ev.sessionDeleted(session(SES2)),
      ev.idle(),
      ...NO_STATE_EVENTS,
    ]
  }

  it('applying every non-delta event twice in a row equals applying it once', () => {
    const events = richRun()
    const once = applyAll(events)
    const twice = createClientState()
    for (const e of events) {
      applyEvent(twice, DIR, e)
      if (e.type !== 'message.part.delta') applyEvent(twice, DIR, e)
    }
    expect(twice).toEqual(once)
    expect(once.droppedDeltas).toBe(0)
  })

  it('each non-delta event applied twice to the same state changes nothing the second time', () => {
    const state = createClientState()
    for (const e of richRun()) {
      applyEvent(state, DIR, e)
      if (e.type === 'message.part.delta') continue
      const before = structuredClone(state)
      applyEvent(state, DIR, e)
      expect(state, e.type).toEqual(before)
    }
  })

  it('a delta applied twice appends twice (hence the cursor dedupe)', () => {
    const state = applyAll([ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, 'a'))])
    const delta = ev.delta(MSG_ASSISTANT, PRT_TEXT, 'b')
    applyEvent(state, DIR, delta)
    applyEvent(state, DIR, delta)
    expect(state.directories[DIR].parts[MSG_ASSISTANT][0]).toEqual(textPart(PRT_TEXT, MSG_ASSISTANT, 'abb'))
  })
})

describe('applyRelayed', () => {
  it('applies in order, advances lastCursor and returns the count', () => {
    const state = createClientState()
    const batch = relayed(streamTurn())
    expect(applyRelayed(state, batch)).toBe(batch.length)
    expect(state.lastCursor).toBe(batch.length)
    expect(state).toEqual({ ...applyAll(streamTurn()), lastCursor: batch.length })
  })

  it('an overlapping replay (live events first, then a replay from an older cursor) applies each event once', () => {
    const all = relayed(streamTurn(), 100)
    const expected = createClientState()
    applyRelayed(expected, all)

    const state = createClientState()
    // Live events 100..109 arrive, then the log replays 103..end (overlapping deltas included), then live again.
    expect(applyRelayed(state, all.slice(0, 10))).toBe(10)
    expect(applyRelayed(state, all.slice(3))).toBe(all.length - 10)
    expect(applyRelayed(state, all.slice(all.length - 4))).toBe(0)
    expect(state).toEqual(expected)
    const text = state.directories[DIR].parts[MSG_ASSISTANT].find((p) => p.id === PRT_TEXT)
    expect(text?.type === 'text' && text.text).toBe('alpha0 bravo1 charlie2 delta3 echo4 foxtrot5 golf6 hotel7 alpha8 bravo9 END')
  })

  it('skips an out-of-order older cursor inside a batch', () => {
    const state = createClientState()
    const [a, b] = relayed([ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, '')), ev.delta(MSG_ASSISTANT, PRT_TEXT, 'x')])
    expect(applyRelayed(state, [a, b, a, b])).toBe(2)
    expect(state.lastCursor).toBe(2)
    expect(state.directories[DIR].parts[MSG_ASSISTANT][0]).toEqual(textPart(PRT_TEXT, MSG_ASSISTANT, 'x'))
  })

  it('uses each event’s own directory', () => {
    const state = createClientState()
    applyRelayed(state, [
      ...relayed([ev.sessionCreated(session(SES))], 1, '/a'),
      ...relayed([ev.sessionCreated(session(SES2))], 2, '/b'),
      ...relayed([{ id: eid(), type: 'project.updated', properties: project }], 3, 'global'),
    ])
    expect(Object.keys(state.directories)).toEqual(['/a', '/b'])
    expect(state.directories['/a'].sessions.map((s) => s.id)).toEqual([SES])
    expect(state.directories['/b'].sessions.map((s) => s.id)).toEqual([SES2])
    expect(state.projects).toEqual([project])
  })

  it('counts a malformed payload as failed, consumes its cursor and goes on', () => {
    const state = createClientState()
    const malformed = wireEvent({ id: eid(), type: 'session.created' })
    const batch = relayed([ev.sessionCreated(session(SES)), malformed, ev.sessionCreated(session(SES2))])
    expect(applyRelayed(state, batch)).toBe(2)
    expect(state.failedEvents).toBe(1)
    expect(state.lastCursor).toBe(3)
    expect(state.directories[DIR].sessions).toHaveLength(2)
  })
})

describe('coalesceRelayed', () => {
  const PRT_REASONING = 'prt_1fe802c21001reasoningPartXyz'
  const reasoning: Part = { id: PRT_REASONING, sessionID: SES, messageID: MSG_ASSISTANT, type: 'reasoning', text: '', time: { start: 1 } }

  it('merges runs of deltas to one part into one event that carries the last cursor, and applying it equals applying each', () => {
    const batch = relayed(streamTurn())
    const merged = coalesceRelayed(batch)
    const deltas = batch.filter((e) => e.payload.type === 'message.part.delta')
    expect(deltas).toHaveLength(11)
    expect(merged).toHaveLength(batch.length - 10)
    const run = merged.find((e) => e.payload.type === 'message.part.delta')
    expect(run?.cursor).toBe(deltas[10].cursor)
    expect(run?.id).toBe(deltas[10].id)
    const state = createClientState()
    for (const e of merged) applyEvent(state, e.directory, e.payload)
    expect(state).toEqual(applyAll(streamTurn()))
  })

  it('keeps order across interleaved parts, fields and directories, and never merges across them', () => {
    const batch = relayed([
      ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, '')),
      ev.partUpdated(reasoning),
      ev.delta(MSG_ASSISTANT, PRT_REASONING, 'think '),
      ev.delta(MSG_ASSISTANT, PRT_REASONING, 'hard'),
      ev.delta(MSG_ASSISTANT, PRT_TEXT, 'a'),
      ev.delta(MSG_ASSISTANT, PRT_TEXT, 'b'),
      ev.delta(MSG_ASSISTANT, PRT_TEXT, 'x', 'other'),
      ev.delta(MSG_ASSISTANT, PRT_TEXT, 'c'),
    ])
    const other = relayed([ev.delta(MSG_ASSISTANT, PRT_TEXT, 'd')], 100, '/elsewhere')
    const merged = coalesceRelayed([...batch, ...other])
    const shown = merged.map((e) => (e.payload.type === 'message.part.delta' ? `${e.directory}:${e.payload.properties.partID}.${e.payload.properties.field}=${e.payload.properties.delta}` : e.payload.type))
    expect(shown).toEqual([
      'message.part.updated',
      'message.part.updated',
      `${DIR}:${PRT_REASONING}.text=think hard`,
      `${DIR}:${PRT_TEXT}.text=ab`,
      `${DIR}:${PRT_TEXT}.other=x`,
      `${DIR}:${PRT_TEXT}.text=c`,
      `/elsewhere:${PRT_TEXT}.text=d`,
    ])
    const one = createClientState()
    const each = createClientState()
    for (const e of merged) applyEvent(one, e.directory, e.payload)
    for (const e of [...batch, ...other]) applyEvent(each, e.directory, e.payload)
    expect({ ...one, droppedDeltas: 0 }).toEqual({ ...each, droppedDeltas: 0 })
  })

  it('leaves its input untouched and passes malformed deltas through unmerged', () => {
    const a = ev.delta(MSG_ASSISTANT, PRT_TEXT, 'a')
    const bad = wireEvent({ id: eid(), type: 'message.part.delta', properties: { sessionID: SES, messageID: MSG_ASSISTANT, partID: PRT_TEXT, field: 'text', delta: 7 } })
    const b = ev.delta(MSG_ASSISTANT, PRT_TEXT, 'b')
    const batch = relayed([a, b, bad, a])
    const copy = structuredClone(batch)
    const merged = coalesceRelayed(batch)
    expect(batch).toEqual(copy)
    expect(merged).toHaveLength(3)
    expect(merged[1]).toBe(batch[2])
    expect(merged[2]).toBe(batch[3])
    expect(coalesceRelayed([])).toEqual([])
  })

  it('never merges a delta a catch-up recovered with a live one', () => {
    const [a, b, c] = relayed([ev.delta(MSG_ASSISTANT, PRT_TEXT, 'a'), ev.delta(MSG_ASSISTANT, PRT_TEXT, 'b'), ev.delta(MSG_ASSISTANT, PRT_TEXT, 'c')])
    const merged = coalesceRelayed([a, { ...b, recovered: true }, { ...c, recovered: true }])
    expect(merged.map((e) => (e.payload.type === 'message.part.delta' ? `${e.recovered === true}:${e.payload.properties.delta}` : ''))).toEqual(['false:a', 'true:bc'])
  })
})

describe('REST loaders', () => {
  it('loadSessions replaces the list, sorted by id, duplicates collapsed', () => {
    const dir = createDirectoryState()
    dir.sessions = [session('ses_zzzz')]
    loadSessions(dir, [session(SES), session(SES2), session(SES, { title: 'latest' })])
    expect(dir.sessions.map((s) => [s.id, s.title])).toEqual([
      [SES2, 'New session - 2026-11-21T14:26:12.311Z'],
      [SES, 'latest'],
    ])
  })

  it('loadMessages merges pages: REST wins for the ids it returns, local extras stay', () => {
    const dir = createDirectoryState()
    const state = createClientState()
    state.directories[DIR] = dir
    // Live: the assistant message streamed a part that the REST snapshot predates.
    applyEvent(state, DIR, ev.messageUpdated(assistantMessage(MSG_ASSISTANT)))
    applyEvent(state, DIR, ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, 'live')))
    applyEvent(state, DIR, ev.partUpdated(stepFinish))
    // Page 2 ("latest"): the assistant message with a step-start and an older text copy.
    const completed = assistantMessage(MSG_ASSISTANT, SES, { finish: 'stop' })
    loadMessages(dir, SES, [{ info: completed, parts: [textPart(PRT_TEXT, MSG_ASSISTANT, 'rest'), stepStart] }])
    // Page 1 ("load earlier"): the user message.
    loadMessages(dir, SES, [{ info: userMessage(MSG_USER), parts: [textPart(PRT_USER_TEXT, MSG_USER, 'stream 10')] }])
    expect(dir.messages[SES]).toEqual([userMessage(MSG_USER), completed])
    expect(dir.parts[MSG_ASSISTANT]).toEqual([stepStart, textPart(PRT_TEXT, MSG_ASSISTANT, 'rest'), stepFinish])
    expect(dir.parts[MSG_USER]).toEqual([textPart(PRT_USER_TEXT, MSG_USER, 'stream 10')])
    // Deltas keep applying to loaded parts.
    applyEvent(state, DIR, ev.delta(MSG_ASSISTANT, PRT_TEXT, '+1'))
    expect(dir.parts[MSG_ASSISTANT][1]).toEqual(textPart(PRT_TEXT, MSG_ASSISTANT, 'rest+1'))
  })

  it('loadStatus replaces all statuses', () => {
    const dir = createDirectoryState()
    dir.status = { [SES2]: { type: 'busy' } }
    const rest = { [SES]: retryStatus }
    loadStatus(dir, rest)
    expect(dir.status).toEqual({ [SES]: retryStatus })
    expect(dir.status).not.toBe(rest)
  })

  it('loadPermissions / loadQuestions replace everything, grouped by session and sorted', () => {
    const dir = createDirectoryState()
    dir.permissions = { [SES2]: [{ ...permissionRequest, sessionID: SES2 }] }
    dir.questions = { [SES2]: [{ ...questionRequest, sessionID: SES2 }] }
    const later: PermissionRequest = { ...permissionRequest, id: 'per_1fe803e27001laterRequestAA' }
    const q2: QuestionRequest = { ...questionRequest, id: 'que_1fe8035a8001fh7GgwVlz5xUEl' }
    loadPermissions(dir, [later, permissionRequest])
    loadQuestions(dir, [q2, questionRequest])
    expect(dir.permissions).toEqual({ [SES]: [permissionRequest, later] })
    expect(dir.questions).toEqual({ [SES]: [questionRequest, q2] })
    loadPermissions(dir, [])
    expect(dir.permissions).toEqual({})
  })
})

describe('on a Vue-reactive state (as the Pinia stores hold it)', () => {
  it('updates computed views on every event, deltas included, and keeps parts cloneable', () => {
    const state = reactive(createClientState())
    const text = computed(() => {
      const part = state.directories[DIR]?.parts[MSG_ASSISTANT]?.find((p) => p.id === PRT_TEXT)
      return part?.type === 'text' ? part.text : undefined
    })
    const sessionCount = computed(() => state.directories[DIR]?.sessions.length ?? 0)
    expect(text.value).toBeUndefined()
    const created = ev.partUpdated(textPart(PRT_TEXT, MSG_ASSISTANT, ''))
    applyRelayed(state, relayed([ev.sessionCreated(session(SES)), created]))
    expect(sessionCount.value).toBe(1)
    expect(text.value).toBe('')
    applyRelayed(state, relayed([ev.delta(MSG_ASSISTANT, PRT_TEXT, 'Hel'), ev.delta(MSG_ASSISTANT, PRT_TEXT, 'lo')], 3))
    expect(text.value).toBe('Hello')
    // The payload was copied, not edited; the stored parts hold no nested proxies.
    expect(created.type === 'message.part.updated' && created.properties.part).toEqual(textPart(PRT_TEXT, MSG_ASSISTANT, ''))
    expect(structuredClone(toRaw(state.directories[DIR].parts[MSG_ASSISTANT]))).toEqual([
      textPart(PRT_TEXT, MSG_ASSISTANT, 'Hello'),
    ])
    applyEvent(state, DIR, ev.sessionDeleted(session(SES)))
    expect(sessionCount.value).toBe(0)
    expect(text.value).toBeUndefined()
  })
})

// ---- against the real server -------------------------------------------------------------------

/** Polls `check` every 25 ms until true; throws after `timeoutMs` (a wait, not a timed assertion). */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/**
 * Waits until `local()` deep-equals what `remote()` fetches (the server keeps sending
 * `session.updated`, `session.diff` and message summaries after `session.idle`), then asserts it,
 * so a timeout fails with a readable diff.
 */
async function converges(what: string, local: () => unknown, remote: () => Promise<unknown>): Promise<void> {
  let last: unknown
  try {
    await waitFor(what, async () => {
      last = await remote()
      return isDeepStrictEqual(local(), last)
    })
  } catch (err) {
    expect(local(), what).toEqual(last)
    throw err
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

describe('against the pinned opencode serve', () => {
  let model: ScriptedModel
  let server: OpencodeServer
  const abort = new AbortController()
  const state = createClientState()
  let cursor = 0
  let streamDone: Promise<void> = Promise.resolve()

  async function rest(method: string, path: string, body?: unknown): Promise<unknown> {
    const sep = path.includes('?') ? '&' : '?'
    const res = await fetch(`${server.url}${path}${sep}directory=${encodeURIComponent(server.directory)}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`)
    const text = await res.text()
    return text ? JSON.parse(text) : null
  }

  beforeAll(async () => {
    model = await startScriptedModel()
    server = await startOpencode({ modelBaseURL: model.baseURL })
    const res = await fetch(`${server.url}/global/event`, { signal: abort.signal })
    if (!res.body) throw new Error('no SSE body')
    const parser = createParser({
      onEvent(message) {
        const envelope: unknown = JSON.parse(message.data)
        if (!isRecord(envelope)) return
        const directory = typeof envelope.directory === 'string' ? envelope.directory : 'global'
        const payload = wireEvent(envelope.payload)
        cursor++
        applyRelayed(state, [{ cursor, id: payload.id, directory, payload, receivedAt: cursor }])
      },
    })
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    streamDone = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          parser.feed(value)
        }
      } catch {
        // aborted in afterAll
      }
    })()
    await waitFor('server.connected', () => cursor > 0)
  })

  afterAll(async () => {
    abort.abort()
    await streamDone
    await server?.dispose()
    await model?.close()
  })

  it('reduces a real run (streaming, permission, question, delete) to what the REST API returns', async () => {
    const dir = () => state.directories[server.directory]
    const created = await rest('POST', '/session', {})
    if (!isRecord(created) || typeof created.id !== 'string') throw new Error('bad session')
    const sid = created.id
    const idle = () => dir()?.status[sid]?.type === 'idle'
    const prompt = async (text: string) => {
      // Reset the local status so the wait below sees this turn's idle, not the previous one.
      delete dir()?.status[sid]
      await rest('POST', `/session/${sid}/prompt_async`, { parts: [{ type: 'text', text }] })
    }

    await prompt('stream 40')
    await waitFor('idle after stream', idle)
    const texts = (dir().messages[sid] ?? []).flatMap((m) => dir().parts[m.id] ?? [])
    expect(texts.some((p) => p.type === 'text' && p.text === streamedText(40))).toBe(true)

    await prompt('bash: echo relay')
    await waitFor('permission', () => (dir().permissions[sid]?.length ?? 0) > 0)
    await converges('permissions', () => dir().permissions[sid], () => rest('GET', '/permission'))
    await rest('POST', `/permission/${dir().permissions[sid][0].id}/reply`, { reply: 'once' })
    await waitFor('idle after bash', idle)
    expect(dir().permissions[sid]).toEqual([])

    await prompt('ask question')
    await waitFor('question', () => (dir().questions[sid]?.length ?? 0) > 0)
    await converges('questions', () => dir().questions[sid], () => rest('GET', '/question'))
    await rest('POST', `/question/${dir().questions[sid][0].id}/reply`, { answers: [['Red']] })
    await waitFor('idle after question', idle)
    expect(dir().questions[sid]).toEqual([])

    // Messages, parts, the session and the statuses converge to the REST snapshot.
    await converges(
      'messages and parts',
      () => (dir().messages[sid] ?? []).map((info) => ({ info, parts: dir().parts[info.id] ?? [] })),
      () => rest('GET', `/session/${sid}/message`),
    )
    await converges('session', () => dir().sessions.find((s) => s.id === sid), () => rest('GET', `/session/${sid}`))
    await converges(
      'status',
      () => Object.fromEntries(Object.entries(dir().status).filter(([, st]) => st.type !== 'idle')),
      () => rest('GET', '/session/status'),
    )
    expect(state.unknownEvents).toBe(0)
    expect(state.droppedDeltas).toBe(0)
    expect(state.failedEvents).toBe(0)

    await rest('DELETE', `/session/${sid}`)
    await waitFor('session deleted', () => !dir().sessions.some((s) => s.id === sid))
    expect(dir().messages[sid]).toBeUndefined()
    expect(Object.values(dir().parts).flat().filter((p) => p.sessionID === sid)).toEqual([])
  })
})
