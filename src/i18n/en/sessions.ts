/** Session lists: the sidebar tree and the session switcher (src/components/sessions). */
export default {}
