/**
 * The launcher's stable server port (src/cli/port-memory.ts): the project's remembered port, else
 * OpenCode's 4096, else a new one — never a port in use, never another project's — remembered in
 * the state file, which may be missing or garbage.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chooseServerPort, launcherStateDir, readPortMemory } from '../src/cli/port-memory.ts'

/** A memory file path in a fresh temp folder (its `opencode-relay` folder does not exist yet). */
function memoryFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'relay-ports-')), 'opencode-relay', 'ports.json')
}

/** Probes over a set of busy ports, and an OS that hands out the free ones of `next`, in order. */
function probes(busy: number[], next: number[] = [50001, 50002, 50003]) {
  const taken = new Set(busy)
  const offers = next.filter((p) => !taken.has(p))
  return { isFree: async (port: number) => !taken.has(port), freePort: async () => offers.shift() ?? 59999 }
}

describe('chooseServerPort', () => {
  it('takes 4096 the first time and remembers it for the project', async () => {
    const file = memoryFile()
    expect(await chooseServerPort({ directory: '/a', file, ...probes([]) })).toEqual({ port: 4096, reason: 'default' })
    expect(readPortMemory(file)).toEqual({ '/a': 4096 })
    expect(await chooseServerPort({ directory: '/a', file, ...probes([]) })).toEqual({ port: 4096, reason: 'remembered' })
  })

  it('gives a second project its own port while the first runs, and keeps it stable later', async () => {
    const file = memoryFile()
    await chooseServerPort({ directory: '/a', file, ...probes([]) })
    expect(await chooseServerPort({ directory: '/b', file, ...probes([4096]) })).toEqual({ port: 50001, reason: 'new' })
    // /a stopped: /b keeps its port, it does not jump to the free 4096 that /a remembers.
    expect(await chooseServerPort({ directory: '/b', file, ...probes([]) })).toEqual({ port: 50001, reason: 'remembered' })
    expect(readPortMemory(file)).toEqual({ '/a': 4096, '/b': 50001 })
  })

  it('replaces a remembered port that another program took, and remembers the new one', async () => {
    const file = memoryFile()
    await chooseServerPort({ directory: '/a', file, ...probes([]) })
    await chooseServerPort({ directory: '/b', file, ...probes([4096]) })
    expect(await chooseServerPort({ directory: '/b', file, ...probes([50001, 4096]) })).toEqual({ port: 50002, reason: 'new', replaced: 50001 })
    expect(readPortMemory(file)['/b']).toBe(50002)
  })

  it('never hands out a port another project remembers, even when the OS offers it', async () => {
    const file = memoryFile()
    await chooseServerPort({ directory: '/a', file, ...probes([4096], [50001]) })
    expect(await chooseServerPort({ directory: '/b', file, ...probes([4096], [50001, 50007]) })).toEqual({ port: 50007, reason: 'new' })
  })

  it('reads a missing, garbage or hand-edited memory as what it can use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-ports-'))
    expect(readPortMemory(join(dir, 'missing.json'))).toEqual({})
    writeFileSync(join(dir, 'bad.json'), '{ not json')
    expect(readPortMemory(join(dir, 'bad.json'))).toEqual({})
    writeFileSync(join(dir, 'odd.json'), JSON.stringify({ version: 1, ports: { '/a': 4096, '/b': 'x', '/c': 70000, '/d': 1.5 } }))
    expect(readPortMemory(join(dir, 'odd.json'))).toEqual({ '/a': 4096 })
  })

  it('still chooses when the memory cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-ports-'))
    writeFileSync(join(dir, 'file'), '')
    // The memory's folder would have to be a file: writing fails, the choice holds.
    expect(await chooseServerPort({ directory: '/a', file: join(dir, 'file', 'ports.json'), ...probes([]) })).toEqual({ port: 4096, reason: 'default' })
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('')
  })

  it('keeps its state under XDG_STATE_HOME, else ~/.local/state', () => {
    expect(launcherStateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' })).toBe('/x/state/opencode-relay')
    expect(launcherStateDir({ HOME: '/home/u' })).toBe('/home/u/.local/state/opencode-relay')
  })
})
