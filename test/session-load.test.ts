/**
 * Session transcript loads (src/sync/session-load.ts) against a fake server, without Pinia or a
 * relay: the newest page with todos and the info of an unlisted session, "load earlier" paging,
 * a failure recorded and reported for a retry, and what `session.deleted` / `session.compacted`
 * do to a loaded transcript.
 */
import { describe, expect, it, vi } from 'vitest'
import type { Event, Message, Part, Session, Todo } from '@opencode-ai/sdk/v2/types'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import type { MessagePage } from '../src/api/opencode.ts'
import { createSessionLoader, MESSAGE_PAGE_SIZE } from '../src/sync/session-load.ts'
import { createIntake } from '../src/sync/intake.ts'
import { createLoadOnce } from '../src/sync/load-once.ts'
import { createSyncData, directoryData } from '../src/sync/data.ts'
import { loadMessages } from '../src/state/reducer.ts'
import { buildSnapshot, paintSnapshot } from '../src/sync/warm-start.ts'
import { jsonResponse } from './support/http.ts'
import { fakeRest, type FakeRoute } from './support/fake-rest.ts'

const DIR = '/work/project'
const SES = 'ses_a'

const session: Session = { id: SES, slug: SES, projectID: 'p1', directory: DIR, title: 'A', version: '1', time: { created: 1, updated: 1 } }
const todo: Todo = { content: 'write tests', status: 'pending', priority: 'high' }

function message(n: number): { info: Message; parts: Part[] } {
  const id = `msg_${String(n).padStart(4, '0')}`
  return {
    info: { id, sessionID: SES, role: 'user', time: { created: n }, agent: 'build', model: { providerID: 'p', modelID: 'm' } },
    parts: [{ id: `prt_${id}`, messageID: id, sessionID: SES, type: 'text', text: `m${n}` }],
  }
}

/** `GET /session/{id}/message` over `all`, paged like opencode: newest `limit` before `before`. */
function pagedMessages(all: Array<{ info: Message; parts: Part[] }>): FakeRoute {
  return (url) => {
    const limit = Number(url.searchParams.get('limit'))
    const end = Number(url.searchParams.get('before') ?? all.length)
    const start = Math.max(0, end - limit)
    return jsonResponse(all.slice(start, end), start > 0 ? { 'x-next-cursor': String(start) } : {})
  }
}

function setup(routes: Record<string, FakeRoute> = {}) {
  const rest = fakeRest({ [`/session/${SES}`]: () => session, [`/session/${SES}/todo`]: () => [todo], ...routes })
  const data = createSyncData()
  const intake = createIntake({ data, beforeRead: () => undefined, afterEvent: (ev) => loader.afterEvent(ev) })
  const failed = vi.fn()
  const deleted: string[] = []
  const loader = createSessionLoader({
    data,
    api: () => rest.api,
    read: intake.read,
    loads: createLoadOnce(),
    failed,
    deleteSnapshot: async (id) => void deleted.push(id),
  })
  return { rest, data, intake, loader, failed, deleted }
}

let cursor = 0
function relayed(payload: Event): RelayedEvent {
  return { cursor: ++cursor, id: `evt_${cursor}`, directory: DIR, payload, receivedAt: Date.now() + 60_000 }
}

describe('session loads', () => {
  it('reads the newest page, the todos, and the info of a session not listed yet', async () => {
    const t = setup({ [`/session/${SES}/message`]: pagedMessages([message(1), message(2)]) })
    await t.loader.ensureSession(DIR, SES)
    const d = t.data.state.directories[DIR]
    expect(d.messages[SES].map((m) => m.id)).toEqual(['msg_0001', 'msg_0002'])
    expect(d.parts.msg_0002.map((p) => (p.type === 'text' ? p.text : ''))).toEqual(['m2'])
    expect(d.todos[SES]).toEqual([todo])
    expect(d.sessions.map((s) => s.id)).toEqual([SES])
    expect(t.data.sessionLoads[SES]).toMatchObject({ directory: DIR, status: 'ready', pages: 1, hasEarlier: false, fromSnapshot: false })
    expect(t.data.sessionVersion[SES]).toBe(1)
  })

  it('pages back with the cursor the server gave ("load earlier"); a re-read keeps the pages loaded', async () => {
    const all = Array.from({ length: MESSAGE_PAGE_SIZE * 2 + 50 }, (_, i) => message(i))
    const t = setup({ [`/session/${SES}/message`]: pagedMessages(all) })
    await t.loader.ensureSession(DIR, SES)
    expect(t.data.state.directories[DIR].messages[SES]).toHaveLength(MESSAGE_PAGE_SIZE)
    expect(t.data.sessionLoads[SES].hasEarlier).toBe(true)
    await t.loader.loadEarlier(DIR, SES)
    const cursorAfterTwoPages = t.data.sessionLoads[SES].nextCursor
    await t.loader.ensureSession(DIR, SES, { force: true })
    expect(t.data.sessionLoads[SES].nextCursor).toBe(cursorAfterTwoPages)
    await t.loader.loadEarlier(DIR, SES)
    expect(t.data.state.directories[DIR].messages[SES]).toHaveLength(all.length)
    expect(t.data.sessionLoads[SES]).toMatchObject({ hasEarlier: false, pages: 3, loadingEarlier: false })
    // Nothing older: no further read.
    const reads = t.rest.reads.get(`/session/${SES}/message`)
    await t.loader.loadEarlier(DIR, SES)
    expect(t.rest.reads.get(`/session/${SES}/message`)).toBe(reads)
  })

  it('after a warm start, a snapshot message the server no longer has (reverted meanwhile) is gone with its parts', async () => {
    const t = setup({ [`/session/${SES}/message`]: pagedMessages([message(1), message(3)]) })
    paintSnapshot(t.data, SES, { sessionID: SES, directory: DIR, server: 'server', session, messages: [message(1), message(2)], truncated: false, cursor: 0, savedAt: 1 })
    await t.loader.ensureSession(DIR, SES, { force: true })
    const d = t.data.state.directories[DIR]
    expect(d.messages[SES].map((m) => m.id)).toEqual(['msg_0001', 'msg_0003'])
    expect(d.parts.msg_0002).toBeUndefined()
    expect(t.data.sessionLoads[SES].fromSnapshot).toBe(false)
  })

  it('a failed read marks the transcript failed, asks for a retry, and throws', async () => {
    const t = setup({
      [`/session/${SES}/message`]: () => {
        throw new TypeError('Failed to fetch')
      },
    })
    await expect(t.loader.ensureSession(DIR, SES)).rejects.toThrow()
    expect(t.data.sessionLoads[SES].status).toBe('error')
    expect(t.data.sessionLoads[SES].error).toBeTruthy()
    expect(t.failed).toHaveBeenCalledTimes(1)
  })

  it('session.deleted forgets the transcript and its snapshot; session.compacted reads a loaded one again', async () => {
    const t = setup({ [`/session/${SES}/message`]: pagedMessages([message(1)]) })
    await t.loader.ensureSession(DIR, SES)
    t.intake.onEvents([relayed({ id: 'e1', type: 'session.compacted', properties: { sessionID: SES } })])
    await vi.waitFor(() => expect(t.rest.reads.get(`/session/${SES}/message`)).toBe(2))
    await vi.waitFor(() => expect(t.data.sessionLoads[SES].status).toBe('ready'))

    t.intake.onEvents([relayed({ id: 'e2', type: 'session.deleted', properties: { sessionID: SES, info: session } })])
    expect(t.data.sessionLoads[SES]).toBeUndefined()
    expect(t.deleted).toEqual([SES])
    // A compaction of a session this tab never loaded reads nothing.
    t.intake.onEvents([relayed({ id: 'e3', type: 'session.compacted', properties: { sessionID: 'ses_other' } })])
    expect(t.rest.reads.get('/session/ses_other/message')).toBeUndefined()
  })

  describe('a cold page (reads wait for the relay)', () => {
    /** A loader whose reads wait for `open()` (the relay's subscription), like a page just opened. */
    function gated(routes: Record<string, FakeRoute>, firstPage?: () => Promise<MessagePage | undefined>) {
      const rest = fakeRest({ [`/session/${SES}`]: () => session, [`/session/${SES}/todo`]: () => [todo], ...routes })
      const data = createSyncData()
      let open!: () => void
      const subscribed = new Promise<void>((resolve) => (open = resolve))
      let waiting = true
      void subscribed.then(() => (waiting = false))
      const intake = createIntake({ data, beforeRead: () => subscribed, afterEvent: () => undefined })
      const loader = createSessionLoader({ data, api: () => rest.api, read: intake.read, loads: createLoadOnce(), failed: vi.fn(), readsWaiting: () => waiting, deleteSnapshot: async () => undefined, firstPage })
      return { rest, data, loader, open }
    }
    const ids = (data: ReturnType<typeof createSyncData>) => (data.state.directories[DIR]?.messages[SES] ?? []).map((m) => m.id)

    it('paints the newest page before the relay answers, never snapshots it, and the gated read replaces it', async () => {
      let all = [message(1), message(2)]
      const t = gated({ [`/session/${SES}/message`]: (url) => pagedMessages(all)(url) })
      const loading = t.loader.ensureSession(DIR, SES)
      await vi.waitFor(() => expect(ids(t.data)).toEqual(['msg_0001', 'msg_0002']))
      expect(t.data.sessionLoads[SES]).toMatchObject({ status: 'loading', provisional: true })
      expect(buildSnapshot(t.data, true, DIR, SES, 'server')).toBeUndefined()
      // Meanwhile message 2 is reverted and message 3 written; then the relay answers.
      all = [message(1), message(3)]
      t.open()
      await loading
      expect(ids(t.data)).toEqual(['msg_0001', 'msg_0003'])
      expect(t.data.state.directories[DIR].parts.msg_0002).toBeUndefined()
      expect(t.data.sessionLoads[SES]).toMatchObject({ status: 'ready', provisional: false })
      expect(buildSnapshot(t.data, true, DIR, SES, 'server')?.messages.map((m) => m.info.id)).toEqual(['msg_0001', 'msg_0003'])
    })

    it('drops a provisional answer that comes after the gated one', async () => {
      let reads = 0
      let late!: () => void
      const lateAnswer = new Promise<void>((resolve) => (late = resolve))
      const t = gated({
        [`/session/${SES}/message`]: async (url) => {
          // The first (provisional) read answers last, with a page the server no longer has.
          if (++reads === 1) {
            await lateAnswer
            return pagedMessages([message(1), message(2)])(url)
          }
          return pagedMessages([message(1)])(url)
        },
      })
      const loading = t.loader.ensureSession(DIR, SES)
      t.open()
      await loading
      late()
      await new Promise((r) => setTimeout(r, 0))
      expect(ids(t.data)).toEqual(['msg_0001'])
      expect(t.data.sessionLoads[SES].provisional).toBe(false)
    })

    it('paints the page read before the app ran (the prefetch entry) instead of reading it again', async () => {
      const t = gated({ [`/session/${SES}/message`]: pagedMessages([message(1), message(2)]) }, async () => ({ messages: [message(1)], nextCursor: 'c1' }))
      const loading = t.loader.ensureSession(DIR, SES)
      await vi.waitFor(() => expect(ids(t.data)).toEqual(['msg_0001']))
      expect(t.data.sessionLoads[SES]).toMatchObject({ status: 'loading', provisional: true, hasEarlier: true })
      expect(t.rest.reads.get(`/session/${SES}/message`)).toBeUndefined()
      t.open()
      await loading
      expect(ids(t.data)).toEqual(['msg_0001', 'msg_0002'])
      expect(t.rest.reads.get(`/session/${SES}/message`)).toBe(1)
    })

    it('reads the provisional page itself when the prefetched one failed', async () => {
      const t = gated({ [`/session/${SES}/message`]: pagedMessages([message(1), message(2)]) }, async () => undefined)
      const loading = t.loader.ensureSession(DIR, SES)
      await vi.waitFor(() => expect(ids(t.data)).toEqual(['msg_0001', 'msg_0002']))
      expect(t.data.sessionLoads[SES].provisional).toBe(true)
      t.open()
      await loading
      expect(t.rest.reads.get(`/session/${SES}/message`)).toBe(2)
    })

    it('reads no provisional page when a warm-start snapshot painted the session meanwhile', async () => {
      const t: ReturnType<typeof gated> = gated({ [`/session/${SES}/message`]: pagedMessages([message(1), message(2)]) }, async () => {
        loadMessages(directoryData(t.data, DIR), SES, [message(1)])
        return undefined
      })
      const loading = t.loader.ensureSession(DIR, SES)
      await new Promise((r) => setTimeout(r, 10))
      expect(t.rest.reads.get(`/session/${SES}/message`)).toBeUndefined()
      t.open()
      await loading
      expect(ids(t.data)).toEqual(['msg_0001', 'msg_0002'])
      expect(t.rest.reads.get(`/session/${SES}/message`)).toBe(1)
    })

    it('reads once when the session is shown already (a warm start) or the relay has answered', async () => {
      const t = gated({ [`/session/${SES}/message`]: pagedMessages([message(1)]) })
      t.open()
      await new Promise((r) => setTimeout(r, 0))
      await t.loader.ensureSession(DIR, SES)
      expect(t.rest.reads.get(`/session/${SES}/message`)).toBe(1)
    })
  })
})
