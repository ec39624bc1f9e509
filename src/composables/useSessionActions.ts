import { computed, type ComputedRef, type Ref } from 'vue'
import { useSessionsStore } from '../stores/sessions.ts'
import { useChatStore } from '../stores/chat.ts'
import { useToastsStore } from '../stores/toasts.ts'
import { errorMessage } from '../api/opencode.ts'
import { navigate } from '../router.ts'
import { downloadText } from '../render/download.ts'
import { exportFileName, exportJson, exportMarkdown } from '../state/session-export.ts'
import { t, type MessageKey } from '../i18n/index.ts'

/** Options of {@link useSessionActions}. */
export interface UseSessionActionsOptions {
  directory: Readonly<Ref<string>>
  sessionID: Readonly<Ref<string>>
}

/** What {@link useSessionActions} returns: the session's actions, each reporting a failure in a toast (never throwing). */
export interface UseSessionActionsReturn {
  /** The link the session is shared at, undefined when not shared. */
  shareUrl: ComputedRef<string | undefined>
  /** Stops the running reply (`POST /session/{id}/abort`, through the relay's outbox: the chat store's `abort`). */
  abort(): void
  /** Renames the session (`PATCH /session/{id}`); an empty or unchanged title does nothing. */
  rename(title: string): void
  /** Shares the session; the link is copied and shown in a toast, or the toast says why the server gave none. */
  share(): void
  /** Stops sharing; the toast confirms it or says why the server refused. */
  unshare(): void
  /** Forks into a new session with the messages before `messageID` (all without it) and opens it. */
  fork(messageID?: string): void
  /** Summarizes the session with the prompt box's model (`POST /session/{id}/summarize`). */
  compact(): void
  /** Writes AGENTS.md with the prompt box's model (`POST /session/{id}/init`). */
  init(): void
  /** Reverts to before a message after the user confirms (its file changes are undone). */
  revert(messageID: string): void
  /** Restores what the last revert undid. */
  unrevert(): void
  /** Deletes the session after the user confirms, then opens the project's home. */
  remove(): void
  /** Saves the whole session (read from the server) as Markdown or as JSON in `opencode export`'s shape. */
  exportAs(kind: 'md' | 'json'): void
  /** Copies text to the clipboard; a toast confirms it. */
  copy(text: string): void
}

/** The actions of one session's header, menu, transcript and command palette entries. */
export function useSessionActions(options: UseSessionActionsOptions): UseSessionActionsReturn {
  const sessions = useSessionsStore()
  const chat = useChatStore()
  const toasts = useToastsStore()
  const dir = () => options.directory.value
  const id = () => options.sessionID.value

  /** Runs an action; a failure is toasted with the message `failed` (its `{error}` filled). */
  async function act(failed: MessageKey, run: () => Promise<unknown>): Promise<void> {
    try {
      await run()
    } catch (err) {
      toasts.push(t(failed, { error: errorMessage(err) }), 'error')
    }
  }

  /** Runs an action that needs the prompt box's model, or says to pick one. */
  function withModel(failed: MessageKey, run: (model: NonNullable<ReturnType<typeof chat.modelFor>>) => Promise<unknown>): void {
    const model = chat.modelFor(dir(), id())
    if (!model) {
      toasts.push(t('session.actions.pickModel'), 'error')
      return
    }
    void act(failed, () => run(model))
  }

  return {
    shareUrl: computed(() => sessions.shareUrl(dir(), id())),
    abort: () => void act('session.actions.stopFailed', () => chat.abort(dir(), id())),
    rename(title) {
      const next = title.trim()
      if (next && next !== sessions.get(dir(), id())?.title) void act('session.actions.renameFailed', () => sessions.rename(dir(), id(), next))
    },
    share: () =>
      void act('session.actions.shareFailed', async () => {
        const url = await sessions.share(dir(), id())
        try {
          if (!navigator.clipboard) throw new Error(t('session.actions.noClipboard'))
          await navigator.clipboard.writeText(url)
          toasts.push(t('session.actions.shareCopied', { url }))
        } catch (err) {
          toasts.push(t('session.actions.sharedNotCopied', { url, error: errorMessage(err) }))
        }
      }),
    unshare: () =>
      void act('session.actions.unshareFailed', async () => {
        await sessions.unshare(dir(), id())
        toasts.push(t('session.actions.shareStopped'))
      }),
    fork: (messageID) =>
      void act('session.actions.forkFailed', async () => {
        const directory = dir()
        const s = await sessions.fork(directory, id(), messageID)
        toasts.push(t('session.actions.forked'))
        navigate({ name: 'session', sessionID: s.id, directory })
      }),
    compact: () => withModel('session.actions.compactFailed', (model) => sessions.summarize(dir(), id(), model)),
    init: () => withModel('session.actions.initFailed', (model) => sessions.init(dir(), id(), model)),
    revert(messageID) {
      if (!confirm(t('session.actions.confirmRevert'))) return
      void act('session.actions.revertFailed', () => sessions.revert(dir(), id(), messageID))
    },
    unrevert: () => void act('session.actions.restoreFailed', () => sessions.unrevert(dir(), id())),
    remove() {
      const directory = dir()
      if (!confirm(t('session.actions.confirmDelete', { title: sessions.get(directory, id())?.title ?? id() }))) return
      void act('session.actions.deleteFailed', async () => {
        await sessions.remove(directory, id())
        navigate({ name: 'home', directory })
      })
    },
    exportAs: (kind) =>
      void act('session.actions.exportFailed', async () => {
        const data = await sessions.readForExport(dir(), id())
        const name = exportFileName(data.info, kind)
        if (kind === 'md') downloadText(name, exportMarkdown(data), 'text/markdown')
        else downloadText(name, exportJson(data), 'application/json')
      }),
    copy: (text) => void navigator.clipboard?.writeText(text).then(() => toasts.push(t('session.actions.copied'))),
  }
}
