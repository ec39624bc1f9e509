/**
 * The app's message catalogue and locale (vue-i18n, Composition mode). Every UI string is a key of
 * the English catalogue (src/i18n/en/), read through {@link t} (or {@link tn} for counts) in
 * templates, scripts and stores alike; `t` is typed by the catalogue, so a mistyped key is a type
 * error. Locales: `en` (shipped) and `pseudo` (the English catalogue accented and bracketed, to
 * find hard-coded strings: src/i18n/pseudo.ts). Dates and numbers are formatted with `Intl` in the
 * current locale ({@link intlLocale}).
 *
 * The locale is chosen by `?locale=` in the page URL, else the stored choice
 * (`localStorage['opencode-relay:locale']`, written by {@link setLocale}), else `en`.
 */
import { createI18n } from 'vue-i18n'
import { computed, type ComputedRef } from 'vue'
import en from './en/index.ts'
import { PSEUDO_CLOSE, PSEUDO_OPEN, pseudoCatalogue } from './pseudo.ts'

/** The English catalogue's shape: every locale has the same keys. */
export type MessageSchema = typeof en

/** Locales the app can show. */
export const LOCALES = ['en', 'pseudo'] as const
/** One of {@link LOCALES}. */
export type Locale = (typeof LOCALES)[number]

/** Every message key, dotted (`session.menu.rename`). */
export type MessageKey = Leaves<MessageSchema>
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>
}[keyof T & string]

/** Named values of a message's placeholders (`{title}`). */
export type MessageParams = Record<string, string | number>

const STORAGE_KEY = 'opencode-relay:locale'

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

/** The locale to start with: `?locale=`, the stored choice, `en`. */
export function initialLocale(search: string = globalThis.location?.search ?? '', stored: string | null = readStored()): Locale {
  const fromUrl = new URLSearchParams(search).get('locale')
  if (isLocale(fromUrl)) return fromUrl
  return isLocale(stored) ? stored : 'en'
}

function readStored(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null
  } catch {
    return null
  }
}

/** The vue-i18n instance (installed as a plugin by src/main.ts; {@link t} works without it). */
export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: { en, pseudo: pseudoCatalogue(en) },
  missingWarn: false,
  fallbackWarn: false,
})

/** The current locale (reactive). */
export const locale: ComputedRef<Locale> = computed(() => i18n.global.locale.value)

/**
 * The BCP 47 tag to give `Intl` for the current locale: the browser's own English variant
 * (`en-GB` keeps its 24-hour clock) when the app shows English, `en` for the pseudo-locale.
 */
export function intlLocale(): string {
  const current = i18n.global.locale.value
  if (current === 'pseudo') return 'en'
  const browser = globalThis.navigator?.language
  return browser?.split('-')[0] === current ? browser : current
}

/**
 * Marks text the app formatted with `Intl` (numbers with units, dates, money): as it is, except
 * in the pseudo-locale, which brackets it like a catalogue message (the locale formatted it).
 */
export function localized(text: string): string {
  return i18n.global.locale.value === 'pseudo' ? `${PSEUDO_OPEN}${text}${PSEUDO_CLOSE}` : text
}

/** Switches the locale, stores the choice and sets `<html lang>`. */
export function setLocale(next: Locale): void {
  i18n.global.locale.value = next
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next)
  } catch {
    // Private mode or a full quota: the choice lasts for this page.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = intlLocale()
}

/**
 * A message of the current locale, placeholders filled from `params`. Reactive: read in a render
 * or a computed, it follows a locale switch.
 */
export function t(key: MessageKey, params?: MessageParams): string {
  return params ? i18n.global.t(key, params) : i18n.global.t(key)
}

/**
 * A message with plural forms (`none | one | {count} many`, vue-i18n's syntax) chosen by `count`;
 * `{count}` is filled, and `params` fill the rest.
 */
export function tn(key: MessageKey, count: number, params?: MessageParams): string {
  return i18n.global.t(key, { count, ...params }, count)
}
