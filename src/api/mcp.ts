/**
 * Connecting and disconnecting a project's MCP servers on `opencode serve`: the SDK's v2 client
 * (`@opencode-ai/sdk/v2/client`), built by `sdkClient` of src/api/opencode.ts (base URL
 * normalisation and Basic auth), with the project's absolute `directory` as the `directory` query
 * parameter. Every method throws an `Error` whose `cause` holds the HTTP status and the server's
 * error body (read it with `serverErrorMessage` of src/api/opencode.ts), or a network error.
 *
 * No OAuth here on purpose: `POST /mcp/{name}/auth` only returns an authorization URL whose
 * redirect goes to a callback server on the OpenCode server's own `127.0.0.1`, and nothing but
 * `POST /mcp/{name}/auth/authenticate` (which opens a browser on the server's machine) waits for
 * it; a browser tab elsewhere cannot finish that flow, so the UI points to `opencode mcp auth`.
 */
import type { ServerConfig } from '../../sw/shared/protocol.ts'
import { sdkClient, type OpencodeApiOptions } from './opencode.ts'

/** What a row's button asks the server to do. */
export type McpConnection = 'connect' | 'disconnect'

/** The MCP calls that change a server's state; one instance per OpenCode server. */
export interface McpControlApi {
  /**
   * `POST /mcp/{name}/connect?directory=`: (re)starts the MCP server `name` of the project and
   * connects to it. Resolves when the server has tried; the outcome is the server's new state in
   * `GET /mcp` (`connected`, or `failed` with the error, or `needs_auth`). 404 for an unknown name.
   */
  connect(directory: string, name: string): Promise<void>
  /**
   * `POST /mcp/{name}/disconnect?directory=`: closes the connection to the MCP server `name` (a
   * local server's process ends); `GET /mcp` then reports it `disabled` until it is connected again
   * or the project instance restarts. 404 for an unknown name.
   */
  disconnect(directory: string, name: string): Promise<void>
}

const THROW = { throwOnError: true } as const

/**
 * Creates the MCP control API for one server.
 * @param server base URL and optional Basic-auth credentials.
 * @param options a fetch implementation (tests pass a fake); the global `fetch` at call time by default.
 */
export function createMcpApi(server: ServerConfig, options: OpencodeApiOptions = {}): McpControlApi {
  const client = sdkClient(server, options)
  return {
    async connect(directory, name) {
      await client.mcp.connect({ directory, name }, THROW)
    },
    async disconnect(directory, name) {
      await client.mcp.disconnect({ directory, name }, THROW)
    },
  }
}
