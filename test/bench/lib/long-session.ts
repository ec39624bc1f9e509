/**
 * Builds the long session of benchmark 5 (2,000 messages) cheaply: instead of 1,000 model turns
 * through the server (minutes), it writes an `opencode export`-shaped JSON file and loads it with
 * `opencode import <file>` (the pinned CLI writes it into the server's storage; seconds).
 *
 * The shape is the one `opencode export <sessionID>` prints for 1.18: `{ info: Session, messages:
 * [{ info: Message, parts: Part[] }] }`; messages alternate user (one text part) and assistant
 * (step-start, text, step-finish), copied from a real exchange so every field the UIs read exists.
 * Ids follow OpenCode's `Identifier` scheme (see src/api/ids.ts): 12 hex digits of
 * `timestampMs * 0x1000 + counter` (bit-inverted for the descending `ses_` ids) + 14 base62 chars.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const MASK_48 = (1n << 48n) - 1n

/** Text of the last assistant message: what "the latest messages are painted" waits for. */
export const LAST_MESSAGE_MARKER = 'zulu-final-answer-of-the-long-session'

function tail(seed: number): string {
  let out = ''
  let x = seed
  for (let i = 0; i < 14; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    out += BASE62[x % 62]
  }
  return out
}

/** An ascending id (`msg`, `prt`) for `ms` epoch milliseconds and a counter within that ms. */
export function ascendingId(prefix: 'msg' | 'prt', ms: number, counter: number): string {
  const value = BigInt(ms) * 0x1000n + BigInt(counter)
  return `${prefix}_${(value & MASK_48).toString(16).padStart(12, '0')}${tail(ms + counter)}`
}

/** A descending session id for `ms`. */
export function descendingSessionId(ms: number): string {
  const value = (~(BigInt(ms) * 0x1000n + 1n)) & MASK_48
  return `ses_${value.toString(16).padStart(12, '0')}${tail(ms)}`
}

const WORDS = ['relay', 'tab', 'cursor', 'event', 'log', 'worker', 'session', 'stream', 'token', 'reducer', 'store', 'paint']

function paragraph(i: number, words: number): string {
  const out: string[] = []
  for (let w = 0; w < words; w++) out.push(`${WORDS[(i * 7 + w) % WORDS.length]}${w % 9 === 0 ? ',' : ''}`)
  return out.join(' ')
}

/** What {@link writeLongSession} produced. */
export interface LongSession {
  sessionID: string
  /** Messages in the session (user + assistant). */
  messages: number
  /** Id of the last message (an assistant message whose text contains {@link LAST_MESSAGE_MARKER}). */
  lastMessageID: string
  /** Path of the JSON written. */
  file: string
}

/**
 * Writes an importable session of `messages` messages (rounded up to even) for `directory`.
 * @param projectID the project id the server reports for `directory` (`GET /project/current`).
 */
export function writeLongSession(dir: string, directory: string, projectID: string, messages: number): LongSession {
  const pairs = Math.ceil(messages / 2)
  const start = Date.now() - pairs * 4000 - 60_000
  const sessionID = descendingSessionId(start)
  const model = { providerID: 'scripted', modelID: 'scripted-model' }
  const out: unknown[] = []
  let lastMessageID = ''
  for (let i = 0; i < pairs; i++) {
    const t = start + i * 4000
    const userID = ascendingId('msg', t, 1)
    const asstID = ascendingId('msg', t + 1000, 1)
    lastMessageID = asstID
    const last = i === pairs - 1
    const text = `Answer ${i + 1}. ${paragraph(i, 40)}.\n\n${paragraph(i + 3, 30)}.${last ? ` ${LAST_MESSAGE_MARKER}` : ''}`
    out.push(
      {
        info: { role: 'user', time: { created: t }, agent: 'build', model, summary: { diffs: [] }, id: userID, sessionID },
        parts: [{ type: 'text', text: `Question ${i + 1}: ${paragraph(i + 1, 12)}?`, id: ascendingId('prt', t, 2), sessionID, messageID: userID }],
      },
      {
        info: {
          parentID: userID,
          role: 'assistant',
          mode: 'build',
          agent: 'build',
          path: { cwd: directory, root: directory },
          cost: 0,
          tokens: { total: 120, input: 20, output: 100, reasoning: 0, cache: { write: 0, read: 0 } },
          modelID: model.modelID,
          providerID: model.providerID,
          time: { created: t + 1000, completed: t + 2000 },
          finish: 'stop',
          id: asstID,
          sessionID,
        },
        parts: [
          { type: 'step-start', id: ascendingId('prt', t + 1000, 2), sessionID, messageID: asstID },
          { type: 'text', text, time: { start: t + 1100, end: t + 1900 }, id: ascendingId('prt', t + 1000, 3), sessionID, messageID: asstID },
          {
            reason: 'stop',
            type: 'step-finish',
            tokens: { total: 120, input: 20, output: 100, reasoning: 0, cache: { write: 0, read: 0 } },
            cost: 0,
            id: ascendingId('prt', t + 1000, 4),
            sessionID,
            messageID: asstID,
          },
        ],
      },
    )
  }
  const end = start + pairs * 4000
  const info = {
    id: sessionID,
    slug: 'long-session',
    projectID,
    directory,
    path: '',
    title: `Long session (${pairs * 2} messages)`,
    version: '1.18.33',
    cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
    time: { created: start, updated: end },
  }
  const file = join(dir, `long-session-${sessionID}.json`)
  writeFileSync(file, JSON.stringify({ info, messages: out }))
  return { sessionID, messages: pairs * 2, lastMessageID, file }
}

/**
 * Loads `file` with `opencode import` (same isolated environment and project folder as the
 * running server). @throws Error with the CLI output when it fails.
 */
export function importSession(bin: string, file: string, cwd: string, env: NodeJS.ProcessEnv): void {
  execFileSync(bin, ['import', file], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })
}
