/**
 * Markdown rendering of model output, which is untrusted: the HTML this module returns is safe to
 * insert with `v-html` because
 *
 * - markdown-it runs with `html: false`: raw HTML in the source (`<script>`, `<img onerror>`,
 *   `<svg onload>`, `<iframe>`, …) is escaped into text, never emitted as tags;
 * - every link target passes {@link isSafeUrl} (only `http:`, `https:` and `mailto:` after
 *   markdown-it's entity decoding and normalization), so `javascript:`, `data:`, `vbscript:`,
 *   `file:` and relative URLs render as plain text, also when spaced or entity-encoded;
 * - images never load: `![alt](url)` becomes a link to `url` (when safe) or its alt text, so model
 *   output cannot make the browser fetch trackers;
 * - no renderer emits a `style` or event-handler attribute (table alignment becomes a class), which
 *   also keeps the output valid under a strict CSP;
 * - code fences are escaped text inside `<pre><code data-lang>`; highlighting happens later on the
 *   DOM, from text, with shiki (src/render/highlight.ts).
 *
 * No DOMPurify: nothing here ever allows HTML through.
 */
import markdownIt, { type MarkdownIt, type MarkdownItOptions, type Renderer, type Token } from 'markdown-it'
import { t } from '../i18n/index.ts'

/** Schemes a rendered link may use. */
const SAFE_SCHEME = /^(https?:|mailto:)/i

/**
 * Whether `url` may become an `href`: absolute `http:`/`https:`/`mailto:` only. Control
 * characters and whitespace anywhere make it unsafe (browsers strip them, so `jav\tascript:` would
 * otherwise run).
 */
export function isSafeUrl(url: string): boolean {
  if (/[\u0000-\u0020\u007f-\u009f]/.test(url)) return false
  return SAFE_SCHEME.test(url)
}

/** Language ids allowed in `data-lang` (anything else is dropped). */
function cleanLang(info: string): string {
  const lang = info.trim().split(/\s+/)[0]?.toLowerCase() ?? ''
  return /^[a-z0-9_+#.-]{1,32}$/.test(lang) ? lang : ''
}

function createRenderer(): MarkdownIt {
  const md = markdownIt({ html: false, linkify: true, breaks: false, typographer: false })
  md.validateLink = (url: string) => isSafeUrl(url.trim())

  const rules = md.renderer.rules
  const renderToken = (tokens: Token[], idx: number, options: Required<MarkdownItOptions>, _env: unknown, self: Renderer) =>
    self.renderToken(tokens, idx, options)

  rules.link_open = (tokens, idx, options, env, self) => {
    const token = tokens[idx]
    const href = String(token.attrGet('href') ?? '')
    if (!isSafeUrl(href)) token.attrs = []
    token.attrSet('target', '_blank')
    token.attrSet('rel', 'noopener noreferrer nofollow')
    return renderToken(tokens, idx, options, env, self)
  }

  // Images become links: nothing the model writes may make the browser fetch a URL by itself.
  rules.image = (tokens, idx) => {
    const token = tokens[idx]
    const src = String(token.attrGet('src') ?? '')
    const alt = md.utils.escapeHtml(token.content || 'image')
    if (!isSafeUrl(src)) return `<span class="md-image-blocked">[${alt}]</span>`
    return `<a class="md-image-link" href="${md.utils.escapeHtml(src)}" target="_blank" rel="noopener noreferrer nofollow">[image: ${alt}]</a>`
  }

  // Table alignment: a class instead of markdown-it's inline `style="text-align:…"`.
  const aligned = (tokens: Token[], idx: number, options: Required<MarkdownItOptions>, env: unknown, self: Renderer) => {
    const token = tokens[idx]
    const style = token.attrGet('style')
    if (typeof style === 'string') {
      const m = /text-align:\s*(left|right|center)/.exec(style)
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style')
      if (m) token.attrJoin('class', `align-${m[1]}`)
    }
    return renderToken(tokens, idx, options, env, self)
  }
  rules.th_open = aligned
  rules.td_open = aligned

  rules.fence = (tokens, idx) => {
    const token = tokens[idx]
    const lang = cleanLang(token.info)
    const code = md.utils.escapeHtml(token.content)
    const label = lang ? `<span class="code-lang">${lang}</span>` : '<span class="code-lang">text</span>'
    return (
      `<div class="code-block"><div class="code-head">${label}` +
      `<button type="button" class="code-copy" data-copy-code translate="yes">${md.utils.escapeHtml(t('shell.markdown.copy'))}</button></div>` +
      `<pre><code${lang ? ` data-lang="${lang}"` : ''}>${code}</code></pre></div>\n`
    )
  }
  rules.code_block = (tokens, idx) =>
    `<div class="code-block"><pre><code>${md.utils.escapeHtml(tokens[idx].content)}</code></pre></div>\n`

  return md
}

let renderer: MarkdownIt | undefined

/**
 * The one configured markdown-it instance (see the module comment), for renderers that parse and
 * render token ranges themselves (./markdown-stream.ts). Its output has the same guarantees.
 */
export function markdownRenderer(): MarkdownIt {
  renderer ??= createRenderer()
  return renderer
}

/**
 * Renders untrusted markdown to safe HTML (see the module comment for the guarantees).
 * Pure and synchronous; a few ms for tens of KB.
 */
export function renderMarkdown(source: string): string {
  return markdownRenderer().render(source)
}

/** Renders inline markdown (no paragraphs/blocks), with the same guarantees. */
export function renderInline(source: string): string {
  return markdownRenderer().renderInline(source)
}
