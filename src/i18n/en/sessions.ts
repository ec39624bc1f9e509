/** Session lists: the sidebar tree and the session switcher (src/components/sessions), and src/stores/sessions.ts. */
export default {
  /** A session without a title, wherever its title is shown. */
  untitled: 'Untitled session',
  /** SessionList.vue: the sidebar's list. */
  list: {
    label: 'Sessions',
    showOlder: 'Show older sessions ({count} more) | Show older sessions ({count} more)',
    loading: 'Loading sessions…',
    loadFailed: 'Could not load sessions: {error}',
    noMatch: 'No session matches “{search}”',
    empty: 'No sessions yet. Start one with a prompt.',
    noProject: 'Open a project to see its sessions.',
    sortLabel: 'Sort sessions',
    sortUpdated: 'Recent activity',
    sortCreated: 'Newest first',
    sortTitle: 'Title',
  },
  /** SessionTreeItem.vue: one row of the list. */
  item: {
    waiting: '{count} waiting for you | {count} waiting for you',
    working: 'Working',
    retrying: 'Retrying',
  },
  /** SessionSwitcher.vue (Ctrl/Cmd+K). */
  switcher: {
    dialogLabel: 'Switch session',
    placeholder: 'Jump to a session…',
    searchLabel: 'Search sessions',
    empty: 'No sessions found',
  },
  /** src/stores/sessions.ts. */
  store: {
    noShareLink: 'The server returned no share link',
  },
}
