/**
 * User preferences, persisted in `localStorage` under `opencode-relay:settings` (shape and parsing:
 * src/stores/saved-settings.ts, which the prefetch entry reads too): system
 * notifications (opt-in), theme, and desktop sleep protection.
 *
 * Sleep protection talks to `relay-awake`, the companion the launcher runs with
 * `npm start -- --awake` (src/cli/awake/, client sw/shared/awake-client.ts). The pairing (URL + token)
 * comes from the `awake` section of `/relay-config.json`. The toggle is the source of truth: it is
 * pushed with `POST /enabled` when toggled and whenever a companion process is first seen (a
 * restarted companion starts enabled). `GET /status` is polled every 2 s while the settings panel
 * is open ({@link watchAwake}) and every 10 s while protection is on (30 s while the companion
 * does not answer), for the held indicator.
 * The leases themselves are posted by the relay (sw/relay/awake-lease.ts).
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { createAwakeClient, fetchAwakeConfig, type AwakeClient, type AwakeResult } from '../../sw/shared/awake-client.ts'
import type { AwakeConfig, AwakeStatus } from '../../sw/shared/awake-wire.ts'
import { writeJson } from './storage.ts'
import { SETTINGS_KEY, parseSettings, savedSettings, type ThemePreference } from './saved-settings.ts'
import { t } from '../i18n/index.ts'

export { DEFAULT_SETTINGS, parseSettings, type Settings, type ThemePreference } from './saved-settings.ts'

/**
 * What the app knows about the sleep-protection companion. `unpaired`: `/relay-config.json` has no
 * `awake` section (the launcher was started without `--awake`). `not-running`: nothing answered
 * at the paired URL (in a browser this also covers a refused CORS preflight, i.e. a page opened at
 * another address than the companion's `--origin`). `unauthorized`/`forbidden`: HTTP 401/403.
 */
export type CompanionState =
  | { kind: 'checking' }
  | { kind: 'unpaired' }
  | { kind: 'not-running'; url: string; message: string }
  | { kind: 'unauthorized'; url: string; message: string }
  | { kind: 'forbidden'; url: string; message: string }
  | { kind: 'error'; url: string; message: string }
  | { kind: 'ok'; url: string; status: AwakeStatus }

/** Local wall-clock `HH:MM:SS` of an epoch-ms time. */
export function formatClockTime(epochMs: number): string {
  const d = new Date(epochMs)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** Maps a companion call's outcome to a {@link CompanionState}. */
export function companionStateOf(url: string, result: AwakeResult): CompanionState {
  return result.kind === 'ok' ? { kind: 'ok', url, status: result.status } : { kind: result.kind, url, message: result.message }
}

/**
 * The one-line status shown under the "Desktop sleep protection" toggle, in the current locale
 * (src/i18n `settings.sleep.status`).
 * @param enabled the app's toggle (the user's intent).
 */
export function sleepProtectionText(state: CompanionState, enabled: boolean): string {
  switch (state.kind) {
    case 'checking':
      return t('settings.sleep.status.checking')
    case 'unpaired':
      return t('settings.sleep.status.unpaired')
    case 'not-running':
      return enabled ? t('settings.sleep.status.notRunningEnabled', { url: state.url }) : t('settings.sleep.status.notRunning', { url: state.url })
    case 'unauthorized':
      return t('settings.sleep.status.unauthorized')
    case 'forbidden':
      return t('settings.sleep.status.forbidden', { message: state.message })
    case 'error':
      return t('settings.sleep.status.error', { message: state.message })
    case 'ok': {
      const st = state.status
      if (!st.supported) return t('settings.sleep.status.unsupported', { reason: st.error ?? st.platform })
      if (!enabled) return t('settings.sleep.status.off')
      if (!st.enabled) return t('settings.sleep.status.turningOn')
      if (st.held) {
        const reasons = st.reasons.join('; ') || t('settings.sleep.status.workInProgress')
        return st.since !== undefined
          ? t('settings.sleep.status.heldSince', { time: formatClockTime(st.since), reasons })
          : t('settings.sleep.status.held', { reasons })
      }
      if (st.error) return t('settings.sleep.status.assertionFailed', { error: st.error })
      return t('settings.sleep.status.on')
    }
  }
}

/** Options of the store's `startAwake` (tests inject fetch and the pairing). */
export interface AwakeStartOptions {
  fetch?: typeof fetch
  /** Pairing loader; default: the `awake` section of `/relay-config.json`. */
  loadConfig?: () => Promise<AwakeConfig | undefined>
}

/** Poll period of `GET /status` while the settings panel is open, ms. */
export const AWAKE_POLL_PANEL_MS = 2_000
/** Poll period while protection is on and the panel is closed, ms. */
export const AWAKE_POLL_ENABLED_MS = 10_000
/** Poll period while protection is on, the panel is closed and the companion does not answer, ms. */
export const AWAKE_POLL_DOWN_MS = 30_000

/**
 * Persisted preferences: `notifications`, `sleepProtection`, `theme`, `notificationPermission`;
 * sleep protection's companion state: `companion` ({@link CompanionState}), `awakeConfig`,
 * `sleepProtectionHeld`, `sleepProtectionStatus` (text). Actions: `setNotifications(on)` (asks the
 * browser), `setSleepProtection(on)` (also `POST /enabled`), `setTheme(theme)`,
 * `startAwake(options?)` (idempotent; started automatically in a browser), `refreshAwake()`,
 * `watchAwake()` (fast polling while a view shows the status; returns the stop function),
 * `stopAwake()`.
 */
export const useSettingsStore = defineStore('settings', () => {
  const initial = savedSettings()
  /** Show system notifications when the relay asks this tab to (needs the browser permission too). */
  const notifications = ref(initial.notifications)
  /** Keep the desktop awake while a session works (through the relay-awake companion). */
  const sleepProtection = ref(initial.sleepProtection)
  const theme = ref<ThemePreference>(initial.theme)
  /** Browser notification permission as last seen (`default` | `granted` | `denied` | `unsupported`). */
  const notificationPermission = ref<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  )

  watch([notifications, sleepProtection, theme], () => {
    writeJson(SETTINGS_KEY, { notifications: notifications.value, sleepProtection: sleepProtection.value, theme: theme.value })
  })

  // Another tab changed the settings: follow it (otherwise tabs would push different `enabled`).
  if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
    window.addEventListener('storage', (ev: StorageEvent) => {
      if (ev.key !== SETTINGS_KEY || ev.newValue === null) return
      let parsed: unknown
      try {
        parsed = JSON.parse(ev.newValue)
      } catch {
        return
      }
      const next = parseSettings(parsed)
      notifications.value = next.notifications
      theme.value = next.theme
      if (sleepProtection.value !== next.sleepProtection) {
        sleepProtection.value = next.sleepProtection
        void refreshAwake()
      }
    })
  }

  // ---- Sleep protection: the relay-awake companion ----
  /** Companion state as last seen. */
  const companion = ref<CompanionState>({ kind: 'checking' })
  /** Pairing from `/relay-config.json`, once known. */
  const awakeConfig = shallowRef<AwakeConfig>()
  /** True while the companion holds the power assertion. */
  const sleepProtectionHeld = computed(() => companion.value.kind === 'ok' && companion.value.status.held)
  /** Status text of sleep protection (see {@link sleepProtectionText}). */
  const sleepProtectionStatus = computed(() => sleepProtectionText(companion.value, sleepProtection.value))
  let client: AwakeClient | undefined
  let awakeOptions: AwakeStartOptions = {}
  let started = false
  let watchers = 0
  let pollTimer: ReturnType<typeof setTimeout> | undefined
  let refreshing: Promise<void> | undefined
  /** Pid of the companion process the toggle was last pushed to. */
  let syncedPid: number | undefined

  async function ensureClient(): Promise<AwakeClient | undefined> {
    if (client) return client
    const config = await (awakeOptions.loadConfig ?? (() => fetchAwakeConfig(awakeOptions.fetch)))()
    awakeConfig.value = config
    client = config ? createAwakeClient(config, { fetch: awakeOptions.fetch }) : undefined
    return client
  }

  function apply(c: AwakeClient, result: AwakeResult): void {
    companion.value = companionStateOf(c.config.url, result)
    // Refused or unreachable: re-read the pairing next time (the launcher may have restarted it).
    if (result.kind !== 'ok' && result.kind !== 'error') client = undefined
  }

  async function refreshOnce(): Promise<void> {
    const c = await ensureClient()
    if (!c) {
      companion.value = { kind: 'unpaired' }
      return
    }
    let result = await c.status()
    // First sight of this companion process: push the toggle (a restarted companion starts enabled).
    if (result.kind === 'ok' && result.status.pid !== syncedPid) {
      if (result.status.enabled !== sleepProtection.value) result = await c.setEnabled(sleepProtection.value)
      if (result.kind === 'ok') syncedPid = result.status.pid
    }
    apply(c, result)
  }

  /** `GET /status` now (coalesced with a refresh already running) and re-arms polling. Never rejects. */
  function refreshAwake(): Promise<void> {
    refreshing ??= refreshOnce()
      .catch(() => undefined)
      .finally(() => {
        refreshing = undefined
        schedulePoll()
      })
    return refreshing
  }

  function schedulePoll(): void {
    clearTimeout(pollTimer)
    pollTimer = undefined
    if (!started) return
    const kind = companion.value.kind
    // Panel open: fast. Otherwise only while protection is on, slower while nothing answers.
    const background = kind === 'ok' || kind === 'checking' ? AWAKE_POLL_ENABLED_MS : AWAKE_POLL_DOWN_MS
    const period = watchers > 0 ? AWAKE_POLL_PANEL_MS : sleepProtection.value && kind !== 'unpaired' ? background : undefined
    if (period !== undefined) pollTimer = setTimeout(() => void refreshAwake(), period)
  }

  /** Loads the pairing, pushes the toggle and starts polling. Idempotent. */
  function startAwake(options: AwakeStartOptions = {}): Promise<void> {
    if (started) return refreshing ?? Promise.resolve()
    started = true
    awakeOptions = options
    return refreshAwake()
  }

  /** Polls every {@link AWAKE_POLL_PANEL_MS} until the returned function is called (e.g. while the settings panel is open). */
  function watchAwake(): () => void {
    watchers += 1
    if (!started) void startAwake()
    else void refreshAwake()
    let stopped = false
    return () => {
      if (stopped) return
      stopped = true
      watchers -= 1
      schedulePoll()
    }
  }

  /** Stops polling and forgets the pairing (tests). */
  function stopAwake(): void {
    started = false
    clearTimeout(pollTimer)
    pollTimer = undefined
    client = undefined
    syncedPid = undefined
    watchers = 0
    companion.value = { kind: 'checking' }
  }

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

  /**
   * Turns sleep protection on or off and tells the companion (`POST /enabled`); off releases the
   * assertion at once. The preference is kept even when no companion answers. Never rejects.
   */
  async function setSleepProtection(on: boolean): Promise<void> {
    sleepProtection.value = on
    if (!started) return startAwake()
    try {
      await refreshing
      const c = await ensureClient()
      if (!c) {
        companion.value = { kind: 'unpaired' }
        return
      }
      const result = await c.setEnabled(on)
      if (result.kind === 'ok') syncedPid = result.status.pid
      apply(c, result)
    } catch {
      // The client never rejects; nothing to report.
    } finally {
      schedulePoll()
    }
  }

  function setTheme(value: ThemePreference): void {
    theme.value = value
  }

  // In the app (not in unit tests), pair with the companion at start so the toggle is enforced
  // even before the settings panel is opened.
  if (typeof window !== 'undefined' && typeof document !== 'undefined' && typeof location !== 'undefined' && /^https?:$/.test(location.protocol)) {
    void startAwake()
  }

  return {
    notifications,
    sleepProtection,
    sleepProtectionStatus,
    sleepProtectionHeld,
    companion,
    awakeConfig,
    theme,
    notificationPermission,
    setNotifications,
    setSleepProtection,
    setTheme,
    startAwake,
    refreshAwake,
    watchAwake,
    stopAwake,
  }
})
