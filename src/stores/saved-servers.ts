/**
 * The server list as stored in `localStorage` (`opencode-relay:servers`): its shape, how it is
 * narrowed, and which server is current. Free of Vue and Pinia: the server store
 * (src/stores/server.ts) keeps the list, and the tiny prefetch entry (src/prefetch.ts) reads which
 * server a cold page will talk to before the main bundle runs.
 */
import type { ServerConfig } from '../../sw/shared/protocol.ts'
import { isRecord } from '../../sw/shared/guards.ts'
import { normalizeServerUrl } from '../api/server-auth.ts'
import { readJson } from './storage.ts'

/** `localStorage` key of the server list. */
export const SAVED_SERVERS_KEY = 'opencode-relay:servers'

/** Where a saved server came from. */
export type ServerSource = 'launcher' | 'user' | 'fallback'

/** A server in the list. */
export interface SavedServer extends ServerConfig {
  /** Stable id (the normalized URL at creation time). */
  id: string
  /** Optional display name. */
  label?: string
  source: ServerSource
}

/** The stored document: the servers and the current one's id. */
export interface Persisted {
  servers: SavedServer[]
  currentId?: string
}

function parseServer(value: unknown): SavedServer | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.url !== 'string') return undefined
  const source: ServerSource = value.source === 'launcher' || value.source === 'fallback' ? value.source : 'user'
  const out: SavedServer = { id: value.id, url: normalizeServerUrl(value.url), source }
  if (typeof value.username === 'string' && value.username) out.username = value.username
  if (typeof value.password === 'string' && value.password) out.password = value.password
  if (typeof value.label === 'string' && value.label) out.label = value.label
  if (typeof value.identity === 'string' && value.identity) out.identity = value.identity
  return out
}

/** Narrows the stored JSON; drops malformed entries. */
export function parsePersistedServers(json: unknown): Persisted {
  if (!isRecord(json) || !Array.isArray(json.servers)) return { servers: [] }
  const servers = json.servers.map(parseServer).filter((s): s is SavedServer => s !== undefined)
  return { servers, currentId: typeof json.currentId === 'string' ? json.currentId : undefined }
}

/**
 * The plain {@link ServerConfig} of a saved server (what the relay and the API need). Servers that
 * did not come from the user (the launcher's, the fallback) are marked `followLauncher`: the relay
 * re-reads `/relay-config.json` when they stop answering and follows them to a new port.
 */
export function toServerConfig(server: SavedServer): ServerConfig {
  const out: ServerConfig = { url: server.url }
  if (server.username) out.username = server.username
  if (server.password) out.password = server.password
  if (server.identity) out.identity = server.identity
  if (server.source !== 'user') out.followLauncher = true
  return out
}

/**
 * The current saved server as the relay and the API see it (the store's `current`: the one
 * `currentId` names, else the first), or `undefined` when none is saved yet (a fresh profile: the
 * store then waits for `/relay-config.json`).
 */
export function currentSavedServer(): ServerConfig | undefined {
  const persisted = parsePersistedServers(readJson(SAVED_SERVERS_KEY))
  const found = persisted.servers.find((s) => s.id === persisted.currentId) ?? persisted.servers[0]
  return found && toServerConfig(found)
}
