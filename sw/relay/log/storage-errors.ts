/**
 * What IndexedDB (through Dexie) says when it fails, in words: quota exceeded, a closed or deleted
 * database, and everything else. Dexie nests the browser's errors (`inner`, `cause`, a
 * `BulkError`'s failures), so every test looks through the nesting.
 */
import { isRecord } from '../../shared/guards.ts'

function errorName(err: unknown): string | undefined {
  return isRecord(err) && typeof err.name === 'string' ? err.name : undefined
}

function errorMessage(err: unknown): string {
  if (isRecord(err) && typeof err.message === 'string' && err.message) return err.message
  return String(err)
}

/** Errors nested in Dexie errors (`inner`), `cause`, and the failures of a Dexie `BulkError`. */
function nestedErrors(err: unknown): unknown[] {
  if (!isRecord(err)) return []
  const out: unknown[] = []
  if (err.inner !== undefined && err.inner !== err) out.push(err.inner)
  if (err.cause !== undefined && err.cause !== err) out.push(err.cause)
  if (Array.isArray(err.failures)) out.push(...err.failures)
  return out
}

function someError(err: unknown, test: (e: unknown) => boolean, depth = 0): boolean {
  if (depth > 4 || err === undefined || err === null) return false
  if (test(err)) return true
  return nestedErrors(err).some((e) => someError(e, test, depth + 1))
}

/**
 * True when `err` (or an error nested in it: Dexie's `inner`, `cause`, a `BulkError`'s failures)
 * is a storage quota error: a `DOMException` named `QuotaExceededError` (all browsers; Firefox
 * also used `NS_ERROR_DOM_QUOTA_REACHED`, legacy code 22).
 */
export function isQuotaError(err: unknown): boolean {
  return someError(err, (e) => {
    const name = errorName(e)
    if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED') return true
    return isRecord(e) && e.code === 22 && name !== undefined && name !== 'Error'
  })
}

/** True when `err` says the database connection is closed (Dexie `DatabaseClosedError`, IDB `InvalidStateError`). */
export function isClosedError(err: unknown): boolean {
  return someError(err, (e) => {
    const name = errorName(e)
    return name === 'DatabaseClosedError' || name === 'InvalidStateError'
  })
}

/**
 * A one-line, human-readable description of a storage error, as shown in `RelayStatus.storage`:
 * `"IndexedDB quota exceeded: …"`, `"IndexedDB database closed: …"`, `"IndexedDB unavailable: …"`,
 * or `"IndexedDB error (<name>): …"`.
 */
export function describeStorageError(err: unknown): string {
  const message = errorMessage(err)
  if (isQuotaError(err)) return `IndexedDB quota exceeded: ${message}`
  if (isClosedError(err)) return `IndexedDB database closed: ${message}`
  const name = errorName(err) ?? 'Error'
  if (name === 'MissingAPIError' || name === 'SecurityError') return `IndexedDB unavailable: ${message}`
  return `IndexedDB error (${name}): ${message}`
}
