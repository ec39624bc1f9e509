/**
 * PTY calls that src/api/opencode.ts does not make, on the SDK's v2 client from its `sdkClient`
 * (the server's base URL, Basic auth when a password is set; errors thrown with the server's
 * message and `cause.status`).
 */
import type { Pty } from '@opencode-ai/sdk/v2/types'
import type { ServerConfig } from '../../sw/shared/protocol.ts'
import { sdkClient } from './opencode.ts'

/** The PTY calls of {@link createPtyApi}. */
export interface PtyApi {
  /**
   * `PUT /pty/{id}` with `title`: renames the PTY on the server, which then sends `pty.updated`
   * (with the new title) to every client. Throws with `cause.status` 404 once the PTY is gone.
   */
  renamePty(directory: string, ptyID: string, title: string): Promise<Pty>
}

/**
 * Creates the PTY calls for one server.
 * @param server base URL and optional Basic-auth credentials
 * @param options.fetch fetch to use (tests); the global one by default
 */
export function createPtyApi(server: ServerConfig, options: { fetch?: typeof fetch } = {}): PtyApi {
  const client = sdkClient(server, options)
  return {
    async renamePty(directory, ptyID, title) {
      return (await client.pty.update({ directory, ptyID, title }, { throwOnError: true })).data
    },
  }
}
