/**
 * The catch-up runner alone (sw/relay/catch-up-runner.ts) on a manual clock: a scripted
 * directory reader in place of the REST reads, a recording sink in place of the ingest and a
 * recording host in place of the hub. The same promises end to end (real connection, log and
 * scripted server) are in test/hub.test.ts "RelayHub catch-up after a gap".
 */
import { describe, expect, it } from 'vitest'
import { CatchUpRunner, type CatchUpHost, type CatchUpSink, type DirectoryReader } from '../sw/relay/catch-up-runner.ts'
import type { CatchUpResult, SeqRow } from '../sw/relay/catch-up.ts'
import { computeBackoffMs } from '../sw/shared/backoff.ts'
import type { BusySession } from '../sw/shared/opencode-events.ts'
import type { OpencodeEvent, ServerConfig } from '../sw/shared/protocol.ts'
import { FakeClock, settleImmediate } from './support/fake-clock.ts'

const DIR = '/tmp/project'
const OTHER = '/tmp/other'
const SES = 'ses_1'
const RANDOM = 0.99

/** A promise the test opens. */
function gate(): { wait: Promise<void>; open: () => void } {
  let release: (() => void) | undefined
  const wait = new Promise<void>((r) => (release = r))
  return { wait, open: () => release?.() }
}

function nothing(): CatchUpResult {
  return { events: [], seqs: [], status: {} }
}
function partUpdated(id: string, partID: string, text: string): OpencodeEvent {
  return { id, type: 'message.part.updated', properties: { sessionID: SES, time: 1, part: { id: partID, messageID: 'msg_1', sessionID: SES, type: 'text', text } } }
}

interface Read {
  directory: string
  known: readonly SeqRow[]
  gapStartedAt: number
}

/**
 * A runner on a manual clock. `answer` plays one directory's catch-up (throw to fail it); the
 * log records every call into the sink and host, in order.
 */
function setup(answer: (read: Read, n: number) => Promise<CatchUpResult> | CatchUpResult = () => nothing()) {
  const clock = new FakeClock()
  const log: string[] = []
  const reads: Read[] = []
  const enqueued: Array<{ directory: string; event: OpencodeEvent }> = []
  const state: {
    connected: boolean
    lastEventAt: number
    directories: string[]
    known: SeqRow[]
    busy: BusySession[]
    errors: string[]
    server: ServerConfig | undefined
    /** Ids the log holds: `unseen` leaves them out. */
    held: Set<string>
  } = {
    connected: true,
    lastEventAt: 1_000,
    directories: [DIR],
    known: [{ directory: DIR, aggregateID: SES, seq: 3 }],
    busy: [],
    errors: [],
    server: { url: 'http://opencode.test' },
    held: new Set(),
  }
  const sink: CatchUpSink = {
    get lastEventAt() {
      return state.lastEventAt
    },
    knownSeqs: (directory) => state.known.filter((r) => r.directory === directory),
    knownDirectories: () => state.directories,
    unseen: async (events) => events.filter((e) => !state.held.has(e.id)),
    enqueueRecovered: (directory, event) => {
      log.push(`enqueue ${event.id}`)
      enqueued.push({ directory, event })
    },
    offerSeqs: (rows) => void log.push(`seqs ${rows.map((r) => `${r.aggregateID}=${r.seq}`).join(',')}`),
    flush: async () => void log.push('flush'),
  }
  const host: CatchUpHost = {
    server: () => state.server,
    connected: () => state.connected,
    busySessions: () => state.busy,
    runningChanged: () => void log.push(`running ${runner.running}`),
    caughtUp: (directories) => void log.push(`caught up ${directories.join(',')}`),
    failed: (message) => void state.errors.push(message),
  }
  const reader = (): DirectoryReader => async (directory, known, gapStartedAt) => {
    const read = { directory, known, gapStartedAt }
    reads.push(read)
    log.push(`read ${directory}`)
    return answer(read, reads.length)
  }
  const runner: CatchUpRunner = new CatchUpRunner({ clock, random: () => RANDOM, reader }, sink, host)
  return { clock, runner, log, reads, enqueued, state }
}

describe('CatchUpRunner', () => {
  it('when the stream opens, reads every directory with a known seq from the gap start, logs what it got, then tells the tabs to resync', async () => {
    const { runner, log, reads, state } = setup(() => ({ events: [partUpdated('evt_gap', 'prt_1', 'x')], seqs: [{ directory: DIR, aggregateID: SES, seq: 4 }], status: {} }))
    state.directories = [DIR, OTHER]
    runner.streamOpened()
    await settleImmediate()
    expect(reads.map((r) => [r.directory, r.known, r.gapStartedAt])).toEqual([
      [DIR, [{ directory: DIR, aggregateID: SES, seq: 3 }], 1_000],
      [OTHER, [], 1_000],
    ])
    expect(log).toEqual([
      'running true',
      `read ${DIR}`,
      'enqueue evt_gap',
      `seqs ${SES}=4`,
      `read ${OTHER}`,
      'enqueue evt_gap',
      `seqs ${SES}=4`,
      // Recovered events reach the tabs before they re-read the non-durable state.
      'flush',
      `caught up ${DIR},${OTHER}`,
      'running false',
    ])
  })

  it('does nothing when the stream opens with no seq known, or before a server is configured', async () => {
    const { runner, reads, state, log } = setup()
    state.directories = []
    runner.streamOpened()
    await settleImmediate()
    state.directories = [DIR]
    state.server = undefined
    runner.streamOpened()
    runner.seqGap(DIR)
    await runner.catchUp([DIR])
    expect(reads).toEqual([])
    expect(log).toEqual([])
  })

  it('sends an idle status for a session believed busy that the server no longer reports, and re-sends every reported status', async () => {
    const { runner, enqueued, state } = setup(() => ({ events: [], seqs: [], status: { ses_b: { type: 'busy' } } }))
    state.busy = [
      { sessionID: 'ses_a', directory: DIR, status: 'busy', since: 1 },
      { sessionID: 'ses_b', directory: DIR, status: 'busy', since: 1 },
      // Another directory's session: this catch-up says nothing about it.
      { sessionID: 'ses_c', directory: OTHER, status: 'busy', since: 1 },
    ]
    await runner.catchUp([DIR])
    expect(enqueued.map(({ directory, event }) => [directory, event.type, event.properties])).toEqual([
      [DIR, 'session.status', { sessionID: 'ses_a', status: { type: 'idle' } }],
      [DIR, 'session.status', { sessionID: 'ses_b', status: { type: 'busy' } }],
    ])
    expect(enqueued.every(({ event }) => event.id.startsWith('relay_'))).toBe(true)
  })

  it('drops a recovered event of an entity the live stream changed during the catch-up, and keeps the others', async () => {
    const historyGate = gate()
    const { runner, enqueued } = setup(async () => {
      await historyGate.wait
      return {
        events: [partUpdated('evt_old_1', 'prt_1', 'older'), partUpdated('evt_old_2', 'prt_2', 'untouched')],
        seqs: [],
        status: { [SES]: { type: 'busy' } },
      }
    })
    const running = runner.catchUp([DIR])
    // While the reads are in flight, the live stream moves part 1 on and ends the session's work.
    runner.liveEvent(DIR, partUpdated('evt_live', 'prt_1', 'newer'))
    runner.liveEvent(DIR, { id: 'evt_idle', type: 'session.status', properties: { sessionID: SES, status: { type: 'idle' } } })
    // The same part in another directory is another entity.
    runner.liveEvent(OTHER, partUpdated('evt_elsewhere', 'prt_2', 'other'))
    historyGate.open()
    await running
    expect(enqueued.map(({ event }) => event.id)).toEqual(['evt_old_2'])
    // Between catch-ups the live stream marks nothing.
    runner.liveEvent(DIR, partUpdated('evt_live_2', 'prt_2', 'later'))
    await runner.catchUp([DIR])
    expect(enqueued.map(({ event }) => event.id)).toEqual(['evt_old_2', 'evt_old_1', 'evt_old_2', expect.stringMatching(/^relay_status_/)])
  })

  it('never queues a recovered event the log already holds, and still queues the rest in server order', async () => {
    const { runner, enqueued, state } = setup(() => ({
      events: [partUpdated('evt_a', 'prt_1', 'a'), partUpdated('evt_held', 'prt_2', 'b'), partUpdated('evt_c', 'prt_3', 'c')],
      seqs: [],
      status: {},
      pending: { permissions: [], questions: [] },
    }))
    state.held = new Set(['evt_held'])
    await runner.catchUp([DIR])
    expect(enqueued.map(({ event }) => event.id)).toEqual(['evt_a', 'evt_c'])
  })

  it('runs a catch-up asked for during another one right after it, from the first gap’s start', async () => {
    const first = gate()
    const { runner, reads, state, log } = setup(async (_read, n) => {
      if (n === 1) await first.wait
      return nothing()
    })
    const running = runner.catchUp([DIR])
    // A second gap while the first catch-up reads: the newest event is later now.
    state.lastEventAt = 5_000
    await runner.catchUp([OTHER])
    expect(reads).toHaveLength(1)
    first.open()
    await running
    expect(reads.map((r) => [r.directory, r.gapStartedAt])).toEqual([
      [DIR, 1_000],
      [OTHER, 1_000],
    ])
    expect(log.filter((l) => l.startsWith('caught up'))).toEqual([`caught up ${DIR}`, `caught up ${OTHER}`])
    // Both done: the next gap starts afresh.
    await runner.catchUp([DIR])
    expect(reads.at(-1)?.gapStartedAt).toBe(5_000)
  })

  it('ignores a live seq jump while a catch-up runs (it recovers that very gap), and catches up one seen later', async () => {
    const first = gate()
    const { runner, reads } = setup(async (_read, n) => {
      if (n === 1) await first.wait
      return nothing()
    })
    const running = runner.catchUp([DIR])
    runner.seqGap(OTHER)
    first.open()
    await running
    expect(reads.map((r) => r.directory)).toEqual([DIR])
    runner.seqGap(OTHER)
    await settleImmediate()
    expect(reads.map((r) => r.directory)).toEqual([DIR, OTHER])
  })

  it('reports a failure and retries it with full-jitter backoff while the stream is up, covering the same gap', async () => {
    const { clock, runner, reads, state, log } = setup((_read, n) => {
      if (n <= 2) throw new TypeError('Failed to fetch')
      return nothing()
    })
    await runner.catchUp([DIR])
    expect(state.errors).toEqual(['catch-up failed: Failed to fetch'])
    expect(log).toEqual(['running true', `read ${DIR}`, 'running false'])
    // The newest event moved on meanwhile; the retry still covers the gap from where it began.
    state.lastEventAt = 9_000
    const firstDelay = computeBackoffMs(0, RANDOM, 500, 8_000)
    await clock.advance(firstDelay - 1)
    expect(reads).toHaveLength(1)
    await clock.advance(1)
    expect(reads).toHaveLength(2)
    expect(state.errors).toHaveLength(2)
    // The second retry waits longer (the cap doubles), then succeeds.
    const secondDelay = computeBackoffMs(1, RANDOM, 500, 8_000)
    expect(secondDelay).toBeGreaterThan(firstDelay)
    await clock.advance(secondDelay)
    expect(reads.map((r) => r.gapStartedAt)).toEqual([1_000, 1_000, 1_000])
    expect(log.at(-2)).toBe(`caught up ${DIR}`)
  })

  it('does not retry while the stream is down (the next stream catches up by itself), nor after stop', async () => {
    const { clock, runner, reads, state } = setup(() => {
      throw new Error('HTTP 502')
    })
    await runner.catchUp([DIR])
    state.connected = false
    await clock.advance(10_000)
    expect(reads).toHaveLength(1)
    expect(clock.pending).toBe(0)
    state.connected = true
    await runner.catchUp([DIR])
    runner.stop()
    await clock.advance(10_000)
    expect(reads).toHaveLength(2)
  })

  it('forgets the queue and the start of an unrecovered gap on reset (another server’s log)', async () => {
    const first = gate()
    const { runner, reads, state } = setup(async (_read, n) => {
      if (n === 1) await first.wait
      if (n === 2) throw new Error('HTTP 502')
      return nothing()
    })
    const running = runner.catchUp([DIR])
    await runner.catchUp([OTHER])
    runner.reset()
    first.open()
    await running
    expect(reads.map((r) => r.directory)).toEqual([DIR])
    // A failed catch-up keeps its gap start for the retry; after a reset the next gap starts afresh.
    await runner.catchUp([DIR])
    runner.stop()
    expect(reads.at(-1)?.gapStartedAt).toBe(1_000)
    runner.reset()
    state.lastEventAt = 7_000
    await runner.catchUp([DIR])
    expect(reads.at(-1)?.gapStartedAt).toBe(7_000)
  })
})

describe('CatchUpRunner.poll (degraded mode)', () => {
  const permission = (id: string) => ({ id, sessionID: SES, permission: 'bash', patterns: ['echo hi'], metadata: {}, always: [] })
  const question = (id: string) => ({ id, sessionID: SES, questions: [{ question: 'Which?', header: 'Pick', options: [] }] })

  it('offers each pending request once as its asked event, and has the tabs re-read when one is gone', async () => {
    const pending: Array<{ permissions: ReturnType<typeof permission>[]; questions: ReturnType<typeof question>[] }> = [
      { permissions: [permission('per_1')], questions: [] },
      { permissions: [permission('per_1')], questions: [question('que_1')] },
      { permissions: [], questions: [question('que_1')] },
    ]
    const { runner, log, enqueued } = setup((_read, n) => ({ ...nothing(), pending: pending[n - 1] }))
    expect(await runner.poll([DIR], true)).toBe(true)
    expect(enqueued.map((e) => [e.event.id, e.event.type])).toEqual([['relay_pending_per_1', 'permission.asked']])
    // The first poll has the tabs re-read (what the log does not carry: e.g. requests answered before).
    expect(log).toContain(`caught up ${DIR}`)
    log.length = 0
    expect(await runner.poll([DIR], false)).toBe(true)
    expect(enqueued.map((e) => e.event.id)).toEqual(['relay_pending_per_1', 'relay_pending_que_1'])
    expect(log.some((l) => l.startsWith('caught up'))).toBe(false)
    // per_1 was answered elsewhere: only a re-read can say how.
    expect(await runner.poll([DIR], false)).toBe(true)
    expect(enqueued).toHaveLength(2)
    expect(log).toContain(`caught up ${DIR}`)
  })

  it('does not offer a pending request whose asked event the log holds (a relay started again)', async () => {
    const { runner, enqueued, state } = setup(() => ({ ...nothing(), pending: { permissions: [permission('per_1'), permission('per_2')], questions: [] } }))
    state.held = new Set(['relay_pending_per_1'])
    expect(await runner.poll([DIR], true)).toBe(true)
    expect(enqueued.map((e) => e.event.id)).toEqual(['relay_pending_per_2'])
  })

  it('reports a failed read and resolves false, with no retry of its own', async () => {
    const { runner, state, clock, reads } = setup(() => {
      throw new Error('GET /permission failed: HTTP 502 Bad Gateway')
    })
    expect(await runner.poll([DIR], false)).toBe(false)
    expect(state.errors).toEqual(['catch-up failed: GET /permission failed: HTTP 502 Bad Gateway'])
    await clock.advance(60_000)
    expect(reads).toHaveLength(1)
  })

  it('a stream that opens while a poll runs is caught up as soon as the poll ends', async () => {
    // The poll's reads were answered before the machine slept; the stream reopened after the wake.
    const slept = gate()
    const { runner, reads, log } = setup(async (_read, n) => {
      if (n === 1) await slept.wait
      return { ...nothing(), pending: { permissions: [], questions: [] } }
    })
    const polling = runner.poll([DIR], false)
    runner.streamOpened()
    await settleImmediate()
    expect(reads).toHaveLength(1)
    slept.open()
    expect(await polling).toBe(true)
    await settleImmediate()
    expect(reads.map((r) => r.directory)).toEqual([DIR, DIR])
    expect(log.filter((l) => l.startsWith('caught up'))).toEqual([`caught up ${DIR}`])
  })

  it('a live seq jump seen while a poll runs is caught up after it, not ignored', async () => {
    const slept = gate()
    const { runner, reads } = setup(async (_read, n) => {
      if (n === 1) await slept.wait
      return nothing()
    })
    const polling = runner.poll([DIR], false)
    runner.seqGap(OTHER)
    slept.open()
    await polling
    await settleImmediate()
    expect(reads.map((r) => r.directory)).toEqual([DIR, OTHER])
  })

  it('starts each poll where the previous one began', async () => {
    const { runner, reads, clock } = setup()
    await runner.poll([DIR], true)
    const first = clock.now()
    await clock.advance(5_000)
    await runner.poll([DIR], false)
    expect(reads.map((r) => r.gapStartedAt)).toEqual([1_000, first])
  })
})
