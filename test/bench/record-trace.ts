/**
 * Records the event trace the ingest, latency and catch-up benchmarks replay:
 * `test/bench/fixtures/trace.jsonl`, one `GET /global/event` SSE `data:` payload per line, exactly
 * as the real `opencode serve` (pinned `opencode-ai`) sent it while the scripted model answered a
 * typical session: a long streamed reply, a bash tool call behind a permission, a question, short
 * replies, a second session. Heartbeats are kept (the relay drops them, as it does live).
 *
 * Run: `npx tsx test/bench/record-trace.ts` (about 20 s). The trace is committed; re-record it
 * after an `opencode-ai` upgrade.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startOpencode } from '../support/opencode-server.ts'
import { startScriptedModel } from '../support/scripted-model.ts'
import { ServerApi } from '../support/server-api.ts'
import { openRawListener } from './lib/raw-sse.ts'

const here = dirname(fileURLToPath(import.meta.url))
/** Where the recorded trace lives (JSON lines). */
export const TRACE_PATH = join(here, 'fixtures', 'trace.jsonl')

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function main(): Promise<void> {
  const model = await startScriptedModel()
  const oc = await startOpencode({ modelBaseURL: model.baseURL })
  const lines: string[] = []
  const listener = await openRawListener(oc.url, (data) => lines.push(data))
  try {
    const api = new ServerApi(oc.url, oc.directory)
    await sleep(300)
    const a = await api.createSession()
    await api.prompt(a.id, 'stream 300')
    await api.promptAsync(a.id, 'bash: echo hi')
    for (let i = 0; i < 100; i++) {
      const perms = await api.permissions()
      if (perms.length) {
        await fetch(`${oc.url}/permission/${perms[0].id}/reply?directory=${encodeURIComponent(oc.directory)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ reply: 'once' }),
        })
        break
      }
      await sleep(100)
    }
    await api.waitIdle(a.id)
    await api.promptAsync(a.id, 'ask question')
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${oc.url}/question?directory=${encodeURIComponent(oc.directory)}`)
      const list: unknown = await res.json()
      if (Array.isArray(list) && list.length) {
        const first: unknown = list[0]
        const id = typeof first === 'object' && first !== null && 'id' in first && typeof first.id === 'string' ? first.id : ''
        await fetch(`${oc.url}/question/${id}/reply?directory=${encodeURIComponent(oc.directory)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ answers: [['Red']] }),
        })
        break
      }
      await sleep(100)
    }
    await api.waitIdle(a.id)
    await api.prompt(a.id, 'hello')
    await api.prompt(a.id, 'stream 100 delay 2')
    const b = await api.createSession()
    await api.prompt(b.id, 'hello')
    await sleep(500)
  } finally {
    listener.close()
    await oc.dispose()
    await model.close()
  }
  mkdirSync(dirname(TRACE_PATH), { recursive: true })
  writeFileSync(TRACE_PATH, lines.join('\n') + '\n')
  console.log(`recorded ${lines.length} events to ${TRACE_PATH}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
