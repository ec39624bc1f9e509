/**
 * What a session and each of its turns changed (src/state/changes.ts) and how a patch renders
 * (src/render/diff.ts). Message and part shapes are the ones the pinned opencode 1.18.33 sends
 * (recorded against the real server: user `summary.diffs`, `edit`'s `filediff`, `write`'s `filepath`).
 */
import type { AssistantMessage, Message, Part, ToolPart, UserMessage } from '@opencode-ai/sdk/v2/types'
import { describe, expect, it } from 'vitest'
import { netStatus, relativeTo, sessionChanges, toolChanges, turnChanges, type SessionTranscript } from '../src/state/changes.ts'
import { parseDiff } from '../src/render/diff.ts'

const DIR = '/home/me/project'

function user(id: string, diffs?: UserMessage['summary'] extends infer S ? (S extends { diffs: infer D } ? D : never) : never): UserMessage {
  const m: UserMessage = { id, sessionID: 'ses_1', role: 'user', time: { created: 1 }, agent: 'build', model: { providerID: 'p', modelID: 'm' } }
  if (diffs) m.summary = { diffs }
  return m
}

function assistant(id: string, parentID: string): AssistantMessage {
  return {
    id,
    sessionID: 'ses_1',
    role: 'assistant',
    time: { created: 2 },
    parentID,
    modelID: 'm',
    providerID: 'p',
    mode: 'build',
    agent: 'build',
    path: { cwd: DIR, root: DIR },
    cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
  }
}

function tool(id: string, messageID: string, name: string, input: Record<string, unknown>, metadata: Record<string, unknown>): ToolPart {
  return {
    id,
    sessionID: 'ses_1',
    messageID,
    type: 'tool',
    callID: `call_${id}`,
    tool: name,
    state: { status: 'completed', input, output: '', title: '', metadata, time: { start: 1, end: 2 } },
  }
}

const PATCH = 'Index: hello.txt\n===================================================================\n--- hello.txt\t\n+++ hello.txt\t\n@@ -1,2 +1,3 @@\n-hello\n+hello EDITED\n+second line\n keep\n'

function transcript(messages: Message[], parts: Record<string, Part[]> = {}, revertedFrom?: string): SessionTranscript {
  return { messages, parts, directory: DIR, revertedFrom }
}

describe('what each turn changed', () => {
  it('lists the user message summary diffs of a git project, bash-made files included', () => {
    const turns = turnChanges(
      transcript([
        user('msg_1', [
          { file: 'bash-made.txt', patch: '…', additions: 1, deletions: 0, status: 'added' },
          { file: 'hello.txt', patch: PATCH, additions: 2, deletions: 1, status: 'modified' },
        ]),
        assistant('msg_2', 'msg_1'),
      ]),
    )
    expect(turns).toHaveLength(1)
    expect(turns[0]).toMatchObject({ messageID: 'msg_1', source: 'snapshot', untrackedCommands: [] })
    expect(turns[0].files.map((f) => [f.file, f.status, f.additions, f.deletions])).toEqual([
      ['bash-made.txt', 'added', 1, 0],
      ['hello.txt', 'modified', 2, 1],
    ])
  })

  it('falls back to the tool parts when the server has no snapshot (no git), and names the shell commands it cannot see into', () => {
    const parts = {
      msg_2: [tool('prt_1', 'msg_2', 'write', { filePath: 'new.txt' }, { filepath: `${DIR}/new.txt`, exists: false })],
      msg_3: [tool('prt_2', 'msg_3', 'edit', {}, { filediff: { file: `${DIR}/new.txt`, patch: PATCH, additions: 2, deletions: 1 } })],
      msg_4: [
        tool('prt_3', 'msg_4', 'edit', {}, { filediff: { file: `${DIR}/src/a.ts`, patch: PATCH, additions: 3, deletions: 0 } }),
        tool('prt_4', 'msg_4', 'bash', { command: 'rm old.txt' }, { output: '', exit: 0 }),
      ],
    }
    const [turn] = turnChanges(transcript([user('msg_1', []), assistant('msg_2', 'msg_1'), assistant('msg_3', 'msg_1'), assistant('msg_4', 'msg_1')], parts))
    expect(turn.source).toBe('tools')
    expect(turn.files.map((f) => [f.file, f.status, f.additions])).toEqual([
      ['new.txt', 'added', 2],
      ['src/a.ts', 'modified', 3],
    ])
    expect(turn.untrackedCommands).toEqual(['rm old.txt'])
  })

  it('leaves out the reverted message and everything after it', () => {
    const turns = turnChanges(
      transcript(
        [user('msg_1', [{ file: 'a', additions: 1, deletions: 0, status: 'added' }]), assistant('msg_2', 'msg_1'), user('msg_3', [{ file: 'b', additions: 1, deletions: 0, status: 'added' }])],
        {},
        'msg_3',
      ),
    )
    expect(turns.map((t) => t.messageID)).toEqual(['msg_1'])
  })

  it('has a turn with no files for a turn that changed nothing', () => {
    const turns = turnChanges(transcript([user('msg_1'), assistant('msg_2', 'msg_1')]))
    expect(turns).toEqual([{ messageID: 'msg_1', created: 1, source: 'snapshot', files: [], untrackedCommands: [] }])
  })
})

describe('what the session changed', () => {
  it('folds the turns per file with the net status and summed counts', () => {
    const files = sessionChanges(
      turnChanges(
        transcript([
          user('msg_1', [
            { file: 'notes.txt', additions: 2, deletions: 0, status: 'added' },
            { file: 'tmp.txt', additions: 1, deletions: 0, status: 'added' },
            { file: 'README.md', additions: 1, deletions: 1, status: 'modified' },
          ]),
          user('msg_2', [
            { file: 'notes.txt', additions: 1, deletions: 1, status: 'modified' },
            { file: 'tmp.txt', additions: 0, deletions: 1, status: 'deleted' },
            { file: 'old.txt', additions: 0, deletions: 4, status: 'deleted' },
          ]),
        ]),
      ),
    )
    expect(files.map((f) => [f.file, f.status, f.additions, f.deletions, f.turns.map((t) => t.messageID)])).toEqual([
      ['README.md', 'modified', 1, 1, ['msg_1']],
      ['notes.txt', 'added', 3, 1, ['msg_1', 'msg_2']],
      ['old.txt', 'deleted', 0, 4, ['msg_2']],
    ])
  })

  it('works out the net status from the first and the last change', () => {
    expect(netStatus('added', 'modified')).toBe('added')
    expect(netStatus('added', 'deleted')).toBeUndefined()
    expect(netStatus('deleted', 'added')).toBe('modified')
    expect(netStatus('modified', 'deleted')).toBe('deleted')
    expect(netStatus('modified', 'modified')).toBe('modified')
  })
})

describe('tool parts and paths', () => {
  it('ignores running tools and tools that change nothing', () => {
    const running: ToolPart = { ...tool('prt_1', 'msg_2', 'edit', {}, {}), state: { status: 'running', input: {}, time: { start: 1 } } }
    const read = tool('prt_2', 'msg_2', 'read', { filePath: 'a' }, {})
    expect(toolChanges([running, read], DIR)).toEqual({ files: [], commands: [] })
  })

  it('makes paths inside the directory relative and leaves others alone', () => {
    expect(relativeTo('/p/', '/p/a/b.txt')).toBe('a/b.txt')
    expect(relativeTo('/p', '/other/b.txt')).toBe('/other/b.txt')
    expect(relativeTo('/p', '/pp/b.txt')).toBe('/pp/b.txt')
  })
})

describe('rendering a patch', () => {
  it('numbers the lines of both files and pairs removed with added lines side by side', () => {
    const diff = parseDiff(PATCH)
    expect(diff.unified).toEqual([
      { kind: 'hunk', text: '@@ -1,2 +1,3 @@' },
      { kind: 'del', text: 'hello', oldLine: 1 },
      { kind: 'add', text: 'hello EDITED', newLine: 1 },
      { kind: 'add', text: 'second line', newLine: 2 },
      { kind: 'ctx', text: 'keep', oldLine: 2, newLine: 3 },
    ])
    expect(diff.split).toEqual([
      { kind: 'hunk', text: '@@ -1,2 +1,3 @@' },
      { kind: 'pair', old: { kind: 'del', text: 'hello', line: 1 }, new: { kind: 'add', text: 'hello EDITED', line: 1 } },
      { kind: 'pair', old: undefined, new: { kind: 'add', text: 'second line', line: 2 } },
      { kind: 'pair', old: { kind: 'ctx', text: 'keep', line: 2 }, new: { kind: 'ctx', text: 'keep', line: 3 } },
    ])
  })

  it('reads git-format patches as the /vcs/diff endpoint sends them', () => {
    const git = 'diff --git a/n.txt b/n.txt\nnew file mode 100644\nindex 0000000..3b18e51\n--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+made-by-bash\n'
    expect(parseDiff(git).unified).toEqual([
      { kind: 'hunk', text: '@@ -1,0 +1,1 @@' },
      { kind: 'add', text: 'made-by-bash', newLine: 1 },
    ])
  })

  it('shows nothing rather than throwing for text that is not a patch', () => {
    expect(parseDiff('@@ nonsense @@\n+x').unified).toEqual([])
  })
})
