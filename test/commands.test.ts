/**
 * The command palette's registry (src/stores/commands.ts): registrations come and go with the
 * components that made them, the latest registration of an id wins, disabled commands are not
 * listed, a failing command becomes a toast; the filter and the shortcut labels.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { computed, effectScope, onScopeDispose, ref } from 'vue'
import { ariaKeyshortcuts, filterCommands, shortcutLabel, useCommandsStore, type Command } from '../src/stores/commands.ts'
import { useToastsStore } from '../src/stores/toasts.ts'
import { setStorage } from '../src/stores/storage.ts'
import { memoryStorage } from './support/stub-relay.ts'

const command = (id: string, title: string, extra: Partial<Command> = {}): Command => ({ id, title, group: 'Test', run: () => undefined, ...extra })

beforeEach(() => {
  setStorage(memoryStorage())
  setActivePinia(createPinia())
})
afterEach(() => setStorage(undefined))

describe('useCommandsStore', () => {
  it('lists what a scope registered until the scope is disposed', () => {
    const commands = useCommandsStore()
    commands.register([command('app.one', 'One')])
    const scope = effectScope()
    scope.run(() => onScopeDispose(commands.register([command('view.two', 'Two')])))
    expect(commands.all.map((c) => c.id)).toEqual(['app.one', 'view.two'])
    scope.stop()
    expect(commands.all.map((c) => c.id)).toEqual(['app.one'])
  })

  it('lists the latest registration of an id, and the earlier again once that one is gone', () => {
    const commands = useCommandsStore()
    commands.register([command('x', 'From the app')])
    const dispose = commands.register([command('x', 'From the view')])
    expect(commands.all.map((c) => c.title)).toEqual(['From the view'])
    dispose()
    dispose()
    expect(commands.all.map((c) => c.title)).toEqual(['From the app'])
  })

  it('follows a reactive registration and hides disabled commands', () => {
    const commands = useCommandsStore()
    const projects = ref(['/a'])
    const busy = ref(false)
    commands.register(
      computed(() => [
        command('stop', 'Stop', { enabled: () => busy.value }),
        ...projects.value.map((p) => command(`project:${p}`, p)),
      ]),
    )
    expect(commands.available.map((c) => c.id)).toEqual(['project:/a'])
    projects.value = ['/a', '/b']
    busy.value = true
    expect(commands.available.map((c) => c.id)).toEqual(['stop', 'project:/a', 'project:/b'])
    expect(commands.all).toHaveLength(3)
  })

  it('runs an enabled command, refuses a disabled or unknown one, and toasts a failure', async () => {
    const commands = useCommandsStore()
    const ran: string[] = []
    commands.register([
      command('ok', 'Fine', { run: () => void ran.push('ok') }),
      command('off', 'Off', { run: () => void ran.push('off'), enabled: () => false }),
      command('bad', 'Export', { run: () => Promise.reject(new Error('disk full')) }),
    ])
    expect(await commands.execute('ok')).toBe(true)
    expect(await commands.execute('off')).toBe(false)
    expect(await commands.execute('nope')).toBe(false)
    expect(ran).toEqual(['ok'])
    expect(await commands.execute('bad')).toBe(false)
    expect(useToastsStore().toasts.map((t) => [t.kind, t.text])).toEqual([['error', 'Export failed: disk full']])
  })
})

describe('filterCommands', () => {
  const list = [
    command('theme', 'Toggle theme', { group: 'Appearance' }),
    command('new', 'New session', { group: 'Session' }),
    command('switch', 'Switch session…', { group: 'Session', shortcut: 'Mod+K' }),
    command('proj', 'relay', { group: 'Switch project', detail: '/home/me/relay' }),
  ]

  it('keeps everything, in order, for an empty query', () => {
    expect(filterCommands(list, '  ').map((c) => c.id)).toEqual(['theme', 'new', 'switch', 'proj'])
  })

  it('matches every word in the group, title or detail, case-insensitively', () => {
    expect(filterCommands(list, 'SESSION').map((c) => c.id)).toEqual(['new', 'switch'])
    expect(filterCommands(list, 'switch me/rel').map((c) => c.id)).toEqual(['proj'])
    expect(filterCommands(list, 'appearance toggle').map((c) => c.id)).toEqual(['theme'])
    expect(filterCommands(list, 'nothing like this')).toEqual([])
  })

  it('puts titles starting with the query first, then titles containing it, then the rest', () => {
    const ranked = [
      command('group', 'Dark', { group: 'Theme' }),
      command('contains', 'Toggle theme'),
      command('starts', 'Theme: follow the system'),
    ]
    expect(filterCommands(ranked, 'theme').map((c) => c.id)).toEqual(['starts', 'contains', 'group'])
  })
})

describe('shortcut labels', () => {
  it('say Ctrl elsewhere and ⌘ on Apple platforms', () => {
    expect(shortcutLabel('Mod+Shift+p', false)).toBe('Ctrl+Shift+P')
    expect(shortcutLabel('Mod+Shift+p', true)).toBe('⌘⇧P')
    expect(shortcutLabel('Mod+,', false)).toBe('Ctrl+,')
    expect(shortcutLabel('Escape', true)).toBe('Escape')
  })

  it('name the keys for aria-keyshortcuts', () => {
    expect(ariaKeyshortcuts('Mod+Shift+p', false)).toBe('Control+Shift+P')
    expect(ariaKeyshortcuts('Mod+K', true)).toBe('Meta+K')
  })
})
