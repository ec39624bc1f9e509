/**
 * The outbox's data (issue 19), shared by the relay (sw/relay/outbox.ts keeps and delivers the
 * entries) and the tabs (they add entries and show their states): what a user action asks the
 * server to do, and where each entry is in its life. Lib-neutral, like ./protocol.ts.
 */
import type { OpencodeClient } from '@opencode-ai/sdk/v2/client'

/** The body of `POST /session/{id}/prompt_async` (the SDK's `session.promptAsync` parameters without the path and query). */
export type PromptBody = Omit<Parameters<OpencodeClient['session']['promptAsync']>[0], 'sessionID' | 'directory' | 'workspace' | 'messageID'>
/** The body of `POST /session/{id}/command` (the SDK's `session.command` parameters without the path and query). */
export type CommandBody = Omit<Parameters<OpencodeClient['session']['command']>[0], 'sessionID' | 'directory' | 'workspace' | 'messageID'>

/** What one outbox entry asks the server to do; the bodies are the SDK's input types. */
export type OutboxAction =
  /** `POST /session/{id}/prompt_async` with `messageID` in the body. */
  | { kind: 'prompt'; sessionID: string; messageID: string; body: PromptBody }
  /** `POST /session/{id}/command` with `messageID` in the body. */
  | { kind: 'command'; sessionID: string; messageID: string; body: CommandBody }
  /** `POST /permission/{requestID}/reply`. */
  | { kind: 'permission-reply'; sessionID: string; requestID: string; reply: 'once' | 'always' | 'reject' }
  /** `POST /question/{requestID}/reply` with the answers. */
  | { kind: 'question-reply'; sessionID: string; requestID: string; answers: ReadonlyArray<ReadonlyArray<string>> }
  /** `POST /question/{requestID}/reject`. */
  | { kind: 'question-reject'; sessionID: string; requestID: string }
  /**
   * `POST /session/{id}/abort` (idempotent on the server), sent only while the run it aims at
   * still goes: `parentID` is the user message that run answers (the `parentID` of its assistant
   * messages, one per step; the message itself while no assistant message exists yet). A run
   * that is over, or a later run, is not stopped by an abort that arrives late. Absent (an abort
   * from a tab that knew no message of the session): whatever runs is stopped.
   */
  | { kind: 'abort'; sessionID: string; parentID?: string }

/** Where an entry is in its life (see the module comment). */
export type OutboxState = 'pending' | 'sending' | 'delivered' | 'failed' | 'dropped'

/** One persisted outbox entry. Times are epoch ms. */
export interface OutboxEntry {
  /** Unique: the message id of a prompt/command, `<kind>:<requestID>` of a reply, `abort:<sessionID>:<epoch ms>` of an abort. */
  id: string
  /** Project instance directory the action belongs to (`?directory=`). */
  directory: string
  action: OutboxAction
  state: OutboxState
  createdAt: number
  /** Send attempts so far. */
  attempts: number
  /** While `pending` after a failure: when the next attempt is due. */
  nextAttemptAt?: number
  /** The last error (a transient one while `pending`, the server's refusal when `failed`). */
  error?: string
  /** Why it was dropped. */
  reason?: string
  /** When it reached `delivered` or `dropped`, or a reply or abort was refused (kept a while so every tab sees the outcome). */
  settledAt?: number
}
