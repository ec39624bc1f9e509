/** Runtime guard for messages arriving from the relay (a port or BroadcastChannel gives `unknown`). */
import type { RelayedEvent, RelayToTab } from '../../sw/protocol.ts'

const TYPES = new Set(['status', 'subscribed', 'events', 'events-json', 'reset', 'resync', 'notify'])

/**
 * Narrows the decoded `json` of an `events-json` message to `RelayedEvent[]`: an array whose
 * items have a numeric `cursor`, string `id` and `directory`, numeric `receivedAt` and a `payload`
 * object with a string `type` (the same structural trust as for `events`; payloads are narrowed
 * by `type` in the reducer).
 */
export function isRelayedEvents(x: unknown): x is RelayedEvent[] {
  if (!Array.isArray(x)) return false
  for (const e of x) {
    if (typeof e !== 'object' || e === null) return false
    if (!('cursor' in e) || typeof e.cursor !== 'number' || !('id' in e) || typeof e.id !== 'string') return false
    if (!('directory' in e) || typeof e.directory !== 'string' || !('receivedAt' in e) || typeof e.receivedAt !== 'number') return false
    if (!('payload' in e) || typeof e.payload !== 'object' || e.payload === null || !('type' in e.payload) || typeof e.payload.type !== 'string') return false
  }
  return true
}

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
    case 'events-json':
      return 'json' in x && typeof x.json === 'string'
    case 'reset':
      return 'head' in x && typeof x.head === 'number' && 'reason' in x && typeof x.reason === 'string'
    case 'resync':
      return 'directory' in x && typeof x.directory === 'string'
    case 'notify':
      return 'title' in x && typeof x.title === 'string' && 'tag' in x && typeof x.tag === 'string'
    default:
      return false
  }
}
