/**
 * User preferences, persisted in `localStorage` under `opencode-relay:settings`: system
 * notifications (opt-in), theme, and the "Desktop sleep protection" placeholder whose companion
 * CLI integration comes later.
 */
import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { isRecord, readJson, writeJson } from './storage.ts'

const KEY = 'opencode-relay:settings'

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

/**
 * Persisted preferences: `notifications`, `sleepProtection` (+ `sleepProtectionStatus` text),
 * `theme`, `notificationPermission`. Actions: `setNotifications(on)` (asks the browser),
 * `setSleepProtection(on)`, `setTheme(theme)`.
 */
export const useSettingsStore = defineStore('settings', () => {
  const initial = parseSettings(readJson(KEY))
  /** Show system notifications when the relay asks this tab to (needs the browser permission too). */
  const notifications = ref(initial.notifications)
  /** Keep the desktop awake while a session works (companion CLI; placeholder for now). */
  const sleepProtection = ref(initial.sleepProtection)
  /** Status text of sleep protection, set by the companion integration once it exists. */
  const sleepProtectionStatus = ref('Companion not connected: install the desktop helper to keep this machine awake while sessions run.')
  const theme = ref<ThemePreference>(initial.theme)
  /** Browser notification permission as last seen (`default` | `granted` | `denied` | `unsupported`). */
  const notificationPermission = ref<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  )

  watch([notifications, sleepProtection, theme], () => {
    writeJson(KEY, { notifications: notifications.value, sleepProtection: sleepProtection.value, theme: theme.value })
  })

  /**
   * Turns notifications on or off. Turning them on asks the browser for permission first and
   * stays off when it is refused.
   * @returns whether notifications are on afterwards.
   */
  async function setNotifications(on: boolean): Promise<boolean> {
    if (!on) {
      notifications.value = false
      return false
    }
    if (typeof Notification === 'undefined') {
      notificationPermission.value = 'unsupported'
      return false
    }
    let permission = Notification.permission
    if (permission === 'default') permission = await Notification.requestPermission()
    notificationPermission.value = permission
    notifications.value = permission === 'granted'
    return notifications.value
  }

  function setSleepProtection(on: boolean): void {
    sleepProtection.value = on
  }

  function setTheme(value: ThemePreference): void {
    theme.value = value
  }

  return {
    notifications,
    sleepProtection,
    sleepProtectionStatus,
    theme,
    notificationPermission,
    setNotifications,
    setSleepProtection,
    setTheme,
  }
})
