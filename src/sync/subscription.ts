/**
 * The tab's relay subscription as a gate for REST reads. A read sent before the relay fixed where
 * this tab's stream starts would miss the events between the read's answer and that start (a view
 * mounted before `start()` subscribed, or a fallback leader still being elected), so every REST
 * read waits for {@link Subscription.ready}: the relay's `subscribed` answer, or
 * {@link SUBSCRIBE_TIMEOUT_MS} at most. When the answer comes after that, the reads that went ahead
 * may predate the stream's start, and the owner re-reads what it loaded ({@link SubscriptionOptions.onLateAnswer}).
 */

/** How long a subscribe waits for the relay's `subscribed` answer before REST reads go ahead anyway (ms). */
export const SUBSCRIBE_TIMEOUT_MS = 3000

/** The range the relay announced: it replays events with cursor > `from`, up to `head` and beyond. */
export interface SubscribedRange {
  from: number
  head: number
}

/** Options of {@link createSubscription}. */
export interface SubscriptionOptions {
  /** Asks the relay to subscribe this tab (`RelayClient.subscribe`). */
  subscribe(cursor: number | 'head'): Promise<SubscribedRange>
  /** The relay answered (in time or late). */
  onAnswer(range: SubscribedRange): void
  /** The relay answered after the timeout: reads that went ahead may have missed events. */
  onLateAnswer(): void
  /** Wait for the answer before letting reads go, in ms (default {@link SUBSCRIBE_TIMEOUT_MS}). */
  timeoutMs?: number
}

/** The gate: `subscribe(cursor)` and `ready()`. */
export interface Subscription {
  /**
   * Subscribes from `cursor` (the last applied cursor, or `head` for live only) and resolves once
   * answered or timed out. Never rejects: a subscribe the relay refused lets the reads go at once
   * (they cannot wait for an answer that will not come; the relay's reset re-reads later).
   */
  subscribe(cursor: number | 'head'): Promise<void>
  /**
   * Settles when the newest {@link subscribe} did. Before the first subscribe it is pending, and
   * settles with that first one (reads asked for before `start()` wait for it).
   */
  ready(): Promise<void>
  /** Whether {@link ready} has settled (reads go at once); false before the first subscribe. */
  isReady(): boolean
}

/** Creates the gate, closed until the first {@link Subscription.subscribe}. */
export function createSubscription(options: SubscriptionOptions): Subscription {
  const timeoutMs = options.timeoutMs ?? SUBSCRIBE_TIMEOUT_MS
  let openFirst: (() => void) | undefined
  let ready = new Promise<void>((resolve) => (openFirst = resolve))
  let settledNow = false

  function subscribe(cursor: number | 'head'): Promise<void> {
    let late = false
    const answer = options.subscribe(cursor).then(
      (range) => {
        options.onAnswer(range)
        if (late) options.onLateAnswer()
      },
      () => undefined,
    )
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))).then(() => {
      late = true
    })
    const settled = Promise.race([answer, timeout]).then(() => {
      clearTimeout(timer)
      // Only the newest subscribe opens the gate (an older one settling late does not).
      if (ready === settled) settledNow = true
    })
    // Reads already waiting (a view mounted before `start()` got here) go once this one settles.
    const open = openFirst
    openFirst = undefined
    ready = settled
    settledNow = false
    void settled.then(() => open?.())
    return settled
  }

  return { subscribe, ready: () => ready, isReady: () => settledNow }
}
