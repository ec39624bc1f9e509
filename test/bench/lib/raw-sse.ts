/**
 * A raw SSE listener in Node on OpenCode's `GET /global/event`: no relay, no browser, just
 * `fetch` + `eventsource-parser`. It is the reference clock of the burst benchmark ("the time the
 * last delta reached a raw SSE listener on the same server") and the recorder of the trace.
 */
import { createParser } from 'eventsource-parser'

/** An open raw listener. */
export interface RawListener {
  /** Aborts the stream. */
  close(): void
}

/**
 * Opens `GET {baseUrl}/global/event` and calls `onData(data, receivedAt)` for every SSE event,
 * `data` being the raw `data:` text and `receivedAt` the epoch ms (`Date.now()`) when its chunk
 * was read. Resolves once the response headers arrived.
 * @throws Error when the server answers non-2xx.
 */
export async function openRawListener(baseUrl: string, onData: (data: string, receivedAt: number) => void): Promise<RawListener> {
  const ac = new AbortController()
  const res = await fetch(`${baseUrl}/global/event`, { signal: ac.signal, headers: { accept: 'text/event-stream' } })
  if (!res.ok || !res.body) throw new Error(`GET /global/event: HTTP ${res.status}`)
  let now = Date.now()
  const parser = createParser({ onEvent: (ev) => onData(ev.data, now) })
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }))
      if (chunk.done) return
      now = Date.now()
      parser.feed(chunk.value)
    }
  })()
  return { close: () => ac.abort() }
}
