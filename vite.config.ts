import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import { VitePWA } from 'vite-plugin-pwa'
import { readFileSync } from 'node:fs'

function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0'
}

/** Build id shown as `<html data-build>` (src/pwa/build-info.ts): `RELAY_BUILD_ID`, else the package version. */
const BUILD_ID = process.env.RELAY_BUILD_ID || packageVersion()

/**
 * Builds src/prefetch.ts as a second entry and loads it from index.html as an async module script
 * ahead of the main bundle (Vite would merge a second `<script type="module">` of index.html into
 * the main entry, which runs only after the whole bundle is fetched and compiled). It starts the
 * warm-start snapshot read at once; see src/db/snapshot-prefetch.ts.
 */
function earlySnapshotPrefetch(): Plugin {
  return {
    name: 'relay-early-snapshot-prefetch',
    apply: 'build',
    config: () => ({ build: { rollupOptions: { input: { index: 'index.html', prefetch: 'src/prefetch.ts' } } } }),
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find((c) => c.type === 'chunk' && c.isEntry && c.name === 'prefetch')
        if (!chunk) return html
        return [{ tag: 'script', attrs: { type: 'module', async: true, crossorigin: true, src: `/${chunk.fileName}` }, injectTo: 'head' }]
      },
    },
  }
}

/**
 * The app build. The SharedWorker (sw/shared-worker.ts) is bundled by Vite from its
 * `new URL(…, import.meta.url)` reference; the service worker (sw/service-worker.ts) is built by
 * vite-plugin-pwa in injectManifest mode, precaching the app shell only (its precache manifest is
 * versioned by content hashes, so every changed build installs as a new, waiting version).
 */
export default defineConfig({
  define: {
    __RELAY_BUILD__: JSON.stringify(BUILD_ID),
    // vue-i18n's esm-bundler flags: Composition API only, no devtools hooks in production.
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  plugins: [
    vue(),
    earlySnapshotPrefetch(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'sw',
      filename: 'service-worker.ts',
      registerType: 'prompt',
      injectRegister: false,
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,woff2}'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
      },
      manifest: {
        name: 'OpenCode Relay',
        short_name: 'Relay',
        description: 'OpenCode in the browser: every tab on one shared, persisted event stream.',
        id: '/',
        theme_color: '#141416',
        background_color: '#141416',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        categories: ['developer', 'productivity'],
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      devOptions: { enabled: false, type: 'module' },
    }),
  ],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
})
