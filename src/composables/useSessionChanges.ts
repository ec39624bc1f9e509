import { computed, type ComputedRef, type Ref } from 'vue'
import { sessionChanges, turnChanges, type SessionFileChange, type TurnChanges } from '../state/changes.ts'
import { useSyncStore } from '../stores/sync.ts'

/** Options of {@link useSessionChanges}. */
export interface UseSessionChangesOptions {
  directory: Ref<string>
  sessionID: Ref<string>
}

/** What {@link useSessionChanges} returns; every field follows the synced state. */
export interface UseSessionChangesReturn {
  /** The visible (not reverted) turns, oldest first, each with what it changed. */
  turns: ComputedRef<TurnChanges[]>
  /** One entry per file the visible turns changed, net status, ordered by path. */
  files: ComputedRef<SessionFileChange[]>
  /** 1-based position of a turn among the visible turns, by its user message id. */
  turnNumber: ComputedRef<ReadonlyMap<string, number>>
  /** A turn's changes by its user message id (`undefined` for other ids or reverted turns). */
  turnOf: ComputedRef<ReadonlyMap<string, TurnChanges>>
}

/**
 * What a session changed, from the messages and parts the tab holds (see src/state/changes.ts for
 * where the server keeps each turn's diff): for the Changes panel, the tab's file count and the
 * per-turn chips of the transcript. Derived, so it needs no cleanup.
 */
export function useSessionChanges(options: UseSessionChangesOptions): UseSessionChangesReturn {
  const sync = useSyncStore()
  const turns = computed(() => {
    const directory = options.directory.value
    const messages = sync.messagesOf(directory, options.sessionID.value)
    const session = sync.sessionOf(directory, options.sessionID.value)
    return turnChanges({
      messages,
      parts: Object.fromEntries(messages.map((m) => [m.id, sync.partsOf(directory, m.id)])),
      directory: session?.directory ?? directory,
      revertedFrom: session?.revert?.messageID,
    })
  })
  const files = computed(() => sessionChanges(turns.value))
  const turnNumber = computed(() => new Map(turns.value.map((t, i) => [t.messageID, i + 1])))
  const turnOf = computed(() => new Map(turns.value.map((t) => [t.messageID, t])))
  return { turns, files, turnNumber, turnOf }
}
