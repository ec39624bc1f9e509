/**
 * A tiny REST client for tests, talking to `opencode serve` directly: the source of truth that
 * the app's state is compared against. Endpoints as served by opencode 1.18 (see the SDK's
 * sdk.gen.d.ts): POST /session, POST /session/{id}/prompt_async, GET /session/{id}/message,
 * GET /session/status, GET /permission, POST /permission/{id}/reply.
 */
import type { Message, Part, PermissionRequest, Session, SessionStatus } from '@opencode-ai/sdk/v2/types'

/** One message with its parts, as `GET /session/{id}/message` returns it. */
export interface MessageWithParts {
  info: Message
  parts: Part[]
}

export class ServerApi {
  constructor(
    readonly url: string,
    readonly directory: string,
    readonly password?: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const sep = path.includes('?') ? '&' : '?'
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (this.password) headers.authorization = `Basic ${Buffer.from(`opencode:${this.password}`).toString('base64')}`
    const res = await fetch(`${this.url}${path}${sep}directory=${encodeURIComponent(this.directory)}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`)
    return (text ? JSON.parse(text) : undefined) as T
  }

  createSession(title?: string): Promise<Session> {
    return this.call('POST', '/session', title ? { title } : {})
  }
  /** Starts a prompt without waiting for the reply (`POST /session/{id}/prompt_async`). */
  promptAsync(sessionID: string, text: string): Promise<void> {
    return this.call('POST', `/session/${sessionID}/prompt_async`, { parts: [{ type: 'text', text }] })
  }
  /** Sends a prompt and waits for the full reply (`POST /session/{id}/message`). */
  prompt(sessionID: string, text: string): Promise<MessageWithParts> {
    return this.call('POST', `/session/${sessionID}/message`, { parts: [{ type: 'text', text }] })
  }
  messages(sessionID: string): Promise<MessageWithParts[]> {
    return this.call('GET', `/session/${sessionID}/message`)
  }
  status(): Promise<Record<string, SessionStatus>> {
    return this.call('GET', '/session/status')
  }
  permissions(): Promise<PermissionRequest[]> {
    return this.call('GET', '/permission')
  }
  abort(sessionID: string): Promise<boolean> {
    return this.call('POST', `/session/${sessionID}/abort`)
  }
  /** Polls `/session/status` until the session is idle. @throws Error after `timeoutMs` (default 60 s). */
  async waitIdle(sessionID: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const st = await this.status()
      if (!st[sessionID] || st[sessionID].type === 'idle') return
      await new Promise((r) => setTimeout(r, 200))
    }
    throw new Error(`session ${sessionID} still busy after ${timeoutMs} ms`)
  }
  /** Text of every text part of the session, in order, joined by newlines. */
  async transcript(sessionID: string): Promise<string> {
    const msgs = await this.messages(sessionID)
    return msgs
      .flatMap((m) => m.parts)
      .map((p) => (p.type === 'text' ? p.text : ''))
      .filter(Boolean)
      .join('\n')
  }
}
