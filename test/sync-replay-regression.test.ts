/**
 * Regression (found by the fault suite, e2e/faults, `npm run test:faults` seed 2140871883 cycle 22:
 * every tab of the leader-tab fallback closed while a reply streamed and reopened 0.8 s later).
 * A reopened tab subscribes from its warm-start snapshot's cursor and reads REST at the same time;
 * the relay's replay of its event log can arrive AFTER that REST read finished. The replayed
 * events are older than what REST returned (their `receivedAt` is before the read was sent), yet
 * they were applied on top of it: the session's last logged status, `busy` (its `idle` came while
 * no relay was connected), replaced the `idle` that REST had just loaded, and stayed — the tab
 * showed the reply as still running although the server was idle. The same ordering lets an old
 * `message.updated` roll back a finished message and an old `message.part.delta` append text the
 * REST part already holds (duplicated text).
 *
 * The invariant: an event older than the last successful REST read of its scope (`receivedAt` <
 * the read's start) is already reflected in that read and must not be applied after it.
 */
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { Event, Message, Part, Session } from '@opencode-ai/sdk/v2/types'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import { clearRelay, provideRelay } from '../src/stores/relay.ts'
import { setStorage } from '../src/stores/storage.ts'
import { useServerStore } from '../src/stores/server.ts'
import { memoryStorage, StubRelay } from './support/stub-relay.ts'
import { useSyncStore } from '../src/stores/sync.ts'

const DIR = '/work/project'
const SES = 'ses_a'

const session: Session = { id: SES, slug: SES, projectID: 'p1', directory: DIR, title: 'A', version: '1', time: { created: 1, updated: 1 } }
const assistant = (completed: boolean): Message => ({
  id: 'msg_2',
  sessionID: SES,
  role: 'assistant',
  time: completed ? { created: 2, completed: 3 } : { created: 2 },
  parentID: 'msg_1',
  modelID: 'm',
  providerID: 'p',
  mode: 'build',
  agent: 'build',
  path: { cwd: DIR, root: DIR },
  cost: 0,
  tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
})
const text = (t: string): Part => ({ id: 'prt_1', messageID: 'msg_2', sessionID: SES, type: 'text', text: t })

/** A fake `opencode serve`: the reply has finished, the session is idle. */
const fetchImpl: typeof fetch = async (input) => {
  const url = new URL(input instanceof Request ? input.url : String(input))
  const json = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { 'content-type': 'application/json' } })
  switch (url.pathname) {
    case '/session':
      return json([session])
    case '/session/status':
      return json({})
    case '/permission':
    case '/question':
    case '/agent':
    case '/command':
      return json([])
    case `/session/${SES}`:
      return json(session)
    case `/session/${SES}/message`:
      return json([{ info: assistant(true), parts: [text('Hello world')] }])
    case `/session/${SES}/todo`:
      return json([])
    default:
      return json({})
  }
}

let seq = 0
function relayed(cursor: number, payload: Event, receivedAt: number): RelayedEvent {
  return { cursor, id: `evt_${++seq}`, directory: DIR, payload, receivedAt }
}

afterEach(() => {
  clearRelay()
  setStorage(undefined)
})

describe('sync store: a replay that arrives after the REST read (regression)', () => {
  it('does not apply events older than the REST data of their scope', async () => {
    setStorage(memoryStorage())
    setActivePinia(createPinia())
    const relay = new StubRelay(10)
    provideRelay(relay)
    const servers = useServerStore()
    servers.setFetch(fetchImpl)
    await servers.init({ fetch: async () => new Response(JSON.stringify({ server: { url: 'http://oc.test' } }), { headers: { 'content-type': 'application/json' } }) })
    const sync = useSyncStore()
    await sync.start()
    const before = Date.now() - 5_000
    await sync.ensureDirectory(DIR)
    await sync.ensureSession(DIR, SES)
    expect(sync.dir(DIR).status[SES]?.type ?? 'idle').toBe('idle')

    // The relay's replay of its log, received by the relay 5 s before these reads were sent.
    relay.emit([
      relayed(11, { id: 'e1', type: 'session.status', properties: { sessionID: SES, status: { type: 'busy' } } }, before),
      relayed(12, { id: 'e2', type: 'message.updated', properties: { sessionID: SES, info: assistant(false) } }, before),
      relayed(13, { id: 'e3', type: 'message.part.delta', properties: { sessionID: SES, messageID: 'msg_2', partID: 'prt_1', field: 'text', delta: ' world' } }, before),
    ])

    const d = sync.dir(DIR)
    expect(d.status[SES]?.type ?? 'idle').toBe('idle')
    expect(d.messages[SES].map((m) => m.time)).toEqual([{ created: 2, completed: 3 }])
    expect(d.parts.msg_2.map((p) => (p.type === 'text' ? p.text : p.type))).toEqual(['Hello world'])
  })
})
