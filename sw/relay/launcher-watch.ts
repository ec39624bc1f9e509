/**
 * Follows the launcher's server when it stops answering. The launcher (`npm start`,
 * src/cli/start.ts) publishes its OpenCode server in `/relay-config.json` on the app's own origin
 * (sw/shared/launcher-config.ts). After every failed connection attempt to a server marked
 * `followLauncher`, the relay asks this watch to re-read that document, which tells:
 * - `starting`: the launcher is (re)starting `opencode serve`; the status says so, and the watch
 *   waits for it with a long poll (`?wait=ready`), asking the relay to reconnect the moment it is up;
 * - `ready` at another address (a restart on a new port): the relay follows it (`onMoved`);
 * - the app's own origin does not answer: the launcher is stopped, the app runs from its offline copy;
 * - `ready` at the same address after it was seen down or starting: the attempt in flight is
 *   replaced once (`onReady`), since one made while the server started may never be answered;
 * - a malformed document: said plainly, retried after the next failed attempt (the connection's backoff paces it).
 * A server the user chose by hand (no `followLauncher`) is never looked up, nor replaced.
 */
import type { LauncherAnswer } from '../shared/launcher-config.ts'
import { sameServer, serverIdentity, type LauncherStatus, type ServerConfig } from '../shared/protocol.ts'

/** What the watch takes from its environment. */
export interface LauncherWatchDeps {
  /** Reads `/relay-config.json` (`waitForReady`: the long poll); never throws (see `readLauncherConfig`). */
  read(options: { waitForReady: boolean; signal: AbortSignal }): Promise<LauncherAnswer>
}

/** What the watch tells the relay. Handlers may call back into the watch. */
export interface LauncherWatchHandlers {
  /** What to show about the launcher; `undefined` when there is nothing to say. */
  onStatus(status: LauncherStatus | undefined): void
  /** The launcher's server listens at another address now (same or new identity): switch to it. */
  onMoved(server: ServerConfig): void
  /** The launcher's server just finished starting at the current address, or is back there after it was down: reconnect now. */
  onReady(): void
}

/**
 * The watch. `setServer` on every server change; `connectionFailed` after every failed attempt;
 * `connected` once the stream is open. At most one read runs at a time; a change of server or a
 * successful connection aborts it.
 */
export class LauncherWatch {
  private server: ServerConfig | undefined
  private running: AbortController | undefined
  private status: LauncherStatus | undefined
  /** No attempt failed since the stream was last live (or since the start): the next failure is the first. */
  private fresh = true
  /**
   * The launcher was seen down or starting since the stream was last live, and no attempt was made
   * since it said ready: the attempt in flight may be one `opencode serve` accepted while it was
   * starting, which it never answers.
   */
  private sawDown = false

  constructor(
    private readonly deps: LauncherWatchDeps,
    private readonly handlers: LauncherWatchHandlers,
  ) {}

  /**
   * The server the relay now uses; a read for the previous one is abandoned. The same server at a
   * new address keeps what the launcher said (it is still starting, say) until the next attempt
   * at the new address tells more.
   */
  setServer(server: ServerConfig | undefined): void {
    const previous = this.server
    this.server = server
    if (previous && server && sameServer(previous, server)) return
    this.abort()
    if (previous && server && serverIdentity(previous) === serverIdentity(server)) return
    this.fresh = true
    this.report(undefined)
  }

  /**
   * A connection attempt failed (`'failed'`), or is still waiting for its response head (`'slow'`):
   * re-read the launcher's document unless a read is running already. When the launcher then says
   * its server is ready at this address after it was seen down or starting, the attempt is replaced
   * once (`onReady`). Otherwise a slow attempt is only slow (a server just started answers its
   * first stream late): the status says "checking" (the app shows "Connecting…"), never
   * "connection lost"; a failed one clears the status, so the app says the connection is lost.
   */
  connectionFailed(attempt: 'failed' | 'slow' = 'failed'): void {
    const server = this.server
    if (!server?.followLauncher || this.running) return
    // The first failure: say nothing alarming until the launcher has told why.
    if (this.fresh && !this.status) this.report({ state: 'checking' })
    this.fresh = false
    const controller = new AbortController()
    this.running = controller
    void this.check(server, controller.signal, attempt).finally(() => {
      if (this.running === controller) this.running = undefined
    })
  }

  /**
   * A tab just loaded the app from the launcher's origin, so that origin answers: an
   * "unreachable" from before is stale. Asks the launcher again at once (the page says
   * "Connecting…" meanwhile, not "Server unreachable").
   */
  originAnswered(): void {
    if (this.status?.state !== 'unreachable') return
    this.abort()
    this.report({ state: 'checking' })
    this.connectionFailed()
  }

  /** The stream is open: nothing to say about the launcher any more. */
  connected(): void {
    this.fresh = true
    this.sawDown = false
    this.abort()
    this.report(undefined)
  }

  /** Abandons any read (the relay stops). */
  stop(): void {
    this.abort()
  }

  private abort(): void {
    this.running?.abort()
    this.running = undefined
  }

  private report(status: LauncherStatus | undefined): void {
    if (this.status?.state === status?.state && this.status?.detail === status?.detail) return
    this.status = status
    this.handlers.onStatus(status)
  }

  private async check(server: ServerConfig, signal: AbortSignal, attempt: 'failed' | 'slow'): Promise<void> {
    let answer = await this.deps.read({ waitForReady: false, signal })
    let waited = false
    // The long poll: the launcher answers when its server is up (or after ~20 s, then again).
    while (answer.kind === 'starting' && !signal.aborted) {
      this.sawDown = true
      this.report({ state: 'starting' })
      if (answer.server && !sameServer(answer.server, server)) {
        this.handlers.onMoved(answer.server)
        return
      }
      waited = true
      answer = await this.deps.read({ waitForReady: true, signal })
    }
    if (signal.aborted) return
    switch (answer.kind) {
      case 'ready':
        if (!sameServer(answer.server, server)) {
          this.report(undefined)
          this.handlers.onMoved(answer.server)
        } else if (this.sawDown) {
          // Up after it was down or starting (the long poll just now, or an earlier read): the
          // attempt in flight may have been accepted during the start and never be answered, and
          // a failed one waits for its backoff. Replaced once; a server merely slow after that is
          // left to answer. After the long poll the status stays "starting" until the stream is
          // open (`connected`): no "connection lost" in between.
          this.sawDown = false
          if (!waited) this.report({ state: 'checking' })
          this.handlers.onReady()
        } else this.report(attempt === 'slow' ? { state: 'checking' } : undefined)
        return
      case 'unreachable':
        this.sawDown = true
        this.report({ state: 'unreachable', detail: answer.reason })
        return
      case 'invalid':
        this.report({ state: 'invalid', detail: answer.reason })
        return
      case 'absent':
        this.report(undefined)
        return
      case 'starting':
        return
    }
  }
}
