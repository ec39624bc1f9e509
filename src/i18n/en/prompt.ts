/** The prompt box: input, attachments, mentions, autocomplete, model and agent pickers (src/components/prompt). */
export default {}
