/** The app shell: App.vue, sidebar chrome, command palette, connection and service status, toasts, offline banner, notifications and announcements (src/components/shell, src/App.vue). */
export default {}
