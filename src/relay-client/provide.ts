/**
 * Injection point for the tab-side relay client (src/relay-client, interface in src/relay-client/types.ts).
 * main.ts provides the real one (`createRelayClient()`); unit tests provide a fake. Stores read it
 * through {@link useRelay} and never construct one themselves.
 */
import type { RelayClient } from './types.ts'

/**
 * The relay client plus the optional extras of the real implementation (src/relay-client/index.ts):
 * `view` tells the relay which session this tab shows (it skips notifications for it) and
 * `settings` tells it whether system notifications are enabled (protocol messages `view` and
 * `settings` in sw/shared/protocol.ts).
 */
export interface AppRelayClient extends RelayClient {
  view?(directory: string | undefined, sessionID: string | undefined): void
  settings?(notifications: boolean): void
}

let current: AppRelayClient | undefined

/** Installs the relay client every store uses. Call once, before the first store starts. */
export function provideRelay(client: AppRelayClient): void {
  current = client
}

/**
 * The installed relay client.
 * @throws Error when {@link provideRelay} was not called first.
 */
export function useRelay(): AppRelayClient {
  if (!current) throw new Error('No relay client: call provideRelay(client) before starting the stores')
  return current
}

/** Whether a relay client is installed. */
export function hasRelay(): boolean {
  return current !== undefined
}

/** Removes the installed client (tests). */
export function clearRelay(): void {
  current = undefined
}
