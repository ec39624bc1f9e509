/**
 * A minimal Model Context Protocol server over stdio, for tests that need OpenCode to report a
 * *connected* local MCP server (`GET /mcp` → `{ status: 'connected' }`) without any package.
 *
 * The stdio transport is newline-delimited JSON-RPC 2.0 on stdin/stdout. It answers `initialize`
 * (echoing the client's protocol version, advertising tools only), `ping`, `tools/list` (one
 * `echo` tool) and `tools/call` of `echo`; any other request gets JSON-RPC error -32601, and
 * notifications (no `id`) are ignored. It exits when stdin closes (OpenCode stopping it).
 *
 * Run it as an MCP `command`: {@link mcpStdioServerCommand}.
 */
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'

/** Name the server reports in `serverInfo`. */
export const MCP_SERVER_NAME = 'relay-test-mcp'

/** One JSON-RPC message as read from stdin: a request when it has an `id`, else a notification. */
interface JsonRpcIncoming {
  id?: string | number
  method?: string
  params?: Record<string, unknown>
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseIncoming(line: string): JsonRpcIncoming | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (!isRecord(value)) return undefined
  const out: JsonRpcIncoming = {}
  if (typeof value.id === 'string' || typeof value.id === 'number') out.id = value.id
  if (typeof value.method === 'string') out.method = value.method
  if (isRecord(value.params)) out.params = value.params
  return out
}

/** The JSON-RPC `result` for a request, or `undefined` for an unknown method. */
function resultOf(method: string, params: Record<string, unknown>): Record<string, unknown> | undefined {
  switch (method) {
    case 'initialize':
      return {
        protocolVersion: typeof params.protocolVersion === 'string' ? params.protocolVersion : '2025-06-18',
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: MCP_SERVER_NAME, version: '1.0.0' },
      }
    case 'ping':
      return {}
    case 'tools/list':
      return {
        tools: [
          {
            name: 'echo',
            description: 'Returns its text argument.',
            inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          },
        ],
      }
    case 'tools/call': {
      const args = isRecord(params.arguments) ? params.arguments : {}
      return { content: [{ type: 'text', text: typeof args.text === 'string' ? args.text : '' }] }
    }
    default:
      return undefined
  }
}

function serve(): void {
  const write = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`)
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    const msg = parseIncoming(line)
    if (!msg || msg.id === undefined || !msg.method) return
    const result = resultOf(msg.method, msg.params ?? {})
    if (result) write({ id: msg.id, result })
    else write({ id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } })
  })
  lines.on('close', () => process.exit(0))
}

/**
 * The MCP `command` array that runs this file: the current Node binary with tsx's ESM loader
 * (resolved from this repository, so it works from any working directory).
 */
export function mcpStdioServerCommand(): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href
  return [process.execPath, '--import', tsx, fileURLToPath(import.meta.url)]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve()
