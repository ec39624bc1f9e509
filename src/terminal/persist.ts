/**
 * Which terminals a project shows, kept in localStorage (src/stores/storage.ts) per server and
 * project so that after a reload the panel reattaches to the PTYs the server still has.
 * Key: `opencode-relay:terminals:<server storage key>:<directory>`; value {@link ShownTerminals}.
 */
import { isRecord } from '../../sw/shared/guards.ts'
import { readJson, storage, writeJson } from '../stores/storage.ts'

/** The PTY ids a project's panel shows, in tab order, and the active one. */
export interface ShownTerminals {
  ids: string[]
  active?: string
}

/** Storage key of a project's {@link ShownTerminals}. */
export function shownTerminalsKey(serverKey: string, directory: string): string {
  return `opencode-relay:terminals:${serverKey}:${directory}`
}

/** Narrows stored JSON to {@link ShownTerminals}: non-string ids and duplicates are dropped; an `active` not in `ids` is dropped. */
export function parseShownTerminals(json: unknown): ShownTerminals {
  if (!isRecord(json) || !Array.isArray(json.ids)) return { ids: [] }
  const ids: string[] = []
  for (const id of json.ids) if (typeof id === 'string' && id && !ids.includes(id)) ids.push(id)
  const active = typeof json.active === 'string' && ids.includes(json.active) ? json.active : undefined
  return active ? { ids, active } : { ids }
}

/**
 * Keeps the shown ids the server still lists (`live`), in their order; the active one falls back
 * to the first kept id.
 */
export function reconcileShown(shown: ShownTerminals, live: readonly string[]): ShownTerminals {
  const ids = shown.ids.filter((id) => live.includes(id))
  const active = shown.active && ids.includes(shown.active) ? shown.active : ids[0]
  return active ? { ids, active } : { ids }
}

/** Reads a project's shown terminals (`{ids: []}` when none). */
export function loadShownTerminals(serverKey: string, directory: string): ShownTerminals {
  return parseShownTerminals(readJson(shownTerminalsKey(serverKey, directory)))
}

/** Writes a project's shown terminals; an empty list removes the key. */
export function saveShownTerminals(serverKey: string, directory: string, shown: ShownTerminals): void {
  const key = shownTerminalsKey(serverKey, directory)
  if (shown.ids.length === 0) {
    try {
      storage().removeItem(key)
    } catch {
      // Storage disabled: nothing to remove.
    }
    return
  }
  writeJson(key, shown)
}
