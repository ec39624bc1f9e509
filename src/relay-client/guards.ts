/** Runtime guard for messages arriving from the relay (a port or BroadcastChannel gives `unknown`). */
import { isOptionalString, isRecord } from '../../sw/shared/guards.ts'
import type { RelayToTab } from '../../sw/shared/protocol.ts'

const TYPES = new Set(['status', 'subscribed', 'events', 'reset', 'resync', 'notify', 'server-moved', 'outbox', 'outbox-refused'])

/**
 * Narrows `x` to `RelayToTab` by its `type` and the fields each variant needs. The relay is our
 * own code on the same origin, so this is a structural check, not a deep validation of payloads.
 */
export function isRelayToTab(x: unknown): x is RelayToTab {
  if (typeof x !== 'object' || x === null || !('type' in x) || typeof x.type !== 'string' || !TYPES.has(x.type)) return false
  switch (x.type) {
    case 'status':
      return 'status' in x && typeof x.status === 'object' && x.status !== null
    case 'subscribed':
      return 'from' in x && typeof x.from === 'number' && 'head' in x && typeof x.head === 'number'
    case 'events':
      return 'events' in x && Array.isArray(x.events)
    case 'reset':
      return 'head' in x && typeof x.head === 'number' && 'reason' in x && typeof x.reason === 'string'
    case 'resync':
      return 'directory' in x && typeof x.directory === 'string'
    case 'notify':
      return 'notification' in x && isNotification(x.notification)
    case 'server-moved':
      return 'server' in x && typeof x.server === 'object' && x.server !== null && 'url' in x.server && typeof x.server.url === 'string'
    case 'outbox':
      return 'entries' in x && Array.isArray(x.entries) && x.entries.every(isOutboxEntry)
    case 'outbox-refused':
      return 'op' in x && (x.op === 'add' || x.op === 'edit') && 'id' in x && typeof x.id === 'string' && 'error' in x && typeof x.error === 'string'
    default:
      return false
  }
}

/** A `notify` message's notification: the facts of `RelayNotification` (sw/shared/protocol.ts), `kind` one of the three. */
function isNotification(x: unknown): boolean {
  return (
    isRecord(x) &&
    (x.kind === 'finished' || x.kind === 'permission' || x.kind === 'question') &&
    typeof x.directory === 'string' &&
    typeof x.sessionID === 'string' &&
    isOptionalString(x.sessionTitle) &&
    isOptionalString(x.requestID) &&
    isOptionalString(x.permission) &&
    (x.patterns === undefined || (Array.isArray(x.patterns) && x.patterns.every((p) => typeof p === 'string'))) &&
    isOptionalString(x.question) &&
    typeof x.tag === 'string'
  )
}

const OUTBOX_STATES = new Set(['pending', 'sending', 'delivered', 'failed', 'dropped'])

/** An outbox entry (sw/shared/outbox-types.ts): id, directory, state and an action with a known kind and session. */
function isOutboxEntry(x: unknown): boolean {
  return (
    isRecord(x) &&
    typeof x.id === 'string' &&
    typeof x.directory === 'string' &&
    typeof x.state === 'string' &&
    OUTBOX_STATES.has(x.state) &&
    typeof x.createdAt === 'number' &&
    isRecord(x.action) &&
    typeof x.action.kind === 'string' &&
    typeof x.action.sessionID === 'string'
  )
}
