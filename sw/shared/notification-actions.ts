/**
 * Notifications you can act on: the data a relay notification carries when the service worker
 * shows it (`registration.showNotification`), its actions, and the REST request an action makes,
 * so a permission is answered from the notification even when no tab is visible.
 *
 * Both sides use it: the tab that shows the notification (src/composables/useNotifications.ts)
 * and the service worker's `notificationclick` (sw/service-worker.ts). Lib-neutral.
 *
 * Protocol fact: `POST /permission/{requestID}/reply?directory=<dir>` with `{"reply": "once" |
 * "always" | "reject"}` answers a permission request (opencode 1.18, SDK `permission.reply`).
 */
import { isOptionalString, isRecord } from './guards.ts'

/** An action button of a notification: `allow-once` and `reject` answer a permission request, `open` opens a question's session. */
export type NotificationAction = 'allow-once' | 'reject' | 'open'

/** The actions that answer a permission request. */
export type PermissionAction = Exclude<NotificationAction, 'open'>

/**
 * The words the service worker may need in the page's language (sw/ never reads the app's
 * catalogue): the notice it shows when answering from a notification failed.
 */
export interface NotificationTexts {
  /** Its title. */
  answerFailed: string
  /** Its body; `{reason}` is replaced by one of the two reasons below. */
  answerFailedBody: string
  /** The reason when the server answered an HTTP error; `{status}` is the status code. */
  httpError: string
  /** The reason when the server could not be reached; `{error}` is the network error. */
  networkError: string
}

const TEXT_KEYS = ['answerFailed', 'answerFailedBody', 'httpError', 'networkError'] as const

/** The `data` of a notification the relay asked for, as stored with it by the browser. */
export interface RelayNotificationData {
  /** Shape version (1). */
  v: 1
  kind: 'finished' | 'permission' | 'question'
  directory: string
  sessionID: string
  /** The request (`permission.asked` / `question.asked` `id`); with it, the notification has actions. */
  requestID?: string
  /** Absolute URL of the session in the app (the click opens it). */
  open: string
  /**
   * The OpenCode server to answer on: its base URL and, for a server with a password, the
   * `Authorization` header value (Basic). Kept with the notification by the browser until it is
   * closed, in the same profile that keeps the server's password for the app.
   */
  server: { url: string; authorization?: string }
  /** Words for what the service worker may show itself, in the page's language. */
  texts: NotificationTexts
}

/** Whether `x` is {@link RelayNotificationData} (a notification of another version or app is not). */
export function isRelayNotificationData(x: unknown): x is RelayNotificationData {
  if (!isRecord(x) || x.v !== 1) return false
  if (x.kind !== 'finished' && x.kind !== 'permission' && x.kind !== 'question') return false
  if (typeof x.directory !== 'string' || typeof x.sessionID !== 'string' || typeof x.open !== 'string') return false
  if (x.requestID !== undefined && typeof x.requestID !== 'string') return false
  const texts = x.texts
  if (!isRecord(texts) || !TEXT_KEYS.every((k) => typeof texts[k] === 'string')) return false
  const server = x.server
  return isRecord(server) && typeof server.url === 'string' && isOptionalString(server.authorization)
}

/** Whether an action id is one of ours. */
export function isNotificationAction(x: string): x is NotificationAction {
  return x === 'allow-once' || x === 'reject' || x === 'open'
}

/** Whether an action answers a permission request. */
export function isPermissionAction(x: string): x is PermissionAction {
  return x === 'allow-once' || x === 'reject'
}

/**
 * The action buttons of a notification: "Allow once" and "Reject" for a permission request,
 * "Open" for a question, none otherwise; `titles` are the buttons' words in the page's language.
 */
export function notificationActions(
  data: Pick<RelayNotificationData, 'kind' | 'requestID'>,
  titles: Readonly<Record<NotificationAction, string>>,
): Array<{ action: NotificationAction; title: string }> {
  if (!data.requestID) return []
  if (data.kind === 'permission')
    return [
      { action: 'allow-once', title: titles['allow-once'] },
      { action: 'reject', title: titles.reject },
    ]
  return data.kind === 'question' ? [{ action: 'open', title: titles.open }] : []
}

/** Fills `{name}` placeholders of a text from {@link NotificationTexts}; unknown names stay. */
export function fillText(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole)
}

/**
 * The request that answers the notification's permission request with `action`: `POST
 * {server}/permission/{requestID}/reply?directory=…`, JSON `{reply: 'once' | 'reject'}`, with the
 * `Authorization` header when the server has a password.
 * @throws Error when the notification has no permission request.
 */
export function permissionReplyRequest(data: RelayNotificationData, action: PermissionAction): { url: string; init: RequestInit } {
  if (data.kind !== 'permission' || !data.requestID) throw new Error('this notification has no permission request to answer')
  const base = data.server.url.replace(/\/+$/, '')
  const url = `${base}/permission/${encodeURIComponent(data.requestID)}/reply?directory=${encodeURIComponent(data.directory)}`
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (data.server.authorization) headers.authorization = data.server.authorization
  return { url, init: { method: 'POST', headers, body: JSON.stringify({ reply: action === 'allow-once' ? 'once' : 'reject' }) } }
}

/** Message the service worker posts to a window to open a route in place (no reload). */
export interface OpenRouteMessage {
  type: 'open-route'
  /** Absolute URL of the route, same origin as the app. */
  url: string
}

/** Whether `x` is an {@link OpenRouteMessage}. */
export function isOpenRouteMessage(x: unknown): x is OpenRouteMessage {
  return isRecord(x) && x.type === 'open-route' && typeof x.url === 'string'
}
