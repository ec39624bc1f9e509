/**
 * Notifications you can act on (sw/shared/notification-actions.ts): the data a service-worker
 * notification carries, its action buttons, and the REST request an action makes
 * (`POST /permission/{requestID}/reply`, opencode 1.18).
 */
import { describe, expect, it } from 'vitest'
import {
  isNotificationAction,
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
}

describe('notification data', () => {
  it('accepts what the tab stores and refuses another shape or version', () => {
    expect(isRelayNotificationData(data)).toBe(true)
    expect(isRelayNotificationData({ ...data, requestID: undefined })).toBe(true)
    expect(isRelayNotificationData({ ...data, v: 2 })).toBe(false)
    expect(isRelayNotificationData({ ...data, kind: 'other' })).toBe(false)
    expect(isRelayNotificationData({ ...data, server: { url: 1 } })).toBe(false)
    expect(isRelayNotificationData(null)).toBe(false)
  })

  it('gives a permission request "Allow once" and "Reject", and other notices no actions', () => {
    expect(notificationActions(data).map((a) => a.title)).toEqual(['Allow once', 'Reject'])
    expect(notificationActions({ kind: 'finished' })).toEqual([])
    expect(notificationActions({ kind: 'permission' })).toEqual([])
    expect(isNotificationAction('allow-once')).toBe(true)
    expect(isNotificationAction('')).toBe(false)
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
  })
})

describe('isOpenRouteMessage', () => {
  it('recognizes the service worker’s request to open a route', () => {
    expect(isOpenRouteMessage({ type: 'open-route', url: 'http://localhost/session/ses_1' })).toBe(true)
    expect(isOpenRouteMessage({ type: 'open-route' })).toBe(false)
  })
})
