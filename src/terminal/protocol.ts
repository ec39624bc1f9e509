/**
 * The wire of OpenCode's PTY WebSocket (`GET /pty/{id}/connect`, opencode 1.18), as observed on the
 * pinned server:
 *
 * - Query: `directory` (the project), `ticket` (single-use, from `POST /pty/{id}/connect-token`;
 *   with it the server skips Basic auth, so no password ever goes into the URL) and optionally
 *   `cursor` (an output offset: the server replays its buffer from there; without it, the whole
 *   buffer).
 * - Server → client: output as text frames; after the replay one binary "meta" frame, a 0 byte
 *   followed by JSON `{"cursor": N}`, the output offset the stream continues from (UTF-16 units
 *   of the output text, as the server counts it).
 * - Client → server: keystrokes as text frames.
 * - Close: 1000 when the process ends (or the PTY is removed); 4404 with reason `session not found`
 *   or `session exited` when the PTY is gone at connect time; anything else is the network.
 *
 * Pure: no DOM, no timers.
 */
import { computeBackoffMs } from '../../sw/shared/backoff.ts'
import { isRecord } from '../../sw/shared/guards.ts'

/** One decoded server frame: output text, or the meta frame's stream offset. */
export type PtyFrame = { kind: 'output'; text: string } | { kind: 'meta'; cursor: number }

const decoder = new TextDecoder()

/**
 * Decodes a frame as the browser (`binaryType = 'arraybuffer'`) delivers it: a string is output; a
 * binary frame whose first byte is 0 is a meta frame (`undefined` when its JSON is not
 * `{cursor: number}`), any other binary frame is UTF-8 output.
 */
export function parsePtyFrame(data: string | ArrayBuffer | Uint8Array): PtyFrame | undefined {
  if (typeof data === 'string') return { kind: 'output', text: data }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
  if (bytes.length > 0 && bytes[0] === 0) {
    let json: unknown
    try {
      json = JSON.parse(decoder.decode(bytes.subarray(1)))
    } catch {
      return undefined
    }
    if (isRecord(json) && typeof json.cursor === 'number' && Number.isSafeInteger(json.cursor)) return { kind: 'meta', cursor: json.cursor }
    return undefined
  }
  return { kind: 'output', text: decoder.decode(bytes) }
}

/**
 * What a socket close means for the terminal:
 * - `ended`: the process ended or the PTY was removed (close 1000 that the client did not ask for);
 * - `gone`: the server no longer has the PTY (4404 `session not found`);
 * - `exited`: the PTY had already exited when we attached (4404 `session exited`);
 * - `retry`: a network or server interruption: reconnect with backoff.
 */
export type PtyCloseKind = 'ended' | 'gone' | 'exited' | 'retry'

/** Classifies a close event of the PTY socket ({@link PtyCloseKind}). */
export function classifyPtyClose(code: number, reason: string): PtyCloseKind {
  if (code === 1000) return 'ended'
  if (code === 4404) return /exited/i.test(reason) ? 'exited' : 'gone'
  return 'retry'
}

/** First reconnect delay cap, ms. */
export const PTY_RECONNECT_MIN_MS = 500
/** Largest reconnect delay, ms. */
export const PTY_RECONNECT_MAX_MS = 15_000
/**
 * How long one attempt (ticket request + WebSocket handshake) may take before it is abandoned and
 * retried, in ms: a handshake can hang without ever closing (a half-open TCP connection after a
 * sleep, a stalled proxy), which would otherwise leave the terminal "Connecting…" for good.
 */
export const PTY_CONNECT_TIMEOUT_MS = 10_000

/**
 * Delay before reconnect attempt `attempt` (0-based), ms: full-jitter exponential backoff
 * (sw/shared/backoff.ts) between {@link PTY_RECONNECT_MIN_MS} and {@link PTY_RECONNECT_MAX_MS}.
 * @param rnd a uniform draw in [0, 1)
 */
export function ptyReconnectDelayMs(attempt: number, rnd: number): number {
  return computeBackoffMs(attempt, rnd, PTY_RECONNECT_MIN_MS, PTY_RECONNECT_MAX_MS)
}

/**
 * The WebSocket URL of `GET /pty/{id}/connect`: `http(s)` becomes `ws(s)`; query `directory`,
 * `ticket` and, when given, `cursor`. Carries no credentials: the server's base URL loses any
 * `user:password@` part, and the ticket is single-use.
 * @param baseUrl the server's base URL, e.g. `http://127.0.0.1:4096`
 */
export function ptyConnectUrl(baseUrl: string, directory: string, ptyID: string, ticket: string, cursor?: number): string {
  const url = new URL(baseUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.username = ''
  url.password = ''
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/pty/${encodeURIComponent(ptyID)}/connect`
  url.search = ''
  url.searchParams.set('directory', directory)
  url.searchParams.set('ticket', ticket)
  if (cursor !== undefined && Number.isSafeInteger(cursor) && cursor >= 0) url.searchParams.set('cursor', String(cursor))
  return url.toString()
}
