/**
 * Issue 16, Files: the project tree and the viewer's reads (src/stores/files.ts) — folder keys,
 * sorting, the flattened visible rows, git status marks merged from `/file/status` and
 * `/vcs/status`, lazy reads per expanded folder, and opening a file: text, a read error, and a file
 * that vanished (opencode 1.18.33 answers `{ type: 'text', content: '' }` for it). The browser side
 * is e2e/files.spec.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { FileNode } from '@opencode-ai/sdk/v2/types'
import { clearRelay } from '../src/relay-client/provide.ts'
import { setStorage } from '../src/stores/storage.ts'
import { changedFolders, folderKey, parentKey, sortEntries, statusMarks, useFilesStore, visibleRows, type FolderState } from '../src/stores/files.ts'
import { jsonResponse } from './support/http.ts'
import { StubRelay, startSyncStore } from './support/stub-relay.ts'

afterEach(() => {
  clearRelay()
  setStorage(undefined)
})

const P = '/p'
function node(path: string, type: FileNode['type'] = path.endsWith('/') ? 'directory' : 'file'): FileNode {
  const name = path.replace(/\/$/, '').split('/').pop() ?? path
  return { name, path, absolute: `${P}/${path.replace(/\/$/, '')}`, type, ignored: false }
}

describe('tree helpers', () => {
  it('folder keys have no trailing slash; the root is empty', () => {
    expect(folderKey('src/')).toBe('src')
    expect(folderKey('.')).toBe('')
    expect(folderKey('./src/lib/')).toBe('src/lib')
    expect(parentKey('src/lib/a.ts')).toBe('src/lib')
    expect(parentKey('a.ts')).toBe('')
    expect(parentKey('src/')).toBe('')
  })

  it('lists folders first, then names case-insensitively and numerically', () => {
    const sorted = sortEntries([node('b.ts'), node('zeta/'), node('A.ts'), node('file10.ts'), node('file2.ts'), node('alpha/')])
    expect(sorted.map((n) => n.path)).toEqual(['alpha/', 'zeta/', 'A.ts', 'b.ts', 'file2.ts', 'file10.ts'])
  })

  it('flattens expanded folders depth first, with loading, error and empty rows', () => {
    const folders: Record<string, FolderState> = {
      '': { loading: false, entries: [node('empty/'), node('lib/'), node('src/'), node('a.ts')] },
      src: { loading: false, entries: [node('src/deep/'), node('src/app.ts')] },
      'src/deep': { loading: true },
      lib: { loading: false, error: 'gone' },
      empty: { loading: false, entries: [] },
    }
    const rows = visibleRows(folders, { src: true, 'src/deep': true, lib: true, empty: true })
    expect(rows.map((r) => (r.kind === 'node' ? `${r.depth}:${r.node.path}${r.expanded ? '+' : ''}` : `${r.depth}:${r.kind}`))).toEqual([
      '0:empty/+',
      '1:empty',
      '0:lib/+',
      '1:error',
      '0:src/+',
      '1:src/deep/+',
      '2:loading',
      '1:src/app.ts',
      '0:a.ts',
    ])
    expect(visibleRows({}, {})).toEqual([{ kind: 'loading', key: '\u0000loading', depth: 0 }])
  })

  it('merges status marks from both endpoints (the first wins) and marks the folders above', () => {
    const marks = statusMarks([
      [{ path: 'src/app.ts', status: 'modified' }],
      [
        { file: 'src/app.ts', status: 'added' },
        { file: 'src/lib/new.ts', status: 'added' },
        { file: 'gone.txt', status: 'deleted' },
      ],
    ])
    expect(marks).toEqual({ 'src/app.ts': 'modified', 'src/lib/new.ts': 'added', 'gone.txt': 'deleted' })
    expect([...changedFolders(marks)].sort()).toEqual(['src', 'src/lib'])
  })
})

describe('the files store against a server', () => {
  /** A fake server: folders by `path` query, file contents by path, status lists; records requests. */
  async function store(fake: { folders: Record<string, FileNode[]>; contents?: Record<string, unknown>; fileStatus?: unknown; vcsStatus?: unknown }) {
    const requests: string[] = []
    const serverFetch: typeof fetch = async (input, init) => {
      const req = input instanceof Request ? input : new Request(String(input), init)
      const url = new URL(req.url)
      const path = url.searchParams.get('path') ?? ''
      requests.push(`${url.pathname}${path ? `?${path}` : ''}`)
      const fail = (status: number) =>
        new Response(JSON.stringify({ name: 'UnknownError', data: { message: 'Unexpected server error.', ref: 'err_1' } }), { status, headers: { 'content-type': 'application/json' } })
      if (url.pathname === '/file') return fake.folders[path] ? jsonResponse(fake.folders[path]) : fail(500)
      if (url.pathname === '/file/content') return path in (fake.contents ?? {}) ? jsonResponse(fake.contents?.[path]) : fail(500)
      if (url.pathname === '/file/status') return fake.fileStatus === undefined ? fail(500) : jsonResponse(fake.fileStatus)
      if (url.pathname === '/vcs/status') return fake.vcsStatus === undefined ? fail(500) : jsonResponse(fake.vcsStatus)
      return jsonResponse([])
    }
    await startSyncStore(serverFetch, new StubRelay())
    return { files: useFilesStore(), requests }
  }

  it('reads a folder only when it is first expanded; a collapse keeps it', async () => {
    const { files, requests } = await store({ folders: { '.': [node('src/'), node('a.ts')], src: [node('src/app.ts')] } })
    await files.loadFolder(P, '')
    expect(requests).toEqual(['/file?.'])
    await files.toggle(P, 'src/')
    expect(files.project(P).expanded).toEqual({ src: true })
    expect(files.project(P).folders.src.entries?.map((n) => n.path)).toEqual(['src/app.ts'])
    await files.toggle(P, 'src/')
    await files.toggle(P, 'src/')
    expect(requests).toEqual(['/file?.', '/file?src'])
  })

  it('keeps a folder’s read error with the server’s reason', async () => {
    const { files } = await store({ folders: { '.': [node('gone/')] } })
    await files.toggle(P, 'gone/')
    expect(files.project(P).folders.gone.error).toBe('Unexpected server error. (ref err_1)')
  })

  it('status: both endpoints merged; both failing keeps the marks and says why', async () => {
    const { files } = await store({ folders: {}, fileStatus: [], vcsStatus: [{ file: 'a.ts', additions: 1, deletions: 0, status: 'added' }] })
    await files.loadStatus(P)
    expect(files.project(P).marks).toEqual({ 'a.ts': 'added' })
    const failing = await store({ folders: {} })
    failing.files.project(P).marks = { 'b.ts': 'modified' }
    await failing.files.loadStatus(P)
    expect(failing.files.project(P).marks).toEqual({ 'b.ts': 'modified' })
    expect(failing.files.project(P).statusError).toContain('Unexpected server error.')
  })

  it('opens a text file at a line; a binary one as binary', async () => {
    const { files } = await store({
      folders: {},
      contents: { 'src/app.ts': { type: 'text', content: 'a\nb\n' }, 'logo.png': { type: 'binary', content: 'YWJj', encoding: 'base64', mimeType: 'image/png' } },
    })
    await files.openFile(P, 'src/app.ts', 2)
    expect(files.project(P).open).toMatchObject({ path: 'src/app.ts', state: 'ready', absolute: '/p/src/app.ts', body: { kind: 'text', lines: ['a', 'b'] } })
    expect(files.project(P).line).toBe(2)
    await files.openFile(P, 'logo.png')
    expect(files.project(P).open).toMatchObject({ state: 'ready', body: { kind: 'binary', mime: 'image/png', bytes: 3 } })
    files.closeFile(P)
    expect(files.project(P).open).toBeUndefined()
  })

  it('an empty answer for a file its folder no longer lists is a vanished file; an empty file is empty', async () => {
    const { files } = await store({
      folders: { src: [node('src/empty.ts')] },
      contents: { 'src/gone.ts': { type: 'text', content: '' }, 'src/empty.ts': { type: 'text', content: '' }, 'old/x.ts': { type: 'text', content: '' } },
    })
    await files.openFile(P, 'src/gone.ts')
    expect(files.project(P).open).toEqual({ path: 'src/gone.ts', state: 'missing' })
    await files.openFile(P, 'src/empty.ts')
    expect(files.project(P).open).toMatchObject({ state: 'ready', body: { kind: 'text', chars: 0 } })
    await files.openFile(P, 'old/x.ts')
    expect(files.project(P).open).toEqual({ path: 'old/x.ts', state: 'missing', reason: 'Unexpected server error. (ref err_1)' })
  })

  it('a read error is shown with the server’s reason; an older answer never replaces a newer one', async () => {
    const { files } = await store({ folders: {}, contents: { 'a.ts': { type: 'text', content: 'a' } } })
    await files.openFile(P, 'dir')
    expect(files.project(P).open).toEqual({ path: 'dir', state: 'error', message: 'Unexpected server error. (ref err_1)' })
    const first = files.openFile(P, 'dir')
    const second = files.openFile(P, 'a.ts')
    await Promise.all([first, second])
    expect(files.project(P).open).toMatchObject({ path: 'a.ts', state: 'ready' })
  })
})
