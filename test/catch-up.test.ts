/**
 * The relay's catch-up of one directory (sw/relay/catch-up.ts) against a scripted server, and the
 * whole-list read it relies on (sw/shared/session-list.ts). `GET /session` answers only the newest
 * `limit` sessions (100 without it), and `POST /sync/history` sends the FULL history of every
 * session its body does not list (checked on opencode 1.18.33: of 120 sessions, the 20 beyond the
 * default 100 came back in full): the catch-up reads the whole list and names every session.
 */
import { describe, expect, it } from 'vitest'
import { catchUpDirectory, relayRestClient } from '../sw/relay/catch-up.ts'
import { listAllSessions } from '../sw/shared/session-list.ts'
import { scriptedUpstream } from './support/scripted-upstream.ts'

const DIR = '/tmp/project'

describe('catchUpDirectory', () => {
  it('lists all 1,500 sessions of a project in POST /sync/history, the unchanged ones as "nothing new"', async () => {
    const all = Array.from({ length: 1_500 }, (_, i) => ({ id: `ses_${String(i).padStart(4, '0')}`, time: { created: 1, updated: 1_000 } }))
    const limits: Array<string | null> = []
    const upstream = scriptedUpstream(
      {
        sessions: (url) => {
          // As opencode does: the newest `limit` sessions, 100 without it.
          limits.push(url.searchParams.get('limit'))
          return all.slice(0, Number(url.searchParams.get('limit') ?? 100))
        },
      },
      { directory: DIR },
    )
    const client = relayRestClient({ url: 'http://opencode.test' }, upstream.fetch)
    await catchUpDirectory(client, DIR, [{ directory: DIR, aggregateID: 'ses_0000', seq: 7 }], 60_000, 60_000)
    expect(limits).toEqual(['1000', '4000'])
    expect(upstream.historyBodies).toHaveLength(1)
    const body = upstream.historyBodies[0]
    expect(Object.keys(body)).toHaveLength(1_500)
    expect(body.ses_0000).toBe(7)
    expect(body.ses_1499).toBe(Number.MAX_SAFE_INTEGER)
  })
})

describe('listAllSessions (sw/shared/session-list.ts)', () => {
  it('makes one request when the answer is short; does not loop when the server ignores limit', async () => {
    const asked: number[] = []
    expect(await listAllSessions(async (limit) => (asked.push(limit), [1, 2, 3]))).toEqual([1, 2, 3])
    expect(asked).toEqual([1_000])
    const many = Array.from({ length: 2_500 }, (_, i) => i)
    expect(await listAllSessions(async () => many)).toHaveLength(2_500)
    await expect(listAllSessions(async () => Promise.reject(new Error('GET /session failed: HTTP 500')))).rejects.toThrow('HTTP 500')
  })
})
