/**
 * What a buffering reverse proxy does to `GET /global/event` (nginx with `proxy_buffering on`,
 * compression middleware): the response head passes at once, the body is held until a block of
 * `blockBytes` has accumulated (or, with `blockBytes: Infinity`, until the upstream closes). A
 * hook for the fault proxy's `setEventHook` (test/support/fault-proxy.ts); REST passes untouched.
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http'

/** How the event stream is held. */
export interface BufferingOptions {
  /** Bytes held before a block is passed on; `Infinity` passes nothing until the upstream ends. */
  blockBytes: number
}

/**
 * A `setEventHook` hook that proxies `/global/event` to `target` through a buffer (see the module
 * comment). Returns true for every request: the hook answers them all.
 * @param target upstream base URL, e.g. `http://127.0.0.1:4096`.
 */
export function bufferingEventHook(target: string, options: BufferingOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const upstream = new URL(target)
  return (req, res) => {
    const proxied = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        res.flushHeaders()
        let held: Buffer[] = []
        let size = 0
        up.on('data', (chunk: Buffer) => {
          held.push(chunk)
          size += chunk.length
          if (size < options.blockBytes) return
          res.write(Buffer.concat(held))
          held = []
          size = 0
        })
        up.on('end', () => res.end(Buffer.concat(held)))
        up.on('error', () => res.destroy())
      },
    )
    proxied.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end('bad gateway')
    })
    res.on('close', () => proxied.destroy())
    req.pipe(proxied)
    return true
  }
}
