/** The Files panel (src/components/files, src/stores/files.ts, src/composables/useFilesSearch.ts). */
export default {
  /** The session header's tab (SessionHeader.vue). */
  tab: 'Files',
  /** The command palette's entry (SessionView.vue). */
  showCommand: 'Show files',
  /** FilesPanel.vue. */
  panel: {
    label: 'Files',
    refresh: 'Refresh',
    statusFailed: 'Could not read the git status: {error}',
    back: 'Back to files',
    pick: 'Pick a file to view it.',
  },
  /** FileTree.vue. */
  tree: {
    label: 'Project files',
    loading: 'Loading…',
    empty: 'Empty folder',
    folderFailed: 'Could not list this folder: {error}',
    retry: 'Retry',
  },
  /** Git status marks on files (FileTree.vue, the search results). */
  marks: {
    added: 'added',
    modified: 'modified',
    deleted: 'deleted',
    addedShort: 'A',
    modifiedShort: 'M',
    deletedShort: 'D',
    folderChanged: 'holds changed files',
  },
  /** FileSearch.vue. */
  search: {
    label: 'Search files',
    modes: 'Search by',
    byName: 'Name',
    byText: 'Text',
    placeholderName: 'Go to file…',
    placeholderText: 'Search text (regex)…',
    clear: 'Clear search',
    searching: 'Searching…',
    noNames: 'No file name matches.',
    noText: 'No line matches.',
    failed: 'Search failed: {error}',
    results: 'Results',
    openAt: 'Open {path} at line {line}',
    hitCount: 'no matches | 1 match | {count} matches',
  },
  /** FileViewer.vue. */
  viewer: {
    close: 'Close file',
    loading: 'Loading…',
    readFailed: 'Could not open this file: {error}',
    missing: 'This file no longer exists: the server read nothing at this path.',
    missingWithReason: 'This file no longer exists: its folder could not be listed ({reason}).',
    binary: 'Binary file ({type}, {size}): not shown.',
    binaryUnknown: 'Binary file: not shown.',
    binaryType: 'unknown type',
    huge: 'Large file ({size}, {lines} lines): only the first {shown} lines are shown.',
    plain: 'Shown without highlighting (too long to highlight).',
    empty: 'Empty file.',
    code: 'Lines of the file. Click a line number to select it, Shift+click to select a range; ↑/↓ move the selection, Shift+↑/↓ extend it.',
    lineNumber: 'Line {line}',
    selectedLines: 'Lines {start}–{end} selected',
    selectedLine: 'Line {line} selected',
    wholeFile: 'Whole file',
    clear: 'Clear selection',
    mention: 'Mention in prompt',
    mentioned: 'Added {label} to the prompt',
  },
}
