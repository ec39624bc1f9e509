/**
 * Node side of the per-token measurements of the streaming benchmarks (suites/streaming.ts):
 * which tokens of a scripted `stream N` reply a `/global/event` frame carries, and per-token
 * latency from the tap's timestamps to the page's paint times (lib/token-observe.ts). Pure
 * functions, no IO.
 */

/** A token of a scripted reply: one of the model's words followed by its index (`bravo1`). */
const TOKEN = /(?:alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel)(\d+)(?!\d)/g

/** Indices of the scripted tokens in `text`, in order (`' bravo1 charlie2'` → `[1, 2]`). */
export function tokenIndices(text: string): number[] {
  const out: number[] = []
  TOKEN.lastIndex = 0
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) out.push(Number(m[1]))
  return out
}

/**
 * Token indices carried by one SSE `data` of `GET /global/event` when it is a
 * `message.part.delta` of `sessionID`; empty for every other frame.
 */
export function deltaTokens(data: string, sessionID: string): number[] {
  if (!data.includes('"message.part.delta"') || !data.includes(sessionID)) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return []
  }
  if (typeof parsed !== 'object' || parsed === null || !('payload' in parsed)) return []
  const payload = parsed.payload
  if (typeof payload !== 'object' || payload === null || !('properties' in payload)) return []
  const props = payload.properties
  if (typeof props !== 'object' || props === null || !('delta' in props) || typeof props.delta !== 'string') return []
  if (!('sessionID' in props) || props.sessionID !== sessionID) return []
  return tokenIndices(props.delta)
}

/** Per-token latencies of one streamed reply. */
export interface TokenLatencies {
  /** Painted − written, ms, for every token with both times, in token order. */
  latencies: number[]
  /** Tokens the tap saw that the page never painted. */
  unpainted: number
  /** Tokens painted that the tap never saw (should stay 0: the client's own stream carried them). */
  untapped: number
}

/**
 * Latency of each token `0 … tokens-1`: `paintedAt[i] − writtenAt[i]`.
 * @param writtenAt epoch ms each token's delta was written to the client's own connection (sparse)
 * @param paintedAt epoch ms of the animation frame that first painted each token (sparse; from the page)
 * @param tokens number of tokens of the reply (the trailing ` END` is not a token)
 */
export function tokenLatencies(writtenAt: ReadonlyArray<number | undefined>, paintedAt: ReadonlyArray<number | null | undefined>, tokens: number): TokenLatencies {
  const latencies: number[] = []
  let unpainted = 0
  let untapped = 0
  for (let i = 0; i < tokens; i++) {
    const w = writtenAt[i]
    const p = paintedAt[i]
    if (typeof w !== 'number') {
      if (typeof p === 'number') untapped++
      continue
    }
    if (typeof p !== 'number') unpainted++
    else latencies.push(p - w)
  }
  return { latencies, unpainted, untapped }
}
