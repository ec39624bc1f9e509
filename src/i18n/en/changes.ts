/** The Changes panel: files a session changed, diffs, revert (src/components/changes). */
export default {
  /** What happened to a file (src/state/changes.ts `ChangeStatus`). */
  status: {
    added: 'added',
    deleted: 'deleted',
    modified: 'modified',
  },
  /** A file's status as one letter, as git shows it. */
  statusLetter: {
    added: 'A',
    deleted: 'D',
    modified: 'M',
  },
  toolbar: {
    views: 'Which changes',
    session: 'Session',
    turns: 'Turns',
    tree: 'Working tree',
    layout: 'Diff layout',
    unified: 'Unified',
    split: 'Split',
  },
  revert: {
    /** The session is reverted, with git: the files were restored. */
    reverted: 'Later turns are reverted and their file changes undone.',
    /** The session is reverted, without git. */
    revertedWithoutGit: 'Later turns are reverted (no git: files on disk were not restored).',
    restore: 'Restore them',
    restoreTitle: 'Brings the reverted turns and their edits back. The server checks files out again: a file those turns deleted stays on disk (see Working tree).',
    revertFailed: 'Revert failed: {error}',
    restoreFailed: 'Restore failed: {error}',
  },
  notes: {
    earlierTurns: 'Covers the turns loaded so far; scroll the transcript up to include earlier ones.',
    /** `{edit}` and `{write}` are the tool names, shown as code. */
    untracked: 'This project has no git: only edits made by the {edit} and {write} tools are listed, and reverting cannot restore files.',
  },
  session: {
    filesChanged: '{count} file changed | {count} files changed',
    empty: 'No file changes in this session yet.',
    /** The label of one turn's patch of a file several turns changed. */
    turnPatch: 'Turn {turn} · {status}',
  },
  turns: {
    empty: 'No turn has changed files yet.',
    title: 'Turn {turn}',
    fileCount: '{count} file | {count} files',
    revert: 'Revert',
    revertTitle: 'Undo this turn and every later one (files and messages); Restore brings them back',
    revertWhenIdle: 'Wait until the session is idle',
    /** A shell command of a turn without git; `{command}` is shown as code. */
    untrackedCommand: 'Ran {command}: its changes are not tracked without git.',
  },
  tree: {
    description: "Uncommitted changes in the project's git working tree (all sessions and your own edits)",
    refresh: 'Refresh',
    empty: 'No uncommitted changes (or no git in this project).',
  },
  file: {
    /** `{write}` is the tool name, shown as code. */
    noPatch: 'No patch from the server for this change (made without git, by {write}).',
  },
  diff: {
    binary: 'Binary file: no lines to show.',
    noLines: 'No line changes to show.',
    /** Rows past the limit, by `tn` (one form in English, as before; a locale may add plural forms). */
    moreLines: '… {count} more lines',
  },
}
