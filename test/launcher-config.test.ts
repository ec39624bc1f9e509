/**
 * Reading the launcher's `/relay-config.json` (sw/shared/launcher-config.ts): every answer a reader can
 * get — ready, starting, no launcher, a broken document, no answer at all — and never a throw.
 */
import { describe, expect, it } from 'vitest'
import { parseLauncherConfig, readLauncherConfig } from '../sw/shared/launcher-config.ts'

const json = (data: unknown, type = 'application/json') => new Response(typeof data === 'string' ? data : JSON.stringify(data), { status: 200, headers: { 'content-type': type } })

describe('launcher config', () => {
  it('a document with a URL and no status is ready (tests, older launchers)', () => {
    expect(parseLauncherConfig({ server: { url: 'http://127.0.0.1:4096/' } })).toEqual({ kind: 'ready', server: { url: 'http://127.0.0.1:4096', followLauncher: true } })
  })

  it('carries credentials and the server identity', () => {
    expect(parseLauncherConfig({ status: 'ready', server: { url: 'http://127.0.0.1:4100', username: 'me', password: 'pw', identity: 'launcher:/p' } })).toEqual({
      kind: 'ready',
      server: { url: 'http://127.0.0.1:4100', username: 'me', password: 'pw', identity: 'launcher:/p', followLauncher: true },
    })
  })

  it('starting, with or without the address the server will have', () => {
    expect(parseLauncherConfig({ status: 'starting', server: { url: 'http://127.0.0.1:4096' } })).toEqual({ kind: 'starting', server: { url: 'http://127.0.0.1:4096', followLauncher: true } })
    expect(parseLauncherConfig({ status: 'starting', server: { url: '' } })).toEqual({ kind: 'starting' })
  })

  it('rejects documents that make no sense with a reason', () => {
    expect(parseLauncherConfig(null)).toMatchObject({ kind: 'invalid' })
    expect(parseLauncherConfig([])).toMatchObject({ kind: 'invalid' })
    expect(parseLauncherConfig({ status: 'ready', server: { url: '' } })).toMatchObject({ kind: 'invalid', reason: /no http\(s\) server URL/ })
    expect(parseLauncherConfig({ server: { url: 'javascript:alert(1)' } })).toMatchObject({ kind: 'invalid' })
    expect(parseLauncherConfig({ status: 'exploded', server: { url: 'http://x.test' } })).toMatchObject({ kind: 'invalid', reason: /unknown launcher status/ })
  })

  it('reads every failure as an answer, never a throw', async () => {
    const fails: typeof fetch = async () => {
      throw new TypeError('Failed to fetch')
    }
    await expect(readLauncherConfig({ fetch: fails })).resolves.toEqual({ kind: 'unreachable', reason: 'Failed to fetch' })
    await expect(readLauncherConfig({ fetch: async () => new Response('nope', { status: 404 }) })).resolves.toMatchObject({ kind: 'absent', reason: 'HTTP 404' })
    // A static host's SPA fallback answers every path with the app's HTML.
    await expect(readLauncherConfig({ fetch: async () => json('<!doctype html><html></html>', 'text/html') })).resolves.toMatchObject({ kind: 'absent', reason: /not JSON/ })
    await expect(readLauncherConfig({ fetch: async () => json('{"server": ') })).resolves.toMatchObject({ kind: 'invalid', reason: /bad JSON/ })
    await expect(readLauncherConfig({ fetch: async () => json({ status: 'ready', server: { url: 'http://127.0.0.1:4096' } }) })).resolves.toMatchObject({ kind: 'ready' })
  })

  it('gives up on a launcher that does not answer', async () => {
    const hangs: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
    await expect(readLauncherConfig({ fetch: hangs, timeoutMs: 20 })).resolves.toEqual({ kind: 'unreachable', reason: 'no answer within 0 s' })
  })

  it('asks for the long poll with ?wait=ready', async () => {
    const paths: string[] = []
    const record: typeof fetch = async (input) => {
      paths.push(String(input))
      return json({ status: 'ready', server: { url: 'http://127.0.0.1:4096' } })
    }
    await readLauncherConfig({ fetch: record })
    await readLauncherConfig({ fetch: record, waitForReady: true })
    expect(paths).toEqual(['/relay-config.json', '/relay-config.json?wait=ready'])
  })
})
