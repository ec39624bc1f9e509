/** The Changes panel: files a session changed, diffs, revert (src/components/changes). */
export default {}
