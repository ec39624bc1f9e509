import { onScopeDispose, watchEffect } from 'vue'
import { useSettingsStore } from '../stores/settings.ts'
import { applyTheme } from '../stores/saved-settings.ts'

/**
 * Applies the theme preference to `<html>`: `data-theme="light|dark"`, or no attribute for
 * `system` (the stylesheet then follows `prefers-color-scheme`). Also sets `color-scheme` so
 * native controls match.
 */
export function useTheme(): void {
  const settings = useSettingsStore()
  const stop = watchEffect(() => applyTheme(settings.theme))
  onScopeDispose(stop)
}
