/**
 * The list of OpenCode servers the user can switch between, persisted in `localStorage`
 * (`opencode-relay:servers`), and the current one. The launcher's default server comes from
 * `GET /relay-config.json` (see src/api/relayConfig.ts); without it the default is
 * `http://127.0.0.1:4096`. Passwords are kept in `localStorage` of this origin (a local tool).
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { serverIdentity, type ServerConfig } from '../../sw/shared/protocol.ts'
import { createOpencodeApi, type OpencodeApi } from '../api/opencode.ts'
import { normalizeServerUrl } from '../api/server-auth.ts'
import { FALLBACK_SERVER_URL, fetchRelayConfig } from '../api/relayConfig.ts'
import { readJson, writeJson } from './storage.ts'
import { SAVED_SERVERS_KEY as KEY, parsePersistedServers, toServerConfig, type Persisted, type SavedServer } from './saved-servers.ts'
import { t } from '../i18n/index.ts'

/** Options of `init`. */
export interface ServerInitOptions {
  /** Fetch for `/relay-config.json` (tests pass a fake). */
  fetch?: typeof fetch
  /**
   * Wait for `/relay-config.json` even when a server is already saved (default false: a saved
   * server is used at once and the launcher's answer is merged in the background).
   */
  waitForLauncher?: boolean
}

/**
 * Server list and current server. State: `servers`, `currentId`, `launcher`. Getters: `current`,
 * `config` ({@link ServerConfig}), `storageKey`, `key` (identity for watchers), `api`
 * ({@link OpencodeApi}). Actions: `init(options)`, `add(server)`, `remove(id)`,
 * `setCredentials(id, password, username?)`, `select(id)`, `followLauncher(server)`, `setFetch(fetch)` (tests).
 */
export const useServerStore = defineStore('server', () => {
  const servers = ref<SavedServer[]>([])
  const currentId = ref<string>()
  /** The launcher's server from `/relay-config.json`, once known. */
  const launcher = ref<ServerConfig>()
  /** Fetch used by the REST API (tests inject a fake through {@link setFetch}). */
  const fetchImpl = shallowRef<typeof fetch>()

  const current = computed<SavedServer>(() => {
    const found = servers.value.find((s) => s.id === currentId.value) ?? servers.value[0]
    return found ?? { id: FALLBACK_SERVER_URL, url: FALLBACK_SERVER_URL, source: 'fallback' }
  })
  /** The current server as a plain config. */
  const config = computed<ServerConfig>(() => toServerConfig(current.value))
  /**
   * What the current server is, whatever its port: `identity` (the launcher's `launcher:<dir>`) or
   * the URL. Keys what is stored per server (warm-start snapshots, offline lists).
   */
  const storageKey = computed(() => serverIdentity(config.value))
  /**
   * Identity of the current server for watchers: changes when another server is chosen or the
   * credentials change, not when the launcher's server merely moved to another port.
   */
  const key = computed(() => `${storageKey.value}|${config.value.username ?? ''}|${config.value.password ?? ''}`)
  /** Typed REST client for the current server (rebuilt when it changes). */
  const api = computed<OpencodeApi>(() => createOpencodeApi(config.value, { fetch: fetchImpl.value }))

  function persist(): void {
    writeJson(KEY, { servers: servers.value, currentId: currentId.value } satisfies Persisted)
  }
  watch([servers, currentId], persist, { deep: true })

  /** Inserts or updates the launcher's server and selects it when nothing else was chosen. */
  function mergeLauncher(server: ServerConfig): void {
    launcher.value = server
    const url = normalizeServerUrl(server.url)
    const existing = servers.value.find((s) => s.url === url)
    if (existing) {
      if (existing.source !== 'user') {
        existing.source = 'launcher'
        existing.username = server.username
        existing.password = server.password
        existing.identity = server.identity
      }
    } else {
      const previousLauncher = servers.value.find((s) => s.source === 'launcher' || s.source === 'fallback')
      const { followLauncher: _follow, ...plain } = server
      const entry: SavedServer = { ...plain, url, id: url, source: 'launcher' }
      if (previousLauncher) {
        // The launcher moved (new port): replace its old entry, and follow it if it was current.
        const wasCurrent = currentId.value === previousLauncher.id || currentId.value === undefined
        servers.value = servers.value.map((s) => (s.id === previousLauncher.id ? entry : s))
        if (wasCurrent) currentId.value = entry.id
      } else {
        servers.value = [entry, ...servers.value]
      }
    }
    if (!currentId.value || !servers.value.some((s) => s.id === currentId.value)) currentId.value = url
  }

  /**
   * Loads the saved list and merges the launcher's server. Resolves quickly when a server is
   * already saved (the launcher's answer then arrives in the background); never throws.
   */
  async function init(options: ServerInitOptions = {}): Promise<void> {
    const persisted = parsePersistedServers(readJson(KEY))
    servers.value = persisted.servers
    currentId.value = persisted.currentId ?? persisted.servers[0]?.id
    const learn = fetchRelayConfig(options.fetch).then((server) => {
      if (server) mergeLauncher(server)
      else if (servers.value.length === 0) {
        servers.value = [{ id: FALLBACK_SERVER_URL, url: FALLBACK_SERVER_URL, source: 'fallback' }]
        currentId.value = FALLBACK_SERVER_URL
      }
    })
    if (servers.value.length === 0 || options.waitForLauncher) await learn
  }

  /**
   * Adds a server (or updates the one with the same URL) and returns it.
   * @throws Error when `url` is not an http(s) URL (its message, in the current locale, is shown to the user).
   */
  function add(input: ServerConfig & { label?: string }): SavedServer {
    const url = normalizeServerUrl(input.url)
    if (!/^https?:\/\/[^/\s]+/i.test(url)) throw new Error(t('settings.servers.invalidUrl'))
    const existing = servers.value.find((s) => s.url === url)
    if (existing) {
      existing.username = input.username || undefined
      existing.password = input.password || undefined
      if (input.label) existing.label = input.label
      return existing
    }
    const entry: SavedServer = { id: url, url, source: 'user' }
    if (input.username) entry.username = input.username
    if (input.password) entry.password = input.password
    if (input.label) entry.label = input.label
    servers.value = [...servers.value, entry]
    return entry
  }

  /** Removes a server; when it was current, the first remaining one becomes current. */
  function remove(id: string): void {
    servers.value = servers.value.filter((s) => s.id !== id)
    if (currentId.value === id) currentId.value = servers.value[0]?.id
  }

  /** Sets or clears the Basic-auth credentials of a server. */
  function setCredentials(id: string, password: string | undefined, username?: string): void {
    servers.value = servers.value.map((s) =>
      s.id === id ? { ...s, password: password || undefined, username: username || s.username } : s,
    )
  }

  /** Makes a server current (the sync store follows: relay `configure` and a new bootstrap). */
  function select(id: string): void {
    if (servers.value.some((s) => s.id === id)) currentId.value = id
  }

  /** Injects the fetch used by the REST API (tests). */
  function setFetch(f: typeof fetch | undefined): void {
    fetchImpl.value = f
  }

  /**
   * The relay followed the launcher's server to a new address (`server-moved`): the list and the
   * REST client follow too. A server the user chose by hand is never replaced (the relay only
   * follows servers marked `followLauncher`).
   */
  function followLauncher(server: ServerConfig): void {
    if (current.value.source === 'user') return
    mergeLauncher(server)
  }

  return { servers, currentId, launcher, current, config, storageKey, key, api, init, add, remove, setCredentials, select, setFetch, followLauncher }
})
