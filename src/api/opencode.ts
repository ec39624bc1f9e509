/**
 * Typed REST access to `opencode serve`, wrapping the SDK's v2 client
 * (`@opencode-ai/sdk/v2/client`, `createOpencodeClient`). Every call that concerns a project takes
 * the project's absolute `directory`, sent as the `directory` query parameter (OpenCode routes the
 * request to that project instance). Components never call this directly: stores do.
 *
 * Every method throws an `Error` whose message is the server's error message (the SDK's
 * `throwOnError` wraps non-2xx bodies) or a network error; `cause.status` holds the HTTP status.
 * Reads (GET) without a caller `signal` abort after {@link READ_TIMEOUT_MS} (a `TimeoutError`).
 */
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2/client'
import type {
  Agent,
  AgentPartInput,
  Command,
  Config,
  File,
  FileContent,
  FileNode,
  FilePartInput,
  LspStatus,
  McpStatus,
  Message,
  Part,
  Path,
  PermissionRequest,
  Project,
  Provider,
  Pty,
  QuestionAnswer,
  QuestionRequest,
  Session,
  SessionStatus,
  TextPartInput,
  Todo,
  VcsFileDiff,
  VcsFileStatus,
} from '@opencode-ai/sdk/v2/types'
import type { ServerConfig } from '../../sw/shared/protocol.ts'
import { READ_TIMEOUT_MS, authHeaders, normalizeServerUrl } from './server-auth.ts'
import { listAllSessions } from '../../sw/shared/session-list.ts'

/** A message with its parts, as `GET /session/{id}/message` returns it. */
export interface MessageWithParts {
  info: Message
  parts: Part[]
}

/** One page of messages: the newest `limit` messages before `before`, oldest first. */
export interface MessagePage {
  messages: MessageWithParts[]
  /**
   * Opaque cursor for the next (older) page, from the `X-Next-Cursor` response header of
   * `GET /session/{id}/message?limit=N`; `undefined` when there is nothing older.
   */
  nextCursor?: string
}

/** Providers of a project: `GET /config/providers` plus the connected ids of `GET /provider`. */
export interface ProvidersInfo {
  providers: Provider[]
  /** Default model id per provider id. */
  defaults: Record<string, string>
  /** Ids of providers with credentials (`GET /provider` → `connected`); empty when unknown. */
  connected: string[]
}

/** A model reference as the prompt endpoints take it. */
export interface ModelRef {
  providerID: string
  modelID: string
}

/** Body of a prompt (`POST /session/{id}/prompt_async`). */
export interface PromptInput {
  /** Client-generated `msg_…` id: a retried send with the same id never duplicates the message. */
  messageID: string
  parts: Array<TextPartInput | FilePartInput | AgentPartInput>
  agent?: string
  model?: ModelRef
  variant?: string
}

/** Body of a slash command (`POST /session/{id}/command`). */
export interface CommandInput {
  messageID: string
  command: string
  arguments: string
  agent?: string
  /** `provider/model` string, the format of this endpoint. */
  model?: string
  files?: FilePartInput[]
}

/**
 * One text-search hit (`GET /find?pattern=`, ripgrep's JSON match): `path.text` relative to the
 * project, `lines.text` the matching line (with its newline), `line_number` 1-based, `submatches`
 * the matched spans (`start`/`end` byte offsets in the line).
 */
export interface TextMatch {
  path: { text: string }
  lines: { text: string }
  line_number: number
  absolute_offset: number
  submatches: Array<{ match: { text: string }; start: number; end: number }>
}

/** A shell the server can run in a PTY (`GET /pty/shells`): absolute `path`, display `name`. */
export interface PtyShell {
  path: string
  name: string
  /** Whether the server accepts it as a PTY command. */
  acceptable: boolean
}

/** Body of `POST /pty`: every field optional (the server's default shell, login, in the project directory). */
export interface PtyCreateInput {
  title?: string
  /** Absolute path of the program, e.g. a {@link PtyShell.path}. */
  command?: string
  args?: string[]
  /** Working directory; the project directory when omitted. */
  cwd?: string
}

/** A PTY viewport in character cells. */
export interface PtySize {
  rows: number
  cols: number
}

/** Reply to a permission request (`POST /permission/{requestID}/reply`). */
export type PermissionReply = 'once' | 'always' | 'reject'

/** The REST surface the app uses; one instance per server. */
export interface OpencodeApi {
  readonly baseUrl: string
  /** `GET /project`: every project the server knows. */
  listProjects(signal?: AbortSignal): Promise<Project[]>
  /** `GET /path`: home/state/config/worktree/directory paths (no `directory`: the server's own). */
  getPath(directory?: string, signal?: AbortSignal): Promise<Path>
  /** `GET /config` for a project. */
  getConfig(directory: string, signal?: AbortSignal): Promise<Config>
  /** `GET /config/providers` + `GET /provider` (connected ids; failure there is tolerated). */
  getProviders(directory: string, signal?: AbortSignal): Promise<ProvidersInfo>
  /** `GET /agent`. */
  listAgents(directory: string, signal?: AbortSignal): Promise<Agent[]>
  /** `GET /command`. */
  listCommands(directory: string, signal?: AbortSignal): Promise<Command[]>
  /**
   * `GET /session`: every session of the project (children included), most recently updated first,
   * read with growing `limit`s (the endpoint answers only the newest 100 without one; see
   * sw/shared/session-list.ts).
   */
  listSessions(directory: string, signal?: AbortSignal): Promise<Session[]>
  /** `GET /session/status`: status by session id (absent = idle). */
  sessionStatus(directory: string, signal?: AbortSignal): Promise<Record<string, SessionStatus>>
  /** `GET /permission`: pending permission requests. */
  listPermissions(directory: string, signal?: AbortSignal): Promise<PermissionRequest[]>
  /** `GET /question`: pending question requests. */
  listQuestions(directory: string, signal?: AbortSignal): Promise<QuestionRequest[]>
  /** `GET /session/{id}`. */
  getSession(directory: string, sessionID: string, signal?: AbortSignal): Promise<Session>
  /** `GET /session/{id}/message?limit=N[&before=cursor]`. */
  listMessages(directory: string, sessionID: string, page: { limit: number; before?: string }, signal?: AbortSignal): Promise<MessagePage>
  /**
   * `GET /vcs/diff?mode=git`: uncommitted changes of the project's git working tree against HEAD
   * (untracked and deleted files included), git-format patches. Not tied to a session: it includes
   * the user's own edits and other sessions' work. `[]` in a project without git.
   */
  workingTreeDiff(directory: string, signal?: AbortSignal): Promise<VcsFileDiff[]>
  /** `GET /session/{id}/todo`. */
  sessionTodos(directory: string, sessionID: string, signal?: AbortSignal): Promise<Todo[]>
  /** `POST /session`. */
  createSession(directory: string, input?: { title?: string; parentID?: string }): Promise<Session>
  /** `PATCH /session/{id}` with a new title. */
  renameSession(directory: string, sessionID: string, title: string): Promise<Session>
  /** `DELETE /session/{id}`. */
  deleteSession(directory: string, sessionID: string): Promise<void>
  /** `POST /session/{id}/fork` (optionally at a message: that message and later ones are left out). */
  forkSession(directory: string, sessionID: string, messageID?: string): Promise<Session>
  /** `POST /session/{id}/share`. */
  shareSession(directory: string, sessionID: string): Promise<Session>
  /** `DELETE /session/{id}/share`. */
  unshareSession(directory: string, sessionID: string): Promise<Session>
  /** `POST /session/{id}/summarize` (compaction). */
  summarizeSession(directory: string, sessionID: string, model: ModelRef): Promise<void>
  /** `POST /session/{id}/abort`. */
  abortSession(directory: string, sessionID: string): Promise<void>
  /** `POST /session/{id}/revert` to a message. */
  revertSession(directory: string, sessionID: string, messageID: string, partID?: string): Promise<Session>
  /** `POST /session/{id}/unrevert`. */
  unrevertSession(directory: string, sessionID: string): Promise<Session>
  /** `POST /session/{id}/init` (writes AGENTS.md). */
  initSession(directory: string, sessionID: string, input: { messageID: string; model: ModelRef }): Promise<void>
  /** `POST /session/{id}/prompt_async`: returns at once (204); the reply streams as events. */
  promptAsync(directory: string, sessionID: string, input: PromptInput): Promise<void>
  /** `POST /session/{id}/command`: runs a slash command (the request lasts until the reply ends). */
  command(directory: string, sessionID: string, input: CommandInput): Promise<void>
  /** `POST /permission/{requestID}/reply`. */
  replyPermission(directory: string, requestID: string, reply: PermissionReply, message?: string): Promise<void>
  /** `POST /question/{requestID}/reply` with one answer (list of labels) per question. */
  replyQuestion(directory: string, requestID: string, answers: QuestionAnswer[]): Promise<void>
  /** `POST /question/{requestID}/reject`. */
  rejectQuestion(directory: string, requestID: string): Promise<void>
  /**
   * `GET /file?path=.` (SDK `file.list`): the entries directly inside the project directory
   * itself (`name`, `path` relative to it, `absolute`, `type` `file` | `directory`, `ignored`).
   * What opencode 1.18.33 answers for a `directory` that does not exist or is a file: 500
   * `{"name":"UnknownError","data":{"message":"Unexpected server error. Check server logs for
   * details.","ref":"err_…"}}` (its log says ENOENT / ENOTDIR) — while `GET /path`,
   * `GET /project/current` and `GET /session` answer 200 for such a directory. See
   * {@link serverErrorMessage} for the message to show.
   */
  listDirectory(directory: string, signal?: AbortSignal): Promise<FileNode[]>
  /** `GET /find/file?query=`: relative paths of matching files. */
  findFiles(directory: string, query: string, signal?: AbortSignal): Promise<string[]>
  /**
   * `GET /file?path=<rel>` (SDK `file.list`): the entries directly inside one folder of the project
   * (`path` relative to the project, `.` for its root; folders' paths end with `/`). A folder that
   * does not exist answers 500 `UnknownError` on opencode 1.18.33.
   */
  listFiles(directory: string, path: string, signal?: AbortSignal): Promise<FileNode[]>
  /**
   * `GET /file/status` (SDK `file.status`): git status of the project's changed files (`path`,
   * `added`/`removed` lines, `status` added | modified | deleted). opencode 1.18.33 answers `[]`
   * even with uncommitted changes; {@link vcsStatus} has them.
   */
  fileStatus(directory: string, signal?: AbortSignal): Promise<File[]>
  /** `GET /vcs/status` (SDK `vcs.status`): the git working tree's changed files (`file`, `additions`, `deletions`, `status`). */
  vcsStatus(directory: string, signal?: AbortSignal): Promise<VcsFileStatus[]>
  /**
   * `GET /file/content?path=<rel>` (SDK `file.read`): `{ type: 'text', content }`, or
   * `{ type: 'binary', content: <base64>, encoding: 'base64', mimeType }`. The whole file, however
   * large. opencode 1.18.33 answers `{ type: 'text', content: '' }` for a file that does not exist,
   * and 500 for a folder.
   */
  readFile(directory: string, path: string, signal?: AbortSignal): Promise<FileContent>
  /**
   * `GET /find?pattern=` (SDK `find.text`): ripgrep matches of a regular expression in the
   * project's files. The server needs `rg` on its PATH (else it downloads it; offline that fails
   * with 500).
   */
  findText(directory: string, pattern: string, signal?: AbortSignal): Promise<TextMatch[]>
  /** `GET /pty`: the project's live PTYs (an exited PTY is removed by the server at once). */
  listPtys(directory: string, signal?: AbortSignal): Promise<Pty[]>
  /** `GET /pty/shells`: shells the server can start. */
  ptyShells(directory: string, signal?: AbortSignal): Promise<PtyShell[]>
  /** `POST /pty`: starts a PTY (default: the user's login shell in the project directory). */
  createPty(directory: string, input?: PtyCreateInput): Promise<Pty>
  /** `GET /pty/{id}`; throws with `cause.status` 404 once the PTY is gone. */
  getPty(directory: string, ptyID: string, signal?: AbortSignal): Promise<Pty>
  /** `PUT /pty/{id}` with a new viewport size (rows × cols in cells). */
  resizePty(directory: string, ptyID: string, size: PtySize): Promise<Pty>
  /** `DELETE /pty/{id}`: kills the process and removes the PTY; 404 (already gone) is not an error. */
  removePty(directory: string, ptyID: string): Promise<void>
  /**
   * `POST /pty/{id}/connect-token` (with the `x-opencode-ticket: 1` header the server requires):
   * a single-use ticket, valid `expiresIn` seconds, for one `GET /pty/{id}/connect?ticket=…`
   * WebSocket, which then needs no Basic auth (browsers cannot set headers on a WebSocket). The
   * ticket is bound to the PTY and the `directory`. Throws 403 when the page's origin is not allowed.
   */
  ptyConnectToken(directory: string, ptyID: string): Promise<{ ticket: string; expiresIn: number }>
  /**
   * `GET /mcp`: every MCP server configured for the project (the `mcp` key of its config), by name,
   * with its state: `connected`, `disabled` (`enabled: false`), `failed` (with the server's
   * `error`, e.g. the spawn error of a local command), `needs_auth` (a remote server wants OAuth)
   * or `needs_client_registration` (with `error`). `{}` when none is configured. The first call
   * for a project waits while its MCP servers connect.
   */
  mcpStatus(directory: string, signal?: AbortSignal): Promise<Record<string, McpStatus>>
  /**
   * `GET /lsp`: the LSP servers the project has started (`id`, display `name`, `root` as the
   * server reports it — `''` for the project directory itself — and `status` `connected` /
   * `error`). Servers start lazily, when the agent first touches a file of their language, so
   * `[]` is normal for a fresh project; a server that failed to spawn is not listed.
   */
  lspStatus(directory: string, signal?: AbortSignal): Promise<LspStatus[]>
}

/** Options of {@link createOpencodeApi}. */
export interface OpencodeApiOptions {
  /** Fetch implementation (tests pass a fake); defaults to the global `fetch` at call time. */
  fetch?: typeof fetch
}

const THROW = { throwOnError: true } as const

function deadline(signal: AbortSignal | undefined): AbortSignal {
  return signal ?? AbortSignal.timeout(READ_TIMEOUT_MS)
}

/**
 * The SDK's v2 client for one server, as every REST module of the app builds it: the normalized
 * base URL, `Authorization: Basic …` when a password is set, and `options.fetch` (tests) or the
 * global `fetch` looked up at call time.
 * @param server base URL and optional Basic-auth credentials.
 */
export function sdkClient(server: ServerConfig, options: OpencodeApiOptions = {}): OpencodeClient {
  const fetchImpl: typeof fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init)
  return createOpencodeClient({ baseUrl: normalizeServerUrl(server.url), headers: authHeaders(server), fetch: fetchImpl })
}

/**
 * Creates the typed API for one server.
 * @param server base URL and optional Basic-auth credentials.
 */
export function createOpencodeApi(server: ServerConfig, options: OpencodeApiOptions = {}): OpencodeApi {
  const baseUrl = normalizeServerUrl(server.url)
  const client = sdkClient(server, options)

  return {
    baseUrl,
    async listProjects(signal) {
      return (await client.project.list({}, { ...THROW, signal: deadline(signal) })).data
    },
    async getPath(directory, signal) {
      return (await client.path.get(directory ? { directory } : {}, { ...THROW, signal: deadline(signal) })).data
    },
    async getConfig(directory, signal) {
      return (await client.config.get({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async getProviders(directory, signal) {
      const configured = (await client.config.providers({ directory }, { ...THROW, signal: deadline(signal) })).data
      let connected: string[] = []
      try {
        connected = (await client.provider.list({ directory }, { ...THROW, signal: deadline(signal) })).data.connected
      } catch {
        // `GET /provider` is optional for the picker: without it no provider is marked connected.
      }
      return { providers: configured.providers, defaults: configured.default, connected }
    },
    async listAgents(directory, signal) {
      return (await client.app.agents({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async listCommands(directory, signal) {
      return (await client.command.list({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async listSessions(directory, signal) {
      const sig = deadline(signal)
      return listAllSessions(async (limit) => (await client.session.list({ directory, limit }, { ...THROW, signal: sig })).data)
    },
    async sessionStatus(directory, signal) {
      return (await client.session.status({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async listPermissions(directory, signal) {
      return (await client.permission.list({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async listQuestions(directory, signal) {
      return (await client.question.list({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async getSession(directory, sessionID, signal) {
      return (await client.session.get({ directory, sessionID }, { ...THROW, signal: deadline(signal) })).data
    },
    async listMessages(directory, sessionID, page, signal) {
      const res = await client.session.messages(
        { directory, sessionID, limit: page.limit, ...(page.before ? { before: page.before } : {}) },
        { ...THROW, signal: deadline(signal) },
      )
      const next = res.response.headers.get('x-next-cursor')
      return { messages: res.data, nextCursor: next || undefined }
    },
    async workingTreeDiff(directory, signal) {
      return (await client.vcs.diff({ directory, mode: 'git' }, { ...THROW, signal: deadline(signal) })).data
    },
    async sessionTodos(directory, sessionID, signal) {
      return (await client.session.todo({ directory, sessionID }, { ...THROW, signal: deadline(signal) })).data
    },
    async createSession(directory, input = {}) {
      return (await client.session.create({ directory, ...input }, THROW)).data
    },
    async renameSession(directory, sessionID, title) {
      return (await client.session.update({ directory, sessionID, title }, THROW)).data
    },
    async deleteSession(directory, sessionID) {
      await client.session.delete({ directory, sessionID }, THROW)
    },
    async forkSession(directory, sessionID, messageID) {
      return (await client.session.fork({ directory, sessionID, ...(messageID ? { messageID } : {}) }, THROW)).data
    },
    async shareSession(directory, sessionID) {
      return (await client.session.share({ directory, sessionID }, THROW)).data
    },
    async unshareSession(directory, sessionID) {
      return (await client.session.unshare({ directory, sessionID }, THROW)).data
    },
    async summarizeSession(directory, sessionID, model) {
      await client.session.summarize({ directory, sessionID, providerID: model.providerID, modelID: model.modelID }, THROW)
    },
    async abortSession(directory, sessionID) {
      await client.session.abort({ directory, sessionID }, THROW)
    },
    async revertSession(directory, sessionID, messageID, partID) {
      return (await client.session.revert({ directory, sessionID, messageID, ...(partID ? { partID } : {}) }, THROW)).data
    },
    async unrevertSession(directory, sessionID) {
      return (await client.session.unrevert({ directory, sessionID }, THROW)).data
    },
    async initSession(directory, sessionID, input) {
      await client.session.init(
        { directory, sessionID, messageID: input.messageID, providerID: input.model.providerID, modelID: input.model.modelID },
        THROW,
      )
    },
    async promptAsync(directory, sessionID, input) {
      await client.session.promptAsync({ directory, sessionID, ...input }, THROW)
    },
    async command(directory, sessionID, input) {
      await client.session.command(
        {
          directory,
          sessionID,
          messageID: input.messageID,
          command: input.command,
          arguments: input.arguments,
          ...(input.agent ? { agent: input.agent } : {}),
          ...(input.model ? { model: input.model } : {}),
          ...(input.files?.length ? { parts: input.files } : {}),
        },
        THROW,
      )
    },
    async replyPermission(directory, requestID, reply, message) {
      await client.permission.reply({ directory, requestID, reply, ...(message ? { message } : {}) }, THROW)
    },
    async replyQuestion(directory, requestID, answers) {
      await client.question.reply({ directory, requestID, answers }, THROW)
    },
    async rejectQuestion(directory, requestID) {
      await client.question.reject({ directory, requestID }, THROW)
    },
    async listDirectory(directory, signal) {
      return (await client.file.list({ directory, path: '.' }, { ...THROW, signal: deadline(signal) })).data
    },
    async findFiles(directory, query, signal) {
      return (await client.find.files({ directory, query, limit: 50 }, { ...THROW, signal: deadline(signal) })).data
    },
    async listFiles(directory, path, signal) {
      return (await client.file.list({ directory, path }, { ...THROW, signal: deadline(signal) })).data
    },
    async fileStatus(directory, signal) {
      return (await client.file.status({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async vcsStatus(directory, signal) {
      return (await client.vcs.status({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async readFile(directory, path, signal) {
      return (await client.file.read({ directory, path }, { ...THROW, signal: deadline(signal) })).data
    },
    async findText(directory, pattern, signal) {
      return (await client.find.text({ directory, pattern }, { ...THROW, signal: deadline(signal) })).data
    },
    async listPtys(directory, signal) {
      return (await client.pty.list({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async ptyShells(directory, signal) {
      return (await client.pty.shells({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async createPty(directory, input = {}) {
      return (await client.pty.create({ directory, ...input }, THROW)).data
    },
    async getPty(directory, ptyID, signal) {
      return (await client.pty.get({ directory, ptyID }, { ...THROW, signal: deadline(signal) })).data
    },
    async resizePty(directory, ptyID, size) {
      return (await client.pty.update({ directory, ptyID, size: { rows: size.rows, cols: size.cols } }, THROW)).data
    },
    async removePty(directory, ptyID) {
      try {
        await client.pty.remove({ directory, ptyID }, THROW)
      } catch (err) {
        if (httpStatus(err) !== 404) throw err
      }
    },
    async ptyConnectToken(directory, ptyID) {
      const res = await client.pty.connectToken({ directory, ptyID }, { ...THROW, headers: { 'x-opencode-ticket': '1' } })
      return { ticket: res.data.ticket, expiresIn: res.data.expires_in }
    },
    async mcpStatus(directory, signal) {
      return (await client.mcp.status({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
    async lspStatus(directory, signal) {
      return (await client.lsp.status({ directory }, { ...THROW, signal: deadline(signal) })).data
    },
  }
}

/** The HTTP status of an error thrown by this API (`cause.status`), or `undefined` for network errors. */
export function httpStatus(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined
  const cause: unknown = err.cause
  if (typeof cause !== 'object' || cause === null || !('status' in cause)) return undefined
  return typeof cause.status === 'number' ? cause.status : undefined
}

/** The message of an unknown thrown value, for status lines and toasts. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'string') return err
  return 'Unknown error'
}

/** `obj[key]` when `obj` is an object that has `key`, else `undefined`. */
function member(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null ? Reflect.get(obj, key) : undefined
}

/** `value` when it is a non-empty string. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * The server's own reason for a failed call, for messages that must say why the server refused:
 * from the error body the SDK keeps in `cause.body` (see {@link httpStatus}), in this order:
 * - `data.message` of OpenCode's named errors (`{"name":"NotFoundError","data":{"message":…}}`),
 *   with ` (ref err_…)` when `data.ref` names the server's log entry (500 `UnknownError`, whose
 *   message only says "Unexpected server error. Check server logs for details.");
 * - a top-level `message`;
 * - the error's name or `_tag` with the status, e.g. `InternalServerError (HTTP 500)` for the
 *   bare `{"_tag":"InternalServerError"}` opencode 1.18 answers when a share fails;
 * - a text body;
 * - else the error's own message (network errors, timeouts).
 */
export function serverErrorMessage(err: unknown): string {
  if (!(err instanceof Error)) return errorMessage(err)
  const body = member(err.cause, 'body')
  const data = member(body, 'data')
  const message = text(member(data, 'message')) ?? text(member(body, 'message'))
  if (message) {
    const ref = text(member(data, 'ref'))
    return ref ? `${message} (ref ${ref})` : message
  }
  const tag = text(member(body, 'name')) ?? text(member(body, '_tag'))
  const status = httpStatus(err)
  if (tag) return status === undefined ? tag : `${tag} (HTTP ${status})`
  return text(body) ?? err.message
}
