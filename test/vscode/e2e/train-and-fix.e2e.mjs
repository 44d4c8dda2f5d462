// The extension as a person uses it, in code-server through Chromium: open a model, run Train Model from
// the command palette, watch the Gradient Health panel, then open a broken model, train it, and apply the
// light bulb's preferred fix. Steps run in order; the harness stops at the first failure.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMac, panelFrame, quickOpen, runCommand, settle } from './ui.mjs';

const HEALTHY = 'spiral.nn.json';
const BROKEN = 'broken/poor-initialization-zeros.nn.json';
/** The healthy model trained long enough to watch, without its schedule (the learning rate keeps moving the weights). */
const LONG = 'long-spiral.nn.json';

export const steps = [
  [
    'the workbench opens on the examples folder',
    async ({ page, url, workspace }) => {
      // written before the workbench opens, so its file search knows it from the start
      const long = readFileSync(path.join(workspace, HEALTHY), 'utf8').replace(/"epochs":\s*\d+/, '"epochs": 100000').replace(/"schedule":\s*\{[^}]*\},/, '');
      writeFileSync(path.join(workspace, LONG), long);
      await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: HEALTHY }).first().waitFor({ timeout: 60_000 });
    },
  ],
  [
    'Train Model from the command palette trains the open model and the panel shows the run',
    async ({ page }) => {
      await quickOpen(page, HEALTHY);
      await runCommand(page, 'NN Debugger: Train Model');
      const panel = panelFrame(page);
      await panel.locator('#model-name').filter({ hasNotText: 'NN Debugger: Gradient Health' }).waitFor({ timeout: 60_000 });
      await panel.locator('#run-state', { hasText: 'Finished' }).waitFor({ timeout: 120_000 });
      await page.locator('.statusbar-item', { hasText: /epoch \d+/ }).first().waitFor();
    },
  ],
  [
    'during a long run the panel\'s decision boundary and network diagram keep changing; the panel\'s Stop ends it',
    async ({ page, resultsDir }) => {
      await quickOpen(page, LONG);
      await runCommand(page, 'NN Debugger: Train Model');
      const panel = panelFrame(page);
      await panel.locator('#model-path', { hasText: LONG }).waitFor({ timeout: 60_000 });
      /** Whether `read` gives something else within ten seconds (views redraw only while on screen). */
      const changes = async (locator, read) => {
        await locator.scrollIntoViewIfNeeded({ timeout: 30_000 });
        const before = await read();
        for (let i = 0; i < 40; i++) {
          await page.waitForTimeout(250);
          if ((await read()) !== before) return true;
        }
        return false;
      };
      const boundary = panel.locator('#view-boundary-canvas');
      const digest = () =>
        boundary.evaluate((c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let h = 0;
          for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) | 0;
          return h;
        });
      assert.ok(await changes(boundary, digest), 'the decision boundary changes while the model trains');
      await page.screenshot({ path: path.join(resultsDir, 'e2e-views-live.png') });
      const network = panel.locator('#view-network-svg');
      await network.locator('circle').first().waitFor({ timeout: 30_000 });
      assert.ok(await changes(network, () => network.innerHTML()), 'the network diagram changes while the model trains');
      assert.match(await panel.locator('#run-state').innerText(), /Running/);
      await panel.locator('#control-stop').click();
      await panel.locator('#run-state', { hasText: 'Stopped' }).waitFor({ timeout: 30_000 });
      // leave the workbench as the next steps expect it: models open in the first group, beside the panel
      await runCommand(page, 'View: Focus First Editor Group');
      await runCommand(page, 'View: Close Editor');
      await page.locator(`.tabs-container .tab[aria-label*="${LONG}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    },
  ],
  [
    'the explorer\'s context menu trains a model file that is not open',
    async ({ page }) => {
      const file = 'moons.nn.json';
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: file }).first().click({ button: 'right' });
      const item = page.locator('.context-view .monaco-menu .action-item', { hasText: /^\s*Train Model\s*$/ }).first();
      await item.waitFor({ timeout: 10_000 });
      // a click right as the menu opens can be taken for the end of the right-click and dropped: hover the
      // item (which focuses it) and press Enter, as a keyboard user would
      await item.hover();
      await page.keyboard.press('Enter');
      await item.waitFor({ state: 'detached', timeout: 5000 });
      const panel = panelFrame(page);
      await panel.locator('#model-path', { hasText: file }).waitFor({ timeout: 60_000 });
      await panel.locator('#run-state', { hasText: 'Finished' }).waitFor({ timeout: 120_000 });
    },
  ],
  [
    'a broken model gets a squiggle on its layer after training',
    async ({ page, state, workspace }) => {
      state.original = readFileSync(path.join(workspace, BROKEN), 'utf8');
      await quickOpen(page, BROKEN);
      await runCommand(page, 'NN Debugger: Train Model');
      const panel = panelFrame(page);
      await panel.locator('#model-path', { hasText: path.basename(BROKEN) }).waitFor({ timeout: 60_000 });
      await panel.locator('#run-state', { hasText: 'Finished' }).waitFor({ timeout: 120_000 });
      await page.locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
    },
  ],
  [
    'the light bulb offers the preferred fix first, and applying it edits the file',
    async ({ page, state, workspace, resultsDir }) => {
      // Focus the editor, go to the problem, and open the quick-fix menu at it.
      await page.locator('.monaco-editor .view-lines').first().click();
      // Alt+F8 stays in this file (F8 would go to another file's problem, such as the long run's)
      await page.keyboard.press('Alt+F8');
      await page.keyboard.press('Escape');
      await page.keyboard.press(isMac ? 'Meta+.' : 'Control+.');
      const rows = page.locator('.action-widget .monaco-list-row.action');
      await rows.first().waitFor({ timeout: 10_000 });
      state.fixTitle = (await rows.first().innerText()).trim();
      await page.screenshot({ path: path.join(resultsDir, 'e2e-light-bulb.png') });
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab.dirty', { hasText: path.basename(BROKEN) }).waitFor({ timeout: 10_000 });
      await runCommand(page, 'File: Save');
      await page.keyboard.press(isMac ? 'Meta+Home' : 'Control+Home');
      const file = path.join(workspace, BROKEN);
      const deadline = Date.now() + 10_000;
      while (readFileSync(file, 'utf8') === state.original && Date.now() < deadline) await page.waitForTimeout(100);
      assert.notEqual(readFileSync(file, 'utf8'), state.original, `applying "${state.fixTitle}" changed the file`);
    },
  ],
  [
    'retrained with the editor title\'s play button, the squiggle is gone; the screenshot shows the panel',
    async ({ page, resultsDir }) => {
      await page.locator('.editor-actions .action-label[aria-label*="Train Model"]').first().click();
      // A new run clears the old findings; the fixed model must not get them back.
      await page.locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error').first().waitFor({ state: 'detached', timeout: 60_000 });
      await panelFrame(page).locator('#run-state', { hasText: 'Finished' }).waitFor({ timeout: 120_000 });
      await page.waitForTimeout(500);
      assert.equal(await page.locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error').count(), 0, 'no findings on the fixed model');
      await page.keyboard.press(isMac ? 'Meta+B' : 'Control+B'); // hide the side bar: room for editor and panel
      await page.mouse.move(10, 890); // no hover tooltip in the picture
      await settle(page);
      await page.screenshot({ path: path.join(resultsDir, 'e2e-panel.png') });
    },
  ],
  [
    'the status bar item brings a closed panel back, showing the last run',
    async ({ page }) => {
      const tab = page.locator('.tabs-container .tab', { hasText: 'Gradient Health' });
      await tab.hover();
      await tab.locator('.tab-actions .action-label').click();
      await tab.waitFor({ state: 'detached' });
      await page.locator('.statusbar-item', { hasText: 'poor-init-zeros' }).first().click();
      const panel = panelFrame(page);
      await panel.locator('#model-name', { hasText: 'poor-init-zeros' }).waitFor({ timeout: 30_000 });
      await panel.locator('#run-state', { hasText: 'Finished' }).waitFor();
      await panel.locator('#findings-count', { hasText: /^0$/ }).waitFor({ timeout: 5000 }); // the fixed run, not the first
    },
  ],
  [
    'after Reload Window the panel is restored (WebviewPanelSerializer) with the last run',
    async ({ page, resultsDir }) => {
      await page.waitForTimeout(1500); // the panel saves its state at most once a second
      // The workbench's own reload shuts down cleanly (storage flushed), as for a person using the command.
      const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 30_000 });
      await runCommand(page, 'Developer: Reload Window');
      await reloaded;
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      const panel = panelFrame(page);
      await panel.locator('#model-name', { hasText: 'poor-init-zeros' }).waitFor({ timeout: 60_000 });
      await panel.locator('#findings-count', { hasText: /^0$/ }).waitFor({ timeout: 5000 });
      await settle(page);
      await page.screenshot({ path: path.join(resultsDir, 'e2e-restored.png') });
    },
  ],
  [
    'the Get Started walkthrough lists the steps from a template to an applied fix',
    async ({ page, resultsDir }) => {
      await runCommand(page, 'Welcome: Open Walkthrough...');
      const input = page.locator('.quick-input-widget input.input');
      await input.fill('NN Debugger');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with NN Debugger' }).first().click();
      for (const title of ['Create a model', 'Train it', 'Read the gradient health', 'Fix a broken model']) {
        await page.locator('.getting-started-step .step-title', { hasText: title }).first().waitFor({ timeout: 20_000 });
      }
      await settle(page);
      await page.screenshot({ path: path.join(resultsDir, 'e2e-walkthrough.png') });
    },
  ],
];
