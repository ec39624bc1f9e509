/**
 * Runs a task once the page is idle: work that must happen but need not happen before the next
 * paint (the exact render of a reply that just finished streaming). `requestIdleCallback` where the
 * browser has it (Chromium, Firefox), with a deadline so a busy page still runs it; a short timer
 * elsewhere (WebKit without the API). Requests coalesce: one pending run at most.
 */
import { onScopeDispose } from 'vue'

/** Options of {@link createIdleTask}; every field has a browser default (for tests: fakes). */
export interface IdleTaskOptions {
  /** The task runs at the latest this long after it was requested, ms. Default 300. */
  timeoutMs?: number
  /**
   * Schedules `callback` for an idle period within `timeoutMs`; returns a cancel. Default
   * `requestIdleCallback` with `{ timeout }`, else `setTimeout` of 50 ms.
   */
  schedule?: (callback: () => void, timeoutMs: number) => () => void
}

/** A task run when the page is idle (see the module comment). */
export interface IdleTask {
  /** Runs the task at the next idle period (or its deadline); a pending request stays the only one. */
  request(): void
  /** Drops a pending run (the caller ran the task itself, or it is no longer wanted). */
  cancel(): void
  /** Whether a run is pending. */
  readonly pending: boolean
}

function browserSchedule(callback: () => void, timeoutMs: number): () => void {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(() => callback(), { timeout: timeoutMs })
    return () => cancelIdleCallback(handle)
  }
  const handle = setTimeout(callback, Math.min(50, timeoutMs))
  return () => clearTimeout(handle)
}

/** Creates an {@link IdleTask} for `task` (not tied to a component: see {@link useIdleTask}). */
export function createIdleTask(task: () => void, options: IdleTaskOptions = {}): IdleTask {
  const timeoutMs = options.timeoutMs ?? 300
  const schedule = options.schedule ?? browserSchedule
  let cancelPending: (() => void) | undefined
  return {
    request() {
      if (cancelPending) return
      cancelPending = schedule(() => {
        cancelPending = undefined
        task()
      }, timeoutMs)
    },
    cancel() {
      cancelPending?.()
      cancelPending = undefined
    },
    get pending() {
      return cancelPending !== undefined
    },
  }
}

/** {@link createIdleTask} in a component or effect scope: a pending run is dropped when the scope is disposed. */
export function useIdleTask(task: () => void, options: IdleTaskOptions = {}): IdleTask {
  const idle = createIdleTask(task, options)
  onScopeDispose(() => idle.cancel())
  return idle
}
