/**
 * The Terminal panel's shell picker and tab titles, pure apart from localStorage:
 *
 * - {@link shellOptions} turns the server's `GET /pty/shells` answer into the picker's options;
 * - the chosen shell (its absolute path, sent as `command` of `POST /pty`) is remembered per
 *   browser and server under `opencode-relay:terminal-shell:<server storage key>`
 *   ({@link loadShellChoice}, {@link saveShellChoice}); none stored = the server's default shell;
 * - {@link shellName} names a PTY's program for its tab (from `Pty.command`);
 * - {@link normalizeTerminalTitle} cleans a title typed in the rename field (`PUT /pty/{id}` `title`).
 */
import type { PtyShell } from '../api/opencode.ts'
import { readJson, storage, writeJson } from '../stores/storage.ts'

/** One option of the shell picker: the path sent to `POST /pty` and the text shown. */
export interface ShellOption {
  /** Absolute path, sent as `command` of `POST /pty`. */
  path: string
  /** The shell's name (`bash`), or `name (path)` when two different shells share a name. */
  label: string
}

/** The longest terminal title kept, in characters. */
export const TERMINAL_TITLE_MAX = 60

/**
 * Picker options from `GET /pty/shells`: only shells the server accepts as a PTY command, in the
 * server's order. `/usr/bin/x` next to `/bin/x` (a merged-/usr system lists both for one program)
 * is shown once, under the first path; other shells that share a name are told apart by path.
 */
export function shellOptions(shells: readonly PtyShell[]): ShellOption[] {
  const kept: PtyShell[] = []
  const seen = new Set<string>()
  for (const shell of shells) {
    if (!shell.acceptable || !shell.path || !shell.name || seen.has(shell.path)) continue
    const alias = shell.path.startsWith('/usr/') ? shell.path.slice(4) : `/usr${shell.path}`
    seen.add(shell.path)
    if (kept.some((k) => k.path === alias && k.name === shell.name)) continue
    kept.push(shell)
  }
  const count = new Map<string, number>()
  for (const shell of kept) count.set(shell.name, (count.get(shell.name) ?? 0) + 1)
  return kept.map((shell) => ({ path: shell.path, label: (count.get(shell.name) ?? 0) > 1 ? `${shell.name} (${shell.path})` : shell.name }))
}

/** Storage key of the chosen shell for one server. */
export function shellChoiceKey(serverKey: string): string {
  return `opencode-relay:terminal-shell:${serverKey}`
}

/** The remembered shell path for a server; `undefined` = the server's default shell. */
export function loadShellChoice(serverKey: string): string | undefined {
  const value = readJson(shellChoiceKey(serverKey))
  return typeof value === 'string' && value.startsWith('/') ? value : undefined
}

/** Remembers the chosen shell path for a server; `undefined` (the default shell) removes the key. */
export function saveShellChoice(serverKey: string, path: string | undefined): void {
  const key = shellChoiceKey(serverKey)
  if (path) {
    writeJson(key, path)
    return
  }
  try {
    storage().removeItem(key)
  } catch {
    // Storage disabled: nothing to remove.
  }
}

/**
 * The shell a new terminal runs: the remembered `choice` when the server still offers it, else
 * `undefined` (the server's default shell; `POST /pty` without `command`).
 */
export function effectiveShell(choice: string | undefined, options: readonly ShellOption[]): string | undefined {
  return choice !== undefined && options.some((o) => o.path === choice) ? choice : undefined
}

/** The name of a PTY's program for its tab: the last path segment of `Pty.command` (`/bin/bash` → `bash`). */
export function shellName(command: string | undefined): string | undefined {
  const name = command?.split('/').filter(Boolean).pop()
  return name || undefined
}

/**
 * A title typed in the rename field, cleaned: whitespace runs (newlines too) become one space,
 * trimmed, at most {@link TERMINAL_TITLE_MAX} characters. `undefined` when nothing is left (keep
 * the old title).
 */
export function normalizeTerminalTitle(input: string): string | undefined {
  const title = input.replace(/\s+/g, ' ').trim()
  if (!title) return undefined
  return [...title].slice(0, TERMINAL_TITLE_MAX).join('')
}
