/**
 * Serves the built PWA (`dist/`) with a strict Content-Security-Policy, SPA fallback to
 * index.html, and `/relay-config.json`, the small document from which the app learns its default
 * OpenCode server. Used by the launcher (`npm start`) and by the e2e tests, so tests run the very
 * thing users run.
 */
import { createServer, type Server } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { AddressInfo } from 'node:net'

/** The config document served at `/relay-config.json` (read by sw/shared/launcher-config.ts). */
export interface RelayConfigDocument {
  /**
   * `starting` until the launcher's server answered `/global/health`, then `ready`. Absent means
   * ready when `server.url` is set (documents of tests and older launchers).
   */
  status?: 'starting' | 'ready'
  /**
   * Default OpenCode server for the app: where it listens (known before it is up), Basic-auth
   * credentials, and `identity`, what it is whatever its port (the launcher's `launcher:<dir>`).
   */
  server?: { url: string; username?: string; password?: string; identity?: string }
  /** Sleep-protection companion, when the launcher runs it. */
  awake?: { url: string; token: string }
  /** Free-form label shown in settings (e.g. "started by npm start"). */
  source?: string
}

/** Options for {@link startStaticServer}. */
export interface StaticServerOptions {
  /**
   * Folder with the built app (vite build output), or a function read per request (tests swap the
   * served build to publish a new version).
   */
  root: string | (() => string)
  /** Port; 0 picks a free one. */
  port: number
  /** Host to bind; default `127.0.0.1`. */
  host?: string
  /** Returns the config document (re-evaluated per request). */
  config: () => RelayConfigDocument
  /**
   * Resolves when the config document's `status` may have left `starting`. With it,
   * `GET /relay-config.json?wait=ready` is a long poll: answered once the status is not
   * `starting`, or after {@link CONFIG_LONG_POLL_MS} at the latest.
   */
  configSettled?: () => Promise<void>
  /** Origins (besides 'self') the app may connect to; the OpenCode server URL goes here. */
  connectSources: () => string[]
  /**
   * Host names (without port) accepted in the `Host` header; others get 421. Default: the loopback
   * names (`localhost`, `127.0.0.1`, `[::1]`) when bound to loopback, anything otherwise. Guards
   * `/relay-config.json` (which may carry the server password) against DNS rebinding.
   */
  allowedHosts?: string[]
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]']

/** Longest wait of a `GET /relay-config.json?wait=ready` long poll, ms (readers give up at 25 s). */
export const CONFIG_LONG_POLL_MS = 20_000

function isLoopbackBind(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

/** The host name of a `Host` header, lower-cased, without the port (`[::1]:80` → `[::1]`). */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1)
  const colon = h.indexOf(':')
  return colon === -1 ? h : h.slice(0, colon)
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * The Content-Security-Policy sent with every response. No inline script, no eval
 * (`'wasm-unsafe-eval'` is not needed: shiki runs with its JavaScript regex engine), no plugins,
 * no base tag, no framing. `connect-src` lists the OpenCode server(s).
 */
export function contentSecurityPolicy(connectSources: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    // Any http(s) server: the app keeps a user-editable server list. Scripts stay locked down.
    `connect-src 'self' http: https: ws: wss: ${connectSources.join(' ')}`.trim(),
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "manifest-src 'self'",
  ].join('; ')
}

/** A running static server. */
export interface StaticServer {
  url: string
  port: number
  server: Server
  close(): Promise<void>
}

/**
 * Starts the static server. Every response, errors included, carries the
 * {@link contentSecurityPolicy} header. `GET`/`HEAD` only. Paths without a file extension that
 * match no file (app routes such as `/session/<id>`) get `index.html`; a missing file with an
 * extension gets 404, so a stale hashed asset is never answered with HTML.
 * @throws Error with code `EADDRINUSE` when the port is taken, `EACCES` when it is privileged (the
 *   launcher turns both into clear messages).
 */
export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const rootOf = (): string => resolve(typeof opts.root === 'function' ? opts.root() : opts.root)
  const bindHost = opts.host ?? '127.0.0.1'
  const allowed = opts.allowedHosts ?? (isLoopbackBind(bindHost) ? LOOPBACK_HOSTS : undefined)
  const server = createServer((req, res) => {
    const headers: Record<string, string> = {
      'content-security-policy': contentSecurityPolicy(opts.connectSources()),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    }
    const fail = (status: number, text: string) => {
      res.writeHead(status, { ...headers, 'content-type': TYPES['.txt'], 'cache-control': 'no-store' })
      res.end(text)
    }
    void (async () => {
      if (allowed && !allowed.includes(hostName(req.headers.host))) return fail(421, 'unknown host')
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        headers.allow = 'GET, HEAD'
        return fail(405, 'method not allowed')
      }
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (url.pathname === '/relay-config.json') {
        if (url.searchParams.get('wait') === 'ready' && opts.config().status === 'starting' && opts.configSettled) {
          let timer: NodeJS.Timeout | undefined
          await Promise.race([
            opts.configSettled(),
            new Promise<void>((ok) => (timer = setTimeout(ok, CONFIG_LONG_POLL_MS))),
            new Promise<void>((ok) => res.once('close', ok)),
          ])
          clearTimeout(timer)
          if (res.destroyed) return
        }
        res.writeHead(200, { ...headers, 'content-type': TYPES['.json'], 'cache-control': 'no-store' })
        res.end(JSON.stringify(opts.config()))
        return
      }
      let pathname: string
      try {
        pathname = decodeURIComponent(url.pathname)
      } catch {
        return fail(400, 'bad path')
      }
      const root = rootOf()
      const rel = normalize(pathname).replace(/^(\.\.[/\\])+/, '')
      let file = join(root, rel)
      if (file !== root && !file.startsWith(root + sep)) return fail(403, 'forbidden')
      let info = await stat(file).catch(() => undefined)
      if (!info || info.isDirectory()) {
        if (extname(rel) !== '') return fail(404, 'not found')
        // SPA fallback: every route (e.g. /session/<id>) is served index.html.
        file = join(root, 'index.html')
        info = await stat(file).catch(() => undefined)
      }
      if (!info) return fail(404, 'not built: run npm run build')
      const type = TYPES[extname(file)] ?? 'application/octet-stream'
      const immutable = rel.startsWith('/assets/')
      const cache = immutable ? 'public, max-age=31536000, immutable' : 'no-cache'
      const body = await readFile(file)
      res.writeHead(200, { ...headers, 'content-type': type, 'cache-control': cache, 'content-length': String(body.length) })
      res.end(body)
    })().catch((err: unknown) => {
      if (!res.headersSent) fail(500, String(err))
      else res.end()
    })
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(opts.port, bindHost, () => ok())
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://localhost:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}
