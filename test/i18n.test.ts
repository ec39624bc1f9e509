import { describe, expect, it } from 'vitest'
import { pseudoCatalogue, pseudoMessage } from '../src/i18n/pseudo.ts'
import { i18n, initialLocale, setLocale, t, tn } from '../src/i18n/index.ts'
import { duration, relativeTime } from '../src/render/format.ts'
import en from '../src/i18n/en/index.ts'

/** Every dotted key of a catalogue. */
function keysOf(catalogue: object, prefix = ''): string[] {
  return Object.entries(catalogue).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keysOf(v, `${prefix}${k}.`)))
}

describe('the pseudo-locale', () => {
  it('accents and brackets a message, keeping placeholders and literals', () => {
    expect(pseudoMessage('Rename')).toBe('⟦Ŕéñáɱé⟧')
    expect(pseudoMessage('Delete “{title}”?')).toBe('⟦Ďéĺéţé “{title}”?⟧')
    expect(pseudoMessage("Ask {'@'}{agent}")).toBe("⟦Ášķ {'@'}{agent}⟧")
  })

  it('brackets each plural form on its own', () => {
    expect(pseudoMessage('{count} file changed | {count} files changed')).toBe('⟦{count} ƒíĺé çĥáñğéď⟧ | ⟦{count} ƒíĺéš çĥáñğéď⟧')
  })

  it('has every key of the English catalogue, each message bracketed', () => {
    const pseudo = pseudoCatalogue(en)
    expect(keysOf(pseudo)).toEqual(keysOf(en))
    for (const key of keysOf(en)) {
      const message = key.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], pseudo)
      expect(message, key).toMatch(/^⟦[^]*⟧$/)
    }
  })
})

describe('the message catalogue', () => {
  it('starts in the locale the URL asks for, else the stored one, else English', () => {
    expect(initialLocale('?locale=pseudo', 'en')).toBe('pseudo')
    expect(initialLocale('?locale=xx', 'pseudo')).toBe('pseudo')
    expect(initialLocale('', null)).toBe('en')
    expect(initialLocale('', 'klingon')).toBe('en')
  })

  it('reads messages in the current locale and follows a switch', () => {
    expect(t('common.cancel')).toBe('Cancel')
    setLocale('pseudo')
    try {
      expect(t('common.cancel')).toBe('⟦Çáñçéĺ⟧')
      // What Intl formats in the locale is bracketed too: it is localized, not hard-coded.
      expect(duration(850)).toBe('⟦850ms⟧')
      expect(relativeTime(0, 10_000)).toBe('⟦ñóŵ⟧')
    } finally {
      setLocale('en')
    }
    expect(i18n.global.locale.value).toBe('en')
  })

  it('chooses plural forms by count', () => {
    const messages = { common: { ...en.common, files: 'no files | {count} file | {count} files' } }
    i18n.global.mergeLocaleMessage('en', messages)
    // A key of the test's own, outside the typed catalogue.
    const key = 'common.files' as Parameters<typeof tn>[0]
    expect([0, 1, 2].map((n) => tn(key, n))).toEqual(['no files', '1 file', '2 files'])
  })
})
