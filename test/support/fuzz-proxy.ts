/**
 * A fuzzing HTTP proxy in front of `opencode serve`, for the bad-input tests of the fault suite
 * (e2e/faults). It forwards everything, and on command corrupts what the relay reads:
 *
 * - the event stream (`GET /global/event`) is forwarded FRAME BY FRAME (an SSE event ends with a
 *   blank line, `\n\n`), so bytes can be injected between two real frames without breaking
 *   either: truncated frames, invalid UTF-8, 10 MB lines, bogus JSON, unknown event types,
 *   replayed frames whose `seq` goes backwards ({@link FuzzProxy.inject});
 * - a stream can be cut in the middle of a real frame ({@link FuzzProxy.truncateNext});
 * - every new event-stream request, or every other (REST) request, can get a canned answer
 *   instead of the server's: an HTML error page with status 200, a 401 or 500 storm
 *   ({@link FuzzProxy.setEventResponse}, {@link FuzzProxy.setRestResponse}).
 *
 * Source of the framing facts: OpenCode 1.18 writes `GET /global/event` as `data: <json>\n\n`
 * events (no `id:` or `event:` fields), a `server.heartbeat` every 10 s.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/** A canned HTTP answer. `body` is sent as is (a string is UTF-8). */
export interface CannedResponse {
  status: number
  headers?: Record<string, string>
  body?: string | Uint8Array
}

/** A running fuzzing proxy. */
export interface FuzzProxy {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  /** Number of `/global/event` streams open right now (forwarded ones only). */
  openEventStreams(): number
  /** Total `/global/event` requests seen since start (canned answers included). */
  eventStreamRequests(): number
  /** Every new `/global/event` request gets `canned` until called again; `undefined` forwards again. */
  setEventResponse(canned: CannedResponse | undefined): void
  /** Every other request gets `canned` until called again; `undefined` forwards again. */
  setRestResponse(canned: CannedResponse | undefined): void
  /**
   * Writes `chunks` (raw bytes or UTF-8 text, written in order, each as its own socket write) into
   * every open event stream, at the next frame boundary (at once when the stream is between two
   * frames). Resolves with the number of streams written to, once written.
   */
  inject(chunks: ReadonlyArray<string | Uint8Array>): Promise<number>
  /**
   * On every open event stream: waits for the next real frame, writes only its first `bytes`
   * bytes (default: half of it), then destroys the connection. Resolves with the number of
   * streams cut that way (0 when none was open).
   */
  truncateNext(bytes?: number): Promise<number>
  /**
   * Turns every open event stream into a half-open connection, as a laptop sleep leaves it: the
   * socket stays open but not one more byte reaches the client (upstream data is discarded).
   * Streams opened later are forwarded normally. Returns the number of streams stalled.
   */
  stallOpenStreams(): number
  /** The last (up to 1,000) real frames forwarded, oldest first, each as its full text (`data: …\n\n`). */
  frames(): string[]
  /** Destroys every open connection. */
  cutAll(): void
  close(): Promise<void>
}

const FRAME_END = Buffer.from('\n\n')
/** A stream that never sends a blank line is forwarded as is past this many buffered bytes. */
const MAX_PENDING = 1 << 20
const KEEP_FRAMES = 1000

interface EventStream {
  res: ServerResponse
  /** Bytes of the frame being received from upstream (not forwarded yet). */
  pending: Buffer
  /** Injections waiting for a frame boundary. */
  queue: Array<{ chunks: Buffer[]; done: () => void }>
  truncate?: { bytes: number | undefined; done: (cut: boolean) => void }
  /** Half-open: nothing more is written to the client. */
  stalled?: boolean
}

function toBuffer(chunk: string | Uint8Array): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
}

/**
 * Sends a canned answer. It carries the CORS headers the real server would send (the app runs on
 * another origin), so the browser shows the app the status and body instead of a network error.
 */
function sendCanned(req: IncomingMessage, res: ServerResponse, canned: CannedResponse): void {
  const body = canned.body === undefined ? Buffer.alloc(0) : toBuffer(canned.body)
  const cors: Record<string, string> = {}
  if (typeof req.headers.origin === 'string') {
    cors['access-control-allow-origin'] = req.headers.origin
    cors.vary = 'Origin'
  }
  res.writeHead(canned.status, { 'content-length': String(body.length), ...cors, ...canned.headers })
  res.end(body)
}

/**
 * Starts the proxy on 127.0.0.1.
 * @param target upstream base URL, e.g. the OpenCode server's `http://127.0.0.1:4096`.
 * @param port local port; 0 (default) picks a free one.
 */
export async function startFuzzProxy(target: string, port = 0): Promise<FuzzProxy> {
  const upstream = new URL(target)
  const sockets = new Set<Socket>()
  const streams = new Set<EventStream>()
  const recent: string[] = []
  let streamRequests = 0
  let eventCanned: CannedResponse | undefined
  let restCanned: CannedResponse | undefined

  function flushQueue(s: EventStream): void {
    if (s.pending.length > 0) return
    for (const item of s.queue.splice(0)) {
      for (const c of item.chunks) s.res.write(c)
      item.done()
    }
  }

  function onUpstreamData(s: EventStream, chunk: Buffer): void {
    if (s.stalled) return
    s.pending = s.pending.length ? Buffer.concat([s.pending, chunk]) : chunk
    for (;;) {
      const at = s.pending.indexOf(FRAME_END)
      if (at < 0) break
      const frame = s.pending.subarray(0, at + FRAME_END.length)
      s.pending = s.pending.subarray(at + FRAME_END.length)
      if (s.truncate) {
        const cut = s.truncate
        s.truncate = undefined
        const n = Math.max(1, Math.min(frame.length - 1, cut.bytes ?? Math.floor(frame.length / 2)))
        s.res.write(frame.subarray(0, n), () => {
          s.res.socket?.destroy()
          cut.done(true)
        })
        s.pending = Buffer.alloc(0)
        return
      }
      s.res.write(frame)
      recent.push(frame.toString('utf8'))
      if (recent.length > KEEP_FRAMES) recent.splice(0, recent.length - KEEP_FRAMES)
      // Between two frames: a good moment for queued injections.
      if (s.queue.length) {
        const keep = s.pending
        s.pending = Buffer.alloc(0)
        flushQueue(s)
        s.pending = keep
      }
    }
    if (s.pending.length > MAX_PENDING) {
      s.res.write(s.pending)
      s.pending = Buffer.alloc(0)
    }
    flushQueue(s)
  }

  function forwardEvents(req: IncomingMessage, res: ServerResponse): void {
    const s: EventStream = { res, pending: Buffer.alloc(0), queue: [] }
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (upRes) => {
        const headers = { ...upRes.headers }
        delete headers['content-length']
        res.writeHead(upRes.statusCode ?? 502, headers)
        res.flushHeaders()
        streams.add(s)
        upRes.on('data', (chunk: Buffer) => onUpstreamData(s, chunk))
        upRes.on('end', () => {
          // A stalled (half-open) stream hears nothing, not even the end.
          if (s.stalled) return
          if (s.pending.length) res.write(s.pending)
          res.end()
        })
        upRes.on('error', () => {
          if (!s.stalled) res.destroy()
        })
      },
    )
    up.on('error', () => {
      if (s.stalled) return
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end('bad gateway')
    })
    res.on('close', () => {
      streams.delete(s)
      up.destroy()
      for (const item of s.queue.splice(0)) item.done()
      s.truncate?.done(false)
      s.truncate = undefined
    })
    req.pipe(up)
  }

  function forwardRest(req: IncomingMessage, res: ServerResponse): void {
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
        upRes.on('error', () => res.destroy())
      },
    )
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end('bad gateway')
    })
    res.on('close', () => up.destroy())
    req.pipe(up)
  }

  const server: Server = createServer((req, res) => {
    const isEvents = req.method === 'GET' && (req.url ?? '').split('?')[0] === '/global/event'
    // CORS preflights always pass: a storm is about the server's answers, not the browser's checks.
    if (isEvents) {
      streamRequests++
      if (eventCanned) return sendCanned(req, res, eventCanned)
      return forwardEvents(req, res)
    }
    if (restCanned && req.method !== 'OPTIONS') return sendCanned(req, res, restCanned)
    forwardRest(req, res)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', () => ok())
  })
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port

  const cutAll = () => {
    for (const s of sockets) s.destroy()
    sockets.clear()
  }

  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    openEventStreams: () => streams.size,
    eventStreamRequests: () => streamRequests,
    setEventResponse(canned) {
      eventCanned = canned
    },
    setRestResponse(canned) {
      restCanned = canned
    },
    async inject(chunks) {
      const buffers = chunks.map(toBuffer)
      const targets = [...streams]
      await Promise.all(
        targets.map(
          (s) =>
            new Promise<void>((done) => {
              s.queue.push({ chunks: buffers, done })
              flushQueue(s)
            }),
        ),
      )
      return targets.length
    },
    async truncateNext(bytes) {
      const targets = [...streams]
      const results = await Promise.all(
        targets.map(
          (s) =>
            new Promise<boolean>((done) => {
              s.truncate = { bytes, done }
            }),
        ),
      )
      return results.filter(Boolean).length
    },
    stallOpenStreams() {
      for (const s of streams) s.stalled = true
      return streams.size
    },
    frames: () => [...recent],
    cutAll,
    close: () =>
      new Promise<void>((ok) => {
        cutAll()
        server.close(() => ok())
      }),
  }
}
