import { describe, expect, it } from 'vitest'
import { isRelayToTab } from '../src/relay-client/guards.ts'

const notice = { kind: 'permission', directory: '/p', sessionID: 'ses_1', sessionTitle: 'Fix it', requestID: 'per_1', permission: 'bash', patterns: ['ls'], tag: 'permission:ses_1' }

describe('isRelayToTab', () => {
  it('accepts every kind of notification the relay sends, as facts without words', () => {
    expect(isRelayToTab({ type: 'notify', notification: notice })).toBe(true)
    expect(isRelayToTab({ type: 'notify', notification: { kind: 'finished', directory: '/p', sessionID: 'ses_1', tag: 'finished:ses_1' } })).toBe(true)
    expect(isRelayToTab({ type: 'notify', notification: { kind: 'question', directory: '/p', sessionID: 'ses_1', requestID: 'que_1', question: 'Which?', tag: 'question:ses_1' } })).toBe(true)
  })

  it('refuses a notification of an unknown kind or with fields of the wrong type', () => {
    expect(isRelayToTab({ type: 'notify', notification: { ...notice, kind: 'done' } })).toBe(false)
    expect(isRelayToTab({ type: 'notify', notification: { ...notice, patterns: [1] } })).toBe(false)
    expect(isRelayToTab({ type: 'notify', notification: { ...notice, sessionTitle: 3 } })).toBe(false)
    expect(isRelayToTab({ type: 'notify', notification: { ...notice, tag: undefined } })).toBe(false)
  })

  it('refuses messages of unknown types', () => {
    expect(isRelayToTab({ type: 'shout' })).toBe(false)
    expect(isRelayToTab(null)).toBe(false)
  })
})
