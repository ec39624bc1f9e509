/**
 * Builds the bench page (`test/bench/page/`) with Vite's JS API, the SharedWorker bundled from
 * `sw/shared-worker.ts` exactly as the app build does it (`worker.format: 'es'`), and serves it with
 * the app's own static server (same CSP and headers as production).
 *
 * Output goes to `node_modules/.cache/opencode-relay-bench/page` (outside every linted and
 * committed folder).
 */
import { build } from 'vite'
import { join } from 'node:path'
import { REPO_ROOT } from '../../support/opencode-server.ts'
import { startStaticServer, type StaticServer } from '../../../src/cli/static-server.ts'

/** Where the bench page is built. */
export const PAGE_OUT_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'opencode-relay-bench', 'page')

let built: Promise<string> | undefined

/**
 * Runs `vite build` on the bench page, once per process (later calls share the first build).
 * @returns the output directory.
 * @throws Error when the build fails (Vite's error).
 */
export function buildBenchPage(): Promise<string> {
  built ??= runBuild().catch((err: unknown) => {
    built = undefined
    throw err
  })
  return built
}

async function runBuild(): Promise<string> {
  await build({
    configFile: false,
    root: join(REPO_ROOT, 'test', 'bench', 'page'),
    logLevel: 'warn',
    worker: { format: 'es' },
    build: { outDir: PAGE_OUT_DIR, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false },
  })
  return PAGE_OUT_DIR
}

/** Builds the bench page and serves it on a free port (`http://localhost:<port>`). */
export async function serveBenchPage(): Promise<StaticServer> {
  const root = await buildBenchPage()
  return startStaticServer({ root, port: 0, config: () => ({}), connectSources: () => [] })
}
