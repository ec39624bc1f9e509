/**
 * Serves the built PWA (`dist/`) with a strict Content-Security-Policy, SPA fallback to
 * index.html, and `/relay-config.json`, the small document from which the app learns its default
 * OpenCode server. Used by the launcher (`npm start`) and by the e2e tests, so tests run the very
 * thing users run.
 */
import { createServer, type Server } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'

/** The config document served at `/relay-config.json`. */
export interface RelayConfigDocument {
  /** Default OpenCode server for the app. */
  server?: { url: string; username?: string; password?: string }
  /** Sleep-protection companion, when the launcher runs it. */
  awake?: { url: string; token: string }
  /** Free-form label shown in settings (e.g. "started by npm start"). */
  source?: string
}

/** Options for {@link startStaticServer}. */
export interface StaticServerOptions {
  /** Folder with the built app (vite build output). */
  root: string
  /** Port; 0 picks a free one. */
  port: number
  /** Host to bind; default `127.0.0.1`. */
  host?: string
  /** Returns the config document (re-evaluated per request). */
  config: () => RelayConfigDocument
  /** Origins (besides 'self') the app may connect to; the OpenCode server URL goes here. */
  connectSources: () => string[]
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
    `connect-src 'self' http: https: ${connectSources.join(' ')}`.trim(),
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
 * Starts the static server.
 * @throws Error with code `EADDRINUSE` when the port is taken (the launcher turns it into a clear message).
 */
export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const root = resolve(opts.root)
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const headers: Record<string, string> = {
        'content-security-policy': contentSecurityPolicy(opts.connectSources()),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
      }
      if (url.pathname === '/relay-config.json') {
        res.writeHead(200, { ...headers, 'content-type': TYPES['.json'], 'cache-control': 'no-store' })
        res.end(JSON.stringify(opts.config()))
        return
      }
      const rel = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '')
      let file = join(root, rel)
      if (!file.startsWith(root)) {
        res.writeHead(403, headers).end('forbidden')
        return
      }
      let info = await stat(file).catch(() => undefined)
      if (!info || info.isDirectory()) {
        // SPA fallback: every route (e.g. /session/<id>) is served index.html.
        file = join(root, 'index.html')
        info = await stat(file).catch(() => undefined)
      }
      if (!info) {
        res.writeHead(404, headers).end('not built: run npm run build')
        return
      }
      const type = TYPES[extname(file)] ?? 'application/octet-stream'
      const immutable = rel.startsWith('/assets/')
      const cache = immutable ? 'public, max-age=31536000, immutable' : 'no-cache'
      res.writeHead(200, { ...headers, 'content-type': type, 'cache-control': cache })
      res.end(await readFile(file))
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500)
      res.end(String(err))
    })
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => ok())
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
