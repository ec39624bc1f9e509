/**
 * Checks that rendered HTML is inert: no tag or attribute that could run script or fetch a URL by
 * itself. Used by the markdown tests (test/render.test.ts, test/markdown-stream.test.ts).
 */
import { expect } from 'vitest'

interface Tag {
  name: string
  attrs: Array<{ name: string; value: string }>
}

/**
 * Lists the tags of an HTML string. markdown-it escapes every `<` in text, so each literal `<`
 * in its output starts a real tag; attribute values are double-quoted.
 */
function tagsOf(html: string): Tag[] {
  const out: Tag[] = []
  for (const m of html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)) {
    const attrs: Tag['attrs'] = []
    for (const a of m[2].matchAll(/([^\s=/]+)(?:="([^"]*)")?/g)) attrs.push({ name: a[1].toLowerCase(), value: a[2] ?? '' })
    out.push({ name: m[1].toLowerCase(), attrs })
  }
  return out
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);?/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);?/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}

/** Fails when the HTML could run script: script/iframe/svg/img/object tags, handlers, unsafe URLs, style attributes. */
export function expectInert(html: string): void {
  expect(html).not.toMatch(/<script/i)
  for (const tag of tagsOf(html)) {
    expect(['script', 'iframe', 'svg', 'img', 'object', 'embed', 'details', 'style', 'link', 'meta', 'form', 'input', 'base']).not.toContain(tag.name)
    for (const attr of tag.attrs) {
      expect(attr.name).not.toMatch(/^on/)
      expect(attr.name).not.toBe('style')
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(attr.name)) {
        const url = decodeEntities(attr.value).replace(/[\u0000-\u0020]/g, '')
        expect(url).toMatch(/^(https?:|mailto:)/i)
      }
    }
  }
}
