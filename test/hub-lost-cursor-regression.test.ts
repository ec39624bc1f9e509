/**
 * Regression (write-behind, found while measuring it in session 2): a relay hands live events to
 * the tabs before IndexedDB has them; when it dies first (the last tab of a SharedWorker closed,
 * the fallback's leader tab closed), a surviving tab holds cursors the log never wrote. The next
 * relay must neither reuse those cursors nor replay from them as if nothing was missing: the tab
 * is told to `reset` (re-read over REST) and continues from the new head.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { RelayHub } from '../sw/relay/hub.ts'
import { EventLog, type NewEvent } from '../sw/relay/log/event-log.ts'
import type { RelayToTab } from '../sw/shared/protocol.ts'

const server = { url: 'http://opencode.test' }
const DIR = '/tmp/project'

function idle(n: number): NewEvent {
  const id = `evt_lost_${n}`
  return { id, directory: DIR, payload: { id, type: 'session.idle', properties: { sessionID: 'ses_1' } }, receivedAt: 1 }
}

afterEach(() => vi.restoreAllMocks())

describe('a relay after one that died with unwritten events (regression)', () => {
  it('tells a tab holding one of the lost cursors to reset, and one holding a written cursor to replay', async () => {
    const factory = new IDBFactory()
    // The relay that died: events 1–3 written, 4–5 handed out and never written.
    const dead = await EventLog.open({ name: server.url, indexedDB: factory, IDBKeyRange })
    await dead.append([idle(1), idle(2), idle(3)])
    vi.spyOn(dead.dexie.events, 'bulkAdd').mockRejectedValue(new DOMException('the worker is gone', 'AbortError'))
    expect((await dead.appendLive([idle(4), idle(5)])).accepted.map((e) => e.cursor)).toEqual([4, 5])
    dead.close()
    vi.restoreAllMocks()

    const hub = new RelayHub({
      // The upstream never answers: this test is about the log and the handshake only.
      fetch: () => new Promise<Response>(() => undefined),
      clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      random: () => 0,
      mode: 'shared-worker',
      openLog: async (s) => (log = await EventLog.open({ name: s.url, indexedDB: factory, IDBKeyRange })),
    })
    let log: EventLog | undefined
    const hello = async (tabId: string) => {
      const messages: RelayToTab[] = []
      const session = hub.connectTab({ post: (m) => messages.push(m) }, tabId)
      await session.receive({ type: 'hello', tabId, lockName: `l-${tabId}`, server, visible: true })
      return { session, messages }
    }
    const answer = (messages: RelayToTab[]) => messages.find((m) => m.type === 'reset' || m.type === 'subscribed')
    try {
      const first = await hello('first')
      // The new relay has logged a live event since: its cursor is above the lost ones.
      if (!log) throw new Error('the hub opened no log')
      const [next] = (await log.append([idle(6)])).accepted
      expect(next.cursor).toBeGreaterThan(5)

      await first.session.receive({ type: 'subscribe', cursor: 5 })
      expect(answer(first.messages)).toMatchObject({ type: 'reset', head: next.cursor })
      const written = await hello('holds-2')
      await written.session.receive({ type: 'subscribe', cursor: 2 })
      expect(answer(written.messages)).toEqual({ type: 'subscribed', from: 2, head: next.cursor })
    } finally {
      await hub.stop()
    }
  })
})
