/**
 * The relay protocol: every message that crosses a port between a tab and the relay (a
 * SharedWorker, or the leader tab in the BroadcastChannel fallback) is one of the discriminated
 * unions below, narrowed by `type`. Nothing else is ever posted.
 *
 * Lib-neutral on purpose: compiled both by the app (DOM lib) and by `sw/` (WebWorker lib).
 */
import type { Event as OpencodeEvent } from '@opencode-ai/sdk/v2/types'
import type { OutboxAction, OutboxEntry, PromptBody } from './outbox-types.ts'

export type { OpencodeEvent }

/** Where the relay connects, as configured by a tab. */
export interface ServerConfig {
  /** Base URL of `opencode serve`, without a trailing slash, e.g. `http://127.0.0.1:4096`. */
  url: string
  /** Basic-auth user for servers started with `OPENCODE_SERVER_PASSWORD` (OpenCode's default: `opencode`). */
  username?: string
  /** Basic-auth password; absent for servers without a password. */
  password?: string
  /**
   * What the server is, whatever port it listens on: the event log, cursors and per-session seqs
   * belong to it (default: `url`). The launcher names the server it starts after its project
   * (`launcher:<dir>`), so a restart on another port keeps the log and catch-up fills the gap.
   */
  identity?: string
  /**
   * The server came from the launcher (`/relay-config.json`), not from the user: after a failed
   * connection attempt the relay re-reads that document and follows the server when it moved. A
   * server the user chose by hand never has it, and is never replaced.
   */
  followLauncher?: boolean
}

/** What a server is, whatever its port: its `identity`, else its URL. Keys its event log and what is stored per server. */
export function serverIdentity(server: ServerConfig): string {
  return server.identity ?? server.url
}

/** Same address, credentials and identity: what the relay connects with (the `followLauncher` mark aside). */
export function sameServer(a: ServerConfig, b: ServerConfig): boolean {
  return a.url === b.url && a.username === b.username && a.password === b.password && serverIdentity(a) === serverIdentity(b)
}

/**
 * What the relay learned from the launcher while the server did not answer (see
 * sw/shared/launcher-config.ts): `checking` — the first attempt since the stream was live failed and the
 * launcher is being asked (too early to say "connection lost"); `starting` — the launcher is
 * starting `opencode serve`; `unreachable` — the app's own origin does not answer either (the app
 * runs from its offline copy, the launcher is stopped); `invalid` — the launcher's config document
 * makes no sense (`detail` says why).
 */
export interface LauncherStatus {
  state: 'checking' | 'starting' | 'unreachable' | 'invalid'
  detail?: string
}

/** Connection states of the single upstream SSE stream (`GET /global/event`). */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline'

/** What every tab is told about the upstream connection and the event log. */
export interface RelayStatus {
  state: ConnectionState
  /** Human-readable reason of the last failure (HTTP status, network error, bad frame, watchdog). */
  lastError?: string
  /** Epoch ms of the next reconnect attempt while `reconnecting`/`offline`. */
  nextRetryAt?: number
  /** Epoch ms when the current stream was opened (state `connected`). */
  connectedAt?: number
  /** Number of reconnect attempts since the last healthy connection. */
  attempt: number
  /** Server URL the relay is using. */
  server?: string
  /** Storage health: `ok: false` when IndexedDB writes fail (quota, deleted DB); the live stream keeps flowing. */
  storage: { ok: boolean; error?: string }
  /** A catch-up from the server is running after a gap. */
  catchingUp: boolean
  /** Bad frames skipped since the relay started (malformed JSON, unknown shapes). */
  badFrames: number
  /** Whether the relay runs in a SharedWorker or in an elected leader tab. */
  mode: 'shared-worker' | 'leader-tab'
  /** Set while the server does not answer and the launcher told why (only for `followLauncher` servers). */
  launcher?: LauncherStatus
  /**
   * Set while the stream is held on the way (a buffering proxy) and REST works: the relay polls
   * instead (sw/relay/degraded.ts). `since` epoch ms, `pollMs` the current interval, `reason` the
   * stream's last failure.
   */
  degraded?: { since: number; pollMs: number; reason: string }
  /**
   * Ids of the permission and question requests the relay saw asked and not yet answered, over
   * every project (`permission.asked`, `question.asked`, … on `/global/event`); absent when none.
   * The app badge counts them with the ones the tab read itself.
   */
  pendingRequests?: string[]
}

/**
 * One event as the relay stores and fans it out.
 * `cursor` is local to this origin's log: strictly increasing, never reused.
 */
export interface RelayedEvent {
  /** Local, monotonically increasing position in the event log. */
  cursor: number
  /** The server's event id (`evt_…`), the deduplication key. */
  id: string
  /** Directory (project instance) the event belongs to; `global` for server-wide events. */
  directory: string
  /** The event, in the shape of the SDK's `Event` union (sync events are converted to it). */
  payload: OpencodeEvent
  /** True when the event was recovered after a gap (`POST /sync/history` or a REST snapshot) rather than seen live. */
  recovered?: boolean
  /** Epoch ms when the relay received it. */
  receivedAt: number
  /**
   * Present when this event is a run of adjacent `message.part.delta` events to one part field
   * merged into one (sw/shared/delta-runs.ts): its `delta` is their texts in order, its `cursor`,
   * `id` and `receivedAt` the last one's. A run reaches a tab as one event (the relay's fan-out,
   * and its event log, which stores a run as one row).
   */
  run?: DeltaRunIndex
}

/**
 * Where each delta of a merged run ({@link RelayedEvent.run}) is: its cursor (ascending; the last
 * is the event's `cursor`) and the offset in the merged text, in UTF-16 code units, where its text
 * ends. A reader that has every event up to a cursor inside the run takes only the text after it
 * (`eventAfter` in sw/shared/delta-runs.ts).
 */
export interface DeltaRunIndex {
  cursors: number[]
  ends: number[]
}

/**
 * What a tab asks of the relay's outbox (sw/relay/outbox.ts): `add` an action under a unique id
 * (a prompt's or command's client-generated message id; adding an id twice is a no-op), `cancel`
 * or `edit` (a prompt's body) an entry that has not left, `retry` a failed one.
 */
export type OutboxRequest =
  | { op: 'add'; id: string; directory: string; action: OutboxAction }
  | { op: 'cancel'; id: string }
  | { op: 'edit'; id: string; body: PromptBody }
  | { op: 'retry'; id: string }

/** Messages a tab sends to the relay. */
export type TabToRelay =
  | {
      type: 'hello'
      /** Random id of the tab, unique per page load. */
      tabId: string
      /** Name of the Web Lock the tab holds for its lifetime; the relay waits on it to notice the tab closed. */
      lockName: string
      /** Server to use; the relay switches to it if it differs from the current one. */
      server: ServerConfig
      visible: boolean
    }
  | {
      type: 'subscribe'
      /**
       * The cursor the tab last applied; the relay replays the log after it, then streams live.
       * `'head'` means: nothing to replay, stream what comes after the current head.
       */
      cursor: number | 'head'
    }
  | { type: 'visibility'; visible: boolean }
  /**
   * The tab was frozen (Page Lifecycle `freeze` … `resume`) for `frozenMs` ms and runs again; a
   * laptop that slept resumes its tabs this way. The relay checks its stream survived.
   */
  | { type: 'resumed'; frozenMs: number }
  /** Which session the tab shows (none: both absent); the relay skips notifications for sessions a visible tab shows. */
  | { type: 'view'; directory?: string; sessionID?: string }
  /** Origin-wide settings the relay needs: system notifications are opt-in. */
  | { type: 'settings'; notifications: boolean }
  | { type: 'configure'; server: ServerConfig }
  /** Ask the relay to reconnect now (e.g. the user clicked "retry"). */
  | { type: 'reconnect' }
  /** An outbox request (see {@link OutboxRequest}). */
  | { type: 'outbox'; request: OutboxRequest }
  | { type: 'bye' }

/**
 * A system notification the relay asks one tab to show: the facts, which the tab words in its own
 * language (src/composables/useNotifications.ts). `directory` + `sessionID` say where a click
 * leads; `tag` (`<kind>:<sessionID>`) lets the OS replace an older notice of the same thing.
 */
export interface RelayNotification {
  /** `finished`: the session went idle; `permission` (`permission.asked`); `question` (`question.asked`). */
  kind: 'finished' | 'permission' | 'question'
  directory: string
  sessionID: string
  /** The session's title as the relay last saw it (`session.created|updated`); absent until known. */
  sessionTitle?: string
  /** The request a `permission` or `question` notice is about (the event's `id`): its actions answer or open it. */
  requestID?: string
  /** A `permission` notice: the permission asked for and its patterns (`permission.asked`). */
  permission?: string
  patterns?: string[]
  /** A `question` notice: the text of the first question asked (`question.asked` `questions[0].question`). */
  question?: string
  tag: string
}

/** Messages the relay sends to a tab. */
export type RelayToTab =
  | { type: 'status'; status: RelayStatus }
  /** Answer to `subscribe`: replay starts after `from`; `head` is the newest cursor at that moment. */
  | { type: 'subscribed'; from: number; head: number }
  /** A batch of events in cursor order (batched per ~16 ms). */
  | { type: 'events'; events: RelayedEvent[] }
  /**
   * The tab's cursor is older than what the log still holds (retention dropped it, or the database
   * was reset): the tab must re-bootstrap over REST and continue from `head`.
   */
  | { type: 'reset'; reason: string; head: number }
  /** A directory's durable state may have changed wholesale (server restart, instance disposed): re-read it over REST. */
  | { type: 'resync'; directory: string; reason: string }
  /**
   * The launcher's server moved (a restart on another port): the relay follows it already; the
   * tab updates its server list and REST client. Same `identity`, so no state is dropped.
   */
  | { type: 'server-moved'; server: ServerConfig }
  /** The relay asks this tab to show a system notification (it picks one tab for every notification). */
  | { type: 'notify'; notification: RelayNotification }
  /**
   * Every outbox entry of the current server, oldest first: sent to every tab after each change,
   * and to a tab when it says hello. Delivered and dropped entries stay a minute, so every tab sees
   * the outcome.
   */
  | { type: 'outbox'; entries: OutboxEntry[] }
  /**
   * The outbox could not do what this tab asked, told to that tab only. `op: 'add'`: it could not
   * take the entry (IndexedDB refused the write: a full disk, no database), nothing was sent; the
   * tab sends the action itself and says so. `op: 'edit'`: the prompt is no longer waiting (it was
   * sent, or discarded, meanwhile), so it goes as it was; the tab says so and keeps the edited text.
   * `error` is the relay's reason, in English, for the console.
   */
  | { type: 'outbox-refused'; op: 'add' | 'edit'; id: string; error: string }
