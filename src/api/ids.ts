/**
 * Client-generated OpenCode identifiers.
 *
 * OpenCode ids (`msg_…`, `prt_…`) are "ascending": `prefix + '_' + 12 hex chars + 14 base62 chars`,
 * where the hex is the low 48 bits of `timestampMs * 0x1000 + counter` (the counter restarts every
 * millisecond). That is the scheme of OpenCode's `Identifier.ascending` (packages/opencode/src/id/id.ts),
 * observed on a real server as e.g. `msg_1fe812a7f001MnYQ42M5qYuewn`. Because the prompt endpoints
 * accept a `messageID` in the body (`POST /session/{id}/prompt_async`, SDK `session.promptAsync`),
 * a retried send with the same id is idempotent: the server upserts the same message instead of
 * creating a duplicate.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const RANDOM_LENGTH = 14
const MASK_48 = (1n << 48n) - 1n

/** Source of randomness: fills the array in place (defaults to `crypto.getRandomValues`). */
export type RandomFill = (bytes: Uint8Array<ArrayBuffer>) => void

/** Options of {@link createIdGenerator}; both are injectable so tests stay deterministic. */
export interface IdGeneratorOptions {
  /** Clock in epoch ms (default `Date.now`). */
  now?: () => number
  /** Random source (default `crypto.getRandomValues`). */
  random?: RandomFill
}

/** Generates ascending ids for one prefix family. */
export type IdGenerator = (prefix: 'msg' | 'prt' | 'ses') => string

function defaultRandom(bytes: Uint8Array<ArrayBuffer>): void {
  crypto.getRandomValues(bytes)
}

/**
 * Creates an ascending id generator.
 *
 * Ids from one generator are strictly increasing in string order and unique, even when the clock
 * stands still or steps backwards (the generator never moves its timestamp backwards; the counter
 * absorbs the difference). Up to 4,095 ids per millisecond keep the timestamp exact; more spill
 * into the next millisecond, which still sorts correctly.
 */
export function createIdGenerator(options: IdGeneratorOptions = {}): IdGenerator {
  const now = options.now ?? Date.now
  const random = options.random ?? defaultRandom
  let lastValue = -1n

  return (prefix) => {
    const candidate = BigInt(Math.floor(now())) * 0x1000n + 1n
    const value = candidate > lastValue ? candidate : lastValue + 1n
    lastValue = value
    const hex = (value & MASK_48).toString(16).padStart(12, '0')
    const bytes = new Uint8Array(RANDOM_LENGTH)
    random(bytes)
    let tail = ''
    for (const b of bytes) tail += BASE62[b % 62]
    return `${prefix}_${hex}${tail}`
  }
}

const shared = createIdGenerator()

/** A new `msg_…` id for a user message (sent as `messageID` with the prompt). */
export function newMessageId(): string {
  return shared('msg')
}

/** A new `prt_…` id for a prompt part. */
export function newPartId(): string {
  return shared('prt')
}
