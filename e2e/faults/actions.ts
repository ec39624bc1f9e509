/**
 * Issue 19 in the fault suite: what a person does in the tabs while the faults hit, and the proof
 * that each of it reached the server exactly once.
 *
 * A planned {@link PlannedAction} is carried out through the UI of a tab that the cycle's own tab
 * faults leave alone (a frozen, reloading or closing page cannot be typed in): when the tab shows
 * a permission prompt for its session the person clicks "Allow once", else they type a prompt
 * (`ui-<cycle>-<n> stream N delay D`, a reply the scripted model streams) and press Enter. Both go
 * through the relay's outbox (sw/relay/outbox.ts) whatever the network does.
 *
 * After the cycle, once every tab is connected again, {@link UserActions.verify} waits for the
 * server to hold each of them: a prompt exactly once (user messages whose text starts with its
 * marker: 0 is lost, 2 or more duplicated), a permission reply taken (the request no longer
 * pending; the server runs the tool once per request). An action the outbox dropped is reported
 * with the outbox's reason (read from the relay's IndexedDB `<log>:outbox`); for these actions no
 * drop is expected, so a dropped one fails the cycle too.
 */
import type { Page } from '@playwright/test'
import { logDatabaseName, type Problem, type ServerTruth } from './truth.ts'
import type { Fault, RelayKind, Tab } from './world.ts'

/** One action of a cycle's plan (see plan.ts). */
export interface PlannedAction {
  /** Slot whose session the person works in (another one when no unfaulted tab shows it). */
  slot: number
  /** When, after the faults start, ms. */
  afterMs: number
  /** The reply the prompt asks the scripted model for: tokens and ms between them. */
  tokens: number
  delayMs: number
}

/** What an issued action was, for the check after the cycle. */
type Issued =
  | { kind: 'prompt'; marker: string; sessionID: string; where: string; context: RelayKind }
  | { kind: 'permission-reply'; requestID: string; sessionID: string; where: string; context: RelayKind }

/** Counters of the summary's "user actions" lines (persisted with a segmented soak's stats). */
export interface ActionStats {
  prompts: number
  permissionReplies: number
  delivered: number
  /** Dropped by the outbox, by reason. */
  dropped: Record<string, number>
  duplicated: number
  lost: number
  /** Planned actions no unfaulted tab could carry out (every tab frozen, reloading or closing). */
  skipped: number
}

/** Zeroed {@link ActionStats}. */
export function emptyActionStats(): ActionStats {
  return { prompts: 0, permissionReplies: 0, delivered: 0, dropped: {}, duplicated: 0, lost: 0, skipped: 0 }
}

/** What {@link UserActions} needs of the world. */
export interface ActionWorld {
  allTabs(): Tab[]
  readonly slots: readonly string[]
  readonly truth: ServerTruth
  /** The server identity: the outbox database is `opencode-relay:<identity>:outbox`. */
  readonly identity: string
  readonly cycle: number
  readonly stats: { actions: ActionStats }
}

/** One outbox entry as read from IndexedDB: enough to name a drop's reason. */
interface StoredEntry {
  id: string
  state: string
  kind: string
  sessionID: string
  attempts: number
  reason?: string
  error?: string
  text?: string
  requestID?: string
}

/** An entry in a failure report: `<kind> <id> <state> (n attempts[, error])`. */
function describeEntry(e: StoredEntry): string {
  return `${e.kind} ${e.id} ${e.state} (${e.attempts} attempts${e.error ? `, ${e.error}` : ''})`
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/**
 * Positions (in `tabs`) that the faults touch: frozen, reloaded, closed or replaced pages. A
 * position list of a fault is taken modulo the number of tabs, as the world picks them.
 */
export function touchedTabs<T extends { kind: RelayKind }>(faults: readonly Fault[], tabs: readonly T[]): Set<T> {
  const out = new Set<T>()
  const at = (p: number) => tabs[p % tabs.length]
  for (const f of faults) {
    switch (f.kind) {
      case 'tab-freeze':
      case 'tab-reload':
        for (const p of f.tabs) out.add(at(p))
        break
      case 'page-opened-during-startup':
        out.add(at(f.tab))
        break
      case 'leader-close':
        for (const t of tabs) if (t.kind === 'leader-tab') out.add(t)
        break
      case 'all-tabs-close':
        for (const t of tabs) if (t.kind === f.context) out.add(t)
        break
      case 'sleep':
        for (const t of tabs) out.add(t)
        break
      default:
        break
    }
  }
  return out
}

/** What the tab's composer and pending sends show, for a failure report. */
async function describeComposer(page: Page): Promise<string> {
  return page
    .evaluate(() => {
      const input = document.querySelector('[data-testid="prompt-input"]')
      const value = input instanceof HTMLTextAreaElement ? JSON.stringify(input.value.slice(0, 60)) : 'no prompt box'
      const pending = [...document.querySelectorAll('[data-testid="pending-message"]')].map((el) => `${el.getAttribute('data-status') ?? '?'}: ${(el.textContent ?? '').trim().slice(0, 80)}`)
      const badge = document.querySelector('[data-testid="connection-badge"]')?.getAttribute('data-state') ?? '?'
      return `prompt box ${value}, connection ${badge}, ${pending.length} pending sends [${pending.join(' | ')}], ${document.querySelectorAll('[data-testid="message"]').length} messages shown`
    })
    .catch((err: unknown) => `page unreadable: ${String(err).slice(0, 80)}`)
}

/** Reads every outbox entry of the relay whose event log is `logName`, in the page's origin. */
async function readOutbox(page: Page, logName: string): Promise<StoredEntry[]> {
  return page.evaluate(async (name: string) => {
    const db = await new Promise<IDBDatabase | undefined>((resolve, reject) => {
      const req = indexedDB.open(name)
      // Absent: do not create it (that would race the relay's own open).
      req.onupgradeneeded = () => req.transaction?.abort()
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => (req.error?.name === 'AbortError' ? resolve(undefined) : reject(new Error(String(req.error))))
    })
    if (!db) return []
    try {
      if (!db.objectStoreNames.contains('entries')) return []
      const rows = await new Promise<unknown[]>((resolve, reject) => {
        const r = db.transaction('entries', 'readonly').objectStore('entries').getAll()
        r.onsuccess = () => resolve(r.result)
        r.onerror = () => reject(new Error(String(r.error)))
      })
      const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
      const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v)) : {})
      return rows.map((row) => {
        const r = rec(row)
        const action = rec(r.action)
        const body = rec(action.body)
        const parts = Array.isArray(body.parts) ? body.parts.map(rec) : []
        return {
          id: text(r.id) ?? '',
          state: text(r.state) ?? '',
          kind: text(action.kind) ?? '',
          sessionID: text(action.sessionID) ?? '',
          attempts: typeof r.attempts === 'number' ? r.attempts : 0,
          reason: text(r.reason),
          error: text(r.error),
          text: parts.map((p) => text(p.text) ?? '').join(''),
          requestID: text(action.requestID),
        }
      })
    } finally {
      db.close()
    }
  }, `${logName}:outbox`)
}

/** The user actions of the fault cycles: carried out in the tabs, then checked against the server. */
export class UserActions {
  private issued: Issued[] = []
  private problems: Problem[] = []
  private count = 0
  /** The action being carried out (they run one after another). */
  private turn: Promise<void> = Promise.resolve()

  constructor(private readonly world: ActionWorld) {}

  /**
   * Carries out one planned action after `a.afterMs` in a tab the faults leave alone; counts it
   * as skipped when there is none. Never throws: a tab that cannot take the action is a problem
   * reported by the next {@link verify}.
   */
  async issue(a: PlannedAction, faults: readonly Fault[], options: { now?: boolean } = {}): Promise<void> {
    if (!options.now) await sleep(a.afterMs)
    // One person, one thing at a time: a second prompt typed into the box before the first one's
    // Enter would replace it.
    const turn = this.turn.then(() => this.carryOut(a, faults))
    this.turn = turn
    await turn
  }

  private async carryOut(a: PlannedAction, faults: readonly Fault[]): Promise<void> {
    const tabs = this.world.allTabs()
    const touched = touchedTabs(faults, tabs)
    const usable = tabs.filter((t) => !touched.has(t) && !t.page.isClosed())
    const tab = usable.find((t) => t.slot === a.slot) ?? usable[0]
    const stats = this.world.stats.actions
    if (!tab) {
      stats.skipped++
      return
    }
    const sessionID = this.world.slots[tab.slot]
    const where = `${tab.kind} tab ${tab.position}`
    try {
      const prompt = tab.page.locator('[data-testid="permission-prompt"]').first()
      const requestID = (await prompt.count()) > 0 ? await prompt.getAttribute('data-request-id', { timeout: 1000 }).catch(() => null) : null
      if (requestID) {
        stats.permissionReplies++
        await prompt.getByTestId('permission-once').click({ timeout: 10_000 })
        this.issued.push({ kind: 'permission-reply', requestID, sessionID, where, context: tab.kind })
        return
      }
      const marker = `ui-${this.world.cycle}-${++this.count}`
      stats.prompts++
      this.issued.push({ kind: 'prompt', marker, sessionID, where, context: tab.kind })
      const input = tab.page.getByTestId('prompt-input')
      await input.fill(`${marker} stream ${a.tokens} delay ${a.delayMs}`, { timeout: 10_000 })
      await input.press('Enter', { timeout: 5_000 })
      // Taken: the box empties, and the prompt shows (waiting in the outbox, or already a message).
      const why = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err))
      await tab.page
        .waitForFunction(() => {
          const box = document.querySelector('[data-testid="prompt-input"]')
          return box instanceof HTMLTextAreaElement && box.value === ''
        }, undefined, { timeout: 10_000 })
        .catch((err: unknown) => {
          throw new Error(`Enter did not send the prompt (${why(err)})`)
        })
      await tab.page
        .waitForFunction((m) => [...document.querySelectorAll('[data-testid="pending-message"], [data-testid="message"]')].some((el) => el.textContent?.includes(m)), marker, { timeout: 10_000 })
        .catch((err: unknown) => {
          throw new Error(`the sent prompt does not show (${why(err)})`)
        })
    } catch (err) {
      const screen = await describeComposer(tab.page)
      this.problems.push({ kind: 'stale', what: `${where}: the user action could not be carried out: ${err instanceof Error ? err.message.split('\n')[0] : String(err)} (${screen})` })
    }
  }

  /**
   * After the cycle (every tab connected again): waits up to `timeoutMs` for the server to hold
   * every action issued since the last call, then counts and reports them.
   * @param outboxReader reads a context's outbox entries (a page of that context), for drop reasons.
   * @returns problems: an action lost, duplicated, dropped, or not carried out.
   */
  async verify(outboxReader: (context: RelayKind) => Page | undefined, timeoutMs = 60_000): Promise<Problem[]> {
    const issued = this.issued.splice(0)
    const problems = this.problems.splice(0)
    if (issued.length === 0) return problems
    const deadline = Date.now() + timeoutMs
    let copies = new Map<Issued, number>()
    let pending = new Set<string>()
    /** The states each action's outbox entry was seen in (a settled entry is pruned after 60 s). */
    const seen = new Map<Issued, StoredEntry[]>()
    /** Every entry of each context's outbox at the last read (what a missing action may wait behind). */
    const latest = new Map<RelayKind, StoredEntry[]>()
    for (;;) {
      ;[copies, pending] = await this.read(issued)
      const missing = issued.filter((a) => (a.kind === 'prompt' ? (copies.get(a) ?? 0) === 0 : pending.has(a.requestID)))
      if (missing.length === 0 || Date.now() > deadline) break
      await this.watchOutbox(missing, seen, latest, outboxReader)
      await sleep(500)
    }
    const stats = this.world.stats.actions
    for (const a of issued) {
      const entry = seen.get(a)?.at(-1)
      const history = seen.get(a)?.map((e) => e.state).join(' → ')
      const ahead = (latest.get(a.context) ?? []).filter((e) => e.sessionID === a.sessionID && e.id !== entry?.id && e.state !== 'delivered' && e.state !== 'dropped')
      if (a.kind === 'prompt') {
        const n = copies.get(a) ?? 0
        if (n === 1) {
          stats.delivered++
          continue
        }
        if (n > 1) {
          stats.duplicated++
          problems.push({ kind: 'duplicated', what: `user prompt ${a.marker} (typed in ${a.where}) is on the server ${n} times` })
          continue
        }
        problems.push(this.missing(a, `user prompt ${a.marker} (typed in ${a.where}) never reached the server`, entry, history, ahead))
        continue
      }
      if (!pending.has(a.requestID)) {
        stats.delivered++
        continue
      }
      problems.push(this.missing(a, `permission reply to ${a.requestID} (clicked in ${a.where}) never took effect`, entry, history, ahead))
    }
    return problems
  }

  /** Reads the outbox entries of the actions still missing on the server and notes each new state. */
  private async watchOutbox(missing: readonly Issued[], seen: Map<Issued, StoredEntry[]>, latest: Map<RelayKind, StoredEntry[]>, outboxReader: (context: RelayKind) => Page | undefined): Promise<void> {
    const byContext = new Map<RelayKind, StoredEntry[]>()
    for (const a of missing) {
      let entries = byContext.get(a.context)
      if (!entries) {
        const page = outboxReader(a.context)
        entries = page ? await readOutbox(page, logDatabaseName(this.world.identity)).catch((): StoredEntry[] => []) : []
        byContext.set(a.context, entries)
        latest.set(a.context, entries)
      }
      const entry = entries.find((e) => (a.kind === 'prompt' ? e.text?.startsWith(`${a.marker} `) : e.requestID === a.requestID))
      if (!entry) continue
      const states = seen.get(a) ?? []
      const last = states.at(-1)
      if (!last || last.state !== entry.state || last.error !== entry.error) states.push(entry)
      seen.set(a, states)
    }
  }

  /**
   * Counts a missing action as dropped (with the outbox's reason) or lost, and describes it.
   * `ahead`: the other unsettled entries of its session in its outbox at the last read.
   */
  private missing(a: Issued, what: string, entry: StoredEntry | undefined, history: string | undefined, ahead: readonly StoredEntry[]): Problem {
    const stats = this.world.stats.actions
    if (entry?.state === 'dropped') {
      const reason = entry.reason ?? 'no reason'
      stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1
      return { kind: 'lost', what: `${what}: the outbox dropped it (${reason}; seen ${history ?? ''})` }
    }
    stats.lost++
    const state = entry ? `outbox entry seen ${history ?? ''} after ${entry.attempts} attempts${entry.error ? `, last error: ${entry.error}` : ''}` : 'no outbox entry seen'
    const others = ahead.length ? `; the session's other unsettled entries: ${ahead.map(describeEntry).join('; ')}` : ''
    return { kind: 'lost', what: `${what} (${state}; session ${a.sessionID}${others})` }
  }

  /** The server's copies of each issued prompt and its pending permission requests. */
  private async read(issued: readonly Issued[]): Promise<[Map<Issued, number>, Set<string>]> {
    const sessions = [...new Set(issued.filter((a) => a.kind === 'prompt').map((a) => a.sessionID))]
    const [messages, perms] = await Promise.all([Promise.all(sessions.map((id) => this.world.truth.messages(id))), this.world.truth.permissions()])
    const copies = new Map<Issued, number>()
    for (const a of issued) {
      if (a.kind !== 'prompt') continue
      const list = messages[sessions.indexOf(a.sessionID)] ?? []
      copies.set(a, list.filter((m) => m.role === 'user' && m.parts.some((p) => p.type === 'text' && (p.text ?? '').startsWith(`${a.marker} `))).length)
    }
    return [copies, new Set(Object.values(perms).flat())]
  }
}
