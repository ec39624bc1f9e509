/**
 * A pass-through HTTP proxy in front of `opencode web` that taps every `GET /global/event` stream
 * it forwards: it counts open streams (upstream connections per client) and reports each SSE
 * event at the moment it hands the bytes to the client's socket.
 *
 * Why a tap rather than only a separate raw listener: opencode serves its SSE subscribers one
 * after another — a 5,000-delta burst reaches the second subscriber 13–203 ms after the first
 * (measured on this machine with two Node listeners) — so a separate listener's clock would add or
 * subtract the server's fan-out order to the client's lag. The tap times the last delta on the
 * client's own connection.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createParser } from 'eventsource-parser'

/** A running tap proxy. */
export interface TapProxy {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** `/global/event` streams open right now. */
  openEventStreams(): number
  /** `/global/event` requests since start. */
  eventStreamRequests(): number
  /** Called with each SSE `data` and the epoch ms it was written to the client; undefined: off. */
  setTap(tap: ((data: string, writtenAt: number) => void) | undefined): void
  close(): Promise<void>
}

/** Starts the proxy on 127.0.0.1 in front of `target` (e.g. `http://127.0.0.1:4096`). */
export async function startTapProxy(target: string): Promise<TapProxy> {
  const upstream = new URL(target)
  const sockets = new Set<Socket>()
  let open = 0
  let requests = 0
  let tap: ((data: string, writtenAt: number) => void) | undefined

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const isEvents = req.method === 'GET' && (req.url ?? '').split('?')[0] === '/global/event'
    if (isEvents) {
      requests++
      open++
      res.once('close', () => open--)
    }
    const proxied = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        if (!isEvents) {
          up.pipe(res)
        } else {
          res.socket?.setNoDelay(true)
          let writtenAt = 0
          const parser = createParser({ onEvent: (ev) => tap?.(ev.data, writtenAt) })
          up.setEncoding('utf8')
          up.on('data', (chunk: string) => {
            writtenAt = Date.now()
            res.write(chunk)
            if (tap) parser.feed(chunk)
          })
          up.on('end', () => res.end())
        }
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
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    openEventStreams: () => open,
    eventStreamRequests: () => requests,
    setTap: (fn) => {
      tap = fn
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
