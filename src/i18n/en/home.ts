/** A project's home view (src/views/HomeView.vue). */
export default {}
