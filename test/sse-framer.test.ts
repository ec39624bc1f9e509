/**
 * SSE framing tests (sw/relay/sse-framer.ts), on the framer alone: decoded text in, `data` out.
 * The same behaviour through the whole upstream connection (bytes, UTF-8, the relay's frame
 * parser) is tested in test/connection.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { SseFramer } from '../sw/relay/sse-framer.ts'

/** The three line ends SSE allows. */
const LINE_ENDS = [
  ['LF', '\n'],
  ['CR', '\r'],
  ['CRLF', '\r\n'],
] as const

/** A framer with a cap of `max` characters, recording what it delivers and reports. */
function framer(max = 64): { framer: SseFramer; data: string[]; bad: string[] } {
  const data: string[] = []
  const bad: string[] = []
  return { framer: new SseFramer(max, (d) => data.push(d), (e) => bad.push(e)), data, bad }
}

/** One SSE event with the given data lines, every line ended by `eol`, and the closing blank line. */
function event(eol: string, ...lines: string[]): string {
  return lines.map((line) => `data: ${line}${eol}`).join('') + eol
}

describe('SseFramer', () => {
  it.each(LINE_ENDS)('delivers every event once with %s line ends, however the text is split into two chunks', (_, eol) => {
    const text = event(eol, 'one') + event(eol, 'two', 'lines') + event(eol, 'three')
    for (let i = 0; i <= text.length; i++) {
      const t = framer()
      t.framer.push(text.slice(0, i))
      t.framer.push(text.slice(i))
      // A CR-only stream ends its last event only when the next character shows the CR was not half of a CRLF.
      if (eol === '\r') t.framer.push(event(eol, 'next'))
      expect(t.bad, `split at ${i}`).toEqual([])
      expect(t.data.slice(0, 3), `split at ${i}`).toEqual(['one', 'two\nlines', 'three'])
    }
  })

  it.each(LINE_ENDS)('delivers events fed one character at a time with %s line ends', (_, eol) => {
    const t = framer()
    for (const c of event(eol, 'one') + event(eol, 'two', 'lines') + event(eol, 'three')) t.framer.push(c)
    t.framer.push(event(eol, 'next'))
    expect(t.bad).toEqual([])
    expect(t.data.slice(0, 3)).toEqual(['one', 'two\nlines', 'three'])
  })

  it.each(LINE_ENDS)(
    'reports an oversize event once and delivers the next one, with %s line ends and any split into two chunks',
    (_, eol) => {
      const oversize = [event(eol, 'y'.repeat(200)), event(eol, 'z'.repeat(50), 'z'.repeat(50), 'z'.repeat(50))]
      for (const big of oversize) {
        const text = event(eol, 'before') + big + event(eol, 'after') + event(eol, 'next')
        for (let i = 0; i <= text.length; i++) {
          const t = framer(64)
          t.framer.push(text.slice(0, i))
          t.framer.push(text.slice(i))
          expect(t.bad, `split at ${i}`).toEqual(['frame larger than 64 characters skipped'])
          expect(t.data.slice(0, 2), `split at ${i}`).toEqual(['before', 'after'])
        }
      }
    },
  )

  // Not CR-only: the parser holds a trailing CR until a later chunk has a line end, so an event
  // ended by that CR is lost when the next event overflows first (the known gap in SseFramer's comment).
  it.each([LINE_ENDS[0], LINE_ENDS[2]])('reports an oversize event fed one character at a time once, with %s line ends', (_, eol) => {
    const t = framer(64)
    for (const c of event(eol, 'before') + event(eol, 'y'.repeat(200)) + event(eol, 'after')) t.framer.push(c)
    t.framer.push(event(eol, 'next'))
    expect(t.bad).toEqual(['frame larger than 64 characters skipped'])
    expect(t.data.slice(0, 2)).toEqual(['before', 'after'])
  })

  it('resumes right after an oversize event whose blank-line CR arrives alone in a chunk, with CRLF line ends', () => {
    // The cap counts the CR the parser holds back (it may be half of a CRLF): 64 characters of
    // data plus that CR overflow, in a chunk that is only the CR of the event's blank line.
    const t = framer(64)
    t.framer.push(`data: ${'y'.repeat(64)}\r\n`)
    t.framer.push('\r')
    t.framer.push('\n' + event('\r\n', 'after'))
    expect(t.bad).toEqual(['frame larger than 64 characters skipped'])
    expect(t.data).toEqual(['after'])
  })

  it('reports each of two oversize events in a row, and resumes after the second', () => {
    const t = framer(64)
    const big = event('\n', 'y'.repeat(200))
    const text = big + big + event('\n', 'after')
    for (let i = 0; i < text.length; i += 10) t.framer.push(text.slice(i, i + 10))
    expect(t.bad).toEqual(['frame larger than 64 characters skipped', 'frame larger than 64 characters skipped'])
    expect(t.data).toEqual(['after'])
  })

  it('reports an unknown field and an invalid retry as parse errors and goes on', () => {
    const t = framer()
    t.framer.push('bogus: x\ndata: kept\n\nretry: soon\n\n' + event('\n', 'after'))
    expect(t.bad).toEqual([
      'SSE parse error: Unknown field "bogus" in line: bogus: x',
      'SSE parse error: Invalid `retry` value: "soon" in line: retry: soon',
    ])
    expect(t.data).toEqual(['kept', 'after'])
  })
})
