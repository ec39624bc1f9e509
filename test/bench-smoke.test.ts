/**
 * Smoke test of `npm run bench` (test/bench/run.ts) so the benchmarks cannot rot: every suite
 * runs once in `--quick` mode (tiny sizes, one run) against the real relay, the real
 * `opencode web` and headless chromium, and must produce numbers. No timing assertions: the values
 * themselves are never checked, only that they exist.
 */
import { describe, expect, it } from 'vitest'
import { SUITES } from './bench/lib/context.ts'
import { runBench } from './bench/run.ts'

describe('npm run bench --quick', () => {
  it('runs every suite and produces numbers', async () => {
    const lines: string[] = []
    const report = await runBench({ quick: true, out: null, log: (l) => lines.push(l) })
    const failed = report.rows.filter((r) => typeof r.relay === 'string' && r.relay.startsWith('failed'))
    expect(failed, lines.join('\n')).toEqual([])
    expect(report.options.suites).toEqual([...SUITES])
    expect(report.machine.cores).toBeGreaterThan(0)
    for (const bench of ['1. Ingest', '2. Latency', '3. Burst', '4. Catch-up', '5. Long session', '6. Tabs', '7. Degraded', '8. Rates', '9. Long reply']) {
      const numbers = report.rows
        .filter((r) => r.bench === bench)
        .flatMap((r) => [r.relay, r.official])
        .filter((v) => typeof v === 'object' && Number.isFinite(v.median))
      expect(numbers.length, `${bench} produced no number\n${lines.join('\n')}`).toBeGreaterThan(0)
    }
    expect(report.table).toContain('| Bench | Metric |')
  }, 300_000)
})
