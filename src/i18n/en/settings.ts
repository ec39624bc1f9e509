/** Settings: servers, theme, language, notifications, sleep protection (src/components/settings, src/stores/settings.ts). */
export default {}
