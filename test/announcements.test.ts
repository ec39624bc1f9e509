/**
 * The live region's sentences (src/composables/useAnnouncements.ts): a finished reply, a new
 * permission request or question in the shown project; nothing for what was there when the
 * project was loaded, nothing for another project, nothing for a subagent's finished reply.
 * The pure comparison, the tracker, and the composable over the real sync store fed by the stub
 * relay (test/support/stub-relay.ts).
 */
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import type { Event, PermissionRequest, QuestionRequest, Session, SessionStatus } from '@opencode-ai/sdk/v2/types'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import {
  announcementsBetween,
  createAnnouncementTracker,
  useAnnouncements,
  type ObservedProject,
  type ObservedSession,
} from '../src/composables/useAnnouncements.ts'
import { clearRelay } from '../src/relay-client/provide.ts'
import { setStorage } from '../src/stores/storage.ts'
import { startSyncStore, StubRelay } from './support/stub-relay.ts'
import { jsonResponse } from './support/http.ts'

const DIR = '/work/project'
const OTHER = '/work/other'

const observedSession = (id: string, busy: boolean, extra: Partial<ObservedSession> = {}): ObservedSession => ({ id, title: `Title ${id}`, busy, child: false, ...extra })
const permission = (id: string, sessionID: string): PermissionRequest => ({ id, sessionID, permission: 'bash', patterns: ['echo hi'], metadata: {}, always: [] })
const question = (id: string, sessionID: string): QuestionRequest => ({
  id,
  sessionID,
  questions: [{ question: 'Which   database?', header: 'DB', options: [{ label: 'pg', description: 'Postgres' }] }],
})
const project = (sessions: ObservedSession[], permissions: PermissionRequest[] = [], questions: QuestionRequest[] = []): ObservedProject => ({ sessions, permissions, questions })

describe('announcementsBetween', () => {
  it('says a root session finished its reply, or ended with an error', () => {
    const before = project([observedSession('a', true), observedSession('b', true), observedSession('c', false)])
    const after = project([observedSession('a', false), observedSession('b', false, { error: 'boom' }), observedSession('c', false)])
    expect(announcementsBetween(before, after)).toEqual(['Reply finished in Title a', 'Reply ended with an error in Title b'])
  })

  it('says nothing for a subagent, a session still busy, or one that disappeared', () => {
    const before = project([observedSession('child', true, { child: true }), observedSession('busy', true), observedSession('gone', true)])
    const after = project([observedSession('child', false, { child: true }), observedSession('busy', true)])
    expect(announcementsBetween(before, after)).toEqual([])
  })

  it('says each permission request and question not seen before, once', () => {
    const sessions = [observedSession('a', true), observedSession('b', true, { title: '' })]
    const before = project(sessions, [permission('per_1', 'a')])
    const after = project(sessions, [permission('per_1', 'a'), permission('per_2', 'b')], [question('que_1', 'a')])
    expect(announcementsBetween(before, after)).toEqual(['Permission requested in Untitled session: bash echo hi', 'Question in Title a: Which database?'])
    expect(announcementsBetween(after, after)).toEqual([])
  })
})

describe('createAnnouncementTracker', () => {
  const busy = project([observedSession('a', true)], [permission('per_1', 'a')])
  const idle = project([observedSession('a', false)], [permission('per_1', 'a')])

  it('takes the first ready observation as the baseline', () => {
    const tracker = createAnnouncementTracker()
    expect(tracker.update({ directory: DIR, status: 'loading', observed: busy })).toEqual([])
    // Loaded: the pending permission was already there, and says nothing.
    expect(tracker.update({ directory: DIR, status: 'ready', observed: busy })).toEqual([])
    expect(tracker.update({ directory: DIR, status: 'ready', observed: idle })).toEqual(['Reply finished in Title a'])
  })

  it('compares across a re-read (loading), and starts over for another directory or cleared data', () => {
    const tracker = createAnnouncementTracker()
    tracker.update({ directory: DIR, status: 'ready', observed: busy })
    expect(tracker.update({ directory: DIR, status: 'loading', observed: idle })).toEqual(['Reply finished in Title a'])

    tracker.update({ directory: DIR, status: 'ready', observed: busy })
    expect(tracker.update({ directory: OTHER, status: 'ready', observed: idle })).toEqual([])
    expect(tracker.update({ directory: OTHER, status: 'ready', observed: busy })).toEqual([])

    // A server switch cleared the data: what the new server has at its first read says nothing.
    expect(tracker.update({ directory: OTHER, status: 'idle', observed: project([]) })).toEqual([])
    expect(tracker.update({ directory: OTHER, status: 'ready', observed: idle })).toEqual([])
  })
})

// ---- the composable over the sync store ------------------------------------------------------

const session = (id: string, directory: string, extra: Partial<Session> = {}): Session => ({
  id,
  slug: id,
  projectID: 'p1',
  directory,
  title: `Title ${id}`,
  version: '1',
  time: { created: 1, updated: 1 },
  ...extra,
})

/** A fake server: each directory has its sessions (`ses_a` busy, with a pending permission, in DIR). */
function fakeServer(): typeof fetch {
  return async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const directory = url.searchParams.get('directory') ?? DIR
    const answers: Record<string, unknown> = {
      '/project': [],
      '/path': { home: '/', state: '/', config: '/', worktree: directory, directory },
      '/session': directory === DIR ? [session('ses_a', DIR), session('ses_b', DIR), session('ses_sub', DIR, { parentID: 'ses_a' })] : [session('ses_o', OTHER)],
      '/session/status': directory === DIR ? { ses_a: { type: 'busy' } } : {},
      '/permission': directory === DIR ? [permission('per_old', 'ses_a')] : [],
    }
    return jsonResponse(answers[url.pathname] ?? [])
  }
}

let seq = 0
function relayed(directory: string, payload: Event): RelayedEvent {
  seq += 1
  return { cursor: 100 + seq, id: `evt_${seq}`, directory, payload, receivedAt: Date.now() }
}
const status = (sessionID: string, s: SessionStatus): Event => ({ id: `e${++seq}`, type: 'session.status', properties: { sessionID, status: s } })

afterEach(() => {
  clearRelay()
  setStorage(undefined)
})

describe('useAnnouncements', () => {
  it('announces, for the shown project only, what happens after it was loaded', async () => {
    const relay = new StubRelay(100)
    const sync = await startSyncStore(fakeServer(), relay)
    await sync.start()
    const directory = ref<string | undefined>(DIR)
    const scope = effectScope()
    const announcements = scope.run(() => useAnnouncements({ directory, keep: 3 }))
    if (!announcements) throw new Error('no scope')
    const texts = () => announcements.messages.value.map((m) => m.text)

    await sync.ensureDirectory(DIR)
    await nextTick()
    // Busy and a pending permission at load: nothing said.
    expect(texts()).toEqual([])

    relay.emit([relayed(DIR, { id: 'e1', type: 'permission.asked', properties: permission('per_new', 'ses_b') })])
    await nextTick()
    relay.emit([relayed(DIR, status('ses_sub', { type: 'busy' }))])
    await nextTick()
    relay.emit([relayed(DIR, status('ses_a', { type: 'idle' })), relayed(DIR, status('ses_sub', { type: 'idle' }))])
    await nextTick()
    expect(texts()).toEqual(['Permission requested in Title ses_b: bash echo hi', 'Reply finished in Title ses_a'])

    // Another project is shown: the first one's news is not said, the new one's baseline is taken.
    await sync.ensureDirectory(OTHER)
    directory.value = OTHER
    await nextTick()
    relay.emit([relayed(DIR, status('ses_b', { type: 'busy' }))])
    await nextTick()
    relay.emit([relayed(DIR, status('ses_b', { type: 'idle' })), relayed(OTHER, { id: 'e2', type: 'question.asked', properties: question('que_1', 'ses_o') })])
    await nextTick()
    expect(texts()).toEqual(['Permission requested in Title ses_b: bash echo hi', 'Reply finished in Title ses_a', 'Question in Title ses_o: Which database?'])

    // Only the newest `keep` sentences stay in the region.
    announcements.announce('extra')
    expect(texts()).toEqual(['Reply finished in Title ses_a', 'Question in Title ses_o: Which database?', 'extra'])

    scope.stop()
    relay.emit([relayed(OTHER, { id: 'e3', type: 'question.asked', properties: question('que_2', 'ses_o') })])
    await nextTick()
    expect(texts()).toHaveLength(3)
    sync.stop()
  })
})
