// The extension-host suite on a desktop with internet, through @vscode/test-cli (which downloads VS Code).
// Build first, then run:   node test/harness/run-vscode.mjs build && npx vscode-test
// Here (no VS Code downloads) the same compiled suite runs in code-server: npm run test:vscode.
import { defineConfig } from '@vscode/test-cli';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The tests create and edit models: give them a copy of examples/ (with ../schemas beside it, as in the repo).
const run = mkdtempSync(path.join(tmpdir(), 'nn-vscode-test-'));
cpSync('examples', path.join(run, 'workspace'), { recursive: true });
cpSync('schemas', path.join(run, 'schemas'), { recursive: true });

export default defineConfig({
  label: 'extension-host',
  files: 'out/test/vscode/suite/*.test.js',
  workspaceFolder: path.join(run, 'workspace'),
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: { ui: 'bdd', timeout: 120_000 },
});
