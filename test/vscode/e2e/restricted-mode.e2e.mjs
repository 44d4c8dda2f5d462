// A folder opened in Restricted Mode (an untrusted clone, say): NN Debugger still validates models and
// shows their diagnostics, but training, which reads data files and runs the engine, asks for trust
// instead of starting.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { quickOpen, runCommand } from './ui.mjs';

export const trusted = false;

const INVALID = 'invalid-units.nn.json';

export const steps = [
  [
    'the workbench opens the examples folder in Restricted Mode',
    async ({ page, url, workspace }) => {
      writeFileSync(path.join(workspace, INVALID), '{\n  "data": { "source": "xor" },\n  "layers": [{ "type": "dense", "units": -1 }],\n  "loss": "mse"\n}\n');
      await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'spiral.nn.json' }).first().waitFor({ timeout: 60_000 });
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
    },
  ],
  [
    'an invalid model still gets its positioned validation error',
    async ({ page }) => {
      await quickOpen(page, INVALID);
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60_000 });
    },
  ],
  [
    'Train Model explains that training needs trust, offers to manage it, and starts nothing',
    async ({ page }) => {
      await quickOpen(page, 'spiral.nn.json');
      await runCommand(page, 'NN Debugger: Train Model');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'needs a trusted workspace' }).first();
      await toast.waitFor({ timeout: 30_000 });
      await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first().waitFor();
      await page.waitForTimeout(1000);
      assert.equal(await page.locator('.tabs-container .tab', { hasText: 'Gradient Health' }).count(), 0, 'no panel: no run started');
      assert.equal(await page.locator('.statusbar-item', { hasText: /epoch \d+/ }).count(), 0, 'no run in the status bar');
    },
  ],
];
