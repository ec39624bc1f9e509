import { defineConfig } from '@playwright/test'
import { chromiumPath, CHROMIUM_ARGS } from './e2e/support/browser.ts'

/**
 * Playwright drives Debian's chromium (never a downloaded browser). Each spec file starts its own
 * real `opencode serve` and scripted model through e2e/support/fixtures.ts; the app is served from
 * the production build by e2e/support/app-server.ts, so the service worker and SharedWorker are the
 * real built ones.
 */
export default defineConfig({
  testDir: 'e2e',
  // The fault cycles (e2e/faults/cycles.spec.ts) run here too: 20 by default, FAULT_CYCLES=200 in
  // .ci/run, more through `npm run test:faults` (README, "Proof of no loss").
  testIgnore: ['**/bench/**'],
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  globalSetup: './e2e/support/global-setup.ts',
  use: {
    headless: true,
    launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
})
