// "Compare runs" in a real browser: any two of a model's last finished runs, loss curves overlaid and
// findings side by side, picked with the keyboard, in every theme.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeNumbers, encodeNumbers, type FinishedRun, type ToWebview } from '../../src/shared/protocol';
import { countColourPixels, loadFixture, panelPages } from './harness';
import { THEMES, type ThemeName } from './themes';

const fixture = loadFixture();
const [brokenRun, fixedRun] = fixture.runs as [unknown[], unknown[]];

/** A recorded run as the extension lists it once finished (src/extension/runs.ts). */
function finished(messages: unknown[], runId = ''): FinishedRun {
  const decoded = messages.map((m) => decodeNumbers(m) as ToWebview);
  const start = decoded.find((m) => m.type === 'run-start')!;
  const end = decoded.find((m) => m.type === 'run-end')!;
  const batches = decoded.flatMap((m) => (m.type === 'progress' ? [m.batch] : []));
  const info = { ...start.run, runId: runId || start.run.runId };
  return { info, summary: end.summary, findings: end.findings, steps: batches.flatMap((b) => b.steps), epochs: batches.flatMap((b) => b.epochs) };
}

const broken = finished(brokenRun);
const fixed = finished(fixedRun);
// an older run of the same model: the broken one again, under another id, with its loss halved
const older: FinishedRun = { ...finished(brokenRun, 'run-0'), steps: broken.steps.map((s) => ({ ...s, loss: s.loss / 2 })), findings: broken.findings.slice(0, 2) };
const list = (runs: FinishedRun[]) => encodeNumbers({ type: 'finished-runs', modelPath: fixed.info.modelPath, runs });

describe('Compare runs in Chromium', () => {
  const pages = panelPages();

  test('hidden until the model has two finished runs', async () => {
    const p = await pages.open();
    await p.send([...brokenRun, list([broken])]);
    assert.equal(await p.page.locator('#compare-runs').isHidden(), true);
  });

  test('the latest run against the one before by default: both curves drawn, findings side by side', async () => {
    const p = await pages.open();
    await p.send([...brokenRun, ...fixedRun, list([fixed, broken, older])]);
    assert.equal(await p.page.locator('#compare-runs').isVisible(), true);
    assert.equal(await p.page.locator('#compare-run-0 option').count(), 3);
    assert.equal(await p.page.locator('#compare-run-0').inputValue(), fixed.info.runId);
    assert.equal(await p.page.locator('#compare-run-1').inputValue(), broken.info.runId);
    assert.match(await p.page.locator('#compare-findings-0').innerText(), /no problems found/);
    const codes = await p.page.locator('#compare-findings-1 li').evaluateAll((li) => li.map((x) => (x as HTMLElement).dataset.code));
    assert.deepEqual([...codes].sort(), broken.findings.map((f) => f.code).sort());
    const vars = THEMES.dark.vars;
    for (const colour of ['--vscode-charts-blue', '--vscode-charts-orange']) {
      assert.ok((await countColourPixels(p.page, 'compare-chart-canvas', vars[colour]!, 10)).matching > 100, `a curve in ${colour}`);
    }
    await p.page.locator('#compare-chart summary').click();
    // the table is filled when the chart is drawn, on a later animation frame
    await p.page.locator('#compare-chart table tr').nth(1).waitFor();
    const table = await p.page.locator('#compare-chart table').innerText();
    assert.match(table, /run A: train loss/);
    assert.match(table, /run B: train loss/);
  });

  test('any two runs can be picked with the keyboard', async () => {
    const p = await pages.open();
    await p.send([...brokenRun, ...fixedRun, list([fixed, broken, older])]);
    await p.page.locator('#compare-run-0').focus();
    await p.page.keyboard.press('Tab');
    assert.equal(await p.page.evaluate(() => document.activeElement?.id), 'compare-run-1', 'Tab goes from run A to run B');
    await p.page.keyboard.press('ArrowDown');
    await p.send([]);
    assert.equal(await p.page.locator('#compare-run-1').inputValue(), 'run-0');
    assert.equal(await p.page.locator('#compare-findings-1 li').count(), 2, 'run B\'s findings follow the pick');
    // a new list keeps the pick while the run is still in it
    await p.send([list([fixed, broken, older])]);
    assert.equal(await p.page.locator('#compare-run-1').inputValue(), 'run-0');
  });

  for (const theme of Object.keys(THEMES) as ThemeName[]) {
    test(`curves in the ${theme} theme's colours`, async () => {
      const p = await pages.open({ theme });
      await p.send([...brokenRun, ...fixedRun, list([fixed, broken])]);
      const blue = THEMES[theme].vars['--vscode-charts-blue']!;
      assert.ok((await countColourPixels(p.page, 'compare-chart-canvas', blue, 10)).matching > 100, `run A in ${theme}'s blue`);
    });
  }
});
