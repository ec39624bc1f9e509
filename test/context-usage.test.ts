/** The context meter's numbers (src/state/context-usage.ts) from assistant messages as opencode 1.18.33 sends them. */
import type { AssistantMessage, Message, Provider, UserMessage } from '@opencode-ai/sdk/v2/types'
import { describe, expect, it } from 'vitest'
import { contextUsage } from '../src/state/context-usage.ts'

function user(id: string): UserMessage {
  return { id, sessionID: 's', role: 'user', time: { created: 1 }, agent: 'build', model: { providerID: 'p', modelID: 'm' } }
}
function step(id: string, tokens: [input: number, output: number, reasoning: number, read: number, write: number], cost = 0, modelID = 'm'): AssistantMessage {
  const [input, output, reasoning, read, write] = tokens
  return {
    id,
    sessionID: 's',
    role: 'assistant',
    time: { created: 2 },
    parentID: 'msg_0',
    modelID,
    providerID: 'p',
    mode: 'build',
    agent: 'build',
    path: { cwd: '/', root: '/' },
    cost,
    tokens: { input, output, reasoning, cache: { read, write } },
  }
}
const io = { text: true, audio: false, image: false, video: false, pdf: false }
const providers: Provider[] = [
  {
    id: 'p',
    name: 'P',
    source: 'config',
    env: [],
    options: {},
    models: {
      m: {
        id: 'm',
        providerID: 'p',
        api: { id: 'm', url: '', npm: '@ai-sdk/openai-compatible' },
        name: 'M',
        capabilities: { temperature: true, reasoning: false, attachment: false, toolcall: true, input: io, output: io, interleaved: false },
        cost: { input: 0, output: 0, cache: { read: 0, write: 0 } },
        limit: { context: 1000, output: 100 },
        status: 'active',
        options: {},
        headers: {},
        release_date: '2026-01-01',
      },
    },
  },
]

describe('context meter', () => {
  it('measures the newest model call against the model’s window and sums the session’s cost', () => {
    const messages: Message[] = [user('msg_0'), step('msg_1', [100, 20, 0, 0, 0], 0.01), step('msg_2', [150, 30, 10, 200, 50], 0.02), user('msg_3')]
    const usage = contextUsage(messages, providers)
    expect(usage).toMatchObject({ used: 440, limit: 1000, percent: 44, model: 'p/m', calls: 2 })
    expect(usage?.cost).toBeCloseTo(0.03)
    expect(usage?.total).toEqual({ input: 250, output: 50, reasoning: 10, cacheRead: 200, cacheWrite: 50 })
    expect(usage?.last).toEqual({ input: 150, output: 30, reasoning: 10, cacheRead: 200, cacheWrite: 50 })
  })

  it('skips calls without tokens (an aborted step), reverted messages, and knows no limit for an unlisted model', () => {
    const messages: Message[] = [step('msg_1', [100, 20, 0, 0, 0], 0, 'other'), step('msg_2', [0, 0, 0, 0, 0]), user('msg_3'), step('msg_4', [900, 1, 0, 0, 0])]
    const usage = contextUsage(messages, providers, 'msg_3')
    expect(usage).toMatchObject({ used: 120, model: 'p/other', calls: 1 })
    expect(usage?.limit).toBeUndefined()
    expect(usage?.percent).toBeUndefined()
  })

  it('has nothing to show before the first answer', () => {
    expect(contextUsage([user('msg_0')], providers)).toBeUndefined()
  })
})
