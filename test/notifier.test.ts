/** System notifications the relay asks a tab to show (sw/relay/notifier.ts): the facts, target tab, when not to. */
import type { Event, Session } from '@opencode-ai/sdk/v2/types'
import { describe, expect, it } from 'vitest'
import { describe as describeNotice, Notifier, type NotifiableTab } from '../sw/relay/notifier.ts'
import type { RelayToTab } from '../sw/shared/protocol.ts'

const DIR = '/home/me/shop'

function tab(visible: boolean, lastVisibleAt: number, viewing?: string): NotifiableTab & { posted: RelayToTab[] } {
  const posted: RelayToTab[] = []
  return { visible, lastVisibleAt, viewing: viewing ? { directory: DIR, sessionID: viewing } : undefined, endpoint: { post: (m: RelayToTab) => void posted.push(m) }, posted }
}

function session(id: string, title: string, parentID?: string): Session {
  const s: Session = { id, slug: id, projectID: 'p', directory: DIR, title, version: '1', time: { created: 1, updated: 1 } }
  if (parentID) s.parentID = parentID
  return s
}

function updated(info: Session): Event {
  return { id: `evt_${info.id}`, type: 'session.updated', properties: { sessionID: info.id, info } }
}

describe('notifications', () => {
  it('carries the session, its title and where a click leads', () => {
    const a = tab(false, 10)
    const b = tab(false, 20)
    const notifier = new Notifier(() => [a, b])
    notifier.enabled = true
    notifier.observe(DIR, updated(session('ses_1', 'Fix the checkout')))
    notifier.notify(DIR, 'ses_1', 'finished')
    expect(a.posted).toEqual([])
    // The tab visible most recently shows it.
    expect(b.posted).toEqual([
      { type: 'notify', notification: { kind: 'finished', directory: DIR, sessionID: 'ses_1', sessionTitle: 'Fix the checkout', tag: 'finished:ses_1' } },
    ])
  })

  it('says which permission a session asks for', () => {
    const a = tab(true, 0)
    const notifier = new Notifier(() => [a])
    notifier.enabled = true
    notifier.observe(DIR, updated(session('ses_1', 'Deploy')))
    notifier.observe(DIR, {
      id: 'evt_p',
      type: 'permission.asked',
      properties: { id: 'per_1', sessionID: 'ses_1', permission: 'bash', patterns: ['rm -rf build'], metadata: {}, always: [] },
    })
    // The request's id goes with it, so the notification's actions can answer it.
    expect(a.posted).toEqual([
      {
        type: 'notify',
        notification: { kind: 'permission', directory: DIR, sessionID: 'ses_1', sessionTitle: 'Deploy', requestID: 'per_1', permission: 'bash', patterns: ['rm -rf build'], tag: 'permission:ses_1' },
      },
    ])
  })

  it('says what a session asks in a question', () => {
    const a = tab(true, 0)
    const notifier = new Notifier(() => [a])
    notifier.enabled = true
    notifier.observe(DIR, updated(session('ses_1', 'Plan')))
    notifier.observe(DIR, {
      id: 'evt_q',
      type: 'question.asked',
      properties: { id: 'que_1', sessionID: 'ses_1', questions: [{ question: 'Which database?', header: 'DB', options: [{ label: 'Postgres', description: '' }] }] },
    })
    expect(a.posted).toEqual([
      { type: 'notify', notification: { kind: 'question', directory: DIR, sessionID: 'ses_1', sessionTitle: 'Plan', requestID: 'que_1', question: 'Which database?', tag: 'question:ses_1' } },
    ])
  })

  it('stays quiet when off, for subtask sessions, and when a visible tab shows the session', () => {
    const watching = tab(true, 0, 'ses_1')
    const notifier = new Notifier(() => [watching])
    notifier.notify(DIR, 'ses_1', 'finished')
    notifier.enabled = true
    notifier.notify(DIR, 'ses_1', 'finished')
    notifier.observe(DIR, updated(session('ses_2', 'child', 'ses_1')))
    notifier.notify(DIR, 'ses_2', 'finished')
    expect(watching.posted).toEqual([])
  })

  it('leaves the title out until one is known', () => {
    expect(describeNotice('/p/', 'ses_9', undefined, 'finished')).toEqual({ kind: 'finished', directory: '/p/', sessionID: 'ses_9', tag: 'finished:ses_9' })
  })
})
