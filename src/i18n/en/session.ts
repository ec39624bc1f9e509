/** The session view: header, menu, transcript rows, permission and question prompts, context meter (src/components/session, src/views/SessionView.vue, src/composables/useSessionActions.ts). */
export default {}
