/**
 * One live attachment to a PTY over its WebSocket (`GET /pty/{id}/connect`, wire in ./protocol.ts):
 * every (re)connect first asks for a fresh single-use ticket, passes the last output offset as
 * `cursor` so the server replays only what was missed, and reconnects after a network close with
 * full-jitter backoff ({@link ptyReconnectDelayMs}), at once when the page comes back (`online`,
 * visible again: a sleep). An attempt that is not open within its deadline (ticket + handshake,
 * {@link PTY_CONNECT_TIMEOUT_MS}) is abandoned and retried the same way. A close that means the PTY
 * is over ends the attachment for good.
 *
 * DOM-free apart from the injected WebSocket constructor; timers and randomness are injectable.
 */
import { classifyPtyClose, parsePtyFrame, ptyReconnectDelayMs, PTY_CONNECT_TIMEOUT_MS } from './protocol.ts'

/**
 * State of a {@link PtySocket}:
 * `connecting` (first attempt), `open`, `reconnecting` (waiting or retrying after a network close),
 * `ended` (the process ended: close 1000), `exited` (it had exited before we attached), `gone`
 * (the server no longer has the PTY), `detached` ({@link PtySocket.close} was called).
 */
export type PtySocketState = 'connecting' | 'open' | 'reconnecting' | 'ended' | 'exited' | 'gone' | 'detached'

/** The subset of the browser `WebSocket` used here (tests pass a fake). */
export interface PtyWebSocket {
  binaryType: string
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}

/** Options of {@link PtySocket}. */
export interface PtySocketOptions {
  /**
   * Builds the URL of one attempt (fetching a fresh ticket; see ./protocol.ts `ptyConnectUrl`).
   * Rejecting with `{ gone: true }` (see {@link PtyGoneError}) ends the socket in `gone`; any other
   * rejection counts as a failed attempt and is retried with backoff.
   * @param cursor output offset to replay from; `undefined` = the whole buffer
   */
  url(cursor: number | undefined): Promise<string>
  /** Output text to write to the terminal, in order. */
  onOutput(text: string): void
  /** Every state change. */
  onState(state: PtySocketState): void
  /** Called after each successful open (send the current size then). */
  onOpen?(): void
  /** WebSocket constructor; defaults to the global one. */
  WebSocket?: new (url: string) => PtyWebSocket
  /** Deadline of one attempt (ticket request + handshake) in ms; default {@link PTY_CONNECT_TIMEOUT_MS}, 0 = none. */
  connectTimeoutMs?: number
  /** Uniform random draw in [0, 1); defaults to `Math.random`. */
  random?: () => number
  setTimeout?: (fn: () => void, ms: number) => unknown
  clearTimeout?: (handle: unknown) => void
}

/** Thrown by {@link PtySocketOptions.url} when the server no longer has the PTY (404). */
export class PtyGoneError extends Error {
  readonly gone = true
  constructor(message = 'PTY not found') {
    super(message)
    this.name = 'PtyGoneError'
  }
}

const OPEN = 1

/** A PTY attachment; see the module comment. Starts connecting on {@link PtySocket.start}. */
export class PtySocket {
  private ws: PtyWebSocket | undefined
  private cursorValue: number | undefined
  private attempt = 0
  private timer: unknown
  private deadline: unknown
  private current: PtySocketState = 'connecting'
  private generation = 0
  private readonly opts: PtySocketOptions

  constructor(opts: PtySocketOptions) {
    this.opts = opts
  }

  /** Current state. */
  get state(): PtySocketState {
    return this.current
  }

  /** The output offset received so far (`undefined` before the first meta frame). */
  get cursor(): number | undefined {
    return this.cursorValue
  }

  /** Starts the first attempt. */
  start(): void {
    this.set('connecting')
    void this.connect()
  }

  /** Sends keystrokes; dropped while not open (a terminal cannot queue input meaningfully). */
  send(data: string): void {
    if (this.ws && this.ws.readyState === OPEN) this.ws.send(data)
  }

  /** Reconnects now if waiting for a backoff timer (the page woke up or came online). */
  wake(): void {
    if (this.current !== 'reconnecting' || this.ws) return
    this.clearTimer()
    void this.connect()
  }

  /** Detaches (the PTY keeps running on the server). Idempotent. */
  close(): void {
    if (this.isFinal()) return
    this.generation++
    this.clearTimer()
    this.clearDeadline()
    const ws = this.ws
    this.ws = undefined
    if (ws) {
      ws.onclose = null
      ws.onmessage = null
      ws.close(1000, 'detached')
    }
    this.set('detached')
  }

  private isFinal(): boolean {
    return this.current === 'ended' || this.current === 'exited' || this.current === 'gone' || this.current === 'detached'
  }

  private set(state: PtySocketState): void {
    if (this.current === state && state !== 'connecting') return
    this.current = state
    this.opts.onState(state)
  }

  private clearTimer(): void {
    if (this.timer !== undefined) (this.opts.clearTimeout ?? clearTimeout)(this.timer as ReturnType<typeof setTimeout>)
    this.timer = undefined
  }

  private clearDeadline(): void {
    if (this.deadline !== undefined) (this.opts.clearTimeout ?? clearTimeout)(this.deadline as ReturnType<typeof setTimeout>)
    this.deadline = undefined
  }

  /** Abandons attempt `gen` if it is not open after the connect timeout: closes its socket, retries. */
  private armDeadline(gen: number): void {
    this.clearDeadline()
    const ms = this.opts.connectTimeoutMs ?? PTY_CONNECT_TIMEOUT_MS
    if (ms <= 0) return
    this.deadline = (this.opts.setTimeout ?? setTimeout)(() => {
      this.deadline = undefined
      if (gen !== this.generation || this.current === 'open') return
      this.generation++
      const ws = this.ws
      this.ws = undefined
      if (ws) {
        ws.onopen = null
        ws.onclose = null
        ws.onmessage = null
        ws.close(1000, 'connect timeout')
      }
      this.scheduleRetry()
    }, ms)
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation
    this.armDeadline(gen)
    let url: string
    try {
      url = await this.opts.url(this.cursorValue)
    } catch (err) {
      if (gen !== this.generation) return
      if (err instanceof PtyGoneError) {
        this.clearDeadline()
        this.set('gone')
        return
      }
      this.scheduleRetry()
      return
    }
    if (gen !== this.generation) return
    const Ctor = this.opts.WebSocket ?? (globalThis.WebSocket as unknown as new (url: string) => PtyWebSocket)
    let ws: PtyWebSocket
    try {
      ws = new Ctor(url)
    } catch {
      // A SecurityError (the page's CSP refuses the ws: origin) or a malformed URL.
      this.scheduleRetry()
      return
    }
    ws.binaryType = 'arraybuffer'
    this.ws = ws
    ws.onopen = () => {
      if (gen !== this.generation) return
      this.clearDeadline()
      this.attempt = 0
      this.set('open')
      this.opts.onOpen?.()
    }
    ws.onmessage = (ev) => {
      if (gen !== this.generation) return
      const data = ev.data
      if (typeof data !== 'string' && !(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) return
      const frame = parsePtyFrame(data)
      if (!frame) return
      if (frame.kind === 'meta') {
        this.cursorValue = frame.cursor
        return
      }
      if (this.cursorValue !== undefined) this.cursorValue += frame.text.length
      this.opts.onOutput(frame.text)
    }
    ws.onerror = () => undefined
    ws.onclose = (ev) => {
      if (gen !== this.generation) return
      this.clearDeadline()
      this.ws = undefined
      const kind = classifyPtyClose(ev.code, ev.reason)
      if (kind === 'retry') this.scheduleRetry()
      else this.set(kind)
    }
  }

  private scheduleRetry(): void {
    this.clearDeadline()
    this.set('reconnecting')
    const delay = ptyReconnectDelayMs(this.attempt++, (this.opts.random ?? Math.random)())
    const gen = this.generation
    this.timer = (this.opts.setTimeout ?? setTimeout)(() => {
      this.timer = undefined
      if (gen === this.generation) void this.connect()
    }, delay)
  }
}
