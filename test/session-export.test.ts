/** Session export (src/state/session-export.ts): Markdown for people, JSON in `opencode export`'s shape. */
import type { Session } from '@opencode-ai/sdk/v2/types'
import { describe, expect, it } from 'vitest'
import { exportFileName, exportJson, exportMarkdown, type SessionExport } from '../src/state/session-export.ts'

const info: Session = {
  id: 'ses_1',
  slug: 's',
  projectID: 'p',
  directory: '/home/me/project',
  title: 'Fix the `build`: now!',
  version: '1.18.33',
  time: { created: Date.UTC(2026, 11, 2, 8, 0, 0), updated: Date.UTC(2026, 11, 2, 8, 5, 0) },
}

const data: SessionExport = {
  info,
  messages: [
    {
      info: { id: 'msg_1', sessionID: 'ses_1', role: 'user', time: { created: Date.UTC(2026, 11, 2, 8, 1, 0) }, agent: 'build', model: { providerID: 'p', modelID: 'm' } },
      parts: [
        { id: 'prt_1', sessionID: 'ses_1', messageID: 'msg_1', type: 'text', text: 'Please run ```ls```' },
        { id: 'prt_2', sessionID: 'ses_1', messageID: 'msg_1', type: 'text', text: 'hidden context', synthetic: true },
        { id: 'prt_3', sessionID: 'ses_1', messageID: 'msg_1', type: 'file', mime: 'image/png', filename: 'shot.png', url: 'data:image/png;base64,AAAA' },
      ],
    },
    {
      info: {
        id: 'msg_2',
        sessionID: 'ses_1',
        role: 'assistant',
        time: { created: 1 },
        parentID: 'msg_1',
        modelID: 'm',
        providerID: 'p',
        mode: 'build',
        agent: 'build',
        path: { cwd: '/', root: '/' },
        cost: 0,
        tokens: { input: 1, output: 1, reasoning: 0, cache: { read: 0, write: 0 } },
      },
      parts: [
        { id: 'prt_4', sessionID: 'ses_1', messageID: 'msg_2', type: 'reasoning', text: 'thinking', time: { start: 1 } },
        {
          id: 'prt_5',
          sessionID: 'ses_1',
          messageID: 'msg_2',
          type: 'tool',
          callID: 'c',
          tool: 'bash',
          state: { status: 'completed', input: { command: 'ls' }, output: 'a.txt\n```b```', title: 'ls', metadata: {}, time: { start: 1, end: 2 } },
        },
        { id: 'prt_6', sessionID: 'ses_1', messageID: 'msg_2', type: 'text', text: 'Done.' },
      ],
    },
  ],
}

describe('session export', () => {
  it('writes a Markdown transcript people can read: messages, tool calls fenced safely, attachments, no reasoning or synthetic text', () => {
    const md = exportMarkdown(data)
    expect(md.startsWith('# Fix the `build`: now!\n\nSession `ses_1` in `/home/me/project`, created 2026-12-02T08:00:00Z.\n')).toBe(true)
    expect(md).toContain('## User (2026-12-02T08:01:00Z)\n\nPlease run ```ls```\n')
    expect(md).toContain('- Attached file: shot.png (image/png)')
    expect(md).toContain('## Assistant (build · p/m)')
    expect(md).toContain('**Tool `bash`** (completed)\n\n```json\n{\n  "command": "ls"\n}\n```')
    expect(md).toContain('````\na.txt\n```b```\n````')
    expect(md).toContain('Done.')
    expect(md).not.toContain('hidden context')
    expect(md).not.toContain('thinking')
  })

  it('writes JSON in the shape of opencode export, which reads back equal', () => {
    expect(JSON.parse(exportJson(data))).toEqual(data)
  })

  it('names the file after the title', () => {
    expect(exportFileName(info, 'md')).toBe('fix-the-build-now.md')
    expect(exportFileName({ ...info, title: '' }, 'json')).toBe('ses-1.json')
  })
})
