/**
 * The outbox (issue 19): what the user tells the server — a prompt, a command, a permission reply,
 * a question's answer or rejection, an abort — kept until it is delivered exactly once.
 *
 * - An action is written to the store first (IndexedDB in the relay), then delivered when the
 *   server is reachable, in order per session (a later prompt of a session waits while an earlier
 *   one is pending or failed; a reply or an abort waits only for pending ones); sessions do not
 *   wait for each other.
 * - Exactly once: before every (re)send the server's truth is checked — a prompt or command by
 *   its client-generated message id (`GET /session/{id}/message/{messageID}`: there already means
 *   delivered), a reply by whether its request is still pending (`GET /permission`,
 *   `GET /question`: gone means answered elsewhere, so it is dropped, never resurrected), an abort
 *   by whether the run it aims at still goes (see {@link OutboxServer.runState}: a late abort
 *   must not stop a later run). A send whose outcome is unknown (a timeout, a cut after the
 *   request left, a relay that died while `sending`) is therefore safe to retry.
 * - States: `pending` (waiting to be sent, with the last transient error and the next attempt),
 *   `sending`, `delivered`, `failed` (the server refused it: its error; the user may retry, edit or
 *   cancel), `dropped` (with the reason: cancelled, answered elsewhere, session deleted, the
 *   reply an abort aimed at had already finished).
 * - Transient failures (network, 5xx, 408, 429: the server adapter says which) are retried with
 *   exponential backoff and full jitter; {@link Outbox.kick} retries at once (the stream came back).
 *
 * The engine knows no transport: the store ({@link OutboxStore}) and the server
 * ({@link OutboxServer}) are injected, so it runs in the SharedWorker, the leader tab or a test.
 */
import type { Clock } from '../shared/clock.ts'
import type { OutboxAction, OutboxEntry, PromptBody } from '../shared/outbox-types.ts'
import { computeBackoffMs } from '../shared/backoff.ts'

export type { CommandBody, OutboxAction, OutboxEntry, OutboxState, PromptBody } from '../shared/outbox-types.ts'

/** The entries' persistence (IndexedDB through Dexie in the relay). Every call may reject (a full disk). */
export interface OutboxStore {
  all(): Promise<OutboxEntry[]>
  put(entry: OutboxEntry): Promise<void>
  remove(id: string): Promise<void>
}

/** A failed server call, as the adapter classifies it. */
export class OutboxSendError extends Error {
  /**
   * @param transient true for network errors, timeouts, 5xx, 408 and 429 (retried with backoff);
   *   false for a refusal (other 4xx: the entry fails with `message`).
   */
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message)
    this.name = 'OutboxSendError'
  }
}

/** The server as the outbox uses it. Methods throw {@link OutboxSendError}. */
export interface OutboxServer {
  /** `GET /session/{id}/message/{messageID}`: whether the message exists, or the session is gone (404 on the session). */
  messageState(directory: string, sessionID: string, messageID: string): Promise<'exists' | 'missing' | 'session-gone'>
  /** Whether a permission or question request is still pending (`GET /permission`, `GET /question`). */
  requestPending(directory: string, kind: 'permission' | 'question', requestID: string): Promise<boolean>
  /**
   * Whether the run an abort aims at still goes (`GET /session/status`, then the session's newest
   * messages): `running` while the session is busy (or retrying) and its newest assistant message
   * answers the user message `parentID`, or that message is newer than every assistant message
   * (its run has not written one yet); `finished` when the session is idle (or gone) or a later
   * run has started. Without `parentID`: `running` while the session is busy.
   */
  runState(directory: string, sessionID: string, parentID: string | undefined): Promise<'running' | 'finished'>
  /** Performs the action once. */
  perform(directory: string, action: OutboxAction): Promise<void>
}

/** Dependencies of {@link Outbox}. */
export interface OutboxDeps {
  clock: Clock
  /** Uniform draw in [0, 1), for the backoff's jitter. */
  random: () => number
  store: OutboxStore
  server: OutboxServer
  /** Whether the server is worth trying now (the relay's stream is connected, or it polls). */
  reachable: () => boolean
  /** Every change of the entries (broadcast them to the tabs). Must not throw. */
  changed: (entries: readonly OutboxEntry[]) => void
}

/** Why an abort is dropped when the run it aimed at is over (finished, or a later one started). */
export const ABORT_TOO_LATE = 'the reply had already finished'

/** Backoff caps of transient retries, ms. */
export const OUTBOX_RETRY_MIN_MS = 1_000
export const OUTBOX_RETRY_MAX_MS = 30_000
/** How long a delivered or dropped entry is kept for the tabs to see, ms. */
export const OUTBOX_SETTLED_KEEP_MS = 60_000

/** The outbox engine of one relay (one server). Its promises do not reject; store failures surface as entry errors. */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>()
  private running = false
  private again = false
  private timer: unknown

  constructor(private readonly deps: OutboxDeps) {}

  /**
   * Loads the persisted entries (after a reload, a worker's death, a browser restart). One left
   * `sending` did not finish: it becomes `pending`, and the check before its next send tells
   * whether it had reached the server.
   */
  async restore(): Promise<void> {
    for (const entry of await this.deps.store.all()) {
      if (entry.state === 'sending') entry.state = 'pending'
      this.entries.set(entry.id, entry)
    }
    this.changed()
    this.kick()
  }

  /** Every entry, oldest first. */
  list(): OutboxEntry[] {
    return [...this.entries.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  }

  /**
   * Adds an action (written to the store before anything is sent) and starts delivery.
   * Adding an id that is already there returns the existing entry (a tab that sent twice).
   * @throws the store's error when the entry cannot be written (nothing is sent then).
   */
  async add(id: string, directory: string, action: OutboxAction): Promise<OutboxEntry> {
    const existing = this.entries.get(id)
    if (existing) return existing
    const entry: OutboxEntry = { id, directory, action, state: 'pending', createdAt: this.deps.clock.now(), attempts: 0 }
    await this.deps.store.put(entry)
    this.entries.set(id, entry)
    this.changed()
    this.kick()
    return entry
  }

  /** Cancels an entry that has not left (`pending` or `failed`): dropped, "cancelled". False otherwise. */
  async cancel(id: string): Promise<boolean> {
    const entry = this.entries.get(id)
    if (!entry || (entry.state !== 'pending' && entry.state !== 'failed')) return false
    await this.settle(entry, 'dropped', { reason: 'cancelled' })
    // A later entry of the session may go now.
    void this.run()
    return true
  }

  /** Replaces the body of a prompt that has not left; false otherwise. */
  async edit(id: string, body: PromptBody): Promise<boolean> {
    const entry = this.entries.get(id)
    if (!entry || (entry.state !== 'pending' && entry.state !== 'failed')) return false
    if (entry.action.kind !== 'prompt') return false
    await this.save({ ...entry, action: { ...entry.action, body } })
    return true
  }

  /** Sends a failed entry again (the user pressed Retry). */
  async retry(id: string): Promise<boolean> {
    const entry = this.entries.get(id)
    if (!entry || entry.state !== 'failed') return false
    await this.save({ ...entry, state: 'pending', attempts: 0, nextAttemptAt: undefined, error: undefined, settledAt: undefined })
    void this.run()
    return true
  }

  /** Delivers what is due now (and clears the backoff waits: the server came back). Does nothing while unreachable. */
  kick(): void {
    for (const entry of this.entries.values()) if (entry.state === 'pending') entry.nextAttemptAt = undefined
    void this.run()
  }

  /** Cancels the retry timer (the relay stops). */
  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  // ---------------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true
      return
    }
    this.running = true
    try {
      do {
        this.again = false
        this.prune()
        let next = this.nextDue()
        while (next && this.deps.reachable()) {
          await this.deliver(next)
          next = this.nextDue()
        }
      } while (this.again)
    } finally {
      this.running = false
    }
    this.schedule()
  }

  /**
   * The oldest pending entry that is due and has no earlier unsettled entry of its session (an
   * abort may pass an earlier failed one, not an earlier pending one).
   */
  private nextDue(): OutboxEntry | undefined {
    const now = this.deps.clock.now()
    /** Sessions with an earlier entry waiting (pending, sending), and with an earlier failed one. */
    const waiting = new Set<string>()
    const refused = new Set<string>()
    for (const entry of this.list()) {
      const session = `${entry.directory}\u0000${entry.action.sessionID}`
      if (entry.state === 'delivered' || entry.state === 'dropped') continue
      // Only what the user said waits behind a prompt the server refused: a reply or Stop goes
      // beside a "Not sent" bubble, and a refused reply or Stop holds nothing (nothing retries it).
      const said = isSaid(entry)
      const held = waiting.has(session) || (refused.has(session) && said)
      if (entry.state === 'failed') {
        if (said) refused.add(session)
      } else waiting.add(session)
      if (!held && entry.state === 'pending' && (entry.nextAttemptAt ?? 0) <= now) return entry
    }
    return undefined
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const sending = await this.save({ ...entry, state: 'sending', attempts: entry.attempts + 1 })
    if (!sending) return
    try {
      const verdict = await this.check(sending)
      if (verdict !== undefined) {
        await this.settle(sending, verdict.state, verdict.state === 'dropped' ? { reason: verdict.reason } : {})
        return
      }
      await this.deps.server.perform(sending.directory, sending.action)
      await this.settle(sending, 'delivered')
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      if (err instanceof OutboxSendError && !err.transient) {
        await this.refused(sending, message)
        return
      }
      const delay = computeBackoffMs(sending.attempts - 1, this.deps.random(), OUTBOX_RETRY_MIN_MS, OUTBOX_RETRY_MAX_MS)
      await this.save({ ...sending, state: 'pending', error: message, nextAttemptAt: this.deps.clock.now() + delay })
    }
  }

  /**
   * The server refused the send (a 4xx). A prompt or command fails: its bubble offers Retry,
   * Edit and Discard. A reply or an abort is checked again first: refused because its request was
   * answered meanwhile (another tab, or an earlier attempt whose answer was lost: `POST
   * /permission/{id}/reply` answers 404 then) it is dropped with that reason; otherwise it fails
   * and is settled at once (no button retries it; the tab shows the error), so it is pruned like
   * a delivered one.
   */
  private async refused(entry: OutboxEntry, message: string): Promise<void> {
    if (isSaid(entry)) {
      await this.save({ ...entry, state: 'failed', error: message, nextAttemptAt: undefined })
      return
    }
    const verdict = await this.check(entry).catch(() => undefined)
    if (verdict?.state === 'dropped') {
      await this.settle(entry, 'dropped', { reason: verdict.reason })
      return
    }
    await this.save({ ...entry, state: 'failed', error: message, nextAttemptAt: undefined, settledAt: this.deps.clock.now() })
  }

  /** The server's truth before a send: already delivered, to be dropped, or undefined (send it). */
  private async check(entry: OutboxEntry): Promise<{ state: 'delivered' } | { state: 'dropped'; reason: string } | undefined> {
    const { action } = entry
    switch (action.kind) {
      case 'prompt':
      case 'command': {
        const state = await this.deps.server.messageState(entry.directory, action.sessionID, action.messageID)
        if (state === 'exists') return { state: 'delivered' }
        if (state === 'session-gone') return { state: 'dropped', reason: 'the session was deleted' }
        return undefined
      }
      case 'permission-reply':
        return (await this.deps.server.requestPending(entry.directory, 'permission', action.requestID))
          ? undefined
          : { state: 'dropped', reason: 'the permission request was already answered' }
      case 'question-reply':
      case 'question-reject':
        return (await this.deps.server.requestPending(entry.directory, 'question', action.requestID))
          ? undefined
          : { state: 'dropped', reason: 'the question was already answered' }
      case 'abort':
        // A late abort must not stop a later run: only the run it aims at, while it goes.
        return (await this.deps.server.runState(entry.directory, action.sessionID, action.parentID)) === 'running' ? undefined : { state: 'dropped', reason: ABORT_TOO_LATE }
    }
  }

  /** Moves an entry to `delivered` or `dropped`. */
  private async settle(entry: OutboxEntry, state: 'delivered' | 'dropped', extra: { reason?: string } = {}): Promise<void> {
    await this.save({ ...entry, state, nextAttemptAt: undefined, settledAt: this.deps.clock.now(), ...extra })
  }

  /**
   * Writes an entry and tells the tabs. A store failure keeps the entry in memory (it is still
   * delivered while this relay lives) with the error noted; returns the entry as saved.
   */
  private async save(entry: OutboxEntry): Promise<OutboxEntry | undefined> {
    if (!this.entries.has(entry.id)) return undefined
    this.entries.set(entry.id, entry)
    try {
      await this.deps.store.put(entry)
    } catch (err) {
      entry.error = `not saved: ${err instanceof Error ? err.message : String(err)}`
    }
    this.changed()
    return entry
  }

  /** Forgets settled entries (delivered, dropped, a refused reply or abort) older than {@link OUTBOX_SETTLED_KEEP_MS}. */
  private prune(): void {
    const now = this.deps.clock.now()
    let removed = false
    for (const entry of [...this.entries.values()]) {
      if (entry.settledAt === undefined || now - entry.settledAt < OUTBOX_SETTLED_KEEP_MS) continue
      this.entries.delete(entry.id)
      void this.deps.store.remove(entry.id).catch(() => undefined)
      removed = true
    }
    if (removed) this.changed()
  }

  /** Arms one timer for the earliest backoff wait or prune. */
  private schedule(): void {
    this.stop()
    const now = this.deps.clock.now()
    let at = Number.POSITIVE_INFINITY
    for (const entry of this.entries.values()) {
      if (entry.state === 'pending' && entry.nextAttemptAt !== undefined) at = Math.min(at, entry.nextAttemptAt)
      if (entry.settledAt !== undefined) at = Math.min(at, entry.settledAt + OUTBOX_SETTLED_KEEP_MS)
    }
    if (!Number.isFinite(at)) return
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined
      void this.run()
    }, Math.max(0, at - now))
  }

  private changed(): void {
    this.deps.changed(this.list())
  }
}

/** Whether an entry is something the user said (a prompt or a command), delivered strictly in order per session. */
function isSaid(entry: OutboxEntry): boolean {
  return entry.action.kind === 'prompt' || entry.action.kind === 'command'
}
