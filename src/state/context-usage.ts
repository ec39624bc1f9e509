/**
 * How full the model's context window is, and what the session has cost, from the messages the tab
 * holds. Protocol facts (opencode 1.18.33, SDK v2 types): every assistant message (one per step)
 * carries `tokens` `{input, output, reasoning, cache: {read, write}}` of its model call and `cost`
 * (USD, computed by the server from the model's `cost` per million tokens); the model's window is
 * `Model.limit.context` (tokens) in `GET /config/providers`. The context in use is the size of the
 * newest call: its input, cached input and output (what the next call will send again).
 */
import type { Message, Provider } from '@opencode-ai/sdk/v2/types'

/** Token counts of one model call. */
export interface TokenCounts {
  input: number
  output: number
  reasoning: number
  cacheRead: number
  cacheWrite: number
}

/** The context meter's numbers. */
export interface ContextUsage {
  /** The newest model call's counts (the last assistant message with any tokens). */
  last: TokenCounts
  /** Tokens of the context in use: input + cache read + cache write + output + reasoning of the newest call. */
  used: number
  /** The model's context window in tokens; absent when the model is not in the provider list. */
  limit?: number
  /** `used / limit` in percent (0–100, may exceed 100 just before a compaction); absent without a limit. */
  percent?: number
  /** Sum of every visible assistant message's `cost`, USD. */
  cost: number
  /** Sum of every visible assistant message's tokens. */
  total: TokenCounts
  /** Model of the newest call, `provider/model`. */
  model: string
  /** Number of model calls counted. */
  calls: number
}

const ZERO: TokenCounts = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }

/**
 * The meter of a session from its messages (sorted by id) and the project's providers; `undefined`
 * before the first assistant message with tokens. Messages at or after `revertedFrom` (a pending
 * revert) are left out.
 */
export function contextUsage(messages: readonly Message[], providers: readonly Provider[], revertedFrom?: string): ContextUsage | undefined {
  let last: { counts: TokenCounts; providerID: string; modelID: string } | undefined
  const total = { ...ZERO }
  let cost = 0
  let calls = 0
  for (const message of messages) {
    if (revertedFrom !== undefined && message.id >= revertedFrom) break
    if (message.role !== 'assistant') continue
    const t = message.tokens
    const counts: TokenCounts = { input: t.input, output: t.output, reasoning: t.reasoning, cacheRead: t.cache.read, cacheWrite: t.cache.write }
    cost += message.cost
    if (sum(counts) === 0) continue
    calls++
    total.input += counts.input
    total.output += counts.output
    total.reasoning += counts.reasoning
    total.cacheRead += counts.cacheRead
    total.cacheWrite += counts.cacheWrite
    last = { counts, providerID: message.providerID, modelID: message.modelID }
  }
  if (!last) return undefined
  const used = sum(last.counts)
  const limit = providers.find((p) => p.id === last.providerID)?.models[last.modelID]?.limit.context
  const usage: ContextUsage = { last: last.counts, used, cost, total, model: `${last.providerID}/${last.modelID}`, calls }
  if (limit !== undefined && limit > 0) {
    usage.limit = limit
    usage.percent = (used / limit) * 100
  }
  return usage
}

function sum(c: TokenCounts): number {
  return c.input + c.output + c.reasoning + c.cacheRead + c.cacheWrite
}
