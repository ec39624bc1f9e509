import { computed, nextTick, onScopeDispose, ref, toValue, type ComputedRef, type MaybeRefOrGetter, type Ref } from 'vue'
import type { Command } from '@opencode-ai/sdk/v2/types'

/** Which list is open: project files after `@`, or commands after `/` at the start. */
export type AutocompleteMode = 'file' | 'command'

/** One entry of the list. */
export interface AutocompleteSuggestion {
  key: string
  /** `/name` for a command, the relative path for a file (a folder's ends with `/`). */
  label: string
  /** A command's description. */
  detail?: string
  /** Puts the suggestion into the text and closes the list. */
  apply: () => void
}

/** What the text before the caret asks for: `/query` at the start, or `@query` after a space. */
export type AutocompleteTrigger = { mode: AutocompleteMode; query: string }

/** Longest list shown. */
const MAX_SUGGESTIONS = 30

/** The list the text before the caret opens, if any (a command wins over a file). */
export function autocompleteTrigger(before: string): AutocompleteTrigger | undefined {
  const cmd = /^\/([\w.:-]*)$/.exec(before)
  if (cmd) return { mode: 'command', query: cmd[1] }
  const file = /(?:^|\s)@([^\s@]*)$/.exec(before)
  if (file) return { mode: 'file', query: file[1] }
  return undefined
}

/**
 * The commands matching `query` (case-insensitive substring): names starting with it first, then
 * by name; at most 30.
 */
export function matchCommands<C extends Pick<Command, 'name'>>(commands: readonly C[], query: string): C[] {
  const q = query.toLowerCase()
  return commands
    .filter((c) => c.name.toLowerCase().includes(q))
    .sort((a, b) => Number(!a.name.toLowerCase().startsWith(q)) - Number(!b.name.toLowerCase().startsWith(q)) || a.name.localeCompare(b.name))
    .slice(0, MAX_SUGGESTIONS)
}

/** What the autocomplete needs of the text field (an `HTMLTextAreaElement` fits). */
export type CaretField = Pick<HTMLTextAreaElement, 'selectionStart' | 'focus' | 'setSelectionRange'>

/** The key event fields {@link UsePromptAutocompleteReturn.onKeydown} reads (a `KeyboardEvent` fits). */
export type AutocompleteKey = Pick<KeyboardEvent, 'key' | 'preventDefault' | 'stopPropagation'>

/** Options of {@link usePromptAutocomplete}. */
export interface UsePromptAutocompleteOptions {
  /** The prompt text; a chosen suggestion is written into it. */
  text: Ref<string>
  /** The text field: its caret says what to complete; it is focused after a suggestion is applied. */
  field: MaybeRefOrGetter<CaretField | null | undefined>
  /** The project's commands (for `/`). */
  commands: () => readonly Pick<Command, 'name' | 'description'>[]
  /** Project paths matching a query (for `@`); aborted when a newer search starts or the list closes. */
  findFiles: (query: string, signal: AbortSignal) => Promise<string[]>
  /** Called with the path of a chosen file (after it is written into the text). */
  onFile?: (path: string) => void
  /** Wait after the last keystroke before searching files, ms (default 120). */
  debounceMs?: number
}

/** What {@link usePromptAutocomplete} returns. */
export interface UsePromptAutocompleteReturn {
  /** The open list's kind; undefined when closed. Open with no entries while files are searched. */
  mode: Readonly<Ref<AutocompleteMode | undefined>>
  suggestions: Readonly<Ref<readonly AutocompleteSuggestion[]>>
  /** Index of the highlighted entry. */
  activeIndex: Readonly<Ref<number>>
  /** Whether the list is shown (open and not empty). */
  visible: ComputedRef<boolean>
  /** Opens, refreshes or closes the list for the text before the caret (after input or a click). */
  update(): void
  /** Closes the list and stops a file search. */
  close(): void
  /**
   * Handles a key of the text field: arrows move, Enter/Tab apply while the list is shown; Escape
   * closes an open list. Returns whether the key was used (then the caller ignores it).
   */
  onKeydown(ev: AutocompleteKey): boolean
}

/**
 * The prompt's autocomplete: `/` at the start lists the project's commands, `@` after a space or at
 * the start searches the project's files (debounced, the older search aborted). Applying an entry
 * replaces the typed `/query` or `@query` before the caret and moves the caret after it. Stops its
 * timer and search when the calling scope is disposed.
 */
export function usePromptAutocomplete(options: UsePromptAutocompleteOptions): UsePromptAutocompleteReturn {
  const { text } = options
  const debounceMs = options.debounceMs ?? 120
  const suggestions = ref<AutocompleteSuggestion[]>([])
  const activeIndex = ref(0)
  const mode = ref<AutocompleteMode | undefined>()
  const visible = computed(() => mode.value !== undefined && suggestions.value.length > 0)
  let searchTimer: ReturnType<typeof setTimeout> | undefined
  let searchAbort: AbortController | undefined
  let searchSeq = 0

  function caretContext(): { before: string; after: string } {
    const pos = toValue(options.field)?.selectionStart ?? text.value.length
    return { before: text.value.slice(0, pos), after: text.value.slice(pos) }
  }

  function replaceBeforeCaret(pattern: RegExp, replacement: string): void {
    const { before, after } = caretContext()
    const next = before.replace(pattern, replacement)
    text.value = next + after
    void nextTick(() => {
      const el = toValue(options.field)
      if (el) {
        el.focus()
        el.setSelectionRange(next.length, next.length)
      }
    })
  }

  function close(): void {
    mode.value = undefined
    suggestions.value = []
    activeIndex.value = 0
    clearTimeout(searchTimer)
    searchAbort?.abort()
  }

  function update(): void {
    const trigger = autocompleteTrigger(caretContext().before)
    if (trigger?.mode === 'command') {
      mode.value = 'command'
      suggestions.value = matchCommands(options.commands(), trigger.query).map((c) => ({
        key: `cmd:${c.name}`,
        label: `/${c.name}`,
        detail: c.description,
        apply: () => {
          replaceBeforeCaret(/\/[\w.:-]*$/, `/${c.name} `)
          close()
        },
      }))
      activeIndex.value = 0
      return
    }
    if (trigger?.mode === 'file') {
      mode.value = 'file'
      clearTimeout(searchTimer)
      searchTimer = setTimeout(() => void searchFiles(trigger.query), debounceMs)
      return
    }
    close()
  }

  async function searchFiles(q: string): Promise<void> {
    searchAbort?.abort()
    const controller = new AbortController()
    searchAbort = controller
    const seq = ++searchSeq
    try {
      const paths = await options.findFiles(q, controller.signal)
      if (seq !== searchSeq || mode.value !== 'file') return
      suggestions.value = paths.slice(0, MAX_SUGGESTIONS).map((path) => ({
        key: `file:${path}`,
        label: path,
        apply: () => {
          replaceBeforeCaret(/@[^\s@]*$/, `@${path} `)
          options.onFile?.(path)
          close()
        },
      }))
      activeIndex.value = 0
    } catch {
      if (seq === searchSeq) suggestions.value = []
    }
  }

  function onKeydown(ev: AutocompleteKey): boolean {
    const count = suggestions.value.length
    if (visible.value) {
      if (ev.key === 'ArrowDown') {
        ev.preventDefault()
        activeIndex.value = (activeIndex.value + 1) % count
        return true
      }
      if (ev.key === 'ArrowUp') {
        ev.preventDefault()
        activeIndex.value = (activeIndex.value - 1 + count) % count
        return true
      }
      if (ev.key === 'Enter' || ev.key === 'Tab') {
        ev.preventDefault()
        suggestions.value[activeIndex.value]?.apply()
        return true
      }
    }
    if (ev.key === 'Escape' && mode.value !== undefined) {
      ev.preventDefault()
      ev.stopPropagation()
      close()
      return true
    }
    return false
  }

  onScopeDispose(() => {
    clearTimeout(searchTimer)
    searchAbort?.abort()
  })

  return { mode, suggestions, activeIndex, visible, update, close, onKeydown }
}
