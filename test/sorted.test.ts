import { describe, expect, it } from 'vitest'
import {
  findIndexById,
  getSorted,
  mergeSorted,
  removeSorted,
  sortById,
  upsertSorted,
} from '../src/state/sorted.ts'

/** mulberry32: a tiny seeded PRNG so the property-style loops are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** An OpenCode-like id: prefix, 12 hex digits of a time-ish counter, 14 base62 random chars. */
function makeId(prefix: string, time: number, rand: () => number): string {
  let suffix = ''
  for (let i = 0; i < 14; i++) suffix += BASE62[Math.floor(rand() * 62)]
  return `${prefix}_${time.toString(16).padStart(12, '0')}${suffix}`
}

interface Item {
  id: string
  v: number
}

function isSortedUnique(list: readonly Item[]): boolean {
  for (let i = 1; i < list.length; i++) if (!(list[i - 1].id < list[i].id)) return false
  return true
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

describe('findIndexById', () => {
  it('returns the insertion point 0 on an empty list', () => {
    expect(findIndexById([], 'msg_1')).toEqual({ found: false, index: 0 })
  })

  it('finds existing ids and the insertion point of missing ones', () => {
    const list = [{ id: 'msg_b' }, { id: 'msg_d' }, { id: 'msg_f' }]
    expect(findIndexById(list, 'msg_b')).toEqual({ found: true, index: 0 })
    expect(findIndexById(list, 'msg_d')).toEqual({ found: true, index: 1 })
    expect(findIndexById(list, 'msg_f')).toEqual({ found: true, index: 2 })
    expect(findIndexById(list, 'msg_a')).toEqual({ found: false, index: 0 })
    expect(findIndexById(list, 'msg_c')).toEqual({ found: false, index: 1 })
    expect(findIndexById(list, 'msg_e')).toEqual({ found: false, index: 2 })
    expect(findIndexById(list, 'msg_g')).toEqual({ found: false, index: 3 })
  })

  it('uses plain code-unit order, not locale order (uppercase sorts before lowercase)', () => {
    const list = sortById([{ id: 'prt_a' }, { id: 'prt_B' }, { id: 'prt_Z' }])
    expect(list.map((x) => x.id)).toEqual(['prt_B', 'prt_Z', 'prt_a'])
    expect(findIndexById(list, 'prt_a')).toEqual({ found: true, index: 2 })
  })
})

describe('getSorted', () => {
  it('returns the element or undefined', () => {
    const list = [
      { id: 'a', v: 1 },
      { id: 'c', v: 2 },
    ]
    expect(getSorted(list, 'c')).toEqual({ id: 'c', v: 2 })
    expect(getSorted(list, 'b')).toBeUndefined()
    expect(getSorted([], 'b')).toBeUndefined()
  })
})

describe('upsertSorted', () => {
  it('inserts in order and replaces in place', () => {
    const list: Item[] = []
    upsertSorted(list, { id: 'msg_2', v: 1 })
    upsertSorted(list, { id: 'msg_1', v: 1 })
    upsertSorted(list, { id: 'msg_3', v: 1 })
    upsertSorted(list, { id: 'msg_2', v: 2 })
    expect(list).toEqual([
      { id: 'msg_1', v: 1 },
      { id: 'msg_2', v: 2 },
      { id: 'msg_3', v: 1 },
    ])
  })

  it('is idempotent', () => {
    const list: Item[] = []
    const item = { id: 'prt_1', v: 7 }
    upsertSorted(list, item)
    upsertSorted(list, item)
    expect(list).toEqual([item])
  })

  it('keeps the list sorted and unique for random insert orders (seeded, 200 runs)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = prng(seed)
      const n = 1 + Math.floor(rand() * 120)
      const ids = Array.from({ length: n }, (_, i) => makeId('msg', 0x1fe80213d001 + i * Math.ceil(rand() * 50), rand))
      // Insert every id, many of them several times with new values, in random order.
      const ops: Item[] = shuffle(
        ids.flatMap((id, i) => (rand() < 0.3 ? [{ id, v: i }, { id, v: i + 1000 }] : [{ id, v: i }])),
        rand,
      )
      const list: Item[] = []
      const model = new Map<string, number>()
      for (const op of ops) {
        upsertSorted(list, op)
        model.set(op.id, op.v)
      }
      expect(isSortedUnique(list), `seed ${seed}`).toBe(true)
      expect(list.length).toBe(model.size)
      for (const item of list) expect(item.v).toBe(model.get(item.id))
      expect(list.map((x) => x.id)).toEqual([...ids].sort())
    }
  })
})

describe('removeSorted', () => {
  it('removes and reports whether something was removed', () => {
    const list: Item[] = [
      { id: 'a', v: 1 },
      { id: 'b', v: 1 },
    ]
    expect(removeSorted(list, 'a')).toBe(true)
    expect(removeSorted(list, 'a')).toBe(false)
    expect(removeSorted(list, 'zzz')).toBe(false)
    expect(list).toEqual([{ id: 'b', v: 1 }])
  })

  it('keeps the order under random interleaved inserts and removals (seeded, 100 runs)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rand = prng(seed * 7919)
      const pool = Array.from({ length: 60 }, (_, i) => makeId('prt', 1000 + i, rand))
      const list: Item[] = []
      const model = new Map<string, number>()
      for (let step = 0; step < 400; step++) {
        const id = pool[Math.floor(rand() * pool.length)]
        if (rand() < 0.6) {
          upsertSorted(list, { id, v: step })
          model.set(id, step)
        } else {
          expect(removeSorted(list, id)).toBe(model.delete(id))
        }
        if (step % 50 === 0) expect(isSortedUnique(list)).toBe(true)
      }
      expect(isSortedUnique(list), `seed ${seed}`).toBe(true)
      expect(list.map((x) => [x.id, x.v])).toEqual([...model.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    }
  })
})

describe('mergeSorted / sortById', () => {
  it('merges, lets incoming items win, collapses duplicates (last wins) and mutates nothing', () => {
    const list: Item[] = [
      { id: 'b', v: 1 },
      { id: 'd', v: 1 },
    ]
    const items: Item[] = [
      { id: 'e', v: 2 },
      { id: 'b', v: 2 },
      { id: 'a', v: 2 },
      { id: 'e', v: 3 },
    ]
    const listCopy = structuredClone(list)
    const itemsCopy = structuredClone(items)
    const out = mergeSorted(list, items)
    expect(out).toEqual([
      { id: 'a', v: 2 },
      { id: 'b', v: 2 },
      { id: 'd', v: 1 },
      { id: 'e', v: 3 },
    ])
    expect(list).toEqual(listCopy)
    expect(items).toEqual(itemsCopy)
    expect(out).not.toBe(list)
  })

  it('equals a sequence of upserts for random inputs (seeded, 100 runs)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rand = prng(seed * 31)
      const pool = Array.from({ length: 40 }, (_, i) => makeId('msg', 5000 + i, rand))
      const pick = (n: number): Item[] =>
        Array.from({ length: n }, (_, i) => ({ id: pool[Math.floor(rand() * pool.length)], v: i + n * 100 }))
      const base = sortById(pick(Math.floor(rand() * 30)))
      const incoming = pick(Math.floor(rand() * 30))
      const expected = [...base]
      for (const item of incoming) upsertSorted(expected, item)
      expect(mergeSorted(base, incoming)).toEqual(expected)
      expect(isSortedUnique(base)).toBe(true)
    }
  })

  it('keeps sessions in ascending id order although OpenCode session ids decrease over time', () => {
    // Real ids from the pinned server: the first session was created before the second.
    const older = { id: 'ses_e017fdf28ffeECuf9XVfMV4c5i', created: 1795271172311 }
    const newer = { id: 'ses_e017fbb56ffeGPW5u7e2snmzjZ', created: 1795271181481 }
    const list = sortById([older, newer])
    expect(list.map((s) => s.id)).toEqual([newer.id, older.id])
    expect(getSorted(list, older.id)).toBe(older)
  })
})
