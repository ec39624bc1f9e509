/**
 * `npm test`: every suite in order — typecheck (vue-tsc, strict), lint (ESLint), unit (vitest),
 * end-to-end (Playwright against the real server and Debian's chromium). Each suite runs even when
 * an earlier one failed, so one run reports everything. Ends with the one line CI reads:
 * `N passed, N failed` — vitest tests + Playwright tests + the typecheck and lint checks (1 each).
 *
 * Flags: --skip-e2e, --only-e2e; extra args after `--` go to Playwright.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const args = process.argv.slice(2)
const skipE2e = args.includes('--skip-e2e')
const onlyE2e = args.includes('--only-e2e')
const passthrough = args.includes('--') ? args.slice(args.indexOf('--') + 1) : []
const bin = (name: string) => join(root, 'node_modules', '.bin', name)

let passed = 0
let failed = 0
const lines: string[] = []

function run(label: string, cmd: string, cmdArgs: string[]): number {
  console.log(`\n=== ${label}: ${cmd} ${cmdArgs.join(' ')}`)
  const res = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: process.env })
  return res.status ?? 1
}

function check(label: string, cmd: string, cmdArgs: string[]): void {
  const ok = run(label, cmd, cmdArgs) === 0
  if (ok) passed++
  else failed++
  lines.push(`${label}: ${ok ? 'ok' : 'FAILED'}`)
}

interface JsonCounts {
  passed: number
  failed: number
}

function vitestCounts(file: string): JsonCounts | undefined {
  if (!existsSync(file)) return undefined
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'))
  if (typeof data !== 'object' || data === null) return undefined
  const num = (k: string) => (k in data ? Number((data as Record<string, unknown>)[k]) || 0 : 0)
  // A test file that failed without any failing test (an import error, an unhandled error) counts once.
  let brokenFiles = 0
  if ('testResults' in data && Array.isArray(data.testResults)) {
    for (const file of data.testResults as Array<{ status?: string; assertionResults?: Array<{ status?: string }> }>) {
      const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed').length
      if (file.status === 'failed' && failedTests === 0) brokenFiles++
    }
  }
  return { passed: num('numPassedTests'), failed: num('numFailedTests') + brokenFiles }
}

function playwrightCounts(file: string): JsonCounts | undefined {
  if (!existsSync(file)) return undefined
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'))
  if (typeof data !== 'object' || data === null || !('stats' in data)) return undefined
  const stats = data.stats
  if (typeof stats !== 'object' || stats === null) return undefined
  const num = (k: string) => (k in stats ? Number((stats as Record<string, unknown>)[k]) || 0 : 0)
  const errors = 'errors' in data && Array.isArray(data.errors) ? data.errors.length : 0
  return { passed: num('expected') + num('flaky'), failed: num('unexpected') + errors }
}

function suite(label: string, cmd: string, cmdArgs: string[], report: string, counts: (f: string) => JsonCounts | undefined): void {
  rmSync(report, { force: true })
  const status = run(label, cmd, cmdArgs)
  const c = counts(report)
  if (!c) {
    failed++
    lines.push(`${label}: no report (exit ${status})`)
    return
  }
  // A crashed runner that still wrote a report must not count as green.
  const extra = status !== 0 && c.failed === 0 ? 1 : 0
  passed += c.passed
  failed += c.failed + extra
  lines.push(`${label}: ${c.passed} passed, ${c.failed + extra} failed`)
}

if (!onlyE2e) {
  check('typecheck', 'npm', ['run', '--silent', 'typecheck'])
  check('lint', bin('eslint'), ['.', '--max-warnings', '0'])
  suite('unit (vitest)', bin('vitest'), ['run'], join(root, 'test-results', 'vitest.json'), vitestCounts)
}
if (!skipE2e) {
  suite('e2e (playwright)', bin('playwright'), ['test', ...passthrough], join(root, 'test-results', 'playwright.json'), playwrightCounts)
}

console.log('\n' + lines.join('\n'))
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
