/**
 * Builds the app when `dist/` is missing or older than its sources (used by `npm start` and the
 * e2e global setup).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const SOURCES = ['src', 'sw', 'public', 'index.html', 'vite.config.ts', 'package.json']

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs
  for (const entry of readdirSync(path)) {
    if (entry === 'cli' && path.endsWith('src')) continue
    newest = Math.max(newest, newestMtime(join(path, entry)))
  }
  return newest
}

/** True when `<outDir>/index.html` exists and is newer than every source file. */
export function buildIsFresh(root: string, outDir = join(root, 'dist')): boolean {
  const index = join(outDir, 'index.html')
  if (!existsSync(index)) return false
  const built = statSync(index).mtimeMs
  return SOURCES.every((s) => newestMtime(join(root, s)) <= built)
}

/**
 * Runs `vite build` in `root` (into `outDir`, default `root/dist`) unless the build is fresh.
 * @param env extra environment for the build, e.g. `{ RELAY_BUILD_ID: 'v2' }` (vite.config.ts).
 *   Freshness only compares file times: give builds with different `env` different `outDir`s.
 * @returns true when it built.
 * @throws Error when the build fails (its output was streamed to the terminal).
 */
export function ensureBuilt(root: string, log: (line: string) => void = console.log, outDir = join(root, 'dist'), env: Record<string, string> = {}): boolean {
  if (buildIsFresh(root, outDir)) return false
  log('Building the app (vite build)…')
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js')
  const res = spawnSync(process.execPath, [vite, 'build', '--mode', 'production', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], {
    cwd: root,
    stdio: 'inherit',
    // Always a production build: a caller running under vitest has NODE_ENV=test, which would make
    // Vite build with import.meta.env.PROD false (no service worker registration).
    env: { ...process.env, NODE_ENV: 'production', ...env },
  })
  if (res.status !== 0) throw new Error(`vite build failed with exit code ${res.status}`)
  return true
}
