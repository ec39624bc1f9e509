/** The Terminal panel (src/components/terminal, src/stores/terminals.ts). */
export default {}
