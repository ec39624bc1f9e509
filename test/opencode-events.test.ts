/**
 * The one module of OpenCode event knowledge (sw/shared/opencode-events.ts): which session, part,
 * entity and REST scope an event touches, transport noise, busy/idle transitions and the busy
 * tracker shared by the relay, sleep protection and relay-awake — including malformed frames.
 */
import { describe, expect, it } from 'vitest'
import type { Event } from '@opencode-ai/sdk/v2/types'
import { BusySessions, busyChange, disposedBy, eventEntityKey, eventScope, eventSessionID, isTransientEvent, PendingRequests, ptyChange, requestChange } from '../sw/shared/opencode-events.ts'
import { parseFrame } from '../sw/shared/frames.ts'

/** An event as it arrives: the envelope checked by the frame parser, the properties unchecked. */
function ev(type: string, properties: Record<string, unknown>): Event {
  const parsed = parseFrame(JSON.stringify({ directory: '/p', payload: { id: `evt_${type}`, type, properties } }))
  if (!parsed.ok || parsed.frame.payload.type === 'sync') throw new Error('not a bus event')
  return parsed.frame.payload
}

const status = (sessionID: string, type: string) => ev('session.status', { sessionID, status: { type } })

describe('OpenCode event knowledge', () => {
  it('names the session, entity and REST scope an event touches', () => {
    const part = ev('message.part.updated', { sessionID: 'ses_1', time: 1, part: { id: 'prt_1', messageID: 'msg_1', sessionID: 'ses_1', type: 'text', text: '' } })
    expect(eventSessionID(part)).toBe('ses_1')
    expect(eventEntityKey(part)).toBe('part:prt_1')
    expect(eventScope(part)).toEqual({ kind: 'session', sessionID: 'ses_1' })
    const created = ev('session.created', { sessionID: 'ses_2', info: { id: 'ses_2' } })
    expect(eventSessionID(ev('session.updated', { info: { id: 'ses_3' } }))).toBe('ses_3')
    expect(eventEntityKey(created)).toBe('session:ses_2')
    expect(eventScope(created)).toEqual({ kind: 'directory' })
    expect(eventScope(ev('project.updated', {}))).toEqual({ kind: 'projects' })
    expect(eventScope(ev('file.edited', { file: 'a' }))).toBeUndefined()
    expect(eventEntityKey(ev('message.part.delta', { sessionID: 'ses_1', messageID: 'm', partID: 'p', field: 'text', delta: 'x' }))).toBeUndefined()
  })

  it('knows transport noise', () => {
    expect(isTransientEvent('server.heartbeat')).toBe(true)
    expect(isTransientEvent('server.connected')).toBe(true)
    expect(isTransientEvent('session.status')).toBe(false)
  })

  it('reads busy and idle transitions, and ignores malformed statuses instead of throwing', () => {
    expect(busyChange(status('ses_1', 'busy'))).toEqual({ sessionID: 'ses_1', busy: true, status: 'busy' })
    expect(busyChange(status('ses_1', 'retry'))).toEqual({ sessionID: 'ses_1', busy: true, status: 'retry' })
    expect(busyChange(status('ses_1', 'idle'))).toEqual({ sessionID: 'ses_1', busy: false })
    expect(busyChange(ev('session.idle', { sessionID: 'ses_1' }))).toEqual({ sessionID: 'ses_1', busy: false })
    expect(busyChange(ev('session.deleted', { sessionID: 'ses_1', info: { id: 'ses_1' } }))).toEqual({ sessionID: 'ses_1', busy: false })
    expect(busyChange(status('ses_1', 'exploded'))).toBeUndefined()
    expect(busyChange(ev('session.status', { sessionID: 'ses_1' }))).toBeUndefined()
    expect(busyChange(ev('session.status', { status: { type: 'busy' } }))).toBeUndefined()
    expect(disposedBy(ev('server.instance.disposed', { directory: '/p' }))).toEqual({ directory: '/p' })
    expect(disposedBy(ev('server.instance.disposed', {}))).toBeUndefined()
    expect(disposedBy(ev('global.disposed', {}))).toBe('all')
  })

  it('tracks busy sessions: one change per transition, busy ↔ retry included, disposal forgets a directory', () => {
    const busy = new BusySessions()
    expect(busy.apply('/a', status('ses_a', 'busy'), 5)).toEqual({ sessionID: 'ses_a', busy: true, status: 'busy' })
    expect(busy.apply('/a', status('ses_a', 'busy'), 6)).toBeUndefined()
    expect(busy.apply('/a', status('ses_a', 'retry'), 7)).toMatchObject({ status: 'retry' })
    expect(busy.get('ses_a')).toEqual({ sessionID: 'ses_a', directory: '/a', status: 'retry', since: 5 })
    busy.apply('/b', status('ses_b', 'busy'))
    busy.apply('/a', ev('server.instance.disposed', { directory: '/a' }))
    expect(busy.list().map((s) => s.sessionID)).toEqual(['ses_b'])
    expect(busy.apply('/b', ev('session.idle', { sessionID: 'ses_b' }))).toEqual({ sessionID: 'ses_b', busy: false })
    expect(busy.apply('/b', ev('session.idle', { sessionID: 'ses_b' }))).toBeUndefined()
    busy.apply('/c', status('ses_c', 'busy'))
    busy.apply('global', ev('global.disposed', {}))
    expect(busy.size).toBe(0)
  })
})

describe('terminal events', () => {
  it('says which terminal a pty event concerns and what happened to it', () => {
    const info = { id: 'pty_1', title: 'bash', command: '/bin/bash', args: [], cwd: '/p', status: 'running' as const, pid: 42 }
    expect(ptyChange({ id: 'e1', type: 'pty.updated', properties: { info } })).toEqual({ ptyID: 'pty_1', kind: 'updated', title: 'bash' })
    expect(ptyChange({ id: 'e2', type: 'pty.exited', properties: { id: 'pty_1', exitCode: 3 } })).toEqual({ ptyID: 'pty_1', kind: 'exited', exitCode: 3 })
    expect(ptyChange({ id: 'e3', type: 'pty.deleted', properties: { id: 'pty_1' } })).toEqual({ ptyID: 'pty_1', kind: 'deleted' })
    expect(ptyChange({ id: 'e4', type: 'pty.created', properties: { info } })).toBeUndefined()
    expect(ptyChange({ id: 'e5', type: 'session.idle', properties: { sessionID: 's' } })).toBeUndefined()
  })
})

describe('pending requests', () => {
  const asked = (id: string, sessionID = 'ses_1'): Event => ({ id: `evt_${id}`, type: 'permission.asked', properties: { id, sessionID, permission: 'bash', patterns: [], metadata: {}, always: [] } })

  it('names what each request event does', () => {
    expect(requestChange(asked('per_1'))).toEqual({ asked: true, requestID: 'per_1', sessionID: 'ses_1' })
    expect(requestChange({ id: 'e', type: 'question.v2.rejected', properties: { sessionID: 'ses_1', requestID: 'que_1' } })).toEqual({ asked: false, requestID: 'que_1' })
    expect(requestChange({ id: 'e', type: 'session.idle', properties: { sessionID: 'ses_1' } })).toBeUndefined()
  })

  it('tracks requests over every project until answered, deleted with their session, or disposed with their instance', () => {
    const pending = new PendingRequests()
    expect(pending.apply('/a', asked('per_2'))).toBe(true)
    expect(pending.apply('/a', asked('per_2'))).toBe(false)
    pending.apply('/b', asked('per_1', 'ses_b'))
    pending.apply('/b', asked('per_3', 'ses_c'))
    expect(pending.ids()).toEqual(['per_1', 'per_2', 'per_3'])
    expect(pending.apply('/a', { id: 'e', type: 'permission.replied', properties: { sessionID: 'ses_1', requestID: 'per_2', reply: 'once' } })).toBe(true)
    const info = { id: 'ses_b', slug: 'ses_b', projectID: 'p1', directory: '/b', title: 'b', version: '1', time: { created: 1, updated: 1 } }
    const deleted: Event = { id: 'e2', type: 'session.deleted', properties: { sessionID: 'ses_b', info } }
    expect(pending.apply('/b', deleted)).toBe(true)
    expect(pending.ids()).toEqual(['per_3'])
    expect(pending.apply('/b', { id: 'e3', type: 'server.instance.disposed', properties: { directory: '/b' } })).toBe(true)
    expect(pending.ids()).toEqual([])
  })
})
