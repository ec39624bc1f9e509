/**
 * Where relay batches and REST reads meet (src/sync/intake.ts), on plain data with no store and no
 * relay: replay overlap dropped, a read's scope held until its answer is committed, a failed read
 * releasing what it held, one version bump per touched session, malformed events counted.
 */
import { describe, expect, it, vi } from 'vitest'
import type { Event, Message, Part } from '@opencode-ai/sdk/v2/types'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import { createIntake } from '../src/sync/intake.ts'
import { mergeIndexedRun } from '../sw/shared/delta-runs.ts'
import { createSyncData, directoryData } from '../src/sync/data.ts'
import { loadMessages } from '../src/state/reducer.ts'
import { assistantMessage } from './support/messages.ts'

const DIR = '/work/project'
const SES = 'ses_a'

const reply: Message = assistantMessage({ id: 'msg_2', sessionID: SES, parentID: 'msg_1', directory: DIR, time: { created: 2 } })
const textPart = (text: string): Part => ({ id: 'prt_1', messageID: 'msg_2', sessionID: SES, type: 'text', text })

function relayed(cursor: number, payload: Event, receivedAt = 0): RelayedEvent {
  return { cursor, id: `evt_${cursor}`, directory: DIR, payload, receivedAt }
}
const delta = (cursor: number, text: string, receivedAt = 0) =>
  relayed(cursor, { id: `e${cursor}`, type: 'message.part.delta', properties: { sessionID: SES, messageID: 'msg_2', partID: 'prt_1', field: 'text', delta: text } }, receivedAt)

/** The text of the one part, as applied. */
function textOf(data: ReturnType<typeof createSyncData>): string | undefined {
  const part = data.state.directories[DIR]?.parts.msg_2?.[0]
  return part?.type === 'text' ? part.text : undefined
}

function setup(now = 1_000) {
  const data = createSyncData()
  const after: string[] = []
  const intake = createIntake({ data, beforeRead: () => undefined, afterEvent: (ev) => after.push(ev.payload.type), now: () => now })
  return { data, intake, after }
}

describe('event intake', () => {
  it('applies a batch once: a replayed overlap is dropped, deltas are never doubled', () => {
    const { data, intake, after } = setup()
    const d = directoryData(data, DIR)
    loadMessages(d, SES, [{ info: reply, parts: [textPart('')] }])
    const batch = [delta(1, 'Hel'), delta(2, 'lo')]
    intake.onEvents(batch)
    intake.onEvents([...batch, delta(3, '!')])
    expect(textOf(data)).toBe('Hello!')
    expect(data.state.lastCursor).toBe(3)
    // Coalesced runs: one version bump per batch that touched the session, one afterEvent per applied run.
    expect(data.sessionVersion[SES]).toBe(2)
    expect(after).toEqual(['message.part.delta', 'message.part.delta'])
  })

  it('a replay that overlaps inside a merged run of deltas applies only the deltas after the last applied cursor', () => {
    const { data, intake } = setup()
    loadMessages(directoryData(data, DIR), SES, [{ info: reply, parts: [textPart('')] }])
    // Applied one by one (an old relay's live batch), then the same deltas again as one merged run
    // with two more (the new relay's replay from the cursor the tab subscribed with).
    intake.onEvents([delta(1, 'Hel'), delta(2, 'lo')])
    intake.onEvents([mergeIndexedRun([delta(1, 'Hel'), delta(2, 'lo'), delta(3, ' wor'), delta(4, 'ld')])])
    expect(textOf(data)).toBe('Hello world')
    expect(data.state.lastCursor).toBe(4)
  })

  it('hands each applied run of deltas on with an index of every cursor in it, merged runs included', () => {
    const data = createSyncData()
    loadMessages(directoryData(data, DIR), SES, [{ info: reply, parts: [textPart('')] }])
    const seen: RelayedEvent[] = []
    const intake = createIntake({ data, beforeRead: () => undefined, afterEvent: (ev) => seen.push(ev) })
    // A merged run from the relay's fan-out followed by single deltas of the same part.
    intake.onEvents([mergeIndexedRun([delta(1, 'Hel'), delta(2, 'lo')]), delta(3, ' wor'), delta(4, 'ld')])
    expect(textOf(data)).toBe('Hello world')
    expect(seen).toHaveLength(1)
    expect(seen[0].cursor).toBe(4)
    expect(seen[0].run).toEqual({ cursors: [1, 2, 3, 4], ends: [3, 5, 9, 11] })
  })

  it('holds a read’s scope until the answer is committed, then applies only what the answer lacks', async () => {
    const { data, intake } = setup(1_000)
    let answer: (parts: Part[]) => void = () => undefined
    const reading = intake.read(
      { kind: 'session', directory: DIR, sessionID: SES },
      () => new Promise<Part[]>((resolve) => (answer = resolve)),
      (parts) => loadMessages(directoryData(data, DIR), SES, [{ info: reply, parts }]),
    )
    await Promise.resolve()
    // Received by the relay before the read was sent (in the answer), then after it.
    intake.onEvents([delta(1, 'Hel', 900), delta(2, 'lo', 950), delta(3, ' world', 1_100)])
    expect(textOf(data)).toBeUndefined()
    expect(intake.idle).toBe(false)
    answer([textPart('Hello')])
    await reading
    expect(textOf(data)).toBe('Hello world')
    expect(intake.idle).toBe(true)
  })

  it('a failed read releases everything it held, and rethrows', async () => {
    const { data, intake } = setup(1_000)
    loadMessages(directoryData(data, DIR), SES, [{ info: reply, parts: [textPart('')] }])
    let fail: (err: Error) => void = () => undefined
    const reading = intake.read({ kind: 'session', directory: DIR, sessionID: SES }, () => new Promise<void>((_, reject) => (fail = reject)), () => undefined)
    await Promise.resolve()
    intake.onEvents([delta(1, 'a', 900), delta(2, 'b', 1_100)])
    expect(textOf(data)).toBe('')
    fail(new Error('down'))
    await expect(reading).rejects.toThrow('down')
    expect(textOf(data)).toBe('ab')
  })

  it('waits for beforeRead before sending the read', async () => {
    const data = createSyncData()
    let open: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (open = resolve))
    const intake = createIntake({ data, beforeRead: () => gate, afterEvent: () => undefined })
    const fetcher = vi.fn(async () => [])
    const reading = intake.read({ kind: 'projects' }, fetcher, (projects) => void (data.state.projects = projects))
    await Promise.resolve()
    expect(fetcher).not.toHaveBeenCalled()
    open()
    await reading
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('counts an event whose payload makes the reducer throw, and goes on with the batch', () => {
    const { data, intake } = setup()
    const good: Event = { id: 'e2', type: 'message.updated', properties: { sessionID: SES, info: reply } }
    // A malformed frame: `info` missing at runtime (the wire is not the type).
    const properties = { sessionID: SES, info: reply }
    Reflect.deleteProperty(properties, 'info')
    const malformed: Event = { id: 'e1', type: 'message.updated', properties }
    intake.onEvents([relayed(1, malformed), relayed(2, good)])
    expect(data.state.failedEvents).toBe(1)
    expect(data.state.directories[DIR].messages[SES].map((m) => m.id)).toEqual(['msg_2'])
  })

  it('a reset drops what is held and continues from the relay’s head', async () => {
    const { data, intake } = setup(1_000)
    let answer: () => void = () => undefined
    const reading = intake.read({ kind: 'directory', directory: DIR }, () => new Promise<void>((resolve) => (answer = resolve)), () => undefined)
    await Promise.resolve()
    intake.onEvents([relayed(5, { id: 'e5', type: 'session.status', properties: { sessionID: SES, status: { type: 'busy' } } }, 1_100)])
    intake.reset(2)
    expect(data.state.lastCursor).toBe(2)
    answer()
    await reading
    expect(data.state.directories[DIR]?.status[SES]).toBeUndefined()
  })
})
