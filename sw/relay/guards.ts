/**
 * Runtime guards for what arrives on a port: a message from another context is `unknown` until
 * it is checked against the protocol union (sw/shared/protocol.ts).
 */
import type { ServerConfig, TabToRelay } from '../shared/protocol.ts'
import { isRecord } from '../shared/guards.ts'

/** True when `x` is a usable `ServerConfig` (an http(s) URL, optional string credentials). */
export function isServerConfig(x: unknown): x is ServerConfig {
  if (!isRecord(x) || typeof x.url !== 'string' || !/^https?:\/\//.test(x.url)) return false
  if (x.username !== undefined && typeof x.username !== 'string') return false
  if (x.password !== undefined && typeof x.password !== 'string') return false
  if (x.identity !== undefined && typeof x.identity !== 'string') return false
  if (x.followLauncher !== undefined && typeof x.followLauncher !== 'boolean') return false
  return true
}

/** Narrows an incoming port message to `TabToRelay`; anything else is rejected. */
export function isTabToRelay(x: unknown): x is TabToRelay {
  if (!isRecord(x) || typeof x.type !== 'string') return false
  switch (x.type) {
    case 'hello':
      return typeof x.tabId === 'string' && typeof x.lockName === 'string' && isServerConfig(x.server) && typeof x.visible === 'boolean'
    case 'subscribe':
      return x.cursor === 'head' || (typeof x.cursor === 'number' && Number.isFinite(x.cursor))
    case 'visibility':
      return typeof x.visible === 'boolean'
    case 'resumed':
      return typeof x.frozenMs === 'number' && Number.isFinite(x.frozenMs)
    case 'view':
      return (x.directory === undefined || typeof x.directory === 'string') && (x.sessionID === undefined || typeof x.sessionID === 'string')
    case 'settings':
      return typeof x.notifications === 'boolean'
    case 'configure':
      return isServerConfig(x.server)
    case 'reconnect':
    case 'bye':
      return true
    default:
      return false
  }
}
