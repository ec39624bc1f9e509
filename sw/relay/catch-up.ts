/**
 * Catch-up from the server after a gap (reconnect, wake, server restart).
 *
 * OpenCode's `GET /global/event` sends no SSE `id:` field, so `Last-Event-ID` cannot resume a
 * stream. What the server does offer:
 *  - `sync` events on `/global/event` carry a per-aggregate (per-session) `seq` and `aggregateID`;
 *  - `POST /sync/history?directory=D` with body `{ [aggregateID]: lastSeq }` returns every durable
 *    event with `seq > lastSeq` for the listed aggregates, and the FULL history of aggregates that
 *    are not listed (so we list every session: `GET /session` read whole, see session-list.ts);
 *  - `GET /session/{id}/message` is the snapshot of a session, needed for sessions that are busy:
 *    `message.part.delta` is not durable, so text streamed during the gap is only recoverable from
 *    the part's current text;
 *  - `GET /session/status` for non-durable session status;
 *  - `GET /permission` and `GET /question` for the pending requests (degraded mode's polls read
 *    them: `permission.asked`/`question.asked` are not durable either).
 *
 * Recovered durable events carry the same `id` as their live twins, so the event log's
 * deduplication by id makes overlap with the live stream harmless.
 */
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2/client'
import type { PermissionRequest, QuestionRequest, Session, SessionStatus } from '@opencode-ai/sdk/v2/types'
import type { OpencodeEvent, ServerConfig } from '../shared/protocol.ts'
import { syncToBusEvent } from '../shared/frames.ts'
import { listAllSessions } from '../shared/session-list.ts'
import type { SeqRow } from './log/schema.ts'

export type { SeqRow }

/** What a catch-up of one directory produced. */
export interface CatchUpResult {
  /** Recovered events in server order, ready to append (deduplicated later by id). */
  events: OpencodeEvent[]
  /** New high-water seq per aggregate. */
  seqs: SeqRow[]
  /** Current status of every session the server reports as non-idle. */
  status: Record<string, SessionStatus>
  /** The pending requests of the directory, when asked for (`GET /permission`, `GET /question`). */
  pending?: { permissions: PermissionRequest[]; questions: QuestionRequest[] }
}

/** What else a catch-up reads. */
export interface CatchUpReadOptions {
  /** Also read the pending permission and question requests ({@link CatchUpResult.pending}). */
  pendingRequests?: boolean
}

/** Builds the SDK client the relay uses for REST (`@opencode-ai/sdk`), with Basic auth when configured. */
export function relayRestClient(server: ServerConfig, fetchImpl: typeof fetch): OpencodeClient {
  return createOpencodeClient({
    baseUrl: server.url,
    fetch: fetchImpl,
    headers: authHeaders(server),
  })
}

/** `Authorization: Basic …` for servers started with `OPENCODE_SERVER_PASSWORD` (user defaults to `opencode`). */
export function authHeaders(server: ServerConfig): Record<string, string> {
  if (!server.password) return {}
  return { authorization: `Basic ${btoa(`${server.username ?? 'opencode'}:${server.password}`)}` }
}

/** Sessions whose `time.updated` is older than this before the gap started are listed as "nothing new". */
const UPDATED_SLACK_MS = 5_000
/** How many latest messages of a busy session are re-read as its snapshot. */
const SNAPSHOT_MESSAGES = 4

/**
 * Catches up one directory.
 * @param known seq rows the relay holds for this directory.
 * @param gapStartedAt epoch ms of the last event received before the gap (0 when unknown).
 * @param now epoch ms, for synthetic ids.
 * @param options what else to read (pending requests).
 * @throws Error with the HTTP status when a REST call fails (the caller retries on the next connect).
 */
export async function catchUpDirectory(
  client: OpencodeClient,
  directory: string,
  known: readonly SeqRow[],
  gapStartedAt: number,
  now: number,
  options: CatchUpReadOptions = {},
): Promise<CatchUpResult> {
  // Every session, not GET /session's default newest 100: an unlisted one comes back in full.
  const sessions: Session[] = await listAllSessions(async (limit) => {
    const res = await client.session.list({ directory, limit })
    if (res.error || !res.data) throw new Error(`GET /session failed: ${describe(res.response)}`)
    return res.data
  })
  const body: Record<string, number> = {}
  for (const row of known) body[row.aggregateID] = row.seq
  for (const s of sessions) {
    if (s.id in body) continue
    // A session we never tracked: if it changed during the gap, leave it out of the body so its
    // full history comes back; otherwise list it as "nothing new" (a huge seq).
    if (s.time.updated < gapStartedAt - UPDATED_SLACK_MS) body[s.id] = Number.MAX_SAFE_INTEGER
  }
  const historyRes = await client.sync.history.list({ directory, body })
  if (historyRes.error || !historyRes.data) throw new Error(`POST /sync/history failed: ${describe(historyRes.response)}`)
  const events: OpencodeEvent[] = []
  const high = new Map<string, number>()
  for (const row of historyRes.data) {
    const event = syncToBusEvent(row)
    if (event) events.push(event)
    high.set(row.aggregate_id, Math.max(high.get(row.aggregate_id) ?? -1, row.seq))
  }

  const statusRes = await client.session.status({ directory })
  if (statusRes.error || !statusRes.data) throw new Error(`GET /session/status failed: ${describe(statusRes.response)}`)
  const status: Record<string, SessionStatus> = statusRes.data

  // Busy sessions: the text streamed during the gap only exists as the parts' current text.
  for (const [sessionID, st] of Object.entries(status)) {
    if (st.type === 'idle') continue
    const msgs = await client.session.messages({ sessionID, directory, limit: SNAPSHOT_MESSAGES })
    if (msgs.error || !msgs.data) continue
    for (const m of msgs.data) {
      events.push({ id: `relay_snap_${m.info.id}_${now}`, type: 'message.updated', properties: { sessionID, info: m.info } })
      for (const part of m.parts) {
        events.push({
          id: `relay_snap_${part.id}_${now}`,
          type: 'message.part.updated',
          properties: { sessionID, part, time: now },
        })
      }
    }
  }
  const result: CatchUpResult = {
    events,
    seqs: [...high].map(([aggregateID, seq]) => ({ directory, aggregateID, seq })),
    status,
  }
  if (options.pendingRequests) {
    const permissions = await client.permission.list({ directory })
    if (permissions.error || !permissions.data) throw new Error(`GET /permission failed: ${describe(permissions.response)}`)
    const questions = await client.question.list({ directory })
    if (questions.error || !questions.data) throw new Error(`GET /question failed: ${describe(questions.response)}`)
    result.pending = { permissions: permissions.data, questions: questions.data }
  }
  return result
}

function describe(res: Response | undefined): string {
  return res ? `HTTP ${res.status} ${res.statusText}`.trim() : 'no response'
}
