/**
 * A loopback HTTP proxy in front of `opencode serve`, for tests: it counts open
 * `GET /global/event` streams (to prove there is exactly one per browser), can cut every
 * connection, refuse new ones for a while (connections are accepted and destroyed at once, as a
 * dead network would), and can rewrite the event stream through a hook (fuzzing).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  /** Number of `/global/event` streams open right now. */
  openEventStreams(): number
  /** Total `/global/event` requests seen since start. */
  eventStreamRequests(): number
  /** Destroys every open connection (client and upstream sides). */
  cutAll(): void
  /** Refuses (accept + destroy) every new connection until `resume()` or for `ms` when given. */
  refuse(ms?: number): void
  resume(): void
  /**
   * Replaces the body of the next/ongoing `/global/event` responses: the hook gets the client
   * response and must write to it itself; return true when it handled the request.
   */
  setEventHook(hook: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined): void
  close(): Promise<void>
}

/**
 * Starts the proxy on 127.0.0.1.
 * @param target upstream base URL, e.g. the OpenCode server's `http://127.0.0.1:4096`.
 * @param port local port; 0 picks a free one (fixed ports let a test restart the proxy).
 */
export async function startFaultProxy(target: string, port = 0): Promise<FaultProxy> {
  const upstream = new URL(target)
  const sockets = new Set<Socket>()
  const streams = new Set<ServerResponse>()
  let streamRequests = 0
  let refusing = false
  let refuseTimer: NodeJS.Timeout | undefined
  let hook: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined

  const server: Server = createServer((req, res) => {
    const isEvents = req.method === 'GET' && (req.url ?? '').split('?')[0] === '/global/event'
    if (isEvents) {
      streamRequests++
      streams.add(res)
      res.on('close', () => streams.delete(res))
      if (hook?.(req, res)) return
    }
    const proxied = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
        up.on('error', () => res.destroy())
      },
    )
    proxied.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end('bad gateway')
    })
    res.on('close', () => proxied.destroy())
    req.pipe(proxied)
  })
  server.on('connection', (socket: Socket) => {
    if (refusing) {
      socket.destroy()
      return
    }
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', () => ok())
  })
  const actual = (server.address() as AddressInfo).port
  const cutAll = () => {
    for (const s of sockets) s.destroy()
    sockets.clear()
    streams.clear()
  }
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    openEventStreams: () => streams.size,
    eventStreamRequests: () => streamRequests,
    cutAll,
    refuse(ms?: number) {
      refusing = true
      cutAll()
      if (refuseTimer) clearTimeout(refuseTimer)
      if (ms !== undefined) refuseTimer = setTimeout(() => (refusing = false), ms)
    },
    resume() {
      refusing = false
      if (refuseTimer) clearTimeout(refuseTimer)
    },
    setEventHook(h) {
      hook = h
    },
    close: () =>
      new Promise<void>((ok) => {
        if (refuseTimer) clearTimeout(refuseTimer)
        cutAll()
        server.close(() => ok())
      }),
  }
}
