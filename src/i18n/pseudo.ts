/**
 * The pseudo-locale: every message of the English catalogue with its letters accented and wrapped
 * in `⟦ ⟧`, placeholders (`{name}`), literals (`{'@'}`) and plural branches (`a | b`) kept. Shown
 * in the app (Settings → Language, or `?locale=pseudo`), any text without the brackets is
 * hard-coded: e2e/i18n.spec.ts walks the screens and fails on it.
 */

/** Opens and closes every pseudo-localized message. */
export const PSEUDO_OPEN = '⟦'
export const PSEUDO_CLOSE = '⟧'

const ACCENTED: Readonly<Record<string, string>> = {
  a: 'á', b: 'ƀ', c: 'ç', d: 'ď', e: 'é', f: 'ƒ', g: 'ğ', h: 'ĥ', i: 'í', j: 'ĵ', k: 'ķ', l: 'ĺ', m: 'ɱ',
  n: 'ñ', o: 'ó', p: 'þ', q: 'ǫ', r: 'ŕ', s: 'š', t: 'ţ', u: 'ú', v: 'ṽ', w: 'ŵ', x: 'ẋ', y: 'ý', z: 'ž',
  A: 'Á', B: 'Ɓ', C: 'Ç', D: 'Ď', E: 'É', F: 'Ƒ', G: 'Ğ', H: 'Ĥ', I: 'Í', J: 'Ĵ', K: 'Ķ', L: 'Ĺ', M: 'Ṁ',
  N: 'Ñ', O: 'Ó', P: 'Þ', Q: 'Ǫ', R: 'Ŕ', S: 'Š', T: 'Ţ', U: 'Ú', V: 'Ṽ', W: 'Ŵ', X: 'Ẋ', Y: 'Ý', Z: 'Ž',
}

/** Placeholders and literals of vue-i18n's message syntax: `{name}`, `{0}`, `{'@'}`. */
const PLACEHOLDER = /(\{[^{}]*\})/

function accent(text: string): string {
  return text.replace(/[A-Za-z]/g, (c) => ACCENTED[c] ?? c)
}

/** One plural branch: letters outside placeholders accented, the whole wrapped in brackets. */
function pseudoBranch(branch: string): string {
  const lead = /^\s*/.exec(branch)?.[0] ?? ''
  const trail = /\s*$/.exec(branch)?.[0] ?? ''
  const body = branch.slice(lead.length, branch.length - trail.length)
  const out = body
    .split(PLACEHOLDER)
    .map((piece, i) => (i % 2 === 1 ? piece : accent(piece)))
    .join('')
  return `${lead}${PSEUDO_OPEN}${out}${PSEUDO_CLOSE}${trail}`
}

/** The pseudo form of one message (vue-i18n syntax in, vue-i18n syntax out). */
export function pseudoMessage(message: string): string {
  // A `|` outside placeholders separates plural branches; each is wrapped on its own.
  const branches: string[] = []
  let current = ''
  for (const piece of message.split(PLACEHOLDER)) {
    if (PLACEHOLDER.test(piece)) {
      current += piece
      continue
    }
    const parts = piece.split('|')
    current += parts[0]
    for (const next of parts.slice(1)) {
      branches.push(current)
      current = next
    }
  }
  branches.push(current)
  return branches.map(pseudoBranch).join('|')
}

/** A catalogue: nested objects whose leaves are messages. */
export interface Catalogue {
  readonly [key: string]: string | Catalogue
}

/** The pseudo-locale of a whole catalogue: same keys, every message through {@link pseudoMessage}. */
export function pseudoCatalogue<T extends Catalogue>(catalogue: T): T {
  const out: Record<string, string | Catalogue> = {}
  for (const [key, value] of Object.entries(catalogue)) out[key] = typeof value === 'string' ? pseudoMessage(value) : pseudoCatalogue(value)
  // Same keys and shapes as the input by construction.
  return out as T
}
