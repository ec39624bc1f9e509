/**
 * Unsent prompt text per draft key (a session id, `new` for the home prompt), kept in
 * `localStorage` under `opencode-relay:drafts` so a reload, a closed tab or a browser restart does
 * not lose what the user typed and had not sent (issue 19: "the prompt box never silently loses
 * typed text"). Sent prompts are kept by the relay's outbox; this keeps the rest.
 *
 * Stored shape: `{ [key]: { text: string, at: number } }` (`at`: epoch ms of the last change).
 * At most {@link MAX_DRAFTS} drafts, the most recently changed; a draft older than
 * {@link DRAFT_MAX_AGE_MS} is forgotten at load. Writes are debounced ({@link DRAFT_SAVE_DELAY_MS})
 * and flushed on `pagehide` (a tab closed or navigated away right after typing); a write that
 * fails (quota) keeps the drafts in memory only.
 */
import { reactive, watch } from 'vue'
import { isRecord } from '../../sw/shared/guards.ts'
import { readJson, writeJson } from './storage.ts'

/** `localStorage` key of the drafts. */
export const DRAFTS_KEY = 'opencode-relay:drafts'
/** Drafts kept at most (the most recently changed). */
export const MAX_DRAFTS = 100
/** A draft untouched this long is forgotten, ms (30 days). */
export const DRAFT_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000
/** Delay between the last keystroke and the write, ms. */
export const DRAFT_SAVE_DELAY_MS = 300

/** The stored drafts that are recent enough, as key → text. Malformed entries are skipped. */
export function loadDrafts(now: number = Date.now()): Record<string, string> {
  const raw = readJson(DRAFTS_KEY)
  const out: Record<string, string> = {}
  if (!isRecord(raw)) return out
  for (const [key, value] of Object.entries(raw)) {
    if (!isRecord(value) || typeof value.text !== 'string' || typeof value.at !== 'number') continue
    if (value.text && now - value.at <= DRAFT_MAX_AGE_MS) out[key] = value.text
  }
  return out
}

/**
 * A reactive record of drafts, filled from storage, whose changes are written back (debounced).
 * Empty drafts are removed from storage.
 * @param now the clock (tests pass a fake one), epoch ms.
 */
export function usePersistedDrafts(now: () => number = Date.now): Record<string, string> {
  const drafts: Record<string, string> = reactive(loadDrafts(now()))
  /** When each draft last changed, epoch ms (for the cap). */
  const changedAt = new Map<string, number>(Object.keys(drafts).map((k) => [k, now()]))
  const previous = new Map(Object.entries(drafts))
  let timer: ReturnType<typeof setTimeout> | undefined
  function save(): void {
    timer = undefined
    const stored = readJson(DRAFTS_KEY)
    const keep: Record<string, { text: string; at: number }> = {}
    // Keep other tabs' drafts of keys this tab never touched.
    if (isRecord(stored)) {
      for (const [key, value] of Object.entries(stored)) {
        if (changedAt.has(key) || !isRecord(value) || typeof value.text !== 'string' || typeof value.at !== 'number') continue
        keep[key] = { text: value.text, at: value.at }
      }
    }
    for (const [key, text] of Object.entries(drafts)) if (text) keep[key] = { text, at: changedAt.get(key) ?? now() }
    const newest = Object.entries(keep)
      .sort((a, b) => b[1].at - a[1].at)
      .slice(0, MAX_DRAFTS)
    writeJson(DRAFTS_KEY, Object.fromEntries(newest))
  }
  // A tab closed or navigated away within the delay still keeps what was typed.
  if (typeof window !== 'undefined') {
    window.addEventListener('pagehide', () => {
      if (timer === undefined) return
      clearTimeout(timer)
      save()
    })
  }
  watch(
    () => ({ ...drafts }),
    (next) => {
      for (const [key, text] of Object.entries(next)) {
        if (previous.get(key) !== text) changedAt.set(key, now())
      }
      for (const key of previous.keys()) if (!(key in next)) changedAt.set(key, now())
      previous.clear()
      for (const [key, text] of Object.entries(next)) previous.set(key, text)
      if (timer !== undefined) clearTimeout(timer)
      timer = setTimeout(save, DRAFT_SAVE_DELAY_MS)
    },
  )
  return drafts
}
