// ESLint flat config: typescript-eslint (strict on `any`) and eslint-plugin-vue for .vue files.
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', 'dev-dist/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/no-v-html': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  // Import boundaries (README "Architecture"): the relay (sw/) never imports the app; the app and
  // the CLIs reach the relay only through sw/shared/ (protocol, event knowledge, wire types) and
  // the one runtime entry the leader-tab fallback runs.
  {
    files: ['sw/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)src/', message: 'sw/ never imports the app: move what both sides need to sw/shared/.' }] }],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.vue'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)sw/(?!shared/|relay/runtime\\.ts$)',
              message: 'The app reaches the relay only through sw/shared/ and sw/relay/runtime.ts (the leader-tab fallback).',
            },
          ],
        },
      ],
    },
  },
  // UI strings come from the message catalogue (src/i18n): no bare words in templates. Symbols,
  // digits and typographic marks are not words.
  {
    files: ['src/**/*.vue'],
    rules: {
      'vue/no-bare-strings-in-template': [
        'error',
        {
          allowlist: ['(', ')', ',', '.', '&', '+', '-', '=', '*', '/', '#', '%', '!', '?', ':', ';', '[', ']', '{', '}', '<', '>', '·', '•', '‐', '–', '—', '−', '|', '…', '×', '✓', '↑', '↓', '→', '←', '⌘', '$', '“', '”', '/^[\\d\\s.,:+−%$×/]+$/'],
        },
      ],
    },
  },
)
