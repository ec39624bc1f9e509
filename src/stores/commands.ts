/**
 * The command registry behind the command palette (Ctrl/Cmd+Shift+P, src/components/shell/
 * CommandPalette.vue). The app shell registers the app's own actions (src/App.vue); a view
 * registers what it offers while it is shown, in its setup:
 *
 * ```ts
 * onScopeDispose(useCommandsStore().register(computed(() => [...])))
 * ```
 *
 * A registration is a list, or a ref/getter of one, so titles and `enabled` can follow state.
 */
import { defineStore } from 'pinia'
import { computed, shallowRef, toValue, type MaybeRefOrGetter } from 'vue'
import { errorMessage } from '../api/opencode.ts'
import { useToastsStore } from './toasts.ts'
import { t } from '../i18n/index.ts'

/** One action of the command palette. */
export interface Command {
  /** Unique id (`session.new`); while two registrations have the same id, the later one is listed. */
  id: string
  /** What the palette lists ("New session"), in the current locale. */
  title: string
  /** Shown beside the title and matched by the filter ("Session", "Appearance", "Switch project"). */
  group: string
  /**
   * The shortcut that does the same, in `Mod+Shift+P` notation (`Mod` is Ctrl, ⌘ on macOS):
   * shown in the palette, never bound by it.
   */
  shortcut?: string
  /** Secondary text (a project's path), shown faint and matched by the filter. */
  detail?: string
  /** The title is data, not UI text (a project's name): shown with `translate="no"`. */
  titleIsData?: boolean
  /** The detail is data (a project's path): shown with `translate="no"`. */
  detailIsData?: boolean
  /** Runs the action; a rejection becomes an error toast. */
  run: () => void | Promise<unknown>
  /** Whether the command can run now (default: always); disabled commands are not listed. */
  enabled?: () => boolean
}

/** What {@link useCommandsStore}'s `register` takes: a list, or a ref or getter of one. */
export type CommandSource = MaybeRefOrGetter<readonly Command[]>

/**
 * The commands matching `query`, best first: every whitespace-separated word of the query must
 * occur (case-insensitive) in the group, title or detail; titles starting with the query come
 * first, then titles containing it, then the rest, each in the given order.
 */
export function filterCommands(commands: readonly Command[], query: string): Command[] {
  const q = query.trim().toLowerCase()
  if (!q) return [...commands]
  const words = q.split(/\s+/)
  const rank = (c: Command): number => {
    const title = c.title.toLowerCase()
    return title.startsWith(q) ? 0 : title.includes(q) ? 1 : 2
  }
  return commands
    .filter((c) => {
      const text = `${c.group} ${c.title} ${c.detail ?? ''}`.toLowerCase()
      return words.every((w) => text.includes(w))
    })
    .map((c, i) => ({ c, i, r: rank(c) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c)
}

/** Whether the browser runs on macOS or iOS (shortcuts are shown with ⌘ there). */
export function isApplePlatform(): boolean {
  if (typeof navigator === 'undefined') return false
  return /Mac|iPhone|iPad|iPod/.test(navigator.platform || navigator.userAgent)
}

const APPLE_KEYS: Record<string, string> = { Mod: '⌘', Shift: '⇧', Alt: '⌥', Ctrl: '⌃' }

/** A named key as shown, in the current locale (`Ctrl`, `Shift`, `Escape`…); other keys as they are. */
function keyName(key: string): string {
  switch (key) {
    case 'Mod':
    case 'Ctrl':
      return t('shell.keys.ctrl')
    case 'Shift':
      return t('shell.keys.shift')
    case 'Alt':
      return t('shell.keys.alt')
    case 'Escape':
      return t('shell.keys.escape')
    case 'Enter':
      return t('shell.keys.enter')
    default:
      return key
  }
}

/** A `Mod+Shift+P` shortcut as shown: `Ctrl+Shift+P`, or `⌘⇧P` on Apple platforms (key names in the current locale). */
export function shortcutLabel(shortcut: string, apple: boolean): string {
  const keys = shortcut.split('+').map((k) => (k.length === 1 ? k.toUpperCase() : k))
  if (apple) return keys.map((k) => APPLE_KEYS[k] ?? keyName(k)).join('')
  return keys.map(keyName).join('+')
}

/** A `Mod+Shift+P` shortcut in `aria-keyshortcuts` syntax: `Control+Shift+P`, or `Meta+Shift+P` on Apple platforms. */
export function ariaKeyshortcuts(shortcut: string, apple: boolean): string {
  const names: Record<string, string> = { Mod: apple ? 'Meta' : 'Control', Ctrl: 'Control' }
  return shortcut
    .split('+')
    .map((k) => names[k] ?? (k.length === 1 ? k.toUpperCase() : k))
    .join('+')
}

/**
 * The registry. Getters: `all` (every registered command, one per id), `available` (those
 * enabled now). Actions: `register(source)` (returns its dispose function; call it on scope
 * dispose), `execute(id)` (runs an available command; its failure is toasted).
 */
export const useCommandsStore = defineStore('commands', () => {
  const sources = shallowRef<ReadonlyArray<{ key: number; source: CommandSource }>>([])
  let nextKey = 0

  /** Every registered command in registration order; for a repeated id, the latest registration's. */
  const all = computed<Command[]>(() => {
    const byId = new Map<string, Command>()
    for (const { source } of sources.value) {
      for (const c of toValue(source)) {
        byId.delete(c.id)
        byId.set(c.id, c)
      }
    }
    return [...byId.values()]
  })

  /** The commands that can run now (what the palette lists). */
  const available = computed<Command[]>(() => all.value.filter((c) => c.enabled?.() ?? true))

  /**
   * Adds commands to the palette until the returned function is called (idempotent). A component
   * calls it in setup: `onScopeDispose(commands.register(...))`.
   */
  function register(source: CommandSource): () => void {
    const key = nextKey++
    sources.value = [...sources.value, { key, source }]
    let disposed = false
    return () => {
      if (disposed) return
      disposed = true
      sources.value = sources.value.filter((s) => s.key !== key)
    }
  }

  /**
   * Runs the command `id` if it is registered and enabled; a throw or rejection is shown as an
   * error toast ("<title> failed: …"). Never rejects.
   * @returns whether the command ran and succeeded.
   */
  async function execute(id: string): Promise<boolean> {
    const command = all.value.find((c) => c.id === id)
    if (!command || !(command.enabled?.() ?? true)) return false
    try {
      await command.run()
      return true
    } catch (err) {
      useToastsStore().push(t('shell.commands.failed', { title: command.title, error: errorMessage(err) }), 'error')
      return false
    }
  }

  return { all, available, register, execute }
})
