/**
 * The relay following the launcher's server (sw/relay/launcher-watch.ts) with a scripted
 * `/relay-config.json`: starting → long poll → reconnect at once; a move to another port; the
 * launcher gone (app from the offline cache); a broken document; a user's server never looked up.
 */
import { describe, expect, it } from 'vitest'
import type { LauncherAnswer } from '../sw/shared/launcher-config.ts'
import { LauncherWatch } from '../sw/relay/launcher-watch.ts'
import type { LauncherStatus, ServerConfig } from '../sw/shared/protocol.ts'
import { settleImmediate } from './support/fake-clock.ts'

const A: ServerConfig = { url: 'http://127.0.0.1:4096', identity: 'launcher:/p', followLauncher: true }

/** A watch whose reads are answered from `answers` in order (the last one repeats). */
function setup(answers: LauncherAnswer[]) {
  const reads: Array<{ waitForReady: boolean }> = []
  const statuses: Array<LauncherStatus | undefined> = []
  const moved: ServerConfig[] = []
  let ready = 0
  const watch = new LauncherWatch(
    {
      read: async ({ waitForReady }) => {
        reads.push({ waitForReady })
        return answers.length > 1 ? (answers.shift() as LauncherAnswer) : answers[0]
      },
    },
    {
      onStatus: (s) => statuses.push(s),
      onMoved: (s) => moved.push(s),
      onReady: () => ready++,
    },
  )
  return { watch, reads, statuses, moved, ready: () => ready }
}

describe('LauncherWatch', () => {
  it('says "starting", waits with the long poll, and asks to reconnect the moment the server is up', async () => {
    const t = setup([{ kind: 'starting', server: A }, { kind: 'starting', server: A }, { kind: 'ready', server: A }])
    t.watch.setServer(A)
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.reads).toEqual([{ waitForReady: false }, { waitForReady: true }, { waitForReady: true }])
    // "Starting" stays until the stream is open: no "connection lost" between ready and connected.
    expect(t.statuses).toEqual([{ state: 'checking' }, { state: 'starting' }])
    expect(t.ready()).toBe(1)
    expect(t.moved).toEqual([])
    t.watch.connected()
    expect(t.statuses).toEqual([{ state: 'checking' }, { state: 'starting' }, undefined])
  })

  it('follows the server to its new port', async () => {
    const B = { ...A, url: 'http://127.0.0.1:40001' }
    const t = setup([{ kind: 'ready', server: B }])
    t.watch.setServer(A)
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.moved).toEqual([B])
    expect(t.ready()).toBe(0)
  })

  it('follows a server that moved while it was still starting', async () => {
    const B = { ...A, url: 'http://127.0.0.1:40001' }
    const t = setup([{ kind: 'starting', server: B }])
    t.watch.setServer(A)
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.moved).toEqual([B])
    expect(t.reads).toHaveLength(1)
  })

  it('after the server came up, an attempt that is only slow says "checking", never "connection lost"; a failed one does', async () => {
    const t = setup([{ kind: 'starting', server: A }, { kind: 'ready', server: A }, { kind: 'ready', server: A }])
    t.watch.setServer(A)
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.statuses).toEqual([{ state: 'checking' }, { state: 'starting' }])
    expect(t.ready()).toBe(1)
    // The reconnect the watch asked for waits long for its response head (a server just started).
    t.watch.connectionFailed('slow')
    await settleImmediate()
    expect(t.statuses).toEqual([{ state: 'checking' }, { state: 'starting' }, { state: 'checking' }])
    // It failed after all: the launcher says ready, so the app may say the connection is lost.
    t.watch.connectionFailed('failed')
    await settleImmediate()
    expect(t.statuses).toEqual([{ state: 'checking' }, { state: 'starting' }, { state: 'checking' }, undefined])
  })

  it('a launcher back at the same address since the last read replaces the attempt in flight once, however fast it came back', async () => {
    const t = setup([{ kind: 'unreachable', reason: 'Failed to fetch' }, { kind: 'ready', server: A }])
    t.watch.setServer(A)
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.statuses.at(-1)).toEqual({ state: 'unreachable', detail: 'Failed to fetch' })
    // The next attempt went to a server that was starting and never answers: the launcher is
    // ready by the time the attempt counts as slow, so the watch never saw "starting".
    t.watch.connectionFailed('slow')
    await settleImmediate()
    expect(t.ready()).toBe(1)
    expect(t.statuses.at(-1)).toEqual({ state: 'checking' })
    // The replacement is only slow: it is left to answer.
    t.watch.connectionFailed('slow')
    await settleImmediate()
    expect(t.ready()).toBe(1)
    t.watch.connected()
    expect(t.statuses.at(-1)).toBeUndefined()
  })

  it('a ready launcher at the same address changes nothing (the connection keeps its backoff)', async () => {
    const t = setup([{ kind: 'ready', server: A }])
    t.watch.setServer(A)
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.moved).toEqual([])
    expect(t.ready()).toBe(0)
    // Only the first failure is "checking" (no banner for a blip); then plain reconnecting words.
    expect(t.statuses).toEqual([{ state: 'checking' }, undefined])
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.statuses).toEqual([{ state: 'checking' }, undefined])
  })

  it('tells when the app’s own origin is gone, and when the document is broken', async () => {
    const t = setup([{ kind: 'unreachable', reason: 'Failed to fetch' }, { kind: 'invalid', reason: 'bad JSON' }, { kind: 'absent', reason: 'HTTP 404' }])
    t.watch.setServer(A)
    t.watch.connectionFailed()
    await settleImmediate()
    t.watch.connectionFailed()
    await settleImmediate()
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.statuses).toEqual([{ state: 'checking' }, { state: 'unreachable', detail: 'Failed to fetch' }, { state: 'invalid', detail: 'bad JSON' }, undefined])
  })

  it('a tab loaded from the launcher\'s origin makes a stale "unreachable" check again at once', async () => {
    const t = setup([{ kind: 'unreachable', reason: 'Failed to fetch' }, { kind: 'starting', server: A }, { kind: 'ready', server: A }])
    t.watch.setServer(A)
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.statuses.at(-1)).toEqual({ state: 'unreachable', detail: 'Failed to fetch' })
    t.watch.originAnswered()
    await settleImmediate()
    expect(t.statuses).toEqual([{ state: 'checking' }, { state: 'unreachable', detail: 'Failed to fetch' }, { state: 'checking' }, { state: 'starting' }])
    expect(t.ready()).toBe(1)
    // Not unreachable: nothing to re-check.
    t.watch.originAnswered()
    expect(t.statuses).toHaveLength(4)
  })

  it('never looks up a server the user chose', async () => {
    const t = setup([{ kind: 'ready', server: { ...A, url: 'http://127.0.0.1:1' } }])
    t.watch.setServer({ url: 'http://my-server.test:4096' })
    t.watch.connectionFailed()
    await settleImmediate()
    expect(t.reads).toEqual([])
    expect(t.moved).toEqual([])
  })

  it('one read at a time; a connection clears the status and ends the long poll', async () => {
    let release: (a: LauncherAnswer) => void = () => undefined
    const reads: boolean[] = []
    const statuses: Array<LauncherStatus | undefined> = []
    let aborted = false
    const watch = new LauncherWatch(
      {
        read: ({ waitForReady, signal }) => {
          reads.push(waitForReady)
          signal.addEventListener('abort', () => (aborted = true))
          if (!waitForReady) return Promise.resolve({ kind: 'starting', server: A })
          return new Promise((resolve) => (release = resolve))
        },
      },
      { onStatus: (s) => statuses.push(s), onMoved: () => undefined, onReady: () => undefined },
    )
    watch.setServer(A)
    watch.connectionFailed()
    watch.connectionFailed()
    await settleImmediate()
    expect(reads).toEqual([false, true])
    watch.connected()
    expect(aborted).toBe(true)
    expect(statuses).toEqual([{ state: 'checking' }, { state: 'starting' }, undefined])
    release({ kind: 'ready', server: A })
  })
})
