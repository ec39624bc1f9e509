import { computed, toValue, type ComputedRef, type MaybeRefOrGetter } from 'vue'
import type { Agent } from '@opencode-ai/sdk/v2/types'
import type { ModelRef } from '../api/opencode.ts'
import { useChatStore } from '../stores/chat.ts'

/** Options of {@link useAgentModelSelection}. */
export interface UseAgentModelSelectionOptions {
  directory: MaybeRefOrGetter<string>
  /** The session the prompt sends to; undefined for a new session. */
  sessionID: MaybeRefOrGetter<string | undefined>
  /** Key the choice is stored under (the session id, or the "new session" prompt's key). */
  draftKey: MaybeRefOrGetter<string>
}

/** What {@link useAgentModelSelection} returns; every field follows the options. */
export interface UseAgentModelSelectionReturn {
  /** The primary agents the prompt may use. */
  agents: ComputedRef<Agent[]>
  /** The agent a send would use: picked here, else the chat store's default for the session. */
  agent: ComputedRef<string | undefined>
  /** The model a send would use: picked here, else the chat store's default for the session. */
  model: ComputedRef<ModelRef | undefined>
  selectAgent(name: string): void
  /** Picks a model (also remembered as the last model picked anywhere). */
  selectModel(model: ModelRef): void
}

/**
 * The agent and model of a prompt box's toolbar pickers: the one picked for the draft key, else
 * what the chat store would send with (`agentFor`, `modelFor`). Derived from the store, so it needs
 * no cleanup.
 */
export function useAgentModelSelection(options: UseAgentModelSelectionOptions): UseAgentModelSelectionReturn {
  const chat = useChatStore()
  const key = () => toValue(options.draftKey)
  const agents = computed(() => chat.primaryAgents(toValue(options.directory)))
  const agent = computed(() => chat.selections[key()]?.agent ?? chat.agentFor(toValue(options.directory), toValue(options.sessionID)))
  const model = computed(() => chat.selections[key()]?.model ?? chat.modelFor(toValue(options.directory), toValue(options.sessionID)))
  return {
    agents,
    agent,
    model,
    selectAgent: (name) => chat.select(key(), { agent: name }),
    selectModel: (m) => chat.select(key(), { model: m }),
  }
}
