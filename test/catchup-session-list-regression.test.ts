/**
 * Regression (found after the fault soak, seed 3984976017, showed `GET /session` answering only
 * the newest 100 sessions): the relay's catch-up listed sessions with a bare `GET /session`, so
 * sessions beyond the newest 100 that the relay held no seq for were left out of the body of
 * `POST /sync/history` — and the server sends an unlisted session's FULL history (checked on
 * opencode 1.18.33: 120 sessions, the 20 beyond the default 100 came back in full). A project with
 * many old sessions pulled all their history at a reconnect.
 *
 * Expected: the catch-up reads the whole list (growing `limit`) and lists every old session as
 * "nothing new".
 */
import { describe, expect, it } from 'vitest'
import { catchUpDirectory, relayRestClient } from '../sw/relay/catch-up.ts'
import { listAllSessions } from '../sw/shared/session-list.ts'

const DIR = '/tmp/project'

describe('catch-up: every session of a project with more than 100 (regression)', () => {
  it('lists all 1,500 sessions in POST /sync/history, the unchanged ones as "nothing new"', async () => {
    const all = Array.from({ length: 1_500 }, (_, i) => ({ id: `ses_${String(i).padStart(4, '0')}`, time: { created: 1, updated: 1_000 } }))
    const limits: Array<string | null> = []
    let body: Record<string, number> = {}
    const fetchImpl: typeof fetch = async (input, init) => {
      const req = input instanceof Request ? input : new Request(String(input), init)
      const url = new URL(req.url)
      const json = (data: unknown) => new Response(JSON.stringify(data), { status: 200, headers: { 'content-type': 'application/json' } })
      if (url.pathname === '/session') {
        // As opencode does: the newest `limit` sessions, 100 without it.
        limits.push(url.searchParams.get('limit'))
        return json(all.slice(0, Number(url.searchParams.get('limit') ?? 100)))
      }
      if (url.pathname === '/sync/history') {
        const parsed: unknown = await req.json()
        if (typeof parsed === 'object' && parsed !== null) body = Object.fromEntries(Object.entries(parsed).filter((e): e is [string, number] => typeof e[1] === 'number'))
        return json([])
      }
      if (url.pathname === '/session/status') return json({})
      return new Response('not found', { status: 404 })
    }
    const client = relayRestClient({ url: 'http://opencode.test' }, fetchImpl)
    await catchUpDirectory(client, DIR, [{ directory: DIR, aggregateID: 'ses_0000', seq: 7 }], 60_000, 60_000)
    expect(limits).toEqual(['1000', '4000'])
    expect(Object.keys(body)).toHaveLength(1_500)
    expect(body.ses_0000).toBe(7)
    expect(body.ses_1499).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('listAllSessions: one request when the answer is short; no loop when the server ignores limit', async () => {
    const asked: number[] = []
    expect(await listAllSessions(async (limit) => (asked.push(limit), [1, 2, 3]))).toEqual([1, 2, 3])
    expect(asked).toEqual([1_000])
    const many = Array.from({ length: 2_500 }, (_, i) => i)
    expect(await listAllSessions(async () => many)).toHaveLength(2_500)
    await expect(listAllSessions(async () => Promise.reject(new Error('GET /session failed: HTTP 500')))).rejects.toThrow('HTTP 500')
  })
})
