/**
 * SSE framing (the `text/event-stream` format of the WHATWG HTML standard, "Server-sent events")
 * of one response body, on top of `eventsource-parser`: decoded text in, each event's `data` out,
 * with a memory cap that drops oversize events without losing the stream. Used by the relay's
 * upstream connection (./connection.ts) for `GET /global/event` of `opencode serve`.
 *
 * Lines may end in `\n`, `\r` or `\r\n` (all three are SSE line ends), and a chunk may end anywhere,
 * also between the `\r` and `\n` of one line end.
 */
import { createParser, type EventSourceParser, type ParseError } from 'eventsource-parser'

const LF = 10
const CR = 13

/**
 * SSE framing of one response body: decoded text in, `data` strings out, with a memory cap.
 *
 * Oversize frames: `eventsource-parser` is created with `maxBufferSize = maxFrameChars`; when the
 * pending line plus the event's data exceed it, the parser drops its buffers and reports
 * `max-buffer-size-exceeded`. We then reset it, report the frame as bad, and discard all further
 * text until the next blank line (the end of that SSE event; `\n\n`, `\r\r` or `\r\n\r\n`, also
 * split across chunks), then resume parsing after it. Memory stays bounded by the cap plus one chunk.
 *
 * Known gap (CR-only line ends, which no known server sends): the parser holds a CR that ends a
 * chunk until a later chunk has a line end, so when that CR was an event's blank line and the next
 * event overflows first, the reset drops the held event too.
 */
export class SseFramer {
  private readonly parser: EventSourceParser
  private overflowed = false
  private skipping = false
  /** While skipping: the last character seen ended a line. */
  private atLineStart = false
  /** While skipping: the last character seen was a CR (a following LF belongs to the same line end). */
  private pendingCR = false
  /** Char code of the last character pushed so far (-1 before any). */
  private lastChar = -1

  /**
   * @param maxFrameChars largest event kept, in decoded characters (UTF-16 code units), counted as
   *   the parser's pending line plus the event's data; larger ones are reported and skipped
   * @param onData called with the `data` of every complete event, in stream order
   * @param onBad called with a readable reason for every skipped frame or malformed SSE line
   */
  constructor(
    private readonly maxFrameChars: number,
    private readonly onData: (data: string) => void,
    private readonly onBad: (error: string) => void,
  ) {
    this.parser = createParser({
      maxBufferSize: maxFrameChars,
      onEvent: (message) => {
        // The parser checks its cap only at the end of a chunk, so one huge chunk can hold a whole oversize event.
        if (message.data.length > maxFrameChars) this.onBad(`frame larger than ${maxFrameChars} characters skipped`)
        else this.onData(message.data)
      },
      onError: (error: ParseError) => {
        if (error.type === 'max-buffer-size-exceeded') this.overflowed = true
        else this.onBad(`SSE parse error: ${error.message}${error.line ? ` in line: ${error.line.slice(0, 80)}` : ''}`)
      },
    })
  }

  /** Feeds decoded text; calls `onData` for every complete event. */
  push(text: string): void {
    if (text === '') return
    /** The character before `text` in the stream. */
    let before = this.lastChar
    this.lastChar = text.charCodeAt(text.length - 1)
    if (this.skipping) {
      const rest = this.skipToBlankLine(text)
      if (rest === undefined || rest === '') return
      text = rest
      before = LF // rest follows the blank line that ended the skipped event
    }
    this.overflowed = false
    this.parser.feed(text)
    if (!this.overflowed) return
    this.parser.reset()
    const last = text.charCodeAt(text.length - 1)
    const beforeLast = text.length > 1 ? text.charCodeAt(text.length - 2) : before
    // The parser holds a CR at the end of a chunk (it may be half of a CRLF). After a line end that
    // CR is the blank line that ended the oversize event: nothing is left to skip, and an LF after
    // it is an empty line to the fresh parser, which dispatches nothing.
    const ended = last === CR && (beforeLast === LF || beforeLast === CR)
    this.skipping = !ended
    this.atLineStart = last === LF || last === CR
    this.pendingCR = last === CR
    this.onBad(`frame larger than ${this.maxFrameChars} characters skipped`)
  }

  /** Consumes `text` up to and including the next blank line; returns what follows, or `undefined` if none yet. */
  private skipToBlankLine(text: string): string | undefined {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (this.pendingCR) {
        this.pendingCR = false
        if (c === LF) continue
      }
      if (c === LF || c === CR) {
        if (this.atLineStart) {
          this.skipping = false
          let end = i + 1
          if (c === CR && text.charCodeAt(end) === LF) end++
          // A CR at the very end may be followed by an LF in the next chunk: the parser then
          // sees one empty line, which dispatches nothing.
          return text.slice(end)
        }
        this.atLineStart = true
        this.pendingCR = c === CR
      } else {
        this.atLineStart = false
      }
    }
    return undefined
  }
}
