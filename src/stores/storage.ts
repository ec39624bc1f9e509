/**
 * Small persistence helper over `localStorage` for settings and the server list. Falls back to an
 * in-memory map where `localStorage` is missing or throws (Node tests, storage disabled).
 */


/** The subset of the Web Storage API the stores use. */
export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>()
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  }
}

let override: KeyValueStorage | undefined
let fallback: KeyValueStorage | undefined

/** Replaces the storage (tests); `undefined` restores the default. */
export function setStorage(storage: KeyValueStorage | undefined): void {
  override = storage
}

/** `localStorage` when usable, else a process-wide in-memory fallback. */
export function storage(): KeyValueStorage {
  if (override) return override
  try {
    if (typeof localStorage !== 'undefined') return localStorage
  } catch {
    // Access can throw (opaque origins, disabled storage).
  }
  fallback ??= memoryStorage()
  return fallback
}

/**
 * Reads and parses a JSON value. Returns `undefined` when missing or unparsable; the caller
 * narrows the `unknown` result.
 */
export function readJson(key: string): unknown {
  try {
    const raw = storage().getItem(key)
    return raw === null ? undefined : JSON.parse(raw)
  } catch {
    return undefined
  }
}

/** Writes a JSON value; storage errors (quota) are swallowed and reported as `false`. */
export function writeJson(key: string, value: unknown): boolean {
  try {
    storage().setItem(key, JSON.stringify(value))
    return true
  } catch {
    return false
  }
}
