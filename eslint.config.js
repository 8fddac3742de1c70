// Lint rules on top of the TypeScript compiler's strict checks: the recommended sets, and a ban on reading the
// environment outside src/config.ts (the one place configuration is read and validated).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'public/assets/vendor/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings in src/config.ts only.' }],
    },
  },
  {
    // Node scripts run as they are, without the TypeScript build (scripts/, the StrykerJS configuration).
    files: ['scripts/**/*.mjs', '*.config.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['public/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', localStorage: 'readonly', fetch: 'readonly', FormData: 'readonly', XMLHttpRequest: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', console: 'readonly', navigator: 'readonly', Blob: 'readonly', File: 'readonly', AbortController: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Intl: 'readonly', HTMLElement: 'readonly', Event: 'readonly', CustomEvent: 'readonly', requestAnimationFrame: 'readonly' } },
  },
);
