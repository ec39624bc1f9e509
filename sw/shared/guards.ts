/**
 * Runtime guards shared by the relay, the app and the CLIs: data that crossed a network, a port or
 * a storage boundary is `unknown` until narrowed here or by a guard built on these.
 *
 * Lib-neutral (DOM, WebWorker and Node).
 */

/** True for a plain JSON object: not `null`, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** True when `value` is absent (`undefined`) or a string: an optional string field. */
export function isOptionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string'
}

/** `value[key]` when it is a string, else `undefined` (also when `value` is not a record). */
export function stringField(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined
  const v = value[key]
  return typeof v === 'string' ? v : undefined
}
