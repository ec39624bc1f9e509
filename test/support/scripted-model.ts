/**
 * A scripted OpenAI-compatible chat-completions server on loopback.
 *
 * OpenCode talks to it through `@ai-sdk/openai-compatible` (`POST {baseURL}/chat/completions`
 * with `stream: true`), so the OpenCode server, its SSE, REST and storage are all real and only
 * the model is scripted. The scenario is picked from the text of the last user message:
 *
 * | prompt contains            | reply                                                                  |
 * | -------------------------- | ---------------------------------------------------------------------- |
 * | `stream N` / `delay D`     | N word tokens (default 20), D ms between chunks (default 0)            |
 * | `stream N rate R` / `para P` | N word tokens paced at R tokens/s against the clock ({@link pacedSchedule}); `para P`: a blank line instead of the space before every P-th token |
 * | `burst`                    | 5,000 tokens as fast as the socket takes them                          |
 * | `bash: CMD`                | a `bash` tool call running CMD (the server asks permission first)      |
 * | `ask question`             | a `question` tool call with two options                                |
 * | `provider error`           | HTTP 400 with an OpenAI-style error body (not retried by OpenCode)     |
 * | `flaky error N`            | HTTP 500 for the first N calls of that prompt, then a normal reply      |
 * | `xss corpus`               | markdown made of script/HTML/`javascript:` payloads ({@link XSS_CORPUS}) |
 * | `markdown reply` / `delay D` / `times K` | {@link MARKDOWN_REPLY} in 3-character chunks, D ms apart (default 0); `times K`: {@link markdownReply} of K |
 * | `change files NAME`        | one step per tool call ({@link changeScript}): `write` NAME.txt, `read` and `edit` it, `bash` creating NAME-bash.txt (asks permission), then text |
 * | `change again NAME`        | `read` and `edit` NAME.txt again, `bash` removing NAME-bash.txt, then text |
 * | `describe image`           | `Images seen: N (mime, …)` for the `image_url` content parts of the last user message, or `No image in the request.` ({@link imagesOf}) |
 * | anything else              | `Hello from the scripted model.`                                       |
 *
 * After a tool result (the last message has role `tool`) it replies `Tool finished: <output>`, except in
 * the multi-step `change …` scenarios, which pick their next step from the number of assistant
 * messages since the last user message.
 * Title generation requests (OpenCode's title agent) get a short fixed title.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The markdown payloads of the `xss corpus` scenario; none of them may ever execute in the app. */
export const XSS_CORPUS = [
  'XSS corpus start',
  '<script>window.__xss = (window.__xss || 0) + 1</script>',
  '<img src="x" onerror="window.__xss = (window.__xss || 0) + 1">',
  '[click me](javascript:window.__xss=1)',
  '[spaced](  javascript:window.__xss=1 )',
  '[encoded](jav&#x09;ascript:window.__xss=1)',
  '![img](javascript:window.__xss=1)',
  '<svg onload="window.__xss=1"><circle r="1"/></svg>',
  '<a href="javascript:window.__xss=1">html link</a>',
  '<iframe src="javascript:window.__xss=1"></iframe>',
  '[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)',
  '<details open ontoggle="window.__xss=1">x</details>',
  '```html\n<script>window.__xss=1</script>\n```',
  'XSS corpus end',
].join('\n\n')

/**
 * A reply with every block construct a model writes (heading, paragraphs with inline marks, lists,
 * a fenced code block, a table, a quote), for the streaming-render tests: streamed in 3-character
 * chunks it splits every marker and fence mid-way.
 */
export const MARKDOWN_REPLY = [
  '# Streaming plan',
  'The **first paragraph** is complete once the second one starts, so it renders *once*.',
  '1. Read `src/render/markdown.ts`\n2. Split the text into **blocks**\n3. Render only the tail',
  '```ts\nexport function add(a: number, b: number): number {\n  return a + b\n}\n```',
  '| step | cost |\n|:--|--:|\n| parse tail | O(tail) |\n| render | one frame |',
  '> A quote with ~~no~~ **bold** words.',
  'Done: the last paragraph.',
].join('\n\n')

/**
 * {@link MARKDOWN_REPLY} `times` times, each copy followed by a rule and a `## Section i` heading
 * (i from 1): 9 blocks a copy, so in a long text every construct starts and ends some run of 16
 * blocks (src/components/ui/Markdown.vue chunks them). `markdownReply(1)` is MARKDOWN_REPLY itself.
 */
export function markdownReply(times: number): string {
  if (times <= 1) return MARKDOWN_REPLY
  return Array.from({ length: times }, (_, i) => `${MARKDOWN_REPLY}\n\n---\n\n## Section ${i + 1}`).join('\n\n')
}

/** One request the scripted model received, for assertions. */
export interface ScriptedRequest {
  /** Scenario name that answered it. */
  scenario: string
  /** Text of the last user message. */
  prompt: string
  /** Milliseconds since the epoch when the request arrived. */
  at: number
  /** MIME types of the `image_url` parts of the last user message (from their `data:` URLs; `url` for others). */
  images: string[]
}

/** A running scripted model. */
export interface ScriptedModel {
  /** Base URL for `@ai-sdk/openai-compatible`, e.g. `http://127.0.0.1:40123/v1`. */
  baseURL: string
  port: number
  /** Every request answered so far, oldest first. */
  requests: ScriptedRequest[]
  /** Closes the listener and every open stream. */
  close(): Promise<void>
}

interface ChatMessage {
  role: string
  content?: unknown
}

/** One scripted tool call: the tool's name and its arguments. */
type ToolStep = [name: string, args: Record<string, unknown>]

/**
 * The steps of the `change files NAME` / `change again NAME` scenarios: real `write`, `read`,
 * `edit` and `bash` calls on files relative to the project directory, so the server records
 * per-turn diffs (`summary.diffs` of the user message) for tool edits and shell changes alike.
 * Exported so tests can state what the files hold afterwards.
 */
export function changeScript(kind: 'files' | 'again', name: string): ToolStep[] {
  if (kind === 'files') {
    return [
      ['write', { filePath: `${name}.txt`, content: 'notes v1\nkeep this line\n' }],
      ['read', { filePath: `${name}.txt` }],
      ['edit', { filePath: `${name}.txt`, oldString: 'notes v1', newString: 'notes v2' }],
      ['bash', { command: `echo made-by-bash > ${name}-bash.txt`, description: 'Scripted change' }],
    ]
  }
  return [
    ['read', { filePath: `${name}.txt` }],
    ['edit', { filePath: `${name}.txt`, oldString: 'notes v2', newString: 'notes v3' }],
    ['bash', { command: `rm ${name}-bash.txt`, description: 'Scripted removal' }],
  ]
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((c: unknown) =>
        typeof c === 'object' && c !== null && 'text' in c && typeof c.text === 'string' ? c.text : '',
      )
      .join('')
  }
  return ''
}

/**
 * The images of an OpenAI-style message content: one entry per `{type: 'image_url', image_url:
 * {url}}` part, the MIME type of a `data:` URL, else the URL itself.
 */
export function imagesOf(content: unknown): string[] {
  if (!Array.isArray(content)) return []
  const out: string[] = []
  for (const c of content) {
    if (typeof c !== 'object' || c === null || !('type' in c) || c.type !== 'image_url' || !('image_url' in c)) continue
    const image: unknown = c.image_url
    const url = typeof image === 'string' ? image : typeof image === 'object' && image !== null && 'url' in image && typeof image.url === 'string' ? image.url : ''
    const data = /^data:([^;,]+)[;,]/.exec(url)
    out.push(data ? data[1] : url)
  }
  return out
}

function parseMessages(body: unknown): ChatMessage[] {
  if (typeof body !== 'object' || body === null || !('messages' in body) || !Array.isArray(body.messages)) {
    return []
  }
  return body.messages.filter(
    (m: unknown): m is ChatMessage => typeof m === 'object' && m !== null && 'role' in m && typeof m.role === 'string',
  )
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Words cycled through by streamed replies; token i is `words[i % n]` followed by its index. */
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel']

/** The text a `stream N` reply produces, so tests can compute what they must see. */
export function streamedText(tokens: number): string {
  let out = ''
  for (let i = 0; i < tokens; i++) out += `${WORDS[i % WORDS.length]}${i} `
  return out.trimEnd() + ' END'
}

/**
 * The tokens of a `stream N` reply: `alpha0`, ` bravo1`, …, ` END` (each its own chunk). With
 * `para` > 0, the separator before token i (i a positive multiple of `para`) is a blank line
 * (`\n\n`), so the reply is paragraphs of `para` tokens; the last paragraph ends in ` END`.
 */
export function streamTokens(n: number, para = 0): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(`${i === 0 ? '' : para > 0 && i % para === 0 ? '\n\n' : ' '}${WORDS[i % WORDS.length]}${i}`)
  out.push(' END')
  return out
}

/**
 * When token i of a paced reply is due: `i * 1000 / rate` ms after the first token (i from 0).
 * The model writes every token that is due (a late timer writes the missed ones at once, each
 * as its own chunk) and sleeps until the next one, so the average rate holds even though Node
 * timers fire ≥ 1 ms late.
 * @param rate tokens per second (> 0)
 * @returns ms after the start of the stream
 */
export function pacedSchedule(index: number, rate: number): number {
  return (index * 1000) / rate
}

/**
 * Starts the scripted model on `127.0.0.1`.
 * @param port TCP port; 0 (default) picks a free one.
 */
export async function startScriptedModel(port = 0): Promise<ScriptedModel> {
  const requests: ScriptedRequest[] = []
  const flakyCounts = new Map<string, number>()
  const open = new Set<ServerResponse>()
  let seq = 0

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: String(err) } }))
    })
  })

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    return text ? JSON.parse(text) : {}
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'scripted-model', object: 'model' }] }))
      return
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end()
      return
    }
    const body = await readBody(req)
    const messages = parseMessages(body)
    const system = messages
      .filter((m) => m.role === 'system')
      .map((m) => textOf(m.content))
      .join('\n')
    const last = messages[messages.length - 1]
    const lastUser = [...messages].reverse().find((m) => m.role === 'user')
    const prompt = lastUser ? textOf(lastUser.content) : ''
    const images = lastUser ? imagesOf(lastUser.content) : []
    const id = `chatcmpl-${++seq}`
    const record = (scenario: string) => requests.push({ scenario, prompt, at: Date.now(), images })

    open.add(res)
    res.on('close', () => open.delete(res))

    if (/title generator|generate a title|conversation title/i.test(system)) {
      record('title')
      return streamText(res, id, ['Scripted', ' session'], 0)
    }
    const change = /change (files|again) ([\w-]+)/.exec(prompt)
    if (change) {
      const script = changeScript(change[1] === 'files' ? 'files' : 'again', change[2])
      const lastUserIndex = messages.lastIndexOf(lastUser ?? messages[0])
      const step = messages.slice(lastUserIndex + 1).filter((m) => m.role === 'assistant').length
      record(`change-${change[1]}`)
      if (step < script.length) return streamToolCall(res, id, script[step][0], script[step][1])
      return streamText(res, id, ['Changes ', 'done.'], 0)
    }
    if (last?.role === 'tool') {
      record('tool-result')
      const output = textOf(last.content).slice(0, 200)
      return streamText(res, id, ['Tool finished: ', output], 0)
    }
    const flaky = /flaky error (\d+)/.exec(prompt)
    if (flaky) {
      const n = flakyCounts.get(prompt) ?? 0
      flakyCounts.set(prompt, n + 1)
      if (n < Number(flaky[1])) {
        record('flaky-error')
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { message: 'scripted transient failure', type: 'server_error' } }))
        return
      }
    }
    if (/provider error/.test(prompt)) {
      record('provider-error')
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ error: { message: 'scripted provider error', type: 'invalid_request_error', code: 'scripted' } }),
      )
      return
    }
    const bash = /bash: (.+)$/m.exec(prompt)
    if (bash) {
      record('bash')
      return streamToolCall(res, id, 'bash', { command: bash[1].trim(), description: 'Scripted command' })
    }
    if (/ask question/.test(prompt)) {
      record('question')
      return streamToolCall(res, id, 'question', {
        questions: [
          {
            question: 'Which colour should the button be?',
            header: 'Colour',
            options: [
              { label: 'Red', description: 'A red button' },
              { label: 'Blue', description: 'A blue button' },
            ],
          },
        ],
      })
    }
    if (/describe image/.test(prompt)) {
      record('describe-image')
      const reply = images.length ? `Images seen: ${images.length} (${images.join(', ')})` : 'No image in the request.'
      return streamText(res, id, [reply], 0)
    }
    if (/xss corpus/.test(prompt)) {
      record('xss')
      return streamText(res, id, XSS_CORPUS.split(/(?<=\n)/), 0)
    }
    const delay = Number(/delay (\d+)/.exec(prompt)?.[1] ?? 0)
    if (/markdown reply/.test(prompt)) {
      record('markdown')
      return streamText(res, id, markdownReply(Number(/\btimes (\d+)/.exec(prompt)?.[1] ?? 1)).match(/[\s\S]{1,3}/g) ?? [], delay)
    }
    if (/\bburst\b/.test(prompt)) {
      record('burst')
      return streamText(res, id, tokens(5000), delay)
    }
    const n = /\bstream (\d+)/.exec(prompt)
    const rate = Number(/\brate (\d+(?:\.\d+)?)/.exec(prompt)?.[1] ?? 0)
    if (n && rate > 0) {
      record('stream-rate')
      return streamPaced(res, id, streamTokens(Number(n[1]), Number(/\bpara (\d+)/.exec(prompt)?.[1] ?? 0)), rate)
    }
    if (n) {
      record('stream')
      return streamText(res, id, tokens(Number(n[1])), delay)
    }
    record('default')
    return streamText(res, id, ['Hello', ' from', ' the', ' scripted', ' model.'], delay)
  }

  function tokens(n: number): string[] {
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(`${i === 0 ? '' : ' '}${WORDS[i % WORDS.length]}${i}`)
    out.push(' END')
    return out
  }

  function chunk(id: string, delta: object, finish: string | null = null, usage?: object): string {
    const payload = {
      id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: 'scripted-model',
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(usage ? { usage } : {}),
    }
    return `data: ${JSON.stringify(payload)}\n\n`
  }

  function startStream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  }

  async function streamText(res: ServerResponse, id: string, parts: string[], delay: number): Promise<void> {
    startStream(res)
    res.write(chunk(id, { role: 'assistant', content: '' }))
    for (const part of parts) {
      if (res.destroyed) return
      res.write(chunk(id, { content: part }))
      if (delay > 0) await sleep(delay)
    }
    res.write(chunk(id, {}, 'stop', { prompt_tokens: 12, completion_tokens: parts.length, total_tokens: 12 + parts.length }))
    res.end('data: [DONE]\n\n')
  }

  /** Like {@link streamText}, but part i is written {@link pacedSchedule}(i, rate) ms after the first. */
  async function streamPaced(res: ServerResponse, id: string, parts: string[], rate: number): Promise<void> {
    startStream(res)
    res.write(chunk(id, { role: 'assistant', content: '' }))
    const t0 = performance.now()
    let i = 0
    while (i < parts.length) {
      if (res.destroyed) return
      const now = performance.now() - t0
      while (i < parts.length && pacedSchedule(i, rate) <= now) res.write(chunk(id, { content: parts[i++] }))
      if (i < parts.length) await sleep(Math.max(0, pacedSchedule(i, rate) - (performance.now() - t0)))
    }
    res.write(chunk(id, {}, 'stop', { prompt_tokens: 12, completion_tokens: parts.length, total_tokens: 12 + parts.length }))
    res.end('data: [DONE]\n\n')
  }

  async function streamToolCall(res: ServerResponse, id: string, name: string, args: object): Promise<void> {
    startStream(res)
    const callId = `call_${seq}`
    res.write(chunk(id, { role: 'assistant', content: '' }))
    res.write(
      chunk(id, {
        tool_calls: [{ index: 0, id: callId, type: 'function', function: { name, arguments: JSON.stringify(args) } }],
      }),
    )
    res.write(chunk(id, {}, 'tool_calls', { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 }))
    res.end('data: [DONE]\n\n')
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const actual = (server.address() as AddressInfo).port
  return {
    baseURL: `http://127.0.0.1:${actual}/v1`,
    port: actual,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy()
        server.close(() => resolve())
      }),
  }
}
