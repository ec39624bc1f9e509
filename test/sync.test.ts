/**
 * The sync store (src/stores/sync.ts) where REST reads and the relay's events meet: reads wait for
 * the relay subscription, events older than a read are not applied on top of it, a forced re-read
 * is a new read, and a failed load leaves nothing unhandled behind. Against a fake server and the
 * stub relay (test/support/stub-relay.ts). The store's everyday behaviour: test/stores.test.ts.
 */
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Event, Message, Part, PermissionRequest, Session } from '@opencode-ai/sdk/v2/types'
import type { RelayedEvent } from '../sw/shared/protocol.ts'
import { clearRelay } from '../src/relay-client/provide.ts'
import { setStorage } from '../src/stores/storage.ts'
import { SUBSCRIBE_TIMEOUT_MS } from '../src/stores/sync.ts'
import { startSyncStore, StubRelay } from './support/stub-relay.ts'
import { jsonResponse } from './support/http.ts'
import { assistantMessage } from './support/messages.ts'

const DIR = '/work/project'
const SES = 'ses_a'

const session: Session = { id: SES, slug: SES, projectID: 'p1', directory: DIR, title: 'A', version: '1', time: { created: 1, updated: 1 } }

type Route = () => unknown

/**
 * A fake `opencode serve` with the project DIR and its one idle session SES, without messages.
 * `routes` answer paths in its place (a route may hold its answer); any other path answers `[]`.
 * `reads` counts the requests by path.
 */
function fakeServer(routes: Record<string, Route> = {}): { fetch: typeof fetch; reads: Map<string, number> } {
  const base: Record<string, Route> = {
    '/project': () => [],
    '/path': () => ({ home: '/', state: '/', config: '/', worktree: DIR, directory: DIR }),
    '/session': () => [session],
    '/session/status': () => ({}),
    [`/session/${SES}`]: () => session,
  }
  const reads = new Map<string, number>()
  const fetchImpl: typeof fetch = async (input) => {
    const path = new URL(input instanceof Request ? input.url : String(input)).pathname
    reads.set(path, (reads.get(path) ?? 0) + 1)
    const route = routes[path] ?? base[path]
    return jsonResponse(route ? await route() : [])
  }
  return { fetch: fetchImpl, reads }
}

const assistant = (completed: boolean): Message =>
  assistantMessage({ id: 'msg_2', sessionID: SES, parentID: 'msg_1', directory: DIR, time: completed ? { created: 2, completed: 3 } : { created: 2 } })
const text = (t: string): Part => ({ id: 'prt_1', messageID: 'msg_2', sessionID: SES, type: 'text', text: t })

let seq = 0
function relayed(cursor: number, payload: Event, receivedAt: number): RelayedEvent {
  return { cursor, id: `evt_${++seq}`, directory: DIR, payload, receivedAt }
}

afterEach(() => {
  vi.useRealTimers()
  clearRelay()
  setStorage(undefined)
})

describe('useSyncStore: REST reads wait for the relay subscription', () => {
  // Events between a read's answer and the subscription's start would be in neither (a view
  // mounts and asks for its session right after start()).
  const messagesPath = `/session/${SES}/message`

  it('reads a session asked for right after start() once the subscription is answered (before it, for display only)', async () => {
    const relay = new StubRelay(7).holdSubscribe()
    const server = fakeServer()
    const sync = await startSyncStore(server.fetch, relay)
    const started = sync.start()
    // The view mounts at once and asks for its session: one read for display (provisional) goes at once.
    const load = sync.ensureSession(DIR, SES)
    await new Promise((r) => setTimeout(r, 50))
    expect(server.reads.get(messagesPath)).toBe(1)
    expect(sync.sessionLoads[SES]).toMatchObject({ status: 'loading', provisional: true })

    relay.answer?.()
    await Promise.all([started, load])
    expect(server.reads.get(messagesPath)).toBe(2)
    expect(sync.sessionLoads[SES]).toMatchObject({ status: 'ready', provisional: false })
  })

  it('lets reads go ahead after SUBSCRIBE_TIMEOUT_MS, and reads them again once the late answer comes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const relay = new StubRelay(7).holdSubscribe()
    const server = fakeServer()
    const sync = await startSyncStore(server.fetch, relay)
    const started = sync.start()
    const load = sync.ensureSession(DIR, SES)
    await vi.advanceTimersByTimeAsync(SUBSCRIBE_TIMEOUT_MS + 10)
    await Promise.all([started, load])
    // The provisional read at once, the gated one after the timeout.
    expect(server.reads.get(messagesPath)).toBe(2)

    relay.answer?.()
    await vi.advanceTimersByTimeAsync(10)
    await vi.waitFor(() => expect(server.reads.get(messagesPath)).toBe(3))
    expect(sync.sessionLoads[SES].status).toBe('ready')
  })
})

describe('useSyncStore: events older than a REST read', () => {
  // A reopened tab subscribes from its warm-start cursor and reads REST at the same time; the
  // relay's replay of its log can arrive after the read finished. An event received before the
  // last successful read of its scope was sent (`receivedAt` < the read's start) is already in
  // that read: applying it would put older state over newer ("busy" over "idle", a finished
  // message rolled back, delta text doubled).
  it('are not applied on top of the REST data of their scope', async () => {
    const relay = new StubRelay(10)
    // The reply has finished, the session is idle.
    const server = fakeServer({ [`/session/${SES}/message`]: () => [{ info: assistant(true), parts: [text('Hello world')] }] })
    const sync = await startSyncStore(server.fetch, relay)
    await sync.start()
    const before = Date.now() - 5_000
    await sync.ensureDirectory(DIR)
    await sync.ensureSession(DIR, SES)
    expect(sync.state.directories[DIR].status[SES]?.type ?? 'idle').toBe('idle')

    // The relay's replay of its log, received by the relay 5 s before these reads were sent.
    relay.emit([
      relayed(11, { id: 'e1', type: 'session.status', properties: { sessionID: SES, status: { type: 'busy' } } }, before),
      relayed(12, { id: 'e2', type: 'message.updated', properties: { sessionID: SES, info: assistant(false) } }, before),
      relayed(13, { id: 'e3', type: 'message.part.delta', properties: { sessionID: SES, messageID: 'msg_2', partID: 'prt_1', field: 'text', delta: ' world' } }, before),
    ])

    const d = sync.state.directories[DIR]
    expect(d.status[SES]?.type ?? 'idle').toBe('idle')
    expect(d.messages[SES].map((m) => m.time)).toEqual([{ created: 2, completed: 3 }])
    expect(d.parts.msg_2.map((p) => (p.type === 'text' ? p.text : p.type))).toEqual(['Hello world'])
  })
})

describe('useSyncStore: a forced load', () => {
  // A pending permission is not a durable event: only a read sent after it was asked can see it.
  // A forced re-read (a relay `resync` after a gap) must not join a read that was sent before.
  it('asked for while a load of the same directory runs reads again after it, instead of joining it', async () => {
    const permission: PermissionRequest = { id: 'per_1', sessionID: SES, permission: 'bash', patterns: ['echo hi'], metadata: {}, always: [] }
    let pending: PermissionRequest[] = []
    let release: (() => void) | undefined
    const firstReadHeld = new Promise<void>((r) => (release = r))
    let permissionReads = 0
    const server = fakeServer({
      '/permission': async () => {
        // The first read was sent before the permission existed; its answer arrives late.
        const answer = [...pending]
        if (++permissionReads === 1) await firstReadHeld
        return answer
      },
    })
    const sync = await startSyncStore(server.fetch, new StubRelay())
    await sync.start()

    const first = sync.ensureDirectory(DIR)
    await new Promise((r) => setTimeout(r, 20))
    // Meanwhile a tool asks for permission, and the relay asks the tab to resync the directory.
    pending = [permission]
    const forced = sync.ensureDirectory(DIR, { force: true })
    release?.()
    await Promise.allSettled([first, forced])
    await new Promise((r) => setTimeout(r, 20))

    expect(sync.state.directories[DIR].permissions[SES]?.map((p) => p.id)).toEqual(['per_1'])
  })
})

describe('useSyncStore with the network down', () => {
  it('a failed session load leaves no unhandled rejection behind (the session info read is awaited too)', async () => {
    // `ensureSession` reads `GET /session/{id}` (the session's info) beside the messages; here the
    // message read fails first, the info read a bit later.
    const sync = await startSyncStore(async (input) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      if (/^\/session\/[^/]+$/.test(url.pathname)) await new Promise((r) => setTimeout(r, 20))
      throw new TypeError('Failed to fetch')
    })

    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      await expect(sync.ensureSession(DIR, 'ses_unknown')).rejects.toThrow()
      expect(sync.sessionLoads.ses_unknown.status).toBe('error')
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled.map(String)).toEqual([])
  })
})
