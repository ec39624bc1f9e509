/**
 * Polls `cond` every 5 ms until it holds (real timers).
 * @param what named in the error, e.g. `'one upstream stream'`
 * @param ms how long to wait, in ms (default 5,000)
 * @throws Error `timed out waiting for <what>` after `ms`
 */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
