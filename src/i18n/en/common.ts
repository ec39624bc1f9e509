/** Words used across the app (buttons, states). */
export default {
  cancel: 'Cancel',
  close: 'Close',
  copy: 'Copy',
  copied: 'Copied',
  loading: 'Loading…',
  retry: 'Retry',
  save: 'Save',
}
