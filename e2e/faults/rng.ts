/**
 * A small seeded pseudo-random generator for the fault suite, so that a failing run replays:
 * the same seed gives the same sequence of faults, parameters and workloads.
 *
 * Algorithm: mulberry32 (Tommy Ettinger, public domain), a 32-bit state generator that passes
 * the usual statistical batteries well enough for test planning. Not for cryptography.
 */

/** A seeded source of randomness. */
export interface Rng {
  /** The seed this generator started from (an unsigned 32-bit integer). */
  readonly seed: number
  /** Uniform float in [0, 1). */
  next(): number
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number
  /** True with probability `p` (0..1). */
  chance(p: number): boolean
  /**
   * One element of `items`, uniformly.
   * @throws Error when `items` is empty.
   */
  pick<T>(items: readonly T[]): T
  /** A new array with the elements of `items` in a random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[]
  /** `k` distinct elements of `items` (all of them when `k` ≥ its length), in random order. */
  sample<T>(items: readonly T[], k: number): T[]
}

/**
 * Parses a seed from the environment (`FAULT_SEED`): decimal or `0x` hex; any other string is
 * hashed (FNV-1a), so `FAULT_SEED=nightly` works too. Undefined or empty → a fresh random seed.
 */
export function parseSeed(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return (Math.random() * 0x1_0000_0000) >>> 0
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) >>> 0
  if (/^0x[0-9a-f]+$/i.test(v)) return Number.parseInt(v.slice(2), 16) >>> 0
  let h = 0x811c9dc5
  for (let i = 0; i < v.length; i++) {
    h ^= v.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** Creates a mulberry32 generator from an unsigned 32-bit `seed`. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(0, i)
      const tmp = out[i]
      out[i] = out[j]
      out[j] = tmp
    }
    return out
  }
  return {
    seed: seed >>> 0,
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list')
      return items[int(0, items.length - 1)]
    },
    shuffle,
    sample: <T>(items: readonly T[], k: number): T[] => shuffle(items).slice(0, Math.max(0, k)),
  }
}
