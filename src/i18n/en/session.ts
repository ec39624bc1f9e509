/** The session view: header, menu, transcript rows, permission and question prompts, context meter (src/components/session, src/views/SessionView.vue, src/composables/useSessionActions.ts). */
export default {
  /** SessionHeader: title, parent link, share chip, tabs. */
  header: {
    openSidebar: 'Open sidebar',
    /** The link back to a subagent session's parent. */
    backTo: 'Back to {title}',
    titleInput: 'Session title',
    /** The title while the session is on its way. */
    loading: 'Loading…',
    notFound: 'Session not found',
    /** The chip of a shared session (its title: `sharedAt`). */
    shared: 'shared',
    sharedAt: 'Shared at {url}',
    tabChat: 'Chat',
    tabChanges: 'Changes',
    tabTerminal: 'Terminal',
    tabTerminalTitle: 'Terminal (Ctrl+`)',
  },
  /** SessionHeader: the session menu. */
  menu: {
    label: 'Session actions',
    rename: 'Rename',
    share: 'Share',
    unshare: 'Unshare',
    fork: 'Fork session',
    compact: 'Compact (summarize)',
    init: 'Initialize AGENTS.md',
    unrevert: 'Restore reverted',
    stop: 'Stop',
    exportMarkdown: 'Export as Markdown',
    exportJson: 'Export as JSON',
    delete: 'Delete',
  },
  /** SessionStatus: the status pill. */
  status: {
    busy: 'Working…',
    /** A retry with its countdown in seconds. */
    retryingIn: 'Retrying in {seconds} s (attempt {attempt})',
    retrying: 'Retrying (attempt {attempt})…',
    idle: 'Idle',
  },
  /** ContextMeter: the meter and its breakdown. */
  context: {
    percent: '{percent}%',
    tokens: '{tokens} tokens',
    /** The meter's text: context use, then the session's cost. */
    summary: '{used} · {cost}',
    meterLabel: 'Context {summary}; show the breakdown',
    breakdown: 'Context and cost',
    inUse: 'Context in use',
    usedOfLimit: '{used} / {limit} tokens',
    used: '{used} tokens',
    model: 'Model',
    lastInput: 'Last call: input',
    lastCached: 'cached (read / write)',
    lastOutput: 'output (reasoning)',
    calls: 'Session: model calls',
    totalTokens: 'tokens in / out',
    cost: 'cost',
  },
  /** MessageList: the transcript's rows around the messages. */
  list: {
    loadEarlier: 'Load earlier messages',
    loading: 'Loading messages…',
    loadFailed: 'Could not load messages: {error}',
    empty: 'No messages yet. Say hello below.',
    beginning: 'Beginning of the session',
    /** The revert banner (used with a count). */
    reverted: '{count} message(s) reverted. Their file changes were undone.',
    restore: 'Restore',
    jumpToEnd: 'Jump to the latest message',
    /** The jump button with the count of new messages below (used with a count). */
    jumpToEndUnread: 'Jump to the latest message, {count} new',
    /** Used with a count. */
    unread: '{count} new',
  },
  /** MessageItem: one message of the transcript. */
  message: {
    continuedAutomatically: 'OpenCode continued automatically',
    addedByOpenCode: 'Added by OpenCode',
    copy: 'Copy',
    fork: 'Fork',
    forkTitle: 'Fork from here: new session with the messages before this one',
    revert: 'Revert',
    revertTitle: 'Revert: undo this message and everything after it',
    turnChangesTitle: 'What this turn changed',
    turnChanges: '{count} file changed | {count} files changed',
    queued: 'Queued',
    queuedTitle:
      'Queued: the server answers it when the current reply ends (together with any other queued message). It cannot be edited or cancelled while the session is busy: the server refuses (SessionBusyError).',
    summary: 'Summary',
    summaryTitle: 'The summary a compaction wrote: the conversation continues from it',
    working: 'Working',
    workingEllipsis: 'Working…',
    interrupted: 'Interrupted',
  },
  /** PendingMessage: a prompt on its way to the server. */
  pending: {
    notSent: 'Not sent: {error}',
    retry: 'Retry',
    discard: 'Discard',
    sending: 'Sending…',
    /** The relay keeps the prompt until the server answers; `error` is the last attempt's failure. */
    waiting: 'Waiting to send — kept safe, sent when the server answers ({error})',
    /** The same while the relay is not connected and nothing was tried yet. */
    waitingOffline: 'Waiting to send — kept safe, sent when the server answers',
    edit: 'Edit',
    save: 'Save',
    cancel: 'Cancel',
    /** Accessible name of the inline editor of a waiting prompt. */
    editLabel: 'Edit the waiting prompt',
    /** An edit arrived after the prompt had left; the edited text went into the empty prompt box. */
    editTooLateKept: 'Not edited: the prompt had already been sent as it was. Your edited text is in the prompt box.',
    /** The same when the prompt box was not empty (the edited text is not kept). */
    editTooLate: 'Not edited: the prompt had already been sent as it was.',
    /** A permission reply or a question's answer the relay kept and then did not send; `reason` is the relay's (English). */
    replyDropped: 'Your answer was not sent: {reason}.',
    /** A Stop the relay kept and then did not send (the reply had finished, or a later one runs). */
    stopDropped: 'Stop was not sent: {reason}.',
  },
  /** PermissionPrompt and QuestionPrompt: a request of a subagent session. */
  request: {
    fromSubagent: '· subagent “{title}”',
    reject: 'Reject',
  },
  /** PermissionPrompt. */
  permission: {
    needed: 'Permission needed: {permission}',
    alwaysCovers: '“Allow always” covers: {patterns}',
    once: 'Allow once',
    always: 'Allow always',
  },
  /** QuestionPrompt. */
  question: {
    heading: 'The agent has a question | The agent has {count} questions',
    ownAnswer: 'Or type your own answer',
    answer: 'Type your answer',
    submit: 'Submit',
  },
  /** TodoList. */
  todos: {
    progress: 'Tasks {done}/{total}',
  },
  /** DiffLines: the note under a cut diff (used with a count). */
  diff: {
    moreLines: '… {count} more lines',
  },
  /** AttachedFiles: an image without a file name. */
  files: {
    image: 'image',
  },
  /** useSessionActions: toasts and confirmations. */
  actions: {
    stopFailed: 'Stop failed: {error}',
    renameFailed: 'Rename failed: {error}',
    shareFailed: 'Share failed: {error}',
    unshareFailed: 'Unshare failed: {error}',
    forkFailed: 'Fork failed: {error}',
    compactFailed: 'Compact failed: {error}',
    initFailed: 'Init failed: {error}',
    revertFailed: 'Revert failed: {error}',
    restoreFailed: 'Restore failed: {error}',
    deleteFailed: 'Delete failed: {error}',
    exportFailed: 'Export failed: {error}',
    pickModel: 'Pick a model first',
    shareCopied: 'Share link copied: {url}',
    sharedNotCopied: 'Shared at {url} (not copied: {error})',
    noClipboard: 'no clipboard in this context',
    shareStopped: 'Sharing stopped',
    forked: 'Forked into a new session',
    confirmRevert: 'Revert to before this message? Its file changes and everything after it are undone (you can restore them until you send again).',
    confirmDelete: 'Delete “{title}”? This cannot be undone.',
    copied: 'Copied',
  },
  /** SessionView: the command palette's entries while a session is shown (no word "session"). */
  commands: {
    group: 'This chat',
    showChat: 'Show chat',
    showChanges: 'Show changes',
    showTerminal: 'Show terminal',
    rename: 'Rename',
    unshare: 'Stop sharing',
    share: 'Share (copy the link)',
    exportMarkdown: 'Export as Markdown',
    exportJson: 'Export as JSON',
    stop: 'Stop the reply',
  },
  /** SessionView: the keyboard hints under the prompt box (key names, then what they do). */
  composer: {
    keyEnter: 'Enter',
    keyShift: 'Shift',
    keyEsc: 'Esc',
    keyCtrl: 'Ctrl',
    keyK: 'K',
    send: 'send',
    newLine: 'new line',
    stop: 'stop',
    switchSession: 'switch session',
  },
  /** describeSessionError (src/state/reducer.ts): why a reply failed. */
  error: {
    unknown: 'Unknown error',
    providerAuth: 'Authentication failed for provider {provider}: {message}',
    outputLength: 'The model reached its output length limit',
    aborted: 'Aborted',
    /** Used with the count of retries. */
    structuredOutput: 'Structured output failed after {count} retries: {message}',
    contextOverflow: 'Context window exceeded: {message}',
    contentFilter: 'Blocked by the content filter: {message}',
    http: '{message} (HTTP {status})',
    unknownKind: 'Error: {name}',
    unknownName: 'unknown',
  },
}
