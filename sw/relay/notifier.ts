/**
 * System notifications of the relay: one per event across all tabs (a session that finished, a
 * permission asked), for top-level sessions no visible tab shows, when the user turned them on
 * (protocol `settings`). The relay picks the tab that shows it: a visible one first, else the one
 * visible most recently (protocol `notify`).
 */
import type { Event } from '@opencode-ai/sdk/v2/types'
import type { TabSession } from './tab-session.ts'

/** What a notification is about. */
export type NotificationKind = 'finished' | 'permission'

/** Picks the tab and posts `notify`; remembers which sessions are subtasks (never notified). */
export class Notifier {
  /** Whether the user turned system notifications on (protocol `settings`). */
  enabled = false
  /** sessionID → parent session id (undefined for a top-level session). */
  private readonly parents = new Map<string, string | undefined>()

  constructor(private readonly tabs: () => Iterable<TabSession>) {}

  /** Learns parents from `session.created|updated`; a `permission.asked` notifies. */
  observe(directory: string, event: Event): void {
    if (event.type === 'session.created' || event.type === 'session.updated') this.parents.set(event.properties.info.id, event.properties.info.parentID)
    else if (event.type === 'permission.asked') this.notify(directory, event.properties.sessionID, 'permission')
  }

  /**
   * One system notification across all tabs, when notifications are on, the session is top-level
   * and no visible tab shows it.
   */
  notify(directory: string, sessionID: string, kind: NotificationKind): void {
    if (!this.enabled || this.parents.get(sessionID)) return
    const tabs = [...this.tabs()]
    if (tabs.some((t) => t.visible && t.viewing?.sessionID === sessionID)) return
    const pick = tabs.find((t) => t.visible) ?? tabs.sort((a, b) => b.lastVisibleAt - a.lastVisibleAt)[0]
    if (!pick) return
    pick.endpoint.post({
      type: 'notify',
      title: kind === 'finished' ? 'OpenCode: session finished' : 'OpenCode: permission needed',
      body: `${directory.split('/').pop() ?? directory} · ${sessionID}`,
      tag: `${kind}:${sessionID}`,
    })
  }
}
