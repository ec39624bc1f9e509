import { computed, type ComputedRef, type Ref } from 'vue'
import { useSessionsStore } from '../stores/sessions.ts'
import { useChatStore } from '../stores/chat.ts'
import { useToastsStore } from '../stores/toasts.ts'
import { errorMessage } from '../api/opencode.ts'
import { navigate } from '../router.ts'
import { downloadText } from '../render/download.ts'
import { exportFileName, exportJson, exportMarkdown } from '../state/session-export.ts'

/** Options of {@link useSessionActions}. */
export interface UseSessionActionsOptions {
  directory: Readonly<Ref<string>>
  sessionID: Readonly<Ref<string>>
}

/** What {@link useSessionActions} returns: the session's actions, each reporting a failure in a toast (never throwing). */
export interface UseSessionActionsReturn {
  /** The link the session is shared at, undefined when not shared. */
  shareUrl: ComputedRef<string | undefined>
  /** Stops the running reply (`POST /session/{id}/abort`). */
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

  async function act(label: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run()
    } catch (err) {
      toasts.push(`${label} failed: ${errorMessage(err)}`, 'error')
    }
  }

  /** Runs an action that needs the prompt box's model, or says to pick one. */
  function withModel(label: string, run: (model: NonNullable<ReturnType<typeof chat.modelFor>>) => Promise<unknown>): void {
    const model = chat.modelFor(dir(), id())
    if (!model) {
      toasts.push('Pick a model first', 'error')
      return
    }
    void act(label, () => run(model))
  }

  return {
    shareUrl: computed(() => sessions.shareUrl(dir(), id())),
    abort: () => void act('Stop', () => sessions.abort(dir(), id())),
    rename(title) {
      const next = title.trim()
      if (next && next !== sessions.get(dir(), id())?.title) void act('Rename', () => sessions.rename(dir(), id(), next))
    },
    share: () =>
      void act('Share', async () => {
        const url = await sessions.share(dir(), id())
        try {
          if (!navigator.clipboard) throw new Error('no clipboard in this context')
          await navigator.clipboard.writeText(url)
          toasts.push(`Share link copied: ${url}`)
        } catch (err) {
          toasts.push(`Shared at ${url} (not copied: ${errorMessage(err)})`)
        }
      }),
    unshare: () =>
      void act('Unshare', async () => {
        await sessions.unshare(dir(), id())
        toasts.push('Sharing stopped')
      }),
    fork: (messageID) =>
      void act('Fork', async () => {
        const directory = dir()
        const s = await sessions.fork(directory, id(), messageID)
        toasts.push('Forked into a new session')
        navigate({ name: 'session', sessionID: s.id, directory })
      }),
    compact: () => withModel('Compact', (model) => sessions.summarize(dir(), id(), model)),
    init: () => withModel('Init', (model) => sessions.init(dir(), id(), model)),
    revert(messageID) {
      if (!confirm('Revert to before this message? Its file changes and everything after it are undone (you can restore them until you send again).')) return
      void act('Revert', () => sessions.revert(dir(), id(), messageID))
    },
    unrevert: () => void act('Restore', () => sessions.unrevert(dir(), id())),
    remove() {
      const directory = dir()
      if (!confirm(`Delete “${sessions.get(directory, id())?.title ?? id()}”? This cannot be undone.`)) return
      void act('Delete', async () => {
        await sessions.remove(directory, id())
        navigate({ name: 'home', directory })
      })
    },
    exportAs: (kind) =>
      void act('Export', async () => {
        const data = await sessions.readForExport(dir(), id())
        const name = exportFileName(data.info, kind)
        if (kind === 'md') downloadText(name, exportMarkdown(data), 'text/markdown')
        else downloadText(name, exportJson(data), 'application/json')
      }),
    copy: (text) => void navigator.clipboard?.writeText(text).then(() => toasts.push('Copied')),
  }
}
