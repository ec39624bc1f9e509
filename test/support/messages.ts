/** Message fixtures shaped as `opencode serve` (1.18.33) reports them. */
import type { AssistantMessage } from '@opencode-ai/sdk/v2/types'

/**
 * An assistant message of model `p/m` in agent `build`, working in `directory`; it has finished
 * when `time.completed` is set. Tokens are 0 unless given.
 */
export function assistantMessage(m: {
  id: string
  sessionID: string
  parentID: string
  directory: string
  time: AssistantMessage['time']
  tokens?: { input: number; output: number }
}): AssistantMessage {
  return {
    id: m.id,
    sessionID: m.sessionID,
    role: 'assistant',
    time: m.time,
    parentID: m.parentID,
    modelID: 'm',
    providerID: 'p',
    mode: 'build',
    agent: 'build',
    path: { cwd: m.directory, root: m.directory },
    cost: 0,
    tokens: { input: m.tokens?.input ?? 0, output: m.tokens?.output ?? 0, reasoning: 0, cache: { read: 0, write: 0 } },
  }
}
