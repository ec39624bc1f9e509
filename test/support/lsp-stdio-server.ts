/**
 * A minimal Language Server Protocol server over stdio, for tests that need OpenCode to report a
 * *connected* LSP server (`GET /lsp` → `[{ id, name, root, status: 'connected' }]`) without
 * installing or downloading one.
 *
 * LSP frames are `Content-Length: N\r\n\r\n` + N bytes of JSON-RPC 2.0. It answers `initialize`
 * (full text sync, nothing else), `shutdown` (null) and any other request with `null`; it publishes
 * empty diagnostics for every opened or changed document (so a client waiting for them is not held),
 * ignores other notifications, and exits on `exit` or when stdin closes.
 *
 * Run it as an LSP `command`: {@link lspStdioServerCommand}.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function send(message: Record<string, unknown>): void {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8')
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`)
  process.stdout.write(body)
}

/** The document URI of a `textDocument/didOpen` / `didChange` notification, if any. */
function documentUri(params: unknown): string | undefined {
  if (!isRecord(params) || !isRecord(params.textDocument)) return undefined
  return typeof params.textDocument.uri === 'string' ? params.textDocument.uri : undefined
}

function handle(message: Record<string, unknown>): void {
  const method = typeof message.method === 'string' ? message.method : undefined
  const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : undefined
  if (!method) return
  if (id !== undefined) {
    if (method === 'initialize') {
      send({ id, result: { capabilities: { textDocumentSync: 1 }, serverInfo: { name: 'relay-test-lsp', version: '1.0.0' } } })
    } else send({ id, result: null })
    return
  }
  if (method === 'exit') process.exit(0)
  if (method === 'textDocument/didOpen' || method === 'textDocument/didChange') {
    const uri = documentUri(message.params)
    if (uri) send({ method: 'textDocument/publishDiagnostics', params: { uri, diagnostics: [] } })
  }
}

function serve(): void {
  let buffer = Buffer.alloc(0)
  process.stdin.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n')
      if (headerEnd < 0) return
      const match = /Content-Length:\s*(\d+)/i.exec(buffer.subarray(0, headerEnd).toString('ascii'))
      if (!match) {
        buffer = buffer.subarray(headerEnd + 4)
        continue
      }
      const length = Number(match[1])
      const start = headerEnd + 4
      if (buffer.length < start + length) return
      const body = buffer.subarray(start, start + length).toString('utf8')
      buffer = buffer.subarray(start + length)
      let message: unknown
      try {
        message = JSON.parse(body)
      } catch {
        continue
      }
      if (isRecord(message)) handle(message)
    }
  })
  process.stdin.on('end', () => process.exit(0))
}

/**
 * The LSP `command` array that runs this file: the current Node binary with tsx's ESM loader
 * (resolved from this repository, so it works from any working directory).
 */
export function lspStdioServerCommand(): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href
  return [process.execPath, '--import', tsx, fileURLToPath(import.meta.url)]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve()
