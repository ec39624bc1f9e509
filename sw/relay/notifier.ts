/**
 * System notifications of the relay: one per event across all tabs (a session that finished, a
 * permission asked, a question asked), for top-level sessions no visible tab shows, when the user turned them on
 * (protocol `settings`). The relay picks the tab that shows it: a visible one first, else the one
 * visible most recently (protocol `notify`, a {@link RelayNotification} the tab turns into a
 * `Notification` in its language whose click opens the session).
 */
import type { Event } from '@opencode-ai/sdk/v2/types'
import type { RelayNotification } from '../shared/protocol.ts'
import type { TabSession } from './tab-session.ts'

/** What a notification is about. */
export type NotificationKind = RelayNotification['kind']

/** What the notifier needs of a tab (a {@link TabSession}): whether and since when it is visible, what it shows, where to post. */
export type NotifiableTab = Pick<TabSession, 'visible' | 'lastVisibleAt' | 'viewing' | 'endpoint'>

/** What the notifier knows of a session from `session.created|updated`. */
interface KnownSession {
  title: string
  parentID?: string
}

/** What a notice says beyond the session: the request (`permission.asked`: `id`, `permission`, `patterns`; `question.asked`: `id`, the first question). */
export interface NotificationDetail {
  /** The request's id (`permission.asked` / `question.asked` `id`). */
  requestID?: string
  permission?: string
  patterns?: readonly string[]
  question?: string
}

/** Picks the tab and posts `notify`; remembers sessions' titles and which are subtasks (never notified). */
export class Notifier {
  /** Whether the user turned system notifications on (protocol `settings`). */
  enabled = false
  private readonly sessions = new Map<string, KnownSession>()

  constructor(private readonly tabs: () => Iterable<NotifiableTab>) {}

  /** Learns titles and parents from `session.created|updated`; a `permission.asked` or `question.asked` notifies. */
  observe(directory: string, event: Event): void {
    if (event.type === 'session.created' || event.type === 'session.updated') {
      const { id, title, parentID } = event.properties.info
      this.sessions.set(id, parentID === undefined ? { title } : { title, parentID })
    } else if (event.type === 'session.deleted') this.sessions.delete(event.properties.info.id)
    else if (event.type === 'permission.asked') {
      const { id, sessionID, permission, patterns } = event.properties
      this.notify(directory, sessionID, 'permission', { requestID: id, permission, patterns })
    } else if (event.type === 'question.asked') {
      const { id, sessionID, questions } = event.properties
      this.notify(directory, sessionID, 'question', { requestID: id, question: questions[0]?.question })
    }
  }

  /**
   * One system notification across all tabs, when notifications are on, the session is top-level
   * and no visible tab shows it. The session's title goes with it once known.
   */
  notify(directory: string, sessionID: string, kind: NotificationKind, detail: NotificationDetail = {}): void {
    const known = this.sessions.get(sessionID)
    if (!this.enabled || known?.parentID) return
    const tabs = [...this.tabs()]
    if (tabs.some((t) => t.visible && t.viewing?.sessionID === sessionID)) return
    const pick = tabs.find((t) => t.visible) ?? tabs.sort((a, b) => b.lastVisibleAt - a.lastVisibleAt)[0]
    if (!pick) return
    pick.endpoint.post({ type: 'notify', notification: describe(directory, sessionID, known?.title, kind, detail) })
  }
}

/** The facts of a notice (the tab words them): the session, its title when known, and the request. */
export function describe(directory: string, sessionID: string, title: string | undefined, kind: NotificationKind, detail: NotificationDetail = {}): RelayNotification {
  return {
    kind,
    directory,
    sessionID,
    ...(title !== undefined ? { sessionTitle: title } : {}),
    ...(kind !== 'finished' && detail.requestID ? { requestID: detail.requestID } : {}),
    ...(kind === 'permission' && detail.permission ? { permission: detail.permission, patterns: [...(detail.patterns ?? [])] } : {}),
    ...(kind === 'question' && detail.question ? { question: detail.question } : {}),
    tag: `${kind}:${sessionID}`,
  }
}
