/**
 * A scripted `opencode serve` for the relay's tests (test/hub.test.ts, test/catch-up.test.ts): a
 * `fetch` that plays `GET /global/event` with streams the test pushes frames into, and the REST
 * routes the catch-up reads (`GET /session`, `POST /sync/history`, `GET /session/status`,
 * `GET /session/{id}/message`), each answered by a route the test may replace.
 */
import { jsonResponse } from './http.ts'

/** A controllable SSE body for one `/global/event` response. */
export class SseStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>
  readonly body = new ReadableStream<Uint8Array>({ start: (c) => (this.controller = c) })
  private readonly enc = new TextEncoder()

  /** @param directory the envelope's `directory` of every frame unless `send` names another */
  constructor(private readonly directory: string) {}

  send(payload: object, directory = this.directory): void {
    this.controller.enqueue(this.enc.encode(`data: ${JSON.stringify({ directory, payload })}\n\n`))
  }
  end(): void {
    this.controller.close()
  }
}

/** The REST answers; each may be async (held by a test) or throw (a failed request). Defaults: nothing. */
export interface UpstreamRoutes {
  /** `GET /session` (the URL carries `limit`); default `[]`. */
  sessions?: (url: URL) => unknown[]
  /** `POST /sync/history` with its body (aggregate id → last seq known); default `[]`. */
  history?: (body: Record<string, number>) => unknown[] | Promise<unknown[]>
  /** `GET /session/status`; default `{}`. */
  status?: () => Record<string, unknown>
  /** `GET /session/{id}/message`; undefined (the default): not found. */
  messages?: (sessionID: string) => unknown[] | undefined
}

export interface UpstreamOptions {
  /** The `directory` of the frames a stream sends. */
  directory: string
  /** While true, `GET /global/event` answers 502 (a stream is still counted). */
  failEvents?: () => boolean
  /** Hosts (`127.0.0.1:4096`) whose requests fail as a refused connection would. */
  down?: Set<string>
}

/** A scripted upstream: its `fetch`, and what it was asked. */
export interface ScriptedUpstream {
  fetch: typeof fetch
  /** One per `GET /global/event`, in order. */
  streams: SseStream[]
  /** The origin of every `GET /global/event`. */
  eventUrls: string[]
  /** The body of every `POST /sync/history`. */
  historyBodies: Array<Record<string, number>>
}

export function scriptedUpstream(routes: UpstreamRoutes, opts: UpstreamOptions): ScriptedUpstream {
  const streams: SseStream[] = []
  const eventUrls: string[] = []
  const historyBodies: Array<Record<string, number>> = []
  const fetchImpl: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(String(input), init)
    const url = new URL(req.url)
    if (opts.down?.has(url.host)) throw new TypeError('Failed to fetch')
    if (url.pathname === '/global/event') {
      eventUrls.push(url.origin)
      const s = new SseStream(opts.directory)
      streams.push(s)
      if (opts.failEvents?.()) return new Response('upstream down', { status: 502 })
      return new Response(s.body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
    }
    if (url.pathname === '/session') return jsonResponse(routes.sessions?.(url) ?? [])
    if (url.pathname === '/sync/history') {
      const parsed: unknown = await req.json()
      const body = typeof parsed === 'object' && parsed !== null ? Object.fromEntries(Object.entries(parsed).filter((e): e is [string, number] => typeof e[1] === 'number')) : {}
      historyBodies.push(body)
      return jsonResponse((await routes.history?.(body)) ?? [])
    }
    if (url.pathname === '/session/status') return jsonResponse(routes.status?.() ?? {})
    const session = /^\/session\/([^/]+)\/message$/.exec(url.pathname)
    const messages = session ? routes.messages?.(session[1]) : undefined
    if (messages) return jsonResponse(messages)
    return new Response('not found', { status: 404 })
  }
  return { fetch: fetchImpl, streams, eventUrls, historyBodies }
}
