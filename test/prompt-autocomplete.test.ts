/**
 * Issue 15: the prompt's `@`/`/` autocomplete (src/composables/usePromptAutocomplete.ts) without a
 * browser: the trigger and command matching as pure functions, and the composable in an effect
 * scope with a stand-in text field, fake timers and a scripted file search. The browser side
 * (the list's markup, mouse choice) is e2e/client-sessions.spec.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import {
  autocompleteTrigger,
  matchCommands,
  usePromptAutocomplete,
  type AutocompleteKey,
  type CaretField,
  type UsePromptAutocompleteOptions,
} from '../src/composables/usePromptAutocomplete.ts'

/** A text field whose caret the test sets; records focus and caret moves. */
function fakeField(caret: number | null = null) {
  const field = {
    selectionStart: caret,
    focused: 0,
    selections: [] as Array<[number, number]>,
    focus() {
      field.focused++
    },
    setSelectionRange(start: number, end: number) {
      field.selections.push([start, end])
    },
  }
  return field
}

function key(name: string): AutocompleteKey & { prevented: boolean; stopped: boolean } {
  const ev = {
    key: name,
    prevented: false,
    stopped: false,
    preventDefault() {
      ev.prevented = true
    },
    stopPropagation() {
      ev.stopped = true
    },
  }
  return ev
}

const COMMANDS = [
  { name: 'review', description: 'Review the diff' },
  { name: 'init' },
  { name: 'pre-review' },
  { name: 'Release' },
]

function setup(initial: string, overrides: Partial<UsePromptAutocompleteOptions> = {}) {
  const text = ref(initial)
  const field = fakeField()
  const findFiles = vi.fn<UsePromptAutocompleteOptions['findFiles']>(async () => [])
  const onFile = vi.fn<(path: string) => void>()
  const scope = effectScope()
  const ac = scope.run(() =>
    usePromptAutocomplete({ text, field: field as CaretField, commands: () => COMMANDS, findFiles, onFile, ...overrides }),
  )
  if (!ac) throw new Error('no scope')
  return { text, field, findFiles, onFile, scope, ac }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('autocompleteTrigger', () => {
  it('opens commands for `/word` at the very start only', () => {
    expect(autocompleteTrigger('/')).toEqual({ mode: 'command', query: '' })
    expect(autocompleteTrigger('/re.v:i-e_w')).toEqual({ mode: 'command', query: 're.v:i-e_w' })
    expect(autocompleteTrigger(' /re')).toBeUndefined()
    expect(autocompleteTrigger('/review now')).toBeUndefined()
  })

  it('opens files for `@path` at the start or after whitespace', () => {
    expect(autocompleteTrigger('@')).toEqual({ mode: 'file', query: '' })
    expect(autocompleteTrigger('look at @src/app.ts')).toEqual({ mode: 'file', query: 'src/app.ts' })
    expect(autocompleteTrigger('line\n@a')).toEqual({ mode: 'file', query: 'a' })
    expect(autocompleteTrigger('me@example')).toBeUndefined()
    expect(autocompleteTrigger('@a done')).toBeUndefined()
  })
})

describe('matchCommands', () => {
  it('matches case-insensitively, names starting with the query first, then by name', () => {
    expect(matchCommands(COMMANDS, 'RE').map((c) => c.name)).toEqual(['Release', 'review', 'pre-review'])
    expect(matchCommands(COMMANDS, '').map((c) => c.name)).toEqual(['init', 'pre-review', 'Release', 'review'])
    expect(matchCommands(COMMANDS, 'zzz')).toEqual([])
  })

  it('lists at most 30', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `cmd${String(i).padStart(2, '0')}` }))
    const matched = matchCommands(many, 'cmd')
    expect(matched).toHaveLength(30)
    expect(matched[0].name).toBe('cmd00')
  })
})

describe('usePromptAutocomplete', () => {
  it('lists commands for `/`, moves with the arrows (wrapping) and applies with Enter at the caret', async () => {
    const { text, field, ac, scope } = setup('/re')
    ac.update()
    expect(ac.mode.value).toBe('command')
    expect(ac.visible.value).toBe(true)
    expect(ac.suggestions.value.map((s) => [s.label, s.detail])).toEqual([
      ['/Release', undefined],
      ['/review', 'Review the diff'],
      ['/pre-review', undefined],
    ])
    const up = key('ArrowUp')
    expect(ac.onKeydown(up)).toBe(true)
    expect(up.prevented).toBe(true)
    expect(ac.activeIndex.value).toBe(2)
    ac.onKeydown(key('ArrowDown'))
    ac.onKeydown(key('ArrowDown'))
    expect(ac.activeIndex.value).toBe(1)
    const enter = key('Enter')
    expect(ac.onKeydown(enter)).toBe(true)
    expect(enter.prevented).toBe(true)
    expect(text.value).toBe('/review ')
    expect(ac.mode.value).toBeUndefined()
    expect(ac.suggestions.value).toEqual([])
    await nextTick()
    expect(field.focused).toBe(1)
    expect(field.selections).toEqual([[8, 8]])
    scope.stop()
  })

  it('completes at the caret, keeping the text after it', async () => {
    const { text, field, ac, scope } = setup('/in and more')
    field.selectionStart = 3
    ac.update()
    expect(ac.suggestions.value.map((s) => s.label)).toEqual(['/init'])
    expect(ac.onKeydown(key('Tab'))).toBe(true)
    expect(text.value).toBe('/init  and more')
    await nextTick()
    expect(field.selections).toEqual([[6, 6]])
    scope.stop()
  })

  it('searches files after `@` once typing pauses, aborting the older search, and attaches the chosen one', async () => {
    vi.useFakeTimers()
    const { text, ac, findFiles, onFile, scope } = setup('see @s')
    findFiles.mockImplementation(async (q) => (q === 'src' ? ['src/', 'src/app.ts'] : ['s.txt']))
    ac.update()
    expect(ac.mode.value).toBe('file')
    expect(ac.visible.value).toBe(false)
    vi.advanceTimersByTime(100)
    text.value = 'see @src'
    ac.update()
    vi.advanceTimersByTime(119)
    expect(findFiles).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(findFiles).toHaveBeenCalledTimes(1)
    expect(findFiles.mock.calls[0][0]).toBe('src')
    expect(ac.suggestions.value.map((s) => s.label)).toEqual(['src/', 'src/app.ts'])
    expect(ac.onKeydown(key('ArrowDown'))).toBe(true)
    expect(ac.onKeydown(key('Enter'))).toBe(true)
    expect(text.value).toBe('see @src/app.ts ')
    expect(onFile).toHaveBeenCalledWith('src/app.ts')
    expect(ac.mode.value).toBeUndefined()
    scope.stop()
  })

  it('drops a search answered after a newer one started, and empties the list when a search fails', async () => {
    vi.useFakeTimers()
    const answers = new Map<string, (paths: string[]) => void>()
    const signals: AbortSignal[] = []
    const { text, ac, scope } = setup('@a', {
      findFiles: (q, signal) => {
        signals.push(signal)
        return new Promise((resolve) => answers.set(q, resolve))
      },
    })
    ac.update()
    await vi.advanceTimersByTimeAsync(120)
    text.value = '@ab'
    ac.update()
    await vi.advanceTimersByTimeAsync(120)
    expect(signals.map((s) => s.aborted)).toEqual([true, false])
    answers.get('ab')?.(['ab.ts'])
    answers.get('a')?.(['a.ts'])
    await vi.advanceTimersByTimeAsync(0)
    expect(ac.suggestions.value.map((s) => s.label)).toEqual(['ab.ts'])
    scope.stop()

    const failing = setup('@x', { findFiles: async () => Promise.reject(new Error('offline')) })
    failing.ac.update()
    await vi.advanceTimersByTimeAsync(120)
    expect(failing.ac.mode.value).toBe('file')
    expect(failing.ac.suggestions.value).toEqual([])
    failing.scope.stop()
  })

  it('Escape closes an open list, even one still searching; otherwise keys are left to the caller', async () => {
    vi.useFakeTimers()
    const { ac, findFiles, scope } = setup('@sr')
    ac.update()
    const esc = key('Escape')
    expect(ac.onKeydown(esc)).toBe(true)
    expect(esc.prevented && esc.stopped).toBe(true)
    expect(ac.mode.value).toBeUndefined()
    await vi.advanceTimersByTimeAsync(500)
    expect(findFiles).not.toHaveBeenCalled()
    const again = key('Escape')
    expect(ac.onKeydown(again)).toBe(false)
    expect(again.prevented).toBe(false)
    // With the list open but empty, arrows and Enter are not taken.
    ac.update()
    expect(ac.onKeydown(key('Enter'))).toBe(false)
    expect(ac.onKeydown(key('ArrowDown'))).toBe(false)
    scope.stop()
  })

  it('closes when the text before the caret asks for nothing', () => {
    const { text, ac, scope } = setup('/re')
    ac.update()
    expect(ac.visible.value).toBe(true)
    text.value = '/review this'
    ac.update()
    expect(ac.mode.value).toBeUndefined()
    expect(ac.suggestions.value).toEqual([])
    scope.stop()
  })

  it('stops a pending search when its scope is disposed', async () => {
    vi.useFakeTimers()
    const { ac, findFiles, scope } = setup('@src')
    ac.update()
    scope.stop()
    await vi.advanceTimersByTimeAsync(500)
    expect(findFiles).not.toHaveBeenCalled()
  })
})
