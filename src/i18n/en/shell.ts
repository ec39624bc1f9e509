/** The app shell: App.vue, sidebar chrome, command palette, connection and service status, toasts, offline banner, notifications and announcements (src/components/shell, src/App.vue). */
export default {
  /** App.vue: the sidebar, the main view's banners and the tab title. */
  app: {
    sidebarLabel: 'Projects and sessions',
    newSession: 'New session',
    searchSessions: 'Search sessions',
    settings: 'Settings',
    busyTitle: '{count} session(s) working | {count} session(s) working',
    switcherTitle: 'Switch session (Ctrl+K)',
    switcherKeys: 'Ctrl K',
    updateAvailable: 'New version available —',
    reload: 'Reload',
    openSidebar: 'Open sidebar',
    findingSession: 'Finding the session…',
    /** The browser tab's title: the session's title or the project's name, then the app. */
    documentTitle: '{name} · OpenCode',
    documentTitleNone: 'OpenCode',
  },
  /** The app's own commands in the palette (App.vue). */
  commands: {
    groupSession: 'Session',
    groupAppearance: 'Appearance',
    groupSettings: 'Settings',
    groupProject: 'Switch project',
    newSession: 'New session',
    switchSession: 'Switch session…',
    toggleTheme: 'Toggle theme',
    themeNowLight: 'now light',
    themeNowDark: 'now dark',
    followSystemTheme: 'Follow the system theme',
    openSettings: 'Open settings',
    /** A command's failure, toasted (src/stores/commands.ts). */
    failed: '{title} failed: {error}',
  },
  /** Key names shown in shortcuts (`<kbd>`, src/stores/commands.ts `shortcutLabel`). */
  keys: {
    ctrl: 'Ctrl',
    shift: 'Shift',
    alt: 'Alt',
    escape: 'Escape',
    enter: 'Enter',
  },
  /** CommandPalette.vue. */
  palette: {
    dialogLabel: 'Command palette',
    inputLabel: 'Command',
    placeholder: 'Type a command…',
    listLabel: 'Commands',
    empty: 'No matching commands',
  },
  /** ConnectionBadge.vue: the badge's tooltip (its text is `connection.label`). */
  badge: {
    relay: 'Relay: {state} ({mode})',
    modeSharedWorker: 'SharedWorker',
    modeLeaderTab: 'leader tab',
    server: 'Server: {server}',
    lastError: 'Last error: {error}',
    launcher: 'Launcher: {detail}',
    storage: 'Storage: {error}',
    storageUnavailable: 'unavailable',
    reconnect: 'Click to reconnect now',
  },
  /** src/stores/connection.ts: the badge's label (`connectionLabel`). */
  connection: {
    connecting: 'Connecting…',
    startingOpencode: 'Starting OpenCode…',
    unreachable: 'Server unreachable',
    invalid: 'Server settings unreadable',
    catchingUp: 'Catching up…',
    connected: 'Connected',
    starting: 'Starting…',
    offlineWaiting: 'Offline…',
    reconnectingWaiting: 'Reconnecting…',
    offlineRetrying: 'Offline: retrying…',
    reconnectingRetrying: 'Reconnecting: retrying…',
    offlineRetryIn: 'Offline · retry in {seconds} s',
    reconnectingIn: 'Reconnecting in {seconds} s',
    storageUnavailable: 'Storage unavailable',
    polling: 'Live updates delayed · polling every {seconds} s',
  },
  /** src/stores/connection.ts: the banner while the relay is not live (`connectionNotice`), and the prompt box's placeholder meanwhile. */
  notice: {
    starting: {
      title: 'Starting OpenCode…',
      detail: 'The launcher is starting the server; the app goes live by itself as soon as it answers.',
      composer: 'Starting OpenCode… — sending is possible once it is up',
    },
    unreachable: {
      title: 'Server unreachable.',
      detail: 'The app opened from its offline copy: neither its launcher nor the OpenCode server answers. Start it again (npm start); the app reconnects by itself. Showing saved data.',
      composer: 'Server unreachable — read-only until it is back',
    },
    invalid: {
      title: 'Server settings unreadable.',
      detail: 'The launcher’s /relay-config.json makes no sense ({reason}). Check the launcher’s output, or choose a server in Settings → Servers. Retrying.',
      unknownReason: 'unknown reason',
      composer: 'No server — read-only until one answers',
    },
    offline: {
      title: 'Offline.',
      detail: 'This device has no network. Showing saved data; live updates resume when the network is back.',
      composer: 'Offline — read-only until the network is back',
    },
    lost: {
      title: 'Connection lost.',
      detailIn: 'Reconnecting in {seconds} s ({reason}). Showing saved data; live updates resume when the server is back.',
      detailInNoReason: 'Reconnecting in {seconds} s. Showing saved data; live updates resume when the server is back.',
      detailNow: 'Reconnecting… ({reason}). Showing saved data; live updates resume when the server is back.',
      detailNowNoReason: 'Reconnecting…. Showing saved data; live updates resume when the server is back.',
      composer: 'Connection lost — read-only until the server is back',
    },
    /** The relay polls: the event stream is held on the way (a buffering proxy), REST works. */
    polling: {
      title: 'Live updates delayed — polling every {seconds} s.',
      detail: 'The connection buffers the event stream ({reason}), so the app asks the server for changes instead; everything works, updates come later. A proxy in between is the usual cause: see Troubleshooting in the README.',
    },
    /** The prompt box's placeholder before the first status. */
    composerConnecting: 'Connecting…',
    /** A session's prompt box while the relay is not live: the relay's outbox keeps what is sent (sw/relay/outbox.ts). */
    composerOutbox: 'Not connected — what you send is kept and goes out when the server answers',
  },
  /** OfflineBanner.vue. */
  banner: {
    retryNow: 'Retry now',
    storageFailed: 'Event log storage failed: {error}. Live updates still flow; offline catch-up may be incomplete.',
  },
  /** ProjectPicker.vue and the messages of src/stores/projects.ts it shows. */
  projects: {
    choose: 'Choose a project',
    noneOpen: 'No project open',
    label: 'Projects',
    empty: 'No projects yet',
    pathPlaceholder: '/absolute/path/to/project',
    pathLabel: 'Open project by absolute path',
    checking: 'Checking…',
    open: 'Open',
    notAbsolute: 'Enter an absolute path, e.g. /home/me/project',
    refused: 'Cannot open {directory}: the server could not list it ({reason})',
    cannotCheck: 'Cannot check {directory}: {reason}',
  },
  /** ServiceStatus.vue and src/state/service-status.ts: MCP and LSP servers. */
  services: {
    buttonLabel: 'MCP and LSP servers: {summary}. {sentence}',
    dialogLabel: 'MCP and LSP servers',
    title: 'Servers',
    refresh: 'Refresh',
    showingLastKnown: 'Showing the last known status.',
    mcpHeading: 'MCP servers',
    lspHeading: 'LSP servers',
    connectedCount: '{connected}/{total} connected',
    mcpEmpty: 'No MCP servers configured for this project.',
    lspEmpty: 'No LSP servers running. They start when the agent opens a file of their language.',
    loading: 'Loading…',
    notLoaded: 'Not loaded.',
    checkedAt: 'Checked at {time}',
    projectRoot: 'project root',
    /** The button's counts: connected/total, just 0 when none, … before the first load. */
    mcpCount: 'MCP {connected}/{total}',
    mcpNone: 'MCP 0',
    mcpUnknown: 'MCP …',
    lspCount: 'LSP {connected}/{total}',
    lspNone: 'LSP 0',
    lspUnknown: 'LSP …',
    summary: '{mcp} · {lsp}',
    /** An MCP row's button; `{name}` is the server's name (the accessible name of the icon-less button). */
    connect: 'Connect',
    disconnect: 'Disconnect',
    connectLabel: 'Connect {name}',
    disconnectLabel: 'Disconnect {name}',
    connecting: 'Connecting…',
    disconnecting: 'Disconnecting…',
    /** The server refused a Connect / Disconnect: its reason follows. */
    connectFailed: 'Could not connect: {message}',
    disconnectFailed: 'Could not disconnect: {message}',
    /** Under a `needs_auth` row, before the command (shown as code). */
    authHint: 'Sign in from a terminal on the OpenCode server’s machine, then press Connect:',
    clientRegistrationHint: 'The server does not register OpenCode by itself: add a client ID under this server’s oauth settings in opencode.json, then press Connect.',
    state: {
      connected: 'Connected',
      disabled: 'Disabled',
      failed: 'Failed',
      needsAuth: 'Needs authorization',
      needsClientRegistration: 'Needs client registration',
      error: 'Error',
    },
    health: {
      failing: 'Some servers are failing',
      attention: 'A server needs attention',
      stale: 'Status could not be refreshed',
      ok: 'All servers working',
      none: 'No servers',
      unknown: 'Loading status',
    },
    /** What failed to load (`statusLoadError`'s `what`), then why. */
    mcpStatus: 'MCP status',
    lspStatus: 'LSP status',
    loadErrorHttp: '{what}: the server answered {status} ({message})',
    loadErrorTimeout: '{what}: the server did not answer in time',
    loadErrorUnreachable: '{what}: the server is unreachable ({message})',
  },
  /** ToastStack.vue. */
  toasts: {
    dismiss: 'Dismiss',
  },
  /** Markdown.vue: a code block's copy button after a click. */
  markdown: {
    copy: 'Copy',
    copied: 'Copied',
  },
  /** System notifications (src/composables/useNotifications.ts). */
  notifications: {
    finishedTitle: 'Finished: {name}',
    permissionTitle: 'Permission needed: {name}',
    finishedBody: '{project} · the agent is done',
    permissionBody: '{project} · {permission}: {patterns}',
    permissionBodyNoPatterns: '{project} · {permission}',
    questionTitle: 'Question: {name}',
    questionBody: '{project} · {question}',
    questionBodyNoText: '{project} · the agent asks a question',
    allowOnce: 'Allow once',
    reject: 'Reject',
    open: 'Open',
    /** Shown by the service worker when answering from a notification failed. */
    answerFailed: 'Could not answer the permission request',
    answerFailedBody: '{reason}. Open the session to answer it there.',
    httpError: 'The server answered HTTP {status}',
    networkError: 'The server could not be reached ({error})',
  },
  /** Screen reader announcements (src/composables/useAnnouncements.ts). */
  announcements: {
    untitled: 'Untitled session',
    replyFinished: 'Reply finished in {title}',
    replyFailed: 'Reply ended with an error in {title}',
    permission: 'Permission requested in {title}: {detail}',
    question: 'Question in {title}: {detail}',
    questionNoDetail: 'Question in {title}',
  },
}
