import { computed, onScopeDispose, shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import type { PermissionRequest, QuestionRequest } from '@opencode-ai/sdk/v2/types'
import type { LoadStatus } from '../sync/data.ts'
import { useSyncStore } from '../stores/sync.ts'
import { t } from '../i18n/index.ts'

/** One session of the shown project, as the announcer compares it. */
export interface ObservedSession {
  id: string
  title: string
  /** Busy or retrying. */
  busy: boolean
  /** A subagent's session (has a parent): its finished replies are not announced. */
  child: boolean
  /** The session's last error, until a new turn starts. */
  error?: string
}

/** What the announcer compares between two moments: the shown project's sessions and pending prompts. */
export interface ObservedProject {
  sessions: readonly ObservedSession[]
  permissions: readonly PermissionRequest[]
  questions: readonly QuestionRequest[]
}

/** One input of {@link AnnouncementTracker.update}. */
export interface TrackerInput {
  /** The project shown (undefined: none yet). */
  directory: string | undefined
  /** Its load status: nothing is announced before its first REST read is `ready`. */
  status: LoadStatus
  observed: ObservedProject
}

/** Turns successive observations of the shown project into the sentences to announce. */
export interface AnnouncementTracker {
  /** The sentences for what changed since the previous observation of the same loaded project. */
  update(input: TrackerInput): string[]
}

const MAX_DETAIL = 120

function clip(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return t.length > MAX_DETAIL ? `${t.slice(0, MAX_DETAIL - 1)}…` : t
}

function titleOf(sessions: ReadonlyMap<string, ObservedSession>, id: string): string {
  return sessions.get(id)?.title || t('shell.announcements.untitled')
}

/**
 * The sentences for what changed between two observations of one project, in the current locale:
 * a root session that went from busy to idle ("Reply finished in …", or "Reply ended with an error
 * in …"), and each permission request and question not seen before. A session that disappeared
 * says nothing.
 */
export function announcementsBetween(before: ObservedProject, after: ObservedProject): string[] {
  const out: string[] = []
  const was = new Map(before.sessions.map((s) => [s.id, s]))
  const now = new Map(after.sessions.map((s) => [s.id, s]))
  for (const s of after.sessions) {
    if (s.busy || s.child || !was.get(s.id)?.busy) continue
    const title = titleOf(now, s.id)
    out.push(s.error ? t('shell.announcements.replyFailed', { title }) : t('shell.announcements.replyFinished', { title }))
  }
  const seenPermissions = new Set(before.permissions.map((p) => p.id))
  for (const p of after.permissions) {
    if (seenPermissions.has(p.id)) continue
    out.push(t('shell.announcements.permission', { title: titleOf(now, p.sessionID), detail: clip([p.permission, ...p.patterns].join(' ')) }))
  }
  const seenQuestions = new Set(before.questions.map((q) => q.id))
  for (const q of after.questions) {
    if (seenQuestions.has(q.id)) continue
    const first = q.questions[0]
    const title = titleOf(now, q.sessionID)
    out.push(first ? t('shell.announcements.question', { title, detail: clip(first.question || first.header) }) : t('shell.announcements.questionNoDetail', { title }))
  }
  return out
}

/**
 * A tracker for one tab: the first observation of a project once its load is `ready` is the
 * baseline (what was already there says nothing); later ones are compared with the previous. A
 * new directory, or one whose data was cleared (status `idle`: a server switch), starts over.
 */
export function createAnnouncementTracker(): AnnouncementTracker {
  let directory: string | undefined
  let previous: ObservedProject | undefined
  return {
    update(input) {
      if (input.directory !== directory || input.status === 'idle' || input.directory === undefined) {
        directory = input.directory
        previous = undefined
      }
      if (!previous) {
        if (input.status === 'ready') previous = input.observed
        return []
      }
      const out = announcementsBetween(previous, input.observed)
      previous = input.observed
      return out
    },
  }
}

/** A sentence for the live region; `id` keeps each one its own element. */
export interface Announcement {
  id: number
  text: string
}

/** Options of {@link useAnnouncements}. */
export interface UseAnnouncementsOptions {
  /** The project currently shown; only its sessions are announced. */
  directory: MaybeRefOrGetter<string | undefined>
  /** How many recent sentences the live region keeps (default 5). */
  keep?: number
}

/** What {@link useAnnouncements} returns. */
export interface Announcements {
  /** The recent sentences, oldest first (render each as its own element of an `aria-live` region). */
  messages: Readonly<ShallowRef<readonly Announcement[]>>
  /** Adds a sentence of the caller's own. */
  announce(text: string): void
}

/**
 * Sentences for a screen reader's live region about the shown project, from the sync store:
 * a reply finished (a root session went from busy to idle), a new permission request, a new
 * question. Nothing is said about what was there when the project's data was first loaded.
 * The watcher stops when the calling scope is disposed.
 */
export function useAnnouncements(options: UseAnnouncementsOptions): Announcements {
  const sync = useSyncStore()
  const keep = options.keep ?? 5
  const messages = shallowRef<readonly Announcement[]>([])
  const tracker = createAnnouncementTracker()
  let next = 0

  function announce(text: string): void {
    messages.value = [...messages.value, { id: next++, text }].slice(-keep)
  }

  const observed = computed<TrackerInput>(() => {
    const directory = toValue(options.directory)
    if (!directory) return { directory, status: 'idle', observed: { sessions: [], permissions: [], questions: [] } }
    const statuses = sync.statusesOf(directory)
    const sessions: ObservedSession[] = []
    const permissions: PermissionRequest[] = []
    const questions: QuestionRequest[] = []
    for (const s of sync.sessionsOf(directory)) {
      const status = statuses[s.id]
      const busy = status !== undefined && status.type !== 'idle'
      sessions.push({ id: s.id, title: s.title, busy, child: Boolean(s.parentID), error: sync.sessionErrorOf(directory, s.id) })
      permissions.push(...sync.permissionsOf(directory, s.id))
      questions.push(...sync.questionsOf(directory, s.id))
    }
    return { directory, status: sync.directoryMeta(directory).status, observed: { sessions, permissions, questions } }
  })

  const stop = watch(
    observed,
    (input) => {
      for (const text of tracker.update(input)) announce(text)
    },
    { immediate: true },
  )
  onScopeDispose(stop)

  return { messages, announce }
}
