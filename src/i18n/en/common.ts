/** Words used across the app (buttons, states). */
export default {
  cancel: 'Cancel',
  close: 'Close',
  copy: 'Copy',
  copied: 'Copied',
  loading: 'Loading…',
  retry: 'Retry',
  save: 'Save',
  time: {
    /** A moment ago (the sessions list's relative times). */
    now: 'now',
  },
}
