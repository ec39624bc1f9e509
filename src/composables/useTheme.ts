import { onScopeDispose, watchEffect } from 'vue'
import { useSettingsStore } from '../stores/settings.ts'

/**
 * Applies the theme preference to `<html>`: `data-theme="light|dark"`, or no attribute for
 * `system` (the stylesheet then follows `prefers-color-scheme`). Also sets `color-scheme` so
 * native controls match.
 */
export function useTheme(): void {
  const settings = useSettingsStore()
  const stop = watchEffect(() => {
    const root = document.documentElement
    if (settings.theme === 'system') root.removeAttribute('data-theme')
    else root.setAttribute('data-theme', settings.theme)
  })
  onScopeDispose(stop)
}
