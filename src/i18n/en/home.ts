/** A project's home view (src/views/HomeView.vue). */
export default {
  /** The heading when the project's name is not known yet. */
  newSession: 'New session',
  loadFailed: 'Could not load the project: {error}',
  describeTask: 'Describe a task to start a new session.',
  welcome: 'Welcome to OpenCode',
  pickProject: 'Pick a project in the sidebar, or open one by its absolute path.',
  placeholder: "What should we build?  {'@'} attach a file · / run a command",
  startFailed: 'Could not start a session: {error}',
}
