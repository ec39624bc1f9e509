/**
 * The relay-awake HTTP API, bound to 127.0.0.1 only:
 *
 * - `GET /status` → {@link AwakeStatus} JSON.
 * - `POST /lease` `{busy: boolean, reason?: string, ttlMs?: number}` → status JSON. One lease per
 *   owner (the request's `Origin`, or `cli` without one); renew every few seconds.
 * - `POST /enabled` `{enabled: boolean}` → status JSON.
 *
 * Every request, in this order:
 * 1. `Host` must be exactly `127.0.0.1:PORT` or `localhost:PORT` → else 403 (DNS rebinding).
 * 2. An `Origin` header, if present, must be in the `--origin` list → else 403.
 * 3. `OPTIONS` from an allowed origin is a CORS preflight → 204 (no token: browsers send none).
 * 4. `Authorization: Bearer <token>` must match (constant-time) → else 401.
 * Errors are JSON `{error: string}`. Bodies are limited to 16 KiB (413).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AwakeLeaseRequest } from '../../../sw/shared/awake-wire.ts'
import type { AwakeController } from './controller.ts'
import { isRecord } from '../../../sw/shared/guards.ts'

/** Options of {@link createAwakeServer}. */
export interface AwakeServerOptions {
  controller: AwakeController
  /** Bearer token every request must carry (hex, 32 random bytes unless given). */
  token: string
  /** Allowed browser origins, e.g. `http://localhost:5173` (normalized with {@link normalizeOrigin}). */
  origins: string[]
}

const MAX_BODY_BYTES = 16 * 1024

/**
 * Normalizes an origin to `scheme://host[:port]` (lower case, default port dropped).
 * @throws Error when `value` is not an absolute http(s) URL.
 */
export function normalizeOrigin(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`invalid origin: ${value}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`invalid origin (http/https only): ${value}`)
  return url.origin
}

/** True when the `Host` header is exactly `127.0.0.1:port` or `localhost:port` (case-insensitive). */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false
  const h = host.toLowerCase()
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`
}

/** True when `origin` (a raw `Origin` header) is in the normalized `allowed` list. `null` never is. */
export function isAllowedOrigin(origin: string, allowed: readonly string[]): boolean {
  let normalized: string
  try {
    normalized = normalizeOrigin(origin)
  } catch {
    return false
  }
  return allowed.includes(normalized)
}

/** Constant-time check of an `Authorization` header against `Bearer <token>`. */
export function isValidBearer(header: string | undefined, token: string): boolean {
  if (header === undefined) return false
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) return false
  const a = createHash('sha256').update(match[1]).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}

/**
 * Validates a `POST /lease` body.
 * @returns the request, or an error message for a 400.
 */
export function parseLeaseBody(body: unknown): AwakeLeaseRequest | string {
  if (!isRecord(body)) return 'body must be a JSON object'
  if (typeof body.busy !== 'boolean') return '`busy` must be a boolean'
  const req: AwakeLeaseRequest = { busy: body.busy }
  if (body.reason !== undefined) {
    if (typeof body.reason !== 'string') return '`reason` must be a string'
    req.reason = body.reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200)
  }
  if (body.ttlMs !== undefined) {
    if (typeof body.ttlMs !== 'number' || !Number.isFinite(body.ttlMs) || body.ttlMs <= 0) return '`ttlMs` must be a positive number'
    req.ttlMs = body.ttlMs
  }
  return req
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'body too large'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      if (!text.trim()) return reject(new HttpError(400, 'empty body: JSON expected'))
      try {
        resolve(JSON.parse(text))
      } catch {
        reject(new HttpError(400, 'invalid JSON'))
      }
    })
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(text)
}

/**
 * Builds the HTTP server (not listening yet). The port used for the `Host` check is read from
 * the server's bound address at request time, so `listen(0)` works.
 */
export function createAwakeServer(opts: AwakeServerOptions): Server {
  const origins = opts.origins.map(normalizeOrigin)
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy()
      if (err instanceof HttpError) send(res, err.status, { error: err.message })
      else send(res, 500, { error: err instanceof Error ? err.message : 'internal error' })
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : -1
    if (!isAllowedHost(req.headers.host, port)) return send(res, 403, { error: 'forbidden: Host must be 127.0.0.1 or localhost' })

    const origin = req.headers.origin
    const cors: Record<string, string> = {}
    if (origin !== undefined) {
      if (!isAllowedOrigin(origin, origins)) return send(res, 403, { error: 'forbidden: Origin not allowed (start with --origin)' })
      cors['access-control-allow-origin'] = origin
      cors.vary = 'Origin'
    }

    if (req.method === 'OPTIONS') {
      const headers: Record<string, string> = {
        ...cors,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      }
      // Chrome's Private Network Access preflight (public page → loopback).
      if (req.headers['access-control-request-private-network'] === 'true') headers['access-control-allow-private-network'] = 'true'
      res.writeHead(204, headers)
      return void res.end()
    }

    if (!isValidBearer(req.headers.authorization, opts.token)) {
      return send(res, 401, { error: 'unauthorized: Authorization: Bearer <token> required' }, { ...cors, 'www-authenticate': 'Bearer' })
    }

    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const route = `${req.method ?? 'GET'} ${path}`
    switch (route) {
      case 'GET /status':
        return send(res, 200, opts.controller.status(), cors)
      case 'POST /lease': {
        const parsed = parseLeaseBody(await readJson(req))
        if (typeof parsed === 'string') return send(res, 400, { error: parsed }, cors)
        opts.controller.lease(origin ?? 'cli', parsed)
        return send(res, 200, opts.controller.status(), cors)
      }
      case 'POST /enabled': {
        const body = await readJson(req)
        if (!isRecord(body) || typeof body.enabled !== 'boolean') return send(res, 400, { error: '`enabled` must be a boolean' }, cors)
        opts.controller.setEnabled(body.enabled)
        return send(res, 200, opts.controller.status(), cors)
      }
      default:
        if (path === '/status' || path === '/lease' || path === '/enabled') return send(res, 405, { error: `method ${req.method} not allowed` }, cors)
        return send(res, 404, { error: `not found: ${path}` }, cors)
    }
  }

  return server
}
