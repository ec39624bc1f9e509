/**
 * Benchmark 7 (issue 20): a reply behind a proxy that buffers the event stream.
 *
 * Both clients reach the one `opencode web` of the UI stack (lib/ui-stack.ts) through the fault
 * proxy of the tests (test/support/fault-proxy.ts) with the buffering hook
 * (test/support/buffering-proxy.ts) holding `GET /global/event` bodies in 64 KiB blocks while
 * REST passes untouched — what nginx's `proxy_buffering on` plus compression does to a quiet
 * stream:
 * - this project's app: its `/relay-config.json` hands out the proxy's URL as the server;
 * - the official web UI: it talks to the origin that served it, so it is loaded from the proxy's
 *   URL (the proxy forwards its HTML and assets too).
 *
 * Per run: a fresh session with one short reply (so a loaded page proves itself by painting it),
 * an app tab in which the relay starts afresh and shows "polling" (the connection badge's
 * `data-polling="true"`: two stream attempts that said nothing while REST answered) and an
 * official-UI tab on it; then `stream 40` is sent through the server's REST API and a raw SSE listener connected to
 * the server directly (not through the proxy) notes when the session goes idle — the completion.
 * The value is completion → the animation frame that paints the full reply text
 * (lib/observe.ts), capped at 60 s. The app learns a session is busy only from its polls
 * ({@link POLL_IDLE_MS} apart while every session is idle, {@link POLL_BUSY_MS} while one works),
 * and a 40-token reply finishes within one interval, so its value is mostly where the completion
 * falls within the idle interval, plus one poll and the tab's render.
 */
import type { Page } from '@playwright/test'
import type { BenchContext, Row, SuiteResult } from '../lib/context.ts'
import { openRawListener } from '../lib/raw-sse.ts'
import { fmt, summarize, type Stat } from '../lib/stats.ts'
import type { Profile } from '../lib/browser.ts'
import { getStack, painted, uiProfile } from './ui.ts'
import { bufferingEventHook } from '../../support/buffering-proxy.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { streamedText } from '../../support/scripted-model.ts'
import { POLL_BUSY_MS, POLL_IDLE_MS } from '../../../sw/relay/degraded.ts'

/** Bytes the proxy holds before passing a block of the event stream on. */
export const BLOCK_BYTES = 64 * 1024
/** Tokens of the measured reply (`stream N`). */
const TOKENS = 40
/** The short reply already in each session when the tabs open: painted = the tab loaded it. */
const PRIMER = streamedText(3)
/** Longest wait for the relay to report polling after its tab opened, ms. */
const POLLING_TIMEOUT_MS = 90_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Client = 'app' | 'official'

/** Parsed `payload` of a `/global/event` frame, or undefined. */
function payloadOf(data: string): { type: string; properties: Record<string, unknown> } | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null || !('payload' in parsed)) return undefined
  const p = parsed.payload
  if (typeof p !== 'object' || p === null || !('type' in p) || typeof p.type !== 'string') return undefined
  const props = 'properties' in p && typeof p.properties === 'object' && p.properties !== null ? (p.properties as Record<string, unknown>) : {}
  return { type: p.type, properties: props }
}

/** Whether a frame says `sessionID` works (`busy`) or stopped (`idle`); undefined for other frames. */
export function sessionActivity(data: string, sessionID: string): 'busy' | 'idle' | 'delta' | undefined {
  if (!data.includes(sessionID)) return undefined
  const p = payloadOf(data)
  if (!p || p.properties.sessionID !== sessionID) return undefined
  if (p.type === 'session.idle') return 'idle'
  if (p.type === 'message.part.delta') return 'delta'
  if (p.type === 'session.status') {
    const status = p.properties.status
    const type = typeof status === 'object' && status !== null && 'type' in status ? status.type : undefined
    return type === 'idle' ? 'idle' : type === 'busy' || type === 'retry' ? 'busy' : undefined
  }
  return undefined
}

/** Table cell: a summary, or how often the reply never showed within the cap. */
function cellOf(values: number[], capS: number): Stat | string {
  const missed = values.filter((v) => !Number.isFinite(v)).length
  if (missed === values.length) return `not within ${capS} s (${missed}/${values.length} runs)`
  const s = summarize(values, 'ms')
  return missed ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}] ms; not within ${capS} s in ${missed}/${values.length} runs` : s
}

/** Benchmark 7: reply visible after completion behind a 64 KiB-buffering proxy. */
export async function degraded(ctx: BenchContext): Promise<SuiteResult> {
  const stack = await getStack(ctx)
  const proxy = await startFaultProxy(stack.url)
  const capMs = ctx.quick ? 10_000 : 60_000
  const capS = capMs / 1000
  const clients: Client[] = stack.app ? ['app', 'official'] : ['official']
  const visible: Record<Client, number[]> = { app: [], official: [] }
  /** Per run: the last delta reaching the direct listener → painted (the model's last token, roughly). */
  const afterLastDelta: Record<Client, number[]> = { app: [], official: [] }
  /** Per run: app tab opened → badge says polling. */
  const pollingAfterMs: number[] = []
  /** Per run: the busy → idle span of the reply on the server. */
  const replyMs: number[] = []
  /** The official UI through the same proxy without buffering (full runs only): prompt sent → reply painted. */
  let controlOfficialMs: number | undefined
  const profiles = new Map<Client, Profile>()
  const pages = new Map<Client, Page>()
  stack.setAppServer(proxy.url)
  try {
    for (const c of clients) profiles.set(c, await uiProfile([PRIMER, streamedText(TOKENS)]))
    const official = profiles.get('official')
    if (!ctx.quick && official) {
      // Control: the same reply through the same proxy NOT buffering, so "not within 60 s" below
      // is the buffering, not an instrument that misses the official UI's text.
      const session = await stack.api.createSession('degraded control')
      const page = await official.context.newPage()
      try {
        await page.goto(stack.officialSessionUrl(proxy.url, session.id))
        const deadline = Date.now() + 30_000
        while (proxy.openEventStreams() < 1 && Date.now() < deadline) await sleep(50)
        await sleep(700)
        const sent = Date.now()
        await stack.api.promptAsync(session.id, `stream ${TOKENS}`)
        const at = (await painted(page, streamedText(TOKENS), 30_000))?.epoch
        controlOfficialMs = at !== undefined ? at - sent : Number.NaN
        ctx.log(`  control, no buffering: the official UI painted the reply ${at !== undefined ? `${fmt(at - sent)} ms after the prompt was sent` : 'NOT within 30 s'}`)
        await stack.api.waitIdle(session.id, 60_000)
      } finally {
        await page.close()
      }
    }
    proxy.setEventHook(bufferingEventHook(stack.url, { blockBytes: BLOCK_BYTES }))
    for (let run = 0; run < ctx.runs; run++) {
      const session = await stack.api.createSession(`degraded ${run + 1}`)
      await stack.api.prompt(session.id, `stream ${PRIMER.split(' ').length - 1}`)
      for (const client of clients) {
        const profile = profiles.get(client)
        if (!profile) continue
        const page = await profile.context.newPage()
        const opened = Date.now()
        if (client === 'app') {
          await page.goto(stack.appSessionUrl(session.id))
          await page.waitForSelector('[data-testid="connection-badge"][data-polling="true"]', { timeout: POLLING_TIMEOUT_MS })
          pollingAfterMs.push(Date.now() - opened)
        } else {
          await page.goto(stack.officialSessionUrl(proxy.url, session.id))
        }
        pages.set(client, page)
        if (!(await painted(page, PRIMER, 30_000))) throw new Error(`${client}: the session's first reply was not painted within 30 s`)
      }
      let busyAt = 0
      let lastDeltaAt = 0
      let idleAt = 0
      const listener = await openRawListener(stack.url, (data, at) => {
        const activity = sessionActivity(data, session.id)
        if (activity === 'busy' && !busyAt) busyAt = at
        else if (activity === 'delta') lastDeltaAt = at
        else if (activity === 'idle' && busyAt && !idleAt) idleAt = at
      })
      try {
        const sent = Date.now()
        await stack.api.promptAsync(session.id, `stream ${TOKENS}`)
        while (!idleAt && Date.now() - sent < 60_000) await sleep(10)
        if (!idleAt) {
          // No idle frame on the direct stream: fall back to polling the server's status.
          await stack.api.waitIdle(session.id, 60_000)
          idleAt = Date.now()
        }
        replyMs.push(busyAt ? idleAt - busyAt : Number.NaN)
        const seen = await Promise.all(
          clients.map(async (client) => {
            const page = pages.get(client)
            const at = page ? (await painted(page, streamedText(TOKENS), Math.max(1000, idleAt + capMs - Date.now())))?.epoch : undefined
            return [client, at] as const
          }),
        )
        const parts: string[] = []
        for (const [client, at] of seen) {
          visible[client].push(at !== undefined ? at - idleAt : Number.NaN)
          afterLastDelta[client].push(at !== undefined && lastDeltaAt ? at - lastDeltaAt : Number.NaN)
          parts.push(`${client} ${at !== undefined ? `${fmt(at - idleAt)} ms` : `not within ${capS} s`}`)
        }
        ctx.log(
          `  degraded run ${run + 1}: reply visible after completion: ${parts.join(', ')} ` +
            `(app showed "polling" ${fmt(pollingAfterMs[run])} ms after its tab opened; reply took ${fmt(replyMs[run])} ms on the server)`,
        )
      } finally {
        listener.close()
        // The run's tabs close: the app's SharedWorker ends with its last tab, so every run's relay
        // starts fresh and detects the buffering proxy again.
        for (const p of pages.values()) await p.close().catch(() => undefined)
        pages.clear()
      }
    }
  } finally {
    for (const p of pages.values()) await p.close().catch(() => undefined)
    for (const p of profiles.values()) await p.close()
    await proxy.close()
    stack.setAppServer(stack.url)
  }
  const na = `n/a (app not built: ${stack.appError ?? 'unknown'})`
  const app = summarize(visible.app, 'ms')
  const rows: Row[] = [
    {
      bench: '7. Degraded',
      metric: `reply visible after completion, behind a ${BLOCK_BYTES / 1024} KiB-buffering proxy (${TOKENS}-token reply sent over REST: server idle → full reply painted; cap ${capS} s)`,
      relay: stack.app ? cellOf(visible.app, capS) : na,
      official: cellOf(visible.official, capS),
      target: '≤ 2 s',
      met: stack.app && Number.isFinite(app.median) && visible.app.every((v) => Number.isFinite(v)) ? app.median <= 2_000 : stack.app ? false : null,
    },
    {
      bench: '7. Degraded',
      metric: `tab opened → status says "polling", behind a ${BLOCK_BYTES / 1024} KiB-buffering proxy`,
      relay: stack.app ? summarize(pollingAfterMs, 'ms') : na,
      official: 'n/a (no degraded mode)',
    },
  ]
  return {
    rows,
    details: {
      blockBytes: BLOCK_BYTES,
      tokens: TOKENS,
      relayPollMs: { idle: POLL_IDLE_MS, busy: POLL_BUSY_MS },
      capMs,
      visibleAfterIdleMs: visible,
      visibleAfterLastDeltaMs: afterLastDelta,
      pollingAfterMs,
      replyOnServerMs: replyMs,
      controlOfficialUnbufferedSentToPaintedMs: controlOfficialMs ?? null,
    },
  }
}
