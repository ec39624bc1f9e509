/**
 * The loopback SSE source of the relay benchmarks: a Node HTTP server that speaks just enough of
 * `opencode serve` for the relay. Every benchmark run uses its own base path
 * (`http://127.0.0.1:P/<run>`), so the relay opens a fresh event log (one IndexedDB database per
 * server URL) and a run never replays another run's events.
 *
 * Routes (under `/<run>`), with the shapes of OpenCode 1.18:
 * - `GET /global/event` — `text/event-stream`; sends `server.connected` at once, then whatever the
 *   harness emits (`emit`, `emitAtRate`);
 * - `GET /session` → `[]`, `GET /session/status` → `{}`, `POST /sync/history` → `[]` — what the
 *   relay's catch-up asks after a gap (never expected during a benchmark, answered anyway);
 * - `GET /bytes/<key>` (no run prefix) — a stored body, for the in-page raw ceilings.
 *
 * CORS is open (`*`): the bench page is served from another origin, as the real app is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { frame, type TraceEvent } from './trace.ts'

/** A running source. */
export interface SseSource {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** Base URL of run `run`: `http://127.0.0.1:<port>/<run>`; give it to the relay as the server URL. */
  runUrl(run: string): string
  /** `/global/event` streams of `run` open right now. */
  openStreams(run: string): number
  /** Total `/global/event` requests of `run` since start. */
  streamRequests(run: string): number
  /** Resolves when `run` has at least `n` open streams. @throws Error after `timeoutMs` (default 20 s). */
  waitForStreams(run: string, n?: number, timeoutMs?: number): Promise<void>
  /**
   * Writes `body` (already SSE-framed) to every open stream of `run`, in 64 KiB chunks, waiting
   * for the socket to drain between chunks. Resolves with the epoch ms of the first and last write.
   */
  emit(run: string, body: string): Promise<{ firstWriteAt: number; lastWriteAt: number }>
  /**
   * Emits `events` at `rate` events/s, each stamped `payload.benchT` with the epoch ms of the
   * write that carries it (`stamp` false: no stamp). Writes happen on a 2 ms timer, each carrying
   * the events due by then. Resolves after the last write.
   */
  emitAtRate(run: string, events: readonly TraceEvent[], rate: number, stamp?: boolean): Promise<void>
  /** Ends every stream of `run`; later requests of `run` get HTTP 410 (a relay still alive backs off). */
  endRun(run: string): void
  /** Stores a body served at `GET /bytes/<key>`. */
  putBytes(key: string, body: string): void
  close(): Promise<void>
}

const CHUNK = 64 * 1024

function writeAndDrain(res: ServerResponse, text: string): Promise<void> {
  if (res.write(text)) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}

/** Starts the source on 127.0.0.1 (a free port). */
export async function startSseSource(): Promise<SseSource> {
  const streams = new Map<string, Set<ServerResponse>>()
  const requests = new Map<string, number>()
  const bytes = new Map<string, string>()
  const ended = new Set<string>()
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS' }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end()
      return
    }
    const parts = url.pathname.split('/').filter(Boolean)
    if (parts[0] === 'bytes' && parts.length === 2) {
      const body = bytes.get(parts[1])
      res.writeHead(body === undefined ? 404 : 200, { ...cors, 'content-type': 'text/plain; charset=utf-8' })
      res.end(body ?? 'no such body')
      return
    }
    const run = parts[0] ?? ''
    const route = `/${parts.slice(1).join('/')}`
    if (ended.has(run)) {
      req.resume()
      res.writeHead(410, cors).end('run ended')
      return
    }
    if (req.method === 'GET' && route === '/global/event') {
      requests.set(run, (requests.get(run) ?? 0) + 1)
      const set = streams.get(run) ?? new Set<ServerResponse>()
      streams.set(run, set)
      set.add(res)
      res.on('close', () => set.delete(res))
      res.writeHead(200, { ...cors, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
      res.socket?.setNoDelay(true)
      res.write(`data: {"payload":{"id":"evt_bench_connected_${Date.now()}","type":"server.connected","properties":{}}}\n\n`)
      return
    }
    req.resume()
    const json = (body: unknown) => {
      res.writeHead(200, { ...cors, 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.method === 'GET' && route === '/session') return json([])
    if (req.method === 'GET' && route === '/session/status') return json({})
    if (req.method === 'POST' && route === '/sync/history') return json([])
    res.writeHead(404, cors).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}`
  const open = (run: string) => [...(streams.get(run) ?? [])]

  return {
    url,
    runUrl: (run) => `${url}/${run}`,
    openStreams: (run) => streams.get(run)?.size ?? 0,
    streamRequests: (run) => requests.get(run) ?? 0,
    async waitForStreams(run, n = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      while ((streams.get(run)?.size ?? 0) < n) {
        if (Date.now() > deadline) throw new Error(`the relay did not open ${n} stream(s) for ${run} in ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    async emit(run, body) {
      const targets = open(run)
      const firstWriteAt = Date.now()
      for (let i = 0; i < body.length; i += CHUNK) {
        const piece = body.slice(i, i + CHUNK)
        await Promise.all(targets.map((res) => writeAndDrain(res, piece)))
      }
      return { firstWriteAt, lastWriteAt: Date.now() }
    },
    async emitAtRate(run, events, rate, stamp = true) {
      const targets = open(run)
      const start = performance.now()
      let sent = 0
      while (sent < events.length) {
        await new Promise((r) => setTimeout(r, 2))
        const due = Math.min(events.length, Math.floor(((performance.now() - start) / 1000) * rate) + 1)
        if (due <= sent) continue
        const now = Date.now()
        let text = ''
        for (; sent < due; sent++) text += frame(events[sent], stamp ? now : undefined)
        await Promise.all(targets.map((res) => writeAndDrain(res, text)))
      }
    },
    endRun(run) {
      ended.add(run)
      for (const res of open(run)) res.end()
    },
    putBytes(key, body) {
      bytes.set(key, body)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
