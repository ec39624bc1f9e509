/**
 * Notifications you can act on (sw/shared/notification-actions.ts): the data a service-worker
 * notification carries, its action buttons, and the REST request an action makes
 * (`POST /permission/{requestID}/reply`, opencode 1.18).
 */
import { describe, expect, it } from 'vitest'
import {
  fillText,
  isNotificationAction,
  isPermissionAction,
  isOpenRouteMessage,
  isRelayNotificationData,
  notificationActions,
  permissionReplyRequest,
  type RelayNotificationData,
} from '../sw/shared/notification-actions.ts'

const data: RelayNotificationData = {
  v: 1,
  kind: 'permission',
  directory: '/home/me/shop',
  sessionID: 'ses_1',
  requestID: 'per_1',
  open: 'http://localhost:4096/session/ses_1?directory=%2Fhome%2Fme%2Fshop',
  server: { url: 'http://127.0.0.1:4096/', authorization: 'Basic b3BlbmNvZGU6cHc=' },
  texts: { answerFailed: 'Could not answer', answerFailedBody: '{reason}. Open it.', httpError: 'HTTP {status}', networkError: 'Unreachable ({error})' },
}

const TITLES = { 'allow-once': 'Allow once', reject: 'Reject', open: 'Open' } as const

describe('notification data', () => {
  it('accepts what the tab stores and refuses another shape or version', () => {
    expect(isRelayNotificationData(data)).toBe(true)
    expect(isRelayNotificationData({ ...data, requestID: undefined })).toBe(true)
    expect(isRelayNotificationData({ ...data, v: 2 })).toBe(false)
    expect(isRelayNotificationData({ ...data, kind: 'other' })).toBe(false)
    expect(isRelayNotificationData({ ...data, server: { url: 1 } })).toBe(false)
    expect(isRelayNotificationData({ ...data, texts: { answerFailed: 'x' } })).toBe(false)
    expect(isRelayNotificationData({ ...data, kind: 'question' })).toBe(true)
    expect(isRelayNotificationData(null)).toBe(false)
  })

  it('gives a permission request "Allow once" and "Reject", a question "Open", and other notices no actions', () => {
    expect(notificationActions(data, TITLES).map((a) => a.title)).toEqual(['Allow once', 'Reject'])
    expect(notificationActions({ kind: 'question', requestID: 'que_1' }, TITLES)).toEqual([{ action: 'open', title: 'Open' }])
    expect(notificationActions({ kind: 'finished' }, TITLES)).toEqual([])
    expect(notificationActions({ kind: 'permission' }, TITLES)).toEqual([])
    expect(isNotificationAction('allow-once')).toBe(true)
    expect(isNotificationAction('open')).toBe(true)
    expect(isPermissionAction('open')).toBe(false)
    expect(isNotificationAction('')).toBe(false)
  })

  it('fills the service worker’s own words', () => {
    expect(fillText(data.texts.answerFailedBody, { reason: fillText(data.texts.httpError, { status: '500' }) })).toBe('HTTP 500. Open it.')
    expect(fillText('{unknown} stays', {})).toBe('{unknown} stays')
  })
})

describe('permissionReplyRequest', () => {
  it('posts the reply to the permission on the notice’s server and directory, with its authorization', () => {
    const { url, init } = permissionReplyRequest(data, 'allow-once')
    expect(url).toBe('http://127.0.0.1:4096/permission/per_1/reply?directory=%2Fhome%2Fme%2Fshop')
    expect(init.method).toBe('POST')
    expect(init.headers).toEqual({ 'content-type': 'application/json', authorization: 'Basic b3BlbmNvZGU6cHc=' })
    expect(init.body).toBe('{"reply":"once"}')
    expect(permissionReplyRequest(data, 'reject').init.body).toBe('{"reply":"reject"}')
  })

  it('sends no authorization to a server without a password, and refuses a notice without a request', () => {
    const open = { ...data, server: { url: 'http://127.0.0.1:4096' } }
    expect(permissionReplyRequest(open, 'reject').init.headers).toEqual({ 'content-type': 'application/json' })
    expect(() => permissionReplyRequest({ ...data, requestID: undefined }, 'reject')).toThrow(/no permission request/)
    expect(() => permissionReplyRequest({ ...data, kind: 'question' }, 'reject')).toThrow(/no permission request/)
  })
})

describe('isOpenRouteMessage', () => {
  it('recognizes the service worker’s request to open a route', () => {
    expect(isOpenRouteMessage({ type: 'open-route', url: 'http://localhost/session/ses_1' })).toBe(true)
    expect(isOpenRouteMessage({ type: 'open-route' })).toBe(false)
  })
})
