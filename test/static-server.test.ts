/**
 * The launcher's static server (src/cli/static-server.ts): the Content-Security-Policy header on
 * every response (files, SPA fallback, config document, every error), the meta fallback in
 * index.html, the config document, the SPA fallback rules, and the loopback Host guard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { contentSecurityPolicy, hostName, startStaticServer, type StaticServer } from '../src/cli/static-server.ts'

const REPO = join(import.meta.dirname, '..')

/** Parses a CSP into directive → source list. */
function parseCsp(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/)
    if (name) out.set(name.toLowerCase(), values)
  }
  return out
}

/** The directives the issue requires on everything the launcher serves. */
function expectRequiredDirectives(policy: string): void {
  const csp = parseCsp(policy)
  expect(csp.get('script-src')).toEqual(["'self'"])
  expect(csp.get('object-src')).toEqual(["'none'"])
  expect(csp.get('base-uri')).toEqual(["'none'"])
  expect(csp.get('frame-ancestors')).toEqual(["'none'"])
  for (const [name, values] of csp) {
    expect(values, `${name} must not allow eval or inline script`).not.toContain("'unsafe-eval'")
    if (name === 'script-src' || name === 'default-src' || name === 'worker-src') expect(values).not.toContain("'unsafe-inline'")
  }
}

interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw request (fetch cannot set `Host`). */
function raw(port: number, path: string, options: { method?: string; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: options.host ?? `localhost:${port}` } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('static server', () => {
  let dir: string
  let other: string
  let server: StaticServer
  let root: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-static-'))
    other = mkdtempSync(join(tmpdir(), 'relay-static-b-'))
    for (const [d, label] of [
      [dir, 'one'],
      [other, 'two'],
    ] as const) {
      mkdirSync(join(d, 'assets'), { recursive: true })
      writeFileSync(join(d, 'index.html'), `<!doctype html><title>${label}</title>`)
      writeFileSync(join(d, 'assets', 'app-abc.js'), 'console.log(1)')
      writeFileSync(join(d, 'service-worker.js'), 'self.x = 1')
      writeFileSync(join(d, 'manifest.webmanifest'), '{}')
    }
    root = dir
    server = await startStaticServer({
      root: () => root,
      port: 0,
      config: () => ({ server: { url: 'http://127.0.0.1:4096', password: 'pw' }, source: 'test' }),
      connectSources: () => ['http://127.0.0.1:4096'],
    })
  })

  afterAll(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
    rmSync(other, { recursive: true, force: true })
  })

  const cases: Array<[string, string, number]> = [
    ['the app shell', '/', 200],
    ['an app route (SPA fallback)', '/session/ses_123?directory=%2Ftmp%2Fmy.project', 200],
    ['a hashed asset', '/assets/app-abc.js', 200],
    ['the service worker', '/service-worker.js', 200],
    ['the manifest', '/manifest.webmanifest', 200],
    ['the config document', '/relay-config.json', 200],
    ['a missing file', '/assets/missing-123.js', 404],
    ['a malformed path', '/%E0%A4%A', 400],
    ['a traversal attempt', '/..%2f..%2f..%2fetc%2fpasswd', 200],
  ]
  for (const [label, path, status] of cases) {
    it(`sends the CSP with ${label} (${status})`, async () => {
      const res = await raw(server.port, path)
      expect(res.status).toBe(status)
      const policy = res.headers['content-security-policy']
      expect(typeof policy).toBe('string')
      expectRequiredDirectives(String(policy))
      expect(parseCsp(String(policy)).get('connect-src')).toContain('http://127.0.0.1:4096')
      // The terminal's PTY sockets (GET /pty/{id}/connect) are ws(s).
      expect(parseCsp(String(policy)).get('connect-src')).toEqual(expect.arrayContaining(['ws:', 'wss:']))
      expect(res.headers['x-content-type-options']).toBe('nosniff')
    })
  }

  it('sends the CSP with a refused method (405) and an unknown Host (421)', async () => {
    const post = await raw(server.port, '/', { method: 'POST' })
    expect(post.status).toBe(405)
    expectRequiredDirectives(String(post.headers['content-security-policy']))
    const rebound = await raw(server.port, '/relay-config.json', { host: 'attacker.example:80' })
    expect(rebound.status).toBe(421)
    expect(rebound.body).not.toContain('pw')
    expectRequiredDirectives(String(rebound.headers['content-security-policy']))
  })

  it('never serves a file outside the root', async () => {
    for (const path of ['/..%2f..%2f..%2fetc%2fpasswd', '/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/hostname']) {
      const res = await raw(server.port, path)
      expect(res.body).toContain('<title>one</title>')
    }
  })

  it('accepts every loopback name in Host', async () => {
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, 'LOCALHOST']) {
      expect((await raw(server.port, '/', { host })).status).toBe(200)
    }
  })

  it('serves the config document uncached, and HTML for routes only', async () => {
    const config = await raw(server.port, '/relay-config.json')
    expect(config.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(config.body)).toEqual({ server: { url: 'http://127.0.0.1:4096', password: 'pw' }, source: 'test' })
    const route = await raw(server.port, '/session/ses_1')
    expect(route.headers['content-type']).toContain('text/html')
    expect(route.headers['cache-control']).toBe('no-cache')
    const asset = await raw(server.port, '/assets/app-abc.js')
    expect(asset.headers['content-type']).toContain('text/javascript')
    expect(asset.headers['cache-control']).toContain('immutable')
    expect((await raw(server.port, '/service-worker.js')).headers['cache-control']).toBe('no-cache')
  })

  it('reads the root per request (a swapped build is served at once)', async () => {
    expect((await raw(server.port, '/')).body).toContain('one')
    root = other
    expect((await raw(server.port, '/')).body).toContain('two')
    root = dir
  })

  it('answers ?wait=ready at once when ready, and holds it while the launcher starts its server', async () => {
    let status: 'starting' | 'ready' = 'starting'
    let settle: () => void = () => undefined
    const settled = new Promise<void>((ok) => (settle = ok))
    const starting = await startStaticServer({
      root: dir,
      port: 0,
      config: () => ({ status, server: { url: 'http://127.0.0.1:4096' } }),
      configSettled: () => settled,
      connectSources: () => [],
    })
    try {
      expect(JSON.parse((await raw(starting.port, '/relay-config.json')).body).status).toBe('starting')
      let answered = false
      const poll = raw(starting.port, '/relay-config.json?wait=ready').then((r) => ((answered = true), r))
      await new Promise((r) => setTimeout(r, 100))
      expect(answered).toBe(false)
      status = 'ready'
      settle()
      const res = await poll
      expect(JSON.parse(res.body)).toEqual({ status: 'ready', server: { url: 'http://127.0.0.1:4096' } })
      expect(res.headers['cache-control']).toBe('no-store')
      expect(JSON.parse((await raw(starting.port, '/relay-config.json?wait=ready')).body).status).toBe('ready')
    } finally {
      await starting.close()
    }
  })

  it('reports a taken port as EADDRINUSE', async () => {
    await expect(
      startStaticServer({ root: dir, port: server.port, config: () => ({}), connectSources: () => [] }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})

describe('hostName', () => {
  it('strips the port and lower-cases', () => {
    expect(hostName('LocalHost:5174')).toBe('localhost')
    expect(hostName('[::1]:80')).toBe('[::1]')
    expect(hostName('127.0.0.1')).toBe('127.0.0.1')
    expect(hostName(undefined)).toBe('')
  })
})

describe('index.html meta CSP fallback', () => {
  const html = readFileSync(join(REPO, 'index.html'), 'utf8')
  const meta = html.match(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)

  it('exists, before any script', () => {
    expect(meta).not.toBeNull()
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<script'))
  })

  it('equals the header policy without frame-ancestors (ignored in meta) and without the server origins', () => {
    const header = parseCsp(contentSecurityPolicy([]))
    header.delete('frame-ancestors')
    expect(parseCsp(meta?.[1] ?? '')).toEqual(header)
  })

  it('has no inline script anywhere in index.html', () => {
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\ssrc=/)
  })
})
