/** The Terminal panel (src/components/terminal, src/stores/terminals.ts). */
export default {
  /** TerminalPanel.vue. */
  panel: {
    label: 'Terminal',
    tabsLabel: 'Terminals',
    close: 'Close {title}',
    newTerminal: 'New terminal',
    listFailed: 'Could not list terminals: {error}',
    /** `GET /pty` answered 404: this server (or a proxy in front of it) offers no terminals. */
    unsupported: 'This server offers no terminals: it has no PTY API ({error}). The chat and the other panels work as usual.',
    empty: 'No terminal in this project yet.',
    start: 'Start a terminal',
    createFailed: 'New terminal failed: {error}',
    closeFailed: 'Close terminal failed: {error}',
    /** The shell picker's accessible name (its options are the server's shells, `GET /pty/shells`). */
    shell: 'Shell',
    /** The picker's first option: no `command` in `POST /pty`. */
    defaultShell: 'Default shell',
    rename: 'Rename {title}',
    /** The rename field's accessible name. */
    renameLabel: 'Terminal name',
    renameFailed: 'Rename terminal failed: {error}',
  },
  /** The title a new terminal is created with (`POST /pty`). */
  defaultTitle: 'Terminal {n}',
  /** The status line of a terminal that is not open (src/stores/terminals.ts `terminalStatusText`). */
  status: {
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    exitedWithCode: 'exited (code {code})',
    exited: 'exited',
    closedByServer: 'closed by the server',
    detached: 'detached',
  },
}
