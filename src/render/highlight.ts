/**
 * Code highlighting with shiki, lazy-loaded (dynamic import on the first code block) as a
 * fine-grained bundle: `shiki/core` + the JavaScript regex engine (`createJavaScriptRegexEngine`:
 * no WebAssembly, no eval, fine under a strict CSP) + a few grammars loaded on demand + the
 * github-light/dark themes.
 *
 * Highlighting works on text, never on HTML: {@link highlightCodeElement} reads a `<code>`
 * element's `textContent`, tokenizes it, and rebuilds its children as `<span>` nodes whose text is
 * set with `textContent` and whose colors are set through the CSSOM (`style.setProperty`, allowed
 * by CSP, unlike `style` attributes in markup). Colors are two CSS variables per token,
 * `--shiki-light` and `--shiki-dark`; the stylesheet picks one per theme.
 */
import type { HighlighterCore, LanguageInput, ThemedToken } from 'shiki/core'

/** Grammars available, by shiki id; aliases map to these. */
const LANGS: Record<string, LanguageInput> = {
  typescript: () => import('shiki/langs/typescript.mjs'),
  tsx: () => import('shiki/langs/tsx.mjs'),
  javascript: () => import('shiki/langs/javascript.mjs'),
  jsx: () => import('shiki/langs/jsx.mjs'),
  json: () => import('shiki/langs/json.mjs'),
  shellscript: () => import('shiki/langs/shellscript.mjs'),
  python: () => import('shiki/langs/python.mjs'),
  go: () => import('shiki/langs/go.mjs'),
  rust: () => import('shiki/langs/rust.mjs'),
  css: () => import('shiki/langs/css.mjs'),
  html: () => import('shiki/langs/html.mjs'),
  diff: () => import('shiki/langs/diff.mjs'),
  yaml: () => import('shiki/langs/yaml.mjs'),
  markdown: () => import('shiki/langs/markdown.mjs'),
  vue: () => import('shiki/langs/vue.mjs'),
  sql: () => import('shiki/langs/sql.mjs'),
  toml: () => import('shiki/langs/toml.mjs'),
}

const ALIASES: Record<string, string> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  sh: 'shellscript',
  bash: 'shellscript',
  zsh: 'shellscript',
  shell: 'shellscript',
  console: 'shellscript',
  py: 'python',
  rs: 'rust',
  yml: 'yaml',
  md: 'markdown',
  jsonc: 'json',
  json5: 'json',
  patch: 'diff',
  htm: 'html',
  golang: 'go',
}

/** The shiki grammar id for a fence language, or undefined when not bundled. */
export function resolveLang(lang: string): string | undefined {
  const id = ALIASES[lang.toLowerCase()] ?? lang.toLowerCase()
  return id in LANGS ? id : undefined
}

let highlighter: Promise<HighlighterCore> | undefined
const loaded = new Set<string>()
const loading = new Map<string, Promise<void>>()

async function getHighlighter(): Promise<HighlighterCore> {
  highlighter ??= (async () => {
    const [{ createHighlighterCore }, { createJavaScriptRegexEngine }] = await Promise.all([
      import('shiki/core'),
      import('shiki/engine/javascript'),
    ])
    return createHighlighterCore({
      themes: [import('shiki/themes/github-light.mjs'), import('shiki/themes/github-dark.mjs')],
      langs: [],
      engine: createJavaScriptRegexEngine(),
    })
  })()
  return highlighter
}

async function ensureLang(core: HighlighterCore, id: string): Promise<void> {
  if (loaded.has(id)) return
  let p = loading.get(id)
  if (!p) {
    const loader = LANGS[id]
    p = core.loadLanguage(loader).then(() => void loaded.add(id))
    loading.set(id, p)
  }
  await p
}

/** Token cache by `lang\0code`, so re-rendered markdown re-highlights without tokenizing again. */
const cache = new Map<string, ThemedToken[][]>()
const CACHE_LIMIT = 200

/**
 * Tokenizes code with both themes.
 * @returns lines of tokens, or undefined when the language is not bundled or tokenizing failed.
 */
export async function tokenize(code: string, lang: string): Promise<ThemedToken[][] | undefined> {
  const id = resolveLang(lang)
  if (!id) return undefined
  const key = `${id}\u0000${code}`
  const hit = cache.get(key)
  if (hit) return hit
  try {
    const core = await getHighlighter()
    await ensureLang(core, id)
    const { tokens } = core.codeToTokens(code, {
      lang: id,
      themes: { light: 'github-light', dark: 'github-dark' },
      defaultColor: false,
    })
    if (cache.size >= CACHE_LIMIT) {
      const first = cache.keys().next().value
      if (first !== undefined) cache.delete(first)
    }
    cache.set(key, tokens)
    return tokens
  } catch {
    return undefined
  }
}

/** Cached tokens for code, synchronously (undefined when not tokenized yet). */
export function cachedTokens(code: string, lang: string): ThemedToken[][] | undefined {
  const id = resolveLang(lang)
  return id ? cache.get(`${id}\u0000${code}`) : undefined
}

/** Replaces the children of `code` with token spans (text via `textContent`, colors via CSSOM). */
export function paintTokens(code: HTMLElement, tokens: ThemedToken[][]): void {
  const doc = code.ownerDocument
  const frag = doc.createDocumentFragment()
  tokens.forEach((line, i) => {
    for (const token of line) {
      const span = doc.createElement('span')
      span.textContent = token.content
      const style = token.htmlStyle
      if (style) {
        for (const [name, value] of Object.entries(style)) {
          if (name.startsWith('--shiki-') && /^#[0-9a-fA-F]{3,8}$|^[a-z-]+$/.test(value)) span.style.setProperty(name, value)
        }
      }
      frag.appendChild(span)
    }
    if (i < tokens.length - 1) frag.appendChild(doc.createTextNode('\n'))
  })
  code.replaceChildren(frag)
  code.classList.add('shiki-code')
}

/**
 * Highlights one `<code data-lang>` element in place. Does nothing for unknown languages or when
 * the element's text changed while tokenizing (a newer render will highlight it).
 */
export async function highlightCodeElement(code: HTMLElement): Promise<void> {
  const lang = code.dataset.lang
  if (!lang || code.classList.contains('shiki-code')) return
  const text = code.textContent ?? ''
  const cached = cachedTokens(text, lang)
  if (cached) {
    paintTokens(code, cached)
    return
  }
  const tokens = await tokenize(text, lang)
  if (tokens && code.isConnected && code.textContent === text && !code.classList.contains('shiki-code')) paintTokens(code, tokens)
}
