/**
 * The relay's ingest alone (sw/relay/ingest.ts): frames in, batches into the real event log (on
 * fake-indexeddb) out, on a manual clock, with a recording host in place of the hub. The hub's
 * end-to-end promises (fan-out, catch-up, storage errors seen by tabs) stay in test/hub.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { Ingest, STORAGE_RETRY_MS, type IngestHost } from '../sw/relay/ingest.ts'
import { EventLog } from '../sw/relay/log/event-log.ts'
import { parseFrame, type UpstreamFrame } from '../sw/shared/frames.ts'
import type { OpencodeEvent, RelayedEvent, RelayStatus } from '../sw/shared/protocol.ts'
import { FakeClock } from './support/fake-clock.ts'
import { until } from './support/until.ts'

const DIR = '/tmp/project'
const SES = 'ses_1'
const FLUSH_MS = 16
const COMPACT_MS = 60_000
const QUIET_MS = 1_000

function idle(id: string, sessionID = SES): OpencodeEvent {
  return { id, type: 'session.idle', properties: { sessionID } }
}
/** A frame of `GET /global/event` as the connection hands it over (parsed from its JSON). */
function frame(payload: object, directory = DIR): UpstreamFrame {
  const parsed = parseFrame(JSON.stringify({ directory, payload }))
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.frame
}
/** The bus event of {@link syncRemoved}. */
function removed(id: string, sessionID = SES): OpencodeEvent {
  return { id, type: 'message.removed', properties: { sessionID, messageID: `msg_${id}` } }
}
/** A sync twin (`message.removed.1`) of session `aggregateID`, with its `seq`. */
function syncRemoved(id: string, seq: number, aggregateID = SES): UpstreamFrame {
  return frame({ type: 'sync', id, syncEvent: { id, type: 'message.removed.1', seq, aggregateID, data: removed(id, aggregateID).properties } })
}

/** A host recording what the ingest tells it. */
function recordingHost(cursors: number[] = []) {
  const calls: {
    observed: Array<{ directory: string; id: string; recovered: boolean }>
    gaps: string[]
    accepted: RelayedEvent[][]
    storageChanged: number
    /** What {@link setup}'s ingest reported at each `storageChanged`. */
    storage: Array<RelayStatus['storage']>
    pumps: number
  } = { observed: [], gaps: [], accepted: [], storageChanged: 0, storage: [], pumps: 0 }
  const host: IngestHost = {
    observe: (directory, payload, recovered) => void calls.observed.push({ directory, id: payload.id, recovered }),
    seqGap: (directory) => void calls.gaps.push(directory),
    accepted: (events) => void calls.accepted.push([...events]),
    storageChanged: () => void calls.storageChanged++,
    pumpTabs: () => void calls.pumps++,
    tabCursors: () => cursors,
  }
  return { host, calls }
}

const logs: EventLog[] = []
afterEach(() => {
  vi.restoreAllMocks()
  for (const log of logs.splice(0)) log.close()
})

/** An ingest on a fresh log, its host's record and the manual clock. */
async function setup(opts: { cursors?: number[]; factory?: IDBFactory } = {}) {
  const clock = new FakeClock()
  const { host, calls } = recordingHost(opts.cursors)
  const ingest: Ingest = new Ingest({ clock }, { flushMs: FLUSH_MS, compactEveryMs: COMPACT_MS, compactQuietMs: QUIET_MS }, {
    ...host,
    storageChanged: () => {
      host.storageChanged()
      calls.storage.push(ingest.storage)
    },
  })
  const factory = opts.factory ?? new IDBFactory()
  const open = async () => {
    const log = await EventLog.open({ name: 'ingest-test', indexedDB: factory, IDBKeyRange, now: () => clock.now() })
    logs.push(log)
    return log
  }
  await ingest.replaceLog(open)
  const log = ingest.log
  if (!log) throw new Error('no log')
  return { clock, ingest, calls, log, open }
}

describe('Ingest', () => {
  it('sends an event after a quiet window at once, with the frames that came in the same task', async () => {
    const { clock, ingest, calls } = await setup()
    ingest.frame(frame(idle('evt_1')))
    ingest.frame(frame(idle('evt_2')))
    await clock.advance(0)
    expect(calls.accepted.map((batch) => batch.map((e) => e.id))).toEqual([['evt_1', 'evt_2']])
    expect(calls.accepted[0].map((e) => e.cursor)).toEqual([1, 2])
    expect(calls.pumps).toBe(1)
  })

  it('under a stream of events, batches one flush window into one append, then pumps the tabs once', async () => {
    const { clock, ingest, calls } = await setup()
    ingest.frame(frame(idle('evt_0')))
    await clock.advance(0)
    expect(calls.accepted).toHaveLength(1)
    ingest.frame(frame(idle('evt_1')))
    await clock.advance(5)
    ingest.frame(frame(idle('evt_2')))
    ingest.frame(frame(idle('evt_3')))
    await clock.advance(FLUSH_MS - 6)
    expect(calls.accepted).toHaveLength(1)
    await clock.advance(1)
    expect(calls.accepted.slice(1).map((batch) => batch.map((e) => e.id))).toEqual([['evt_1', 'evt_2', 'evt_3']])
    expect(calls.accepted[1].map((e) => e.cursor)).toEqual([2, 3, 4])
    expect(calls.pumps).toBe(2)
  })

  it('shows every queued event to the host before it has a cursor, live or recovered', async () => {
    const { clock, ingest, calls } = await setup()
    ingest.frame(frame(idle('evt_live')))
    ingest.enqueueRecovered(DIR, idle('evt_old'))
    expect(calls.observed).toEqual([
      { directory: DIR, id: 'evt_live', recovered: false },
      { directory: DIR, id: 'evt_old', recovered: true },
    ])
    expect(calls.accepted).toEqual([])
    await clock.advance(FLUSH_MS)
    expect(calls.accepted.flat().map((e) => [e.id, e.recovered ?? false])).toEqual([
      ['evt_live', false],
      ['evt_old', true],
    ])
  })

  it('drops transport noise, logs a sync twin in bus shape and remembers its seq', async () => {
    const { clock, ingest, calls } = await setup()
    ingest.frame(frame({ id: 'evt_hb', type: 'server.heartbeat', properties: {} }))
    ingest.frame(frame({ id: 'evt_c', type: 'server.connected', properties: {} }))
    ingest.frame(syncRemoved('evt_s', 4))
    expect(ingest.knownSeqs(DIR)).toEqual([{ directory: DIR, aggregateID: SES, seq: 4 }])
    await clock.advance(FLUSH_MS)
    expect(calls.accepted.flat().map((e) => e.payload)).toEqual([removed('evt_s')])
    // Written with the batch: the seq now counts as known for a catch-up after a reconnect.
    expect(ingest.knownDirectories()).toEqual([DIR])
  })

  it('reports a jump in an aggregate’s seq as a gap of its directory, and neither the first seq nor the next one', async () => {
    const { ingest, calls } = await setup()
    ingest.frame(syncRemoved('evt_1', 1))
    ingest.frame(syncRemoved('evt_2', 2))
    ingest.frame(syncRemoved('evt_2', 2))
    expect(calls.gaps).toEqual([])
    ingest.frame(syncRemoved('evt_5', 5))
    expect(calls.gaps).toEqual([DIR])
    // An older seq arriving late never lowers the position.
    ingest.frame(syncRemoved('evt_3', 3))
    expect(ingest.knownSeqs(DIR)).toEqual([{ directory: DIR, aggregateID: SES, seq: 5 }])
  })

  it('does not take the next seq for a gap while the append of the batch before it is still waiting', async () => {
    const { clock, ingest, calls, log } = await setup()
    ingest.frame(syncRemoved('evt_1', 1))
    await clock.advance(FLUSH_MS)
    // The next append waits (as it does behind a write-behind backlog or an ordered write).
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const appendLive = log.appendLive.bind(log)
    vi.spyOn(log, 'appendLive').mockImplementation(async (batch, seqs) => {
      await gate
      return appendLive(batch, seqs)
    })
    ingest.frame(syncRemoved('evt_2', 2))
    await clock.advance(FLUSH_MS)
    expect(log.appendLive).toHaveBeenCalledTimes(1)
    ingest.frame(syncRemoved('evt_3', 3))
    expect(calls.gaps).toEqual([])
    expect(Math.max(...ingest.knownSeqs(DIR).map((r) => r.seq))).toBe(3)
    release()
    await clock.advance(FLUSH_MS)
    await until(() => calls.accepted.flat().some((e) => e.id === 'evt_3'), 'evt_3 accepted')
    expect(calls.gaps).toEqual([])
    expect(calls.accepted.flat().map((e) => e.id)).toEqual(['evt_1', 'evt_2', 'evt_3'])
  })

  it('takes the seqs a catch-up recovered only where they are higher, and writes them with the recovered batch', async () => {
    const { clock, ingest, log } = await setup()
    ingest.frame(syncRemoved('evt_1', 3))
    await clock.advance(FLUSH_MS)
    ingest.offerSeqs([
      { directory: DIR, aggregateID: SES, seq: 2 },
      { directory: DIR, aggregateID: 'ses_2', seq: 7 },
    ])
    ingest.enqueueRecovered(DIR, idle('evt_r', 'ses_2'))
    expect(ingest.knownSeqs(DIR)).toEqual([
      { directory: DIR, aggregateID: SES, seq: 3 },
      { directory: DIR, aggregateID: 'ses_2', seq: 7 },
    ])
    await ingest.flush()
    expect(await log.getSeqs(DIR)).toEqual(expect.arrayContaining([{ directory: DIR, aggregateID: 'ses_2', seq: 7 }]))
  })

  it('writes recovered events behind like live ones, in the order they were queued, so they hold no live event', async () => {
    const { clock, ingest, calls, log } = await setup()
    vi.spyOn(log, 'append')
    ingest.enqueueRecovered(DIR, idle('evt_recovered', 'ses_2'))
    ingest.frame(frame(idle('evt_live')))
    await clock.advance(FLUSH_MS)
    await ingest.flushed()
    expect(log.append).not.toHaveBeenCalled()
    expect(calls.accepted.flat().map((e) => [e.id, e.recovered ?? false])).toEqual([
      ['evt_recovered', true],
      ['evt_live', false],
    ])
  })

  it('leaves out a recovered event the log stored before it was reopened', async () => {
    const factory = new IDBFactory()
    const first = await setup({ factory })
    first.ingest.frame(frame(idle('evt_old')))
    await first.clock.advance(FLUSH_MS)
    await first.ingest.stop()
    const { ingest } = await setup({ factory })
    expect((await ingest.unseen([idle('evt_old'), idle('evt_new')])).map((e) => e.id)).toEqual(['evt_new'])
  })

  it('reports a failing write, retries it every 1.1 s while it fails, and reports storage ok once space is back without a further event', async () => {
    const { clock, ingest, calls, log } = await setup()
    const quota = vi.spyOn(log.dexie.events, 'bulkAdd').mockRejectedValue(new DOMException('The quota has been exceeded.', 'QuotaExceededError'))
    ingest.frame(frame(idle('evt_q')))
    await clock.advance(FLUSH_MS)
    await until(() => ingest.storage.ok === false, 'the storage error')
    expect(ingest.storage.error).toMatch(/quota/i)
    expect(calls.storageChanged).toBe(1)
    const attempts = quota.mock.calls.length
    // Still failing: the retry reports the same error (no new status), and is armed again.
    await clock.advance(STORAGE_RETRY_MS)
    await until(() => quota.mock.calls.length > attempts, 'a retried write')
    expect(calls.storageChanged).toBe(1)
    quota.mockRestore()
    await clock.advance(STORAGE_RETRY_MS)
    await until(() => ingest.storage.ok, 'storage ok')
    expect(calls.storageChanged).toBe(2)
    expect(await log.dexie.events.count()).toBe(1)
  })

  it('compacts at most once per period, at a quiet moment, keeping every entry after the lowest tab cursor', async () => {
    const { clock, ingest, log } = await setup({ cursors: [2, 5] })
    const compact = vi.spyOn(log, 'compact')
    for (let i = 1; i <= 6; i++) ingest.frame(frame(idle(`evt_${i}`)))
    await clock.advance(FLUSH_MS)
    expect(compact).not.toHaveBeenCalled()
    await clock.advance(QUIET_MS)
    expect(compact.mock.calls).toEqual([[{ keepAfterCursor: 2, pace: expect.any(Function) }]])
    ingest.frame(frame(idle('evt_7')))
    await clock.advance(FLUSH_MS + QUIET_MS)
    expect(compact).toHaveBeenCalledTimes(1)
    await clock.advance(COMPACT_MS)
    ingest.frame(frame(idle('evt_8')))
    await clock.advance(FLUSH_MS + QUIET_MS)
    expect(compact).toHaveBeenCalledTimes(2)
  })

  it('holds a due compaction and each of its steps while batches keep coming, and not longer than a period', async () => {
    const { clock, ingest, log } = await setup()
    const compact = vi.spyOn(log, 'compact')
    /** Events every flush window for `ms`. */
    const stream = async (ms: number) => {
      for (let t = 0; t < ms; t += FLUSH_MS) {
        ingest.frame(frame(idle(`evt_${clock.now()}`)))
        await clock.advance(FLUSH_MS)
      }
    }
    await stream(3 * QUIET_MS)
    expect(compact).not.toHaveBeenCalled()
    await clock.advance(QUIET_MS)
    expect(compact).toHaveBeenCalledTimes(1)
    // Each step asks for a quiet moment: none while the stream runs, one once it pauses.
    const pace = compact.mock.calls[0][0].pace
    if (!pace) throw new Error('no pace')
    let paced = false
    ingest.frame(frame(idle('evt_step')))
    await clock.advance(FLUSH_MS)
    void pace().then(() => (paced = true))
    await stream(2 * QUIET_MS)
    expect(paced).toBe(false)
    await clock.advance(QUIET_MS)
    expect(paced).toBe(true)
    // A stream that never pauses: the next compaction runs once it waited a whole period.
    await clock.advance(COMPACT_MS)
    const dueAt = clock.now()
    await stream(COMPACT_MS - 2 * FLUSH_MS)
    expect(compact).toHaveBeenCalledTimes(1)
    expect(clock.now() - dueAt).toBeLessThan(COMPACT_MS)
    await stream(3 * FLUSH_MS)
    expect(compact).toHaveBeenCalledTimes(2)
    let pacedAgain = false
    void compact.mock.calls[1][0].pace?.().then(() => (pacedAgain = true))
    await clock.advance(0)
    expect(pacedAgain).toBe(true)
  })

  it('a failed compaction is a storage error the host is told of', async () => {
    const { clock, ingest, calls, log } = await setup()
    const compact = vi.spyOn(log, 'compact').mockRejectedValue(new Error('disk gone'))
    ingest.frame(frame(idle('evt_1')))
    await clock.advance(FLUSH_MS + QUIET_MS)
    await until(() => compact.mock.results.length === 1 && calls.storage.length > 0, 'the compaction error')
    // (The next write's outcome reports the storage health again: here, ok.)
    expect(calls.storage[0]).toEqual({ ok: false, error: 'compaction failed: Error: disk gone' })
  })

  it('on another log, drops the pending batch and starts from that log’s seqs, head and newest event', async () => {
    const factory = new IDBFactory()
    const { clock, ingest, open } = await setup({ factory })
    const stamped = clock.now()
    ingest.frame(syncRemoved('evt_1', 1))
    await clock.advance(FLUSH_MS)
    await clock.advance(1_000)
    ingest.frame(frame(idle('evt_pending')))
    await ingest.drain()
    // The same database again, as a relay that starts over finds it.
    const head = await ingest.replaceLog(open)
    expect(head).toBe(1)
    expect(ingest.lastEventAt).toBe(stamped)
    expect(ingest.knownSeqs(DIR)).toEqual([{ directory: DIR, aggregateID: SES, seq: 1 }])
    await ingest.flush()
    expect(ingest.log?.head()).toBe(1)
  })

  it('while the next log opens, drops the previous server’s late events and seqs and keeps flushing afterwards', async () => {
    const { clock, ingest, calls, open } = await setup()
    let release: () => void = () => undefined
    const opened = new Promise<void>((resolve) => (release = resolve))
    const replacing = ingest.replaceLog(async () => {
      await opened
      return open()
    })
    // A live event and a seq from the old stream arrive in the gap, and their flush runs.
    ingest.frame(frame(idle('evt_late')))
    ingest.frame(syncRemoved('evt_late_seq', 7))
    await clock.advance(FLUSH_MS)
    release()
    await replacing
    ingest.frame(frame(idle('evt_next')))
    await clock.advance(FLUSH_MS)
    expect(calls.accepted.flat().map((e) => e.id)).toEqual(['evt_next'])
    expect(ingest.knownSeqs(DIR)).toEqual([])
  })

  it('a flush the log refuses does not stop the flushes after it', async () => {
    const { clock, ingest, calls, log } = await setup()
    vi.spyOn(log, 'appendLive').mockRejectedValueOnce(new Error('EventLog is closed'))
    ingest.frame(frame(idle('evt_refused')))
    await clock.advance(FLUSH_MS)
    expect(calls.storage.at(-1)).toEqual({ ok: false, error: 'events dropped: EventLog is closed' })
    ingest.frame(frame(idle('evt_after')))
    await clock.advance(FLUSH_MS)
    expect(calls.accepted.flat().map((e) => e.id)).toEqual(['evt_after'])
    expect(ingest.storage).toEqual({ ok: true })
  })
})
