/**
 * The user's preferences as stored in `localStorage` (`opencode-relay:settings`): their shape, how
 * they are narrowed, and how the theme is applied to the page. Free of Vue and Pinia: the settings
 * store (src/stores/settings.ts) keeps them, and the tiny prefetch entry (src/prefetch.ts) applies
 * the saved theme before anything paints (the first-paint preview, the app's shell), so a page in a
 * chosen theme never flashes the system's one first.
 */
import { isRecord } from '../../sw/shared/guards.ts'
import { readJson } from './storage.ts'

/** `localStorage` key of the settings. */
export const SETTINGS_KEY = 'opencode-relay:settings'

/** Theme preference; `system` follows `prefers-color-scheme`. */
export type ThemePreference = 'system' | 'light' | 'dark'

/** The persisted shape. */
export interface Settings {
  notifications: boolean
  sleepProtection: boolean
  theme: ThemePreference
}

/** Defaults for a new browser profile. */
export const DEFAULT_SETTINGS: Settings = { notifications: false, sleepProtection: false, theme: 'system' }

/** Narrows stored JSON to {@link Settings}, filling defaults for missing or wrong fields. */
export function parseSettings(json: unknown): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS }
  if (!isRecord(json)) return out
  if (typeof json.notifications === 'boolean') out.notifications = json.notifications
  if (typeof json.sleepProtection === 'boolean') out.sleepProtection = json.sleepProtection
  if (json.theme === 'light' || json.theme === 'dark' || json.theme === 'system') out.theme = json.theme
  return out
}

/** The saved settings (defaults where nothing valid is stored). */
export function savedSettings(): Settings {
  return parseSettings(readJson(SETTINGS_KEY))
}

/**
 * Applies a theme preference to `root` (default `<html>`): `data-theme="light|dark"`, or no
 * attribute for `system` (tokens.css then follows `prefers-color-scheme`).
 */
export function applyTheme(theme: ThemePreference, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') root.removeAttribute('data-theme')
  else root.setAttribute('data-theme', theme)
}
