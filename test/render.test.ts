import { describe, expect, it } from 'vitest'
import { isSafeUrl, renderInline, renderMarkdown } from '../src/render/markdown.ts'
import { resolveLang } from '../src/render/highlight.ts'
import { cost, duration, relativeTime, tokens } from '../src/render/format.ts'
import { XSS_CORPUS } from './support/scripted-model.ts'
import { expectInert } from './support/inert-html.ts'

const EXTRA_PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(1)">',
  '<a href="javascript&colon;alert(1)">x</a>',
  '[a](javascript:alert(1))',
  '[a](JAVASCRIPT:alert(1))',
  '[a](java\tscript:alert(1))',
  '[a](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))',
  '[a](&#x6A;avascript:alert(1))',
  '[a]( javascript:alert(1))',
  '[a](<javascript:alert(1)>)',
  '[a](vbscript:msgbox(1))',
  '[a](file:///etc/passwd)',
  '[a](data:text/html,<script>alert(1)</script>)',
  '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
  '![x](https://evil.example/track.png)',
  '[ref]\n\n[ref]: javascript:alert(1)',
  '<javascript:alert(1)>',
  'javascript:alert(1)',
  '<svg><script>alert(1)</script></svg>',
  '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
  '<style>body{display:none}</style>',
  '<form action="javascript:alert(1)"><button>x</button></form>',
  '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
  '```js" onmouseover="alert(1)\ncode\n```',
  '| a |\n|:-:|\n| <b onclick=alert(1)>x</b> |',
  '<<script>script>alert(1)<</script>/script>',
  '`<img src=x onerror=alert(1)>`',
]

describe('markdown rendering of untrusted output', () => {
  it('renders the scripted xss corpus inert', () => {
    const html = renderMarkdown(XSS_CORPUS)
    expectInert(html)
    expect(html).toContain('XSS corpus start')
    expect(html).toContain('XSS corpus end')
    // The payloads survive as visible, escaped text.
    expect(html).toContain('&lt;script&gt;')
  })

  it.each(EXTRA_PAYLOADS)('renders %j inert', (payload) => {
    expectInert(renderMarkdown(payload))
    expectInert(renderInline(payload))
  })

  it('keeps safe links, opening them in a new tab without opener', () => {
    const html = renderMarkdown('[docs](https://opencode.ai/docs) and mailto:me@example.com and https://example.com')
    expect(html).toContain('<a href="https://opencode.ai/docs" target="_blank" rel="noopener noreferrer nofollow">docs</a>')
    expect(html).toContain('href="mailto:me@example.com"')
    expect(html).toContain('href="https://example.com"')
  })

  it('never loads images: a safe image becomes a link, an unsafe one text', () => {
    const html = renderMarkdown('![logo](https://example.com/logo.png) ![bad](javascript:alert(1))')
    expect(html).not.toContain('<img')
    expect(html).toContain('href="https://example.com/logo.png"')
  })

  it('renders fences as escaped text with a sanitized language', () => {
    const html = renderMarkdown('```ts onload=x\nconst a = "<b>"\n```')
    expect(html).toContain('<code data-lang="ts">const a = &quot;&lt;b&gt;&quot;')
    expect(html).not.toContain('onload')
  })

  it('uses classes, not style attributes, for table alignment', () => {
    const html = renderMarkdown('| a | b |\n|:-:|--:|\n| 1 | 2 |')
    expect(html).toContain('class="align-center"')
    expect(html).toContain('class="align-right"')
    expect(html).not.toContain('style=')
  })

  it('isSafeUrl allows only http(s) and mailto', () => {
    expect(isSafeUrl('https://a.b')).toBe(true)
    expect(isSafeUrl('HTTP://a.b')).toBe(true)
    expect(isSafeUrl('mailto:a@b.c')).toBe(true)
    for (const bad of ['javascript:alert(1)', 'jav\tascript:x', ' https://a.b', 'data:text/html,x', '/relative', '#top', 'file:///x', 'vbscript:x']) {
      expect(isSafeUrl(bad)).toBe(false)
    }
  })
})

describe('highlight language resolution', () => {
  it('maps aliases to bundled grammars', () => {
    expect(resolveLang('ts')).toBe('typescript')
    expect(resolveLang('bash')).toBe('shellscript')
    expect(resolveLang('PY')).toBe('python')
    expect(resolveLang('cobol')).toBeUndefined()
  })
})

describe('formatters', () => {
  it('formats durations, tokens, cost and relative time', () => {
    expect(duration(850)).toBe('850ms')
    expect(duration(4200)).toBe('4.2s')
    expect(duration(185_000)).toBe('3m 05s')
    expect(tokens(950)).toBe('950')
    expect(tokens(12_345)).toBe('12k')
    expect(tokens(1_500)).toBe('1.5k')
    expect(cost(0)).toBe('$0')
    expect(cost(0.0042)).toBe('$0.0042')
    expect(cost(1.234)).toBe('$1.23')
    expect(relativeTime(1000, 1000 + 10_000)).toBe('now')
    expect(relativeTime(0, 5 * 60_000)).toBe('5m')
    expect(relativeTime(0, 3 * 3_600_000)).toBe('3h')
  })
})
