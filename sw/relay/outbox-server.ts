/**
 * The server side of the outbox ({@link OutboxServer} of sw/relay/outbox.ts) on the SDK's v2
 * client (`relayRestClient`, Basic auth included). Endpoints, as served by opencode 1.18:
 * `GET /session/{id}/message/{messageID}` and `GET /session/{id}` (is the prompt there; is the
 * session), `GET /permission` / `GET /question` (is the request still pending),
 * `GET /session/status` and `GET /session/{id}/message?limit=N` (does the run an abort aims at
 * still go),
 * `POST /session/{id}/prompt_async`, `POST /session/{id}/command`,
 * `POST /permission/{id}/reply`, `POST /question/{id}/reply|reject`, `POST /session/{id}/abort`.
 *
 * Failures become {@link OutboxSendError}: transient for a network error, 5xx, 408 and 429 (the
 * outbox retries them, checking the server's truth first), a refusal with the server's message
 * for any other answer.
 */
import type { OpencodeClient } from '@opencode-ai/sdk/v2/client'
import type { ServerConfig } from '../shared/protocol.ts'
import { isRecord } from '../shared/guards.ts'
import { relayRestClient } from './catch-up.ts'
import { OutboxSendError, type OutboxAction, type OutboxServer } from './outbox.ts'

/** What an SDK call resolves to without `throwOnError`. */
interface SdkResult {
  error?: unknown
  response?: Response
}

/** Whether an HTTP status is worth retrying (the server may answer differently later). */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

/** The server's message in an error body (`{ data: { message } }`, `{ message }`) after the status, or the network error. */
function describe(result: SdkResult): string {
  const body = result.error
  const message = body instanceof Error ? body.message : isRecord(body) ? (isRecord(body.data) && typeof body.data.message === 'string' ? body.data.message : typeof body.message === 'string' ? body.message : undefined) : undefined
  // No response: the SDK caught the fetch's own error (the network).
  if (!result.response) return `network error: ${message ?? 'no response'}`
  const status = `HTTP ${result.response.status}`
  return message ? `${status}: ${message}` : status
}

/** Runs an SDK call; a network error or an error answer becomes {@link OutboxSendError}. */
async function call<T extends SdkResult>(run: () => Promise<T>): Promise<T> {
  let result: T
  try {
    result = await run()
  } catch (err) {
    throw new OutboxSendError(`network error: ${err instanceof Error ? err.message : String(err)}`, true)
  }
  return result
}

function fail(result: SdkResult): never {
  const status = result.response?.status ?? 0
  throw new OutboxSendError(describe(result), status === 0 || isTransientStatus(status))
}

/**
 * How long one outbox REST call may take, ms. A call past it is abandoned as a transient failure:
 * the retry checks the server's truth first, so a prompt that did arrive is not sent again (the
 * command endpoint answers only when its turn ends: its retry finds the message there). Without
 * it a server that accepts a request and never answers (a stale port another program holds)
 * would hold the session's queue for good.
 */
export const OUTBOX_REQUEST_TIMEOUT_MS = 30_000

/** `fetchImpl` with every request abandoned after `ms` (its own signal, when it has one, still counts). */
export function fetchWithTimeout(fetchImpl: typeof fetch, ms: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms)
    if (input instanceof Request) return fetchImpl(new Request(input, { signal: AbortSignal.any([input.signal, timeout]) }), init)
    return fetchImpl(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout })
  }
}

/**
 * How many of a session's newest messages the abort's check reads: the newest assistant message
 * is among them (a run's step writes one, and only queued prompts come after it).
 */
const RUN_CHECK_MESSAGES = 20

/**
 * The outbox's server on `server`.
 * @param fetchImpl the fetch to use (the worker's; tests pass a fake); each call gets {@link OUTBOX_REQUEST_TIMEOUT_MS}.
 */
export function outboxServer(server: ServerConfig, fetchImpl: typeof fetch, timeoutMs = OUTBOX_REQUEST_TIMEOUT_MS): OutboxServer {
  const client: OpencodeClient = relayRestClient(server, fetchWithTimeout(fetchImpl, timeoutMs))
  return {
    async messageState(directory, sessionID, messageID) {
      const message = await call(() => client.session.message({ sessionID, messageID, directory }))
      if (!message.error) return 'exists'
      if (message.response?.status !== 404) fail(message)
      const session = await call(() => client.session.get({ sessionID, directory }))
      if (!session.error) return 'missing'
      if (session.response?.status === 404) return 'session-gone'
      return fail(session)
    },
    async requestPending(directory, kind, requestID) {
      if (kind === 'permission') {
        const list = await call(() => client.permission.list({ directory }))
        if (list.error || !list.data) fail(list)
        return list.data.some((r) => r.id === requestID)
      }
      const list = await call(() => client.question.list({ directory }))
      if (list.error || !list.data) fail(list)
      return list.data.some((r) => r.id === requestID)
    },
    async runState(directory, sessionID, parentID) {
      const status = await call(() => client.session.status({ directory }))
      if (status.error || !status.data) fail(status)
      const state = status.data[sessionID]
      // Idle, or not listed (an idle session may be left out; a deleted one is): nothing runs.
      if (!state || state.type === 'idle') return 'finished'
      if (parentID === undefined) return 'running'
      const page = await call(() => client.session.messages({ sessionID, directory, limit: RUN_CHECK_MESSAGES }))
      if (page.error || !page.data) fail(page)
      let assistant: { id: string; parentID: string } | undefined
      for (const { info } of page.data) if (info.role === 'assistant' && (!assistant || info.id > assistant.id)) assistant = info
      // Its run has not written an assistant message yet (ids grow with time).
      if (!assistant || parentID > assistant.id) return 'running'
      return assistant.parentID === parentID ? 'running' : 'finished'
    },
    async perform(directory, action: OutboxAction) {
      const result = await call((): Promise<SdkResult> => {
        switch (action.kind) {
          case 'prompt':
            return client.session.promptAsync({ ...action.body, sessionID: action.sessionID, messageID: action.messageID, directory })
          case 'command':
            return client.session.command({ ...action.body, sessionID: action.sessionID, messageID: action.messageID, directory })
          case 'permission-reply':
            return client.permission.reply({ requestID: action.requestID, reply: action.reply, directory })
          case 'question-reply':
            return client.question.reply({ requestID: action.requestID, answers: action.answers.map((a) => [...a]), directory })
          case 'question-reject':
            return client.question.reject({ requestID: action.requestID, directory })
          case 'abort':
            return client.session.abort({ sessionID: action.sessionID, directory })
        }
      })
      if (result.error) fail(result)
    },
  }
}
