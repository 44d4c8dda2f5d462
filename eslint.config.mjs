// Lint for every TypeScript entry; type checking itself is `tsc --noEmit`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**', 'test-results/**', '.vscode-test/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', performance: 'readonly', Buffer: 'readonly', window: 'readonly', document: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // The layers stay visible: the engine runs anywhere (no editor, no DOM), and the webview reads only what
  // crosses the wire (src/shared), never engine internals.
  {
    files: ['src/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['vscode', '**/extension/**', '**/webview/**', '**/worker/**'], message: 'src/engine is pure TypeScript: no editor, webview or worker code.' }] }] },
  },
  {
    files: ['webview/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['vscode', '**/src/engine/**', '**/src/extension/**', '**/src/worker/**'], message: 'The webview imports only src/shared (what crosses the wire).' }] }] },
  },
  // Plain Node scripts are CommonJS on purpose (run without a build step).
  { files: ['esbuild.js', 'scripts/**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
