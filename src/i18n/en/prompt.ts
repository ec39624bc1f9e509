/** The prompt box: input, attachments, mentions, autocomplete, model and agent pickers (src/components/prompt). */
export default {
  /** PromptBox.vue: the text area and its toolbar. */
  box: {
    placeholder: "Ask anything…  {'@'} attach a file · / run a command",
    inputLabel: 'Prompt',
    agentLabel: 'Agent',
    attachTitle: 'Attach images or PDFs (or paste, or drop them here)',
    attachLabel: 'Attach images or PDFs',
    stopTitle: 'Stop (Esc)',
    stop: 'Stop',
    stopping: 'Stopping…',
    stoppingTitle: 'Stop is kept and will be sent when the server answers',
    sendTitle: 'Send (Enter)',
    sendLabel: 'Send',
  },
  /** AutocompleteMenu.vue: the heading of the `/` and `@` lists. */
  autocomplete: {
    commands: 'Commands',
    files: 'Files',
  },
  /** FileChips.vue: images and PDFs of a draft. */
  fileChips: {
    dropHint: 'Drop images or PDFs to attach',
    dismissError: 'Dismiss',
    listLabel: 'Attached files',
    chipTitle: '{name} · {size}',
    remove: 'Remove {name}',
  },
  /** MentionChips.vue: files and folders attached with `@`. */
  mentionChips: {
    remove: 'Remove {path}',
  },
  /** ModelPicker.vue. */
  modelPicker: {
    defaultModel: 'Default model',
    serverDefault: 'Server default',
    dialogLabel: 'Models',
    search: 'Search models',
    connected: 'connected',
    noMatch: 'No model matches',
    loading: 'Loading providers…',
  },
  /** src/api/file-attachments.ts: sizes and why a file was refused. */
  attachments: {
    bytes: '{size} B',
    kilobytes: '{size} KB',
    megabytes: '{size} MB',
    /** Stands for `{name}` below when the file has no name. */
    unnamedFile: 'The file',
    unsupportedType: '{name} cannot be attached: only PNG, JPEG, GIF, WebP images and PDF files are supported.',
    unsupportedTypeOf: '{name} ({type}) cannot be attached: only PNG, JPEG, GIF, WebP images and PDF files are supported.',
    empty: '{name} is empty.',
    tooLarge: '{name} is too large ({size}); attachments may be at most {max}.',
    unreadable: '{name} could not be read: {error}',
  },
}
