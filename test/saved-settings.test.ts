/**
 * The saved settings read without Pinia (src/stores/saved-settings.ts), as the prefetch entry reads
 * the theme before anything paints: what the settings store saved, defaults for anything else.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { savedSettings, SETTINGS_KEY } from '../src/stores/saved-settings.ts'
import { setStorage, type KeyValueStorage } from '../src/stores/storage.ts'

function storageWith(value: string | null): KeyValueStorage {
  return { getItem: (key) => (key === SETTINGS_KEY ? value : null), setItem: () => undefined, removeItem: () => undefined }
}

afterEach(() => setStorage(undefined))

describe('saved settings', () => {
  it('reads the theme the settings store saved', () => {
    setStorage(storageWith(JSON.stringify({ notifications: true, sleepProtection: false, theme: 'dark' })))
    expect(savedSettings()).toEqual({ notifications: true, sleepProtection: false, theme: 'dark' })
  })

  it('gives the defaults for nothing saved, unparsable JSON or an unknown theme', () => {
    for (const value of [null, '{not json', JSON.stringify({ theme: 'neon' })]) {
      setStorage(storageWith(value))
      expect(savedSettings()).toEqual({ notifications: false, sleepProtection: false, theme: 'system' })
    }
  })
})
