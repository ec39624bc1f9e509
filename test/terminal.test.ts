/**
 * The Terminal's pure parts (src/terminal/): the PTY WebSocket wire (frames, close codes, the
 * connect URL without credentials), the reconnect policy of PtySocket (backoff with full jitter
 * from sw/shared/backoff.ts, a fresh ticket and the last offset on every attempt, no reconnect once
 * the PTY is over) and the per-project persistence of the shown terminals.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { classifyPtyClose, parsePtyFrame, ptyConnectUrl, ptyReconnectDelayMs, PTY_RECONNECT_MAX_MS, PTY_RECONNECT_MIN_MS } from '../src/terminal/protocol.ts'
import { PtyGoneError, PtySocket, type PtySocketState, type PtyWebSocket } from '../src/terminal/pty-socket.ts'
import { loadShownTerminals, parseShownTerminals, reconcileShown, saveShownTerminals, shownTerminalsKey } from '../src/terminal/persist.ts'
import { setStorage, storage } from '../src/stores/storage.ts'
import { computeBackoffMs } from '../sw/shared/backoff.ts'
import { terminalStatusText } from '../src/stores/terminals.ts'

function meta(cursor: number): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(JSON.stringify({ cursor }))
  const out = new Uint8Array(new ArrayBuffer(json.length + 1))
  out.set(json, 1)
  return out
}

describe('PTY wire', () => {
  it('reads text frames as output and a 0-prefixed binary frame as the stream offset', () => {
    expect(parsePtyFrame('hi\r\n')).toEqual({ kind: 'output', text: 'hi\r\n' })
    expect(parsePtyFrame(meta(157))).toEqual({ kind: 'meta', cursor: 157 })
    expect(parsePtyFrame(meta(46).buffer)).toEqual({ kind: 'meta', cursor: 46 })
    expect(parsePtyFrame(new TextEncoder().encode('é'))).toEqual({ kind: 'output', text: 'é' })
  })

  it('ignores a malformed meta frame', () => {
    expect(parsePtyFrame(new Uint8Array([0, 123]))).toBeUndefined()
    expect(parsePtyFrame(new Uint8Array([0, ...new TextEncoder().encode('{"cursor":"x"}')]))).toBeUndefined()
  })

  it('tells an ended process, a missing PTY and an exited one from a network close', () => {
    expect(classifyPtyClose(1000, '')).toBe('ended')
    expect(classifyPtyClose(4404, 'session not found')).toBe('gone')
    expect(classifyPtyClose(4404, 'session exited')).toBe('exited')
    expect(classifyPtyClose(1006, '')).toBe('retry')
    expect(classifyPtyClose(1011, 'boom')).toBe('retry')
  })

  it('builds a ws(s) URL with directory, ticket and cursor and never the password', () => {
    const url = new URL(ptyConnectUrl('https://opencode:secret@host.example:4096/base/', '/p/x y', 'pty_1', 't-1', 42))
    expect(url.protocol).toBe('wss:')
    expect(url.username).toBe('')
    expect(url.password).toBe('')
    expect(url.pathname).toBe('/base/pty/pty_1/connect')
    expect(url.searchParams.get('directory')).toBe('/p/x y')
    expect(url.searchParams.get('ticket')).toBe('t-1')
    expect(url.searchParams.get('cursor')).toBe('42')
    expect(url.toString()).not.toContain('secret')
    const fresh = new URL(ptyConnectUrl('http://127.0.0.1:4096', '/p', 'pty_1', 't'))
    expect(fresh.protocol).toBe('ws:')
    expect(fresh.searchParams.has('cursor')).toBe(false)
  })

  it('waits a full-jitter backoff between reconnects, capped', () => {
    for (const attempt of [0, 1, 2, 5, 20]) {
      expect(ptyReconnectDelayMs(attempt, 0.5)).toBe(computeBackoffMs(attempt, 0.5, PTY_RECONNECT_MIN_MS, PTY_RECONNECT_MAX_MS))
    }
    expect(ptyReconnectDelayMs(20, 1)).toBe(PTY_RECONNECT_MAX_MS)
    expect(ptyReconnectDelayMs(0, 1)).toBe(PTY_RECONNECT_MIN_MS)
  })
})

class FakeWs implements PtyWebSocket {
  static all: FakeWs[] = []
  binaryType = 'blob'
  readyState = 0
  sent: string[] = []
  closed?: { code?: number; reason?: string }
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: { code: number; reason: string }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  constructor(readonly url: string) {
    FakeWs.all.push(this)
  }
  send(data: string): void {
    this.sent.push(data)
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason }
  }
  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }
  message(data: unknown): void {
    this.onmessage?.({ data })
  }
  drop(code: number, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
}

function flush(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0))
}

function setup(urlImpl?: (cursor: number | undefined) => Promise<string>, connectTimeoutMs = 0) {
  FakeWs.all = []
  const states: PtySocketState[] = []
  const output: string[] = []
  const timers: Array<{ fn: () => void; ms: number }> = []
  const cursors: Array<number | undefined> = []
  let n = 0
  const socket = new PtySocket({
    url:
      urlImpl ??
      (async (cursor) => {
        cursors.push(cursor)
        return `ws://x/pty/1/connect?ticket=t${++n}${cursor === undefined ? '' : `&cursor=${cursor}`}`
      }),
    onOutput: (t) => output.push(t),
    onState: (s) => states.push(s),
    WebSocket: FakeWs,
    random: () => 1,
    connectTimeoutMs,
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    clearTimeout: () => undefined,
  })
  return { socket, states, output, timers, cursors }
}

describe('PtySocket', () => {
  it('writes output in order and tracks the offset from the meta frame on', async () => {
    const { socket, output, states } = setup()
    socket.start()
    await flush()
    const ws = FakeWs.all[0]
    expect(ws.binaryType).toBe('arraybuffer')
    ws.open()
    ws.message('prompt$ ')
    ws.message(meta(8).buffer)
    ws.message('hi\r\n')
    expect(output).toEqual(['prompt$ ', 'hi\r\n'])
    expect(socket.cursor).toBe(12)
    expect(states).toEqual(['connecting', 'open'])
    socket.send('ls\r')
    expect(ws.sent).toEqual(['ls\r'])
  })

  it('reconnects after a network close with backoff, a fresh ticket and the last offset', async () => {
    const { socket, states, timers, cursors } = setup()
    socket.start()
    await flush()
    FakeWs.all[0].open()
    FakeWs.all[0].message(meta(100).buffer)
    FakeWs.all[0].drop(1006)
    expect(states.at(-1)).toBe('reconnecting')
    expect(timers.map((t) => t.ms)).toEqual([ptyReconnectDelayMs(0, 1)])
    timers[0].fn()
    await flush()
    expect(cursors).toEqual([undefined, 100])
    expect(FakeWs.all[1].url).toContain('ticket=t2')
    expect(FakeWs.all[1].url).toContain('cursor=100')
    // A second failure waits longer (the attempt counter grows until an open).
    FakeWs.all[1].drop(1006)
    expect(timers.map((t) => t.ms)).toEqual([ptyReconnectDelayMs(0, 1), ptyReconnectDelayMs(1, 1)])
    timers[1].fn()
    await flush()
    FakeWs.all[2].open()
    expect(states.at(-1)).toBe('open')
  })

  it('retries when the ticket request fails, and stops when the PTY is gone', async () => {
    let calls = 0
    const { socket, states, timers } = setup(async () => {
      calls++
      if (calls === 1) throw new Error('network')
      throw new PtyGoneError()
    })
    socket.start()
    await flush()
    expect(states.at(-1)).toBe('reconnecting')
    timers[0].fn()
    await flush()
    expect(states.at(-1)).toBe('gone')
    expect(FakeWs.all).toHaveLength(0)
  })

  it('does not reconnect once the process ended or the server closed the PTY', async () => {
    for (const [code, reason, state] of [
      [1000, '', 'ended'],
      [4404, 'session exited', 'exited'],
      [4404, 'session not found', 'gone'],
    ] as const) {
      const { socket, states, timers } = setup()
      socket.start()
      await flush()
      FakeWs.all[0].open()
      FakeWs.all[0].drop(code, reason)
      expect(states.at(-1)).toBe(state)
      expect(timers).toHaveLength(0)
      socket.wake()
      await flush()
      expect(FakeWs.all).toHaveLength(1)
    }
  })

  it('reconnects at once on wake (back from sleep) instead of waiting out the backoff', async () => {
    const { socket, timers } = setup()
    socket.start()
    await flush()
    FakeWs.all[0].open()
    FakeWs.all[0].drop(1006)
    expect(timers).toHaveLength(1)
    socket.wake()
    await flush()
    expect(FakeWs.all).toHaveLength(2)
    // The old timer, if it fires later, opens nothing more.
    timers[0].fn()
    await flush()
    expect(FakeWs.all).toHaveLength(2)
  })

  it('abandons an attempt whose handshake never completes and retries with a fresh ticket', async () => {
    const { socket, states, timers } = setup(undefined, 10_000)
    socket.start()
    await flush()
    expect(timers.map((t) => t.ms)).toEqual([10_000])
    // The handshake hangs: no open, no close. At the deadline the socket is closed and retried.
    timers[0].fn()
    expect(FakeWs.all[0].closed?.reason).toBe('connect timeout')
    expect(states.at(-1)).toBe('reconnecting')
    expect(timers[1].ms).toBe(ptyReconnectDelayMs(0, 1))
    // A late open of the abandoned socket changes nothing.
    FakeWs.all[0].open()
    expect(states.at(-1)).toBe('reconnecting')
    timers[1].fn()
    await flush()
    expect(FakeWs.all[1].url).toContain('ticket=t2')
    FakeWs.all[1].open()
    expect(states.at(-1)).toBe('open')
    // Once open, the attempt's deadline (timers[2]) is void.
    timers[2].fn()
    expect(states.at(-1)).toBe('open')
    expect(FakeWs.all).toHaveLength(2)
  })

  it('abandons a ticket request that never answers', async () => {
    const { socket, states, timers } = setup(() => new Promise<string>(() => undefined), 10_000)
    socket.start()
    await flush()
    timers[0].fn()
    expect(states.at(-1)).toBe('reconnecting')
    expect(FakeWs.all).toHaveLength(0)
  })

  it('detaches without killing: closes the socket and never reconnects', async () => {
    const { socket, states, timers } = setup()
    socket.start()
    await flush()
    FakeWs.all[0].open()
    socket.close()
    expect(FakeWs.all[0].closed?.code).toBe(1000)
    expect(states.at(-1)).toBe('detached')
    expect(timers).toHaveLength(0)
  })
})

describe('shown terminals persistence', () => {
  afterEach(() => setStorage(undefined))

  it('keeps valid unique ids and an active id that is among them', () => {
    expect(parseShownTerminals({ ids: ['a', 'b', 'a', 3, ''], active: 'b' })).toEqual({ ids: ['a', 'b'], active: 'b' })
    expect(parseShownTerminals({ ids: ['a'], active: 'z' })).toEqual({ ids: ['a'] })
    expect(parseShownTerminals('junk')).toEqual({ ids: [] })
    expect(parseShownTerminals(undefined)).toEqual({ ids: [] })
  })

  it('after a reload keeps only the PTYs the server still lists', () => {
    expect(reconcileShown({ ids: ['a', 'b', 'c'], active: 'b' }, ['c', 'b'])).toEqual({ ids: ['b', 'c'], active: 'b' })
    expect(reconcileShown({ ids: ['a', 'b'], active: 'a' }, ['b'])).toEqual({ ids: ['b'], active: 'b' })
    expect(reconcileShown({ ids: ['a'], active: 'a' }, [])).toEqual({ ids: [] })
  })

  it('stores per server and project, and removes the key when nothing is shown', () => {
    const map = new Map<string, string>()
    setStorage({ getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) })
    saveShownTerminals('srv1', '/p', { ids: ['a', 'b'], active: 'b' })
    expect(loadShownTerminals('srv1', '/p')).toEqual({ ids: ['a', 'b'], active: 'b' })
    expect(loadShownTerminals('srv2', '/p')).toEqual({ ids: [] })
    expect(loadShownTerminals('srv1', '/q')).toEqual({ ids: [] })
    saveShownTerminals('srv1', '/p', { ids: [] })
    expect(storage().getItem(shownTerminalsKey('srv1', '/p'))).toBeNull()
  })
})

describe('terminal status line', () => {
  it('names each state in words', () => {
    expect(terminalStatusText({ state: 'open' })).toBeUndefined()
    expect(terminalStatusText({ state: 'connecting' })).toBe('Connecting…')
    expect(terminalStatusText({ state: 'reconnecting' })).toBe('Reconnecting…')
    expect(terminalStatusText({ state: 'ended', exitCode: 3 })).toBe('exited (code 3)')
    expect(terminalStatusText({ state: 'ended' })).toBe('exited')
    expect(terminalStatusText({ state: 'ended', removed: true })).toBe('closed by the server')
    expect(terminalStatusText({ state: 'gone' })).toBe('closed by the server')
  })
})
