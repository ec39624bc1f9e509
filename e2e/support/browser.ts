import { execFileSync } from 'node:child_process'

/** Flags that work on this machine's closed network (see the project brief). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/**
 * Path of Debian's chromium (`CHROMIUM_PATH` overrides).
 * @throws Error when no chromium is on PATH: install it with `apt-get install -y chromium`.
 */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error('chromium not found on PATH: apt-get install -y chromium')
  }
}
