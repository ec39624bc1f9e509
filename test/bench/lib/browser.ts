/**
 * Headless Debian chromium for the benchmarks, driven by Playwright's library API (not the test
 * runner). Every profile is persistent, in a temp folder, so IndexedDB lives on disk as it does
 * for a user (an incognito context would keep it in memory and flatter the numbers).
 */
import { chromium, type BrowserContext, type Page } from '@playwright/test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHROMIUM_ARGS, chromiumPath } from '../../../e2e/support/browser.ts'
import { playwrightCdpSession } from '../../../e2e/support/fixtures.ts'

/** A browser profile: one persistent context (one SharedWorker per origin). */
export interface Profile {
  context: BrowserContext
  /** The profile folder (removed by `close`). */
  dir: string
  /** Closes the browser and removes the profile. */
  close(): Promise<void>
}

/**
 * Launches chromium on a fresh persistent profile in a temp folder.
 * `--enable-precise-memory-info` makes heap numbers exact.
 */
export async function launchProfile(): Promise<Profile> {
  const profileDir = mkdtempSync(join(tmpdir(), 'relay-bench-profile-'))
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, '--enable-precise-memory-info'],
    headless: true,
    viewport: { width: 1280, height: 800 },
  })
  // tsx (esbuild keepNames) wraps named functions inside `page.evaluate` callbacks in `__name(…)`.
  await context.addInitScript({ content: 'globalThis.__name ??= (fn) => fn' })
  return {
    context,
    dir: profileDir,
    close: async () => {
      await context.close().catch(() => undefined)
      rmSync(profileDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
    },
  }
}

/**
 * Freezes `page` as Chromium freezes a background tab (see `freezePage` in e2e/support/fixtures.ts:
 * focus emulation is released on Playwright's own CDP session first). Returns `resume`, which
 * unfreezes it and resolves with the epoch ms just before the unfreeze command was sent.
 */
export async function freeze(page: Page): Promise<() => Promise<number>> {
  const cdp = playwrightCdpSession(page)
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false })
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' })
  return async () => {
    const at = Date.now()
    await cdp.send('Page.setWebLifecycleState', { state: 'active' })
    await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true })
    return at
  }
}

/** Used JS heap of `page` after a forced GC, in bytes (CDP `Runtime.getHeapUsage`). */
export async function heapUsed(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('HeapProfiler.collectGarbage')
    const usage = await cdp.send('Runtime.getHeapUsage')
    return usage.usedSize
  } finally {
    await cdp.detach().catch(() => undefined)
  }
}
