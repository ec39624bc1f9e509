import { onScopeDispose, ref, toValue, watch, type MaybeRefOrGetter, type Ref } from 'vue'
import { serverErrorMessage, type TextMatch } from '../api/opencode.ts'
import { useServerStore } from '../stores/server.ts'

/** What the Files panel's search box looks for: file names (quick open) or text in files. */
export type FilesSearchMode = 'name' | 'text'

/** One text-search hit, flattened for the list: file, 1-based line, the line's text and the matched spans. */
export interface TextHit {
  path: string
  line: number
  text: string
  /** Matched spans as character offsets in `text` (`start` inclusive, `end` exclusive). */
  spans: Array<{ start: number; end: number }>
}

/** Text-search hits grouped by file, in the server's order. */
export interface TextHitGroup {
  path: string
  hits: TextHit[]
}

/** Options of {@link useFilesSearch}. */
export interface UseFilesSearchOptions {
  /** The project directory searched. */
  directory: MaybeRefOrGetter<string>
  /** Delay after the last keystroke before a search runs, ms (default 200). */
  debounceMs?: number
}

/** What {@link useFilesSearch} returns. */
export interface UseFilesSearchReturn {
  query: Ref<string>
  mode: Ref<FilesSearchMode>
  /** Matching file paths (quick open), relative to the project; folders left out. */
  names: Ref<string[]>
  /** Text hits by file. */
  groups: Ref<TextHitGroup[]>
  /** Whether a search runs. */
  loading: Ref<boolean>
  /** The server's reason when the last search failed. */
  error: Ref<string | undefined>
  /** Runs the search now (Enter), without waiting for the debounce. */
  run(): Promise<void>
}

/** Most text hits kept (ripgrep can match every line of a project). */
export const MAX_TEXT_HITS = 500

/**
 * Character offsets of ripgrep's byte offsets in a line (its `submatches` count UTF-8 bytes).
 * Exported for tests.
 */
export function byteToCharOffset(text: string, byteOffset: number): number {
  const bytes = new TextEncoder().encode(text)
  return new TextDecoder().decode(bytes.slice(0, byteOffset)).length
}

/**
 * Groups `GET /find?pattern=` matches by file (first appearance order), at most
 * {@link MAX_TEXT_HITS} hits; line text without its newline.
 */
export function groupTextMatches(matches: readonly TextMatch[]): TextHitGroup[] {
  const groups = new Map<string, TextHitGroup>()
  for (const m of matches.slice(0, MAX_TEXT_HITS)) {
    const path = m.path.text
    const text = m.lines.text.replace(/\r?\n$/, '')
    const spans = m.submatches.map((s) => ({ start: byteToCharOffset(text, s.start), end: byteToCharOffset(text, s.end) }))
    let group = groups.get(path)
    if (!group) groups.set(path, (group = { path, hits: [] }))
    group.hits.push({ path, line: m.line_number, text, spans })
  }
  return [...groups.values()]
}

/**
 * The Files panel's search: by name (`GET /find/file?query=`, SDK `find.files`; paths ending in
 * `/` are folders and left out) or by text (`GET /find?pattern=`, SDK `find.text`, a ripgrep
 * regular expression), debounced as the query changes; an older answer never replaces a newer one.
 * A blank query clears the results. Stops its timer when the calling scope ends.
 */
export function useFilesSearch(options: UseFilesSearchOptions): UseFilesSearchReturn {
  const server = useServerStore()
  const query = ref('')
  const mode = ref<FilesSearchMode>('name')
  const names = ref<string[]>([])
  const groups = ref<TextHitGroup[]>([])
  const loading = ref(false)
  const error = ref<string | undefined>()
  let seq = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  async function run(): Promise<void> {
    clearTimeout(timer)
    const id = ++seq
    const q = query.value.trim()
    const directory = toValue(options.directory)
    if (!q) {
      names.value = []
      groups.value = []
      error.value = undefined
      loading.value = false
      return
    }
    loading.value = true
    try {
      if (mode.value === 'name') {
        const found = await server.api.findFiles(directory, q)
        if (id !== seq) return
        names.value = found.filter((p) => !p.endsWith('/'))
      } else {
        const found = await server.api.findText(directory, q)
        if (id !== seq) return
        groups.value = groupTextMatches(found)
      }
      error.value = undefined
    } catch (err) {
      if (id !== seq) return
      names.value = []
      groups.value = []
      error.value = serverErrorMessage(err)
    } finally {
      if (id === seq) loading.value = false
    }
  }

  watch([query, mode, () => toValue(options.directory)], () => {
    clearTimeout(timer)
    timer = setTimeout(() => void run(), options.debounceMs ?? 200)
  })
  onScopeDispose(() => clearTimeout(timer))

  return { query, mode, names, groups, loading, error, run }
}
