// What the e2e files do the way a person does it in the workbench: open files, run commands, find the panel.
import path from 'node:path';

export const isMac = process.platform === 'darwin';

/** Opens a file through Quick Open, as a person would type it. */
export async function quickOpen(page, relPath) {
  await page.keyboard.press(isMac ? 'Meta+P' : 'Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(relPath);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relPath) }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator(`.tabs-container .tab[aria-label*="${path.basename(relPath)}"]`).first().waitFor();
  await page.locator('.monaco-editor .view-lines').first().waitFor();
}

/** F1, type the command, pick it. Contributed commands appear only once the extensions are scanned: retry. */
export async function runCommand(page, title) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    // Click the row whose label is exactly the title: the top row may be a fuzzy match ("Save As...").
    const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
    try {
      await row.waitFor({ timeout: 3000 });
      await row.click();
      return;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw err;
    }
  }
}

export const panelFrame = (page) => page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');

export async function settle(page) {
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), null, { timeout: 5000 }).catch(() => undefined);
}
