/**
 * Which build of the app this is: `RELAY_BUILD_ID` at build time, else the package version
 * (vite.config.ts defines `__RELAY_BUILD__`). Shown as `<html data-build>` so a user (and the
 * update e2e test) can tell which version is active after "New version available — Reload".
 */
declare const __RELAY_BUILD__: string | undefined

/** The build id, `dev` when not built by Vite's production config (unit tests). */
export const BUILD_ID: string = typeof __RELAY_BUILD__ === 'string' ? __RELAY_BUILD__ : 'dev'
