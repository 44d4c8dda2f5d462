// The Gradient Health panel in a real browser (headless Debian Chromium): the real HTML and bundle, fed the
// recorded message stream of a broken run and its fixed retrain.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { decodeNumbers, encodeNumbers, replayMessages, type ToWebview } from '../../src/shared/protocol';
import { RunHistory } from '../../src/shared/history';
import type { LayerProbe } from '../../src/engine/types';
import { countColourPixels, loadFixture, panelPages, RESULTS, type PanelPage } from './harness';
import { THEMES, type ThemeName } from './themes';
import { HOSTILE_IMG_NAME, HOSTILE_SCRIPT_NAME } from './make-fixture';

const CANVASES = ['chart-loss-canvas', 'chart-grad-norm-canvas', 'chart-update-ratio-canvas', 'chart-ratios-canvas', 'chart-batchnorm-canvas', 'chart-histogram-canvas'];
const fixture = loadFixture();
const [brokenRun, fixedRun] = fixture.runs as [unknown[], unknown[]];
const decoded = (brokenRun.map((m) => decodeNumbers(m)) as ToWebview[]);
const lastProbeLayers: LayerProbe[] = decoded.flatMap((m) => (m.type === 'progress' ? m.batch.probes : [])).at(-1)!.layers;

let panel: ReturnType<typeof panelPages>['open'];

/** Text of one column of the layer table, top to bottom. */
const column = (p: PanelPage, key: string) =>
  p.page.evaluate((key) => {
    const i = [...document.querySelectorAll('#layer-table thead th')].findIndex((th) => (th as HTMLElement).dataset.key === key);
    return [...document.querySelectorAll('#layer-table tbody tr')].map((tr) => tr.children[i]!.textContent!.trim());
  }, key);

describe('Gradient Health panel in Chromium', () => {
  const pages = panelPages();
  panel = pages.open;

  test('an empty panel says what to do, and tells the extension it is ready', async () => {
    const p = await panel();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    const status = await p.page.locator('#status').innerText();
    assert.match(status, /No training run yet/);
    assert.match(status, /NN Debugger: Train Model/);
    assert.equal(await p.page.locator('.live').isHidden(), true);
  });

  test('a starting run shows the loading state, then controls post their messages', async () => {
    const p = await panel();
    const startIdx = decoded.findIndex((m) => m.type === 'progress');
    await p.send(brokenRun.slice(0, startIdx));
    assert.match(await p.page.locator('#status').innerText(), /Training spiral \(lr too high\)/);
    await p.send(brokenRun.slice(startIdx, startIdx + 3));
    assert.equal(await p.page.locator('#status').isHidden(), true);
    assert.equal(await p.page.locator('#run-state').innerText(), 'Running');
    await p.page.locator('#control-pause').click();
    await p.send([{ type: 'run-state', runId: 'run-1', state: 'paused' }]);
    assert.equal(await p.page.locator('#control-pause').innerText(), 'Resume');
    await p.page.locator('#control-pause').click();
    await p.page.locator('#control-stop').click();
    await p.page.locator('#control-retrain').click();
    const controls = (await p.posted()).slice(1);
    assert.deepEqual(controls, [
      { type: 'control', action: 'pause' },
      { type: 'control', action: 'resume' },
      { type: 'control', action: 'stop' },
      { type: 'control', action: 'retrain' },
    ]);
  });

  test('Repair Automatically waits for the run to end, then asks the extension to repair that run\'s model', async () => {
    const p = await panel();
    await p.send(brokenRun.slice(0, 20));
    assert.equal(await p.page.locator('#control-repair').getAttribute('disabled'), '', 'disabled while training');
    await p.send(brokenRun.slice(20));
    assert.equal(await p.page.locator('#control-repair').getAttribute('disabled'), null);
    await p.page.locator('#control-repair').click();
    assert.deepEqual((await p.posted()).slice(1), [{ type: 'repair', runId: 'run-1' }]);
  });

  test('a failure without a run shows the error and the next step', async () => {
    const p = await panel();
    await p.send([{ type: 'run-failed', runId: null, message: 'model.nn.json: layers[2].units must be a positive integer <img src=x onerror="window.__pwned=3">' }]);
    assert.match(await p.page.locator('#status').innerText(), /Training failed[\s\S]*Train Model[\s\S]*layers\[2\]\.units must be a positive integer <img src=x/);
    assert.equal(await p.page.locator('#status img').count(), 0);
  });

  test('a run that fails midway keeps its charts and shows the error', async () => {
    const p = await panel();
    await p.send(brokenRun.slice(0, 20));
    await p.send([{ type: 'run-failed', runId: 'run-1', message: 'worker crashed: out of memory' }]);
    assert.equal(await p.page.locator('#run-state').innerText(), 'Failed');
    assert.match(await p.page.locator('#status').innerText(), /Training failed[\s\S]*worker crashed: out of memory/);
    assert.equal(await p.page.locator('#chart-grad-norm-canvas').isVisible(), true);
    assert.equal(await p.page.locator('#control-stop').getAttribute('disabled'), '');
  });

  test('switching the theme live redraws the charts in the new theme colours', async () => {
    const p = await panel({ theme: 'dark' });
    await p.send(brokenRun.slice(0, 40));
    const blue = async (vars: Record<string, string>) => (await countColourPixels(p.page, 'chart-grad-norm-canvas', vars['--vscode-charts-blue']!, 10)).matching;
    assert.ok((await blue(THEMES.dark.vars)) > 100);
    await p.switchTheme('light');
    assert.ok((await blue(THEMES.light.vars)) > 100, 'lines now use the light theme blue');
    assert.equal(await blue(THEMES.dark.vars), 0, 'and no longer the dark theme blue');
  });

  describe('after the broken run', () => {
    let p: PanelPage;
    before(async () => {
      p = await panel();
      await p.send(brokenRun);
    });

    test('findings: severity order, layer, message, evidence with Infinity and NaN, preferred fix first', async () => {
      const items = p.page.locator('#findings-list > li');
      assert.equal(await items.count(), 5);
      assert.equal(await p.page.locator('#findings-count').innerText(), '5');
      const codes = await items.evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.code));
      assert.deepEqual(codes, ['exploding-gradients', 'non-finite', 'dead-relu', 'saturated-activation', 'overfitting']);
      const first = items.nth(0);
      assert.equal(await first.locator('.severity').innerText(), 'ERROR');
      assert.equal(await first.locator('.layer-link').innerText(), HOSTILE_SCRIPT_NAME);
      assert.equal(await first.locator('.evidence').innerText(), 'gradient L2 norm: Infinity (threshold > 1000) from step 420 to 600');
      assert.equal(await items.nth(1).locator('.evidence').innerText(), 'loss: NaN (threshold = 0) since step 540');
      assert.deepEqual(await first.locator('.fix-button').allInnerTexts(), ['Clip gradients at norm 5', 'Lower the learning rate to 0.05']);
      assert.equal(await first.locator('.fix-button').nth(0).getAttribute('secondary'), null, 'the preferred fix is the primary button');
      assert.deepEqual(await items.nth(2).locator('.fix-button').allInnerTexts(), ['Switch dense_1 to leaky ReLU', 'Re-initialise dense_1 with He']);
      assert.equal(await items.nth(4).locator('.layer-link').innerText(), 'training');
    });

    test('fix buttons and layer links post the right messages', async () => {
      const before = (await p.posted()).length;
      await p.page.locator('#findings-list > li').nth(0).locator('.fix-button').nth(0).click();
      await p.page.locator('#findings-list > li').nth(2).locator('.fix-button').nth(1).click();
      await p.page.locator('#retrain-after-fix').click();
      await p.page.locator('#findings-list > li').nth(4).locator('.fix-button').nth(0).click();
      await p.page.locator('#findings-list > li').nth(3).locator('.layer-link').click();
      await p.page.locator('#findings-list > li').nth(4).locator('.layer-link').click();
      await p.page.locator('#layer-table tbody tr[data-position="4"] button.link').click();
      assert.deepEqual((await p.posted()).slice(before), [
        { type: 'apply-fix', runId: 'run-1', fixId: 'clip-norm:5', retrain: true },
        { type: 'apply-fix', runId: 'run-1', fixId: 'reinit:dense_1:he', retrain: true },
        { type: 'apply-fix', runId: 'run-1', fixId: 'early-stopping:5', retrain: false },
        { type: 'reveal-layer', runId: 'run-1', layerIndex: 3, field: null },
        { type: 'reveal-layer', runId: 'run-1', layerIndex: null, field: 'training' },
        { type: 'reveal-layer', runId: 'run-1', layerIndex: 3, field: null },
      ]);
      await p.page.locator('#retrain-after-fix').click();
    });

    test('a stale run disables its fixes and says why', async () => {
      const q = await panel();
      await q.send(brokenRun);
      assert.equal(await q.page.locator('#stale-note').isVisible(), false);
      await q.send([{ type: 'stale', runId: 'run-1' }]);
      assert.equal(await q.page.locator('#stale-note').isVisible(), true);
      const before = (await q.posted()).length;
      await q.page.locator('.fix-button').first().click({ force: true });
      assert.equal((await q.posted()).length, before, 'a disabled fix posts nothing');
    });

    test('hostile layer names are text: no element, no script, no request', async () => {
      const texts = await p.page.locator('#layer-table tbody th').allInnerTexts();
      assert.ok(texts.includes(HOSTILE_SCRIPT_NAME), 'the </script> name is shown as written');
      assert.ok(texts.includes(HOSTILE_IMG_NAME), 'the <img onerror> name is shown as written');
      assert.equal(await p.page.locator('img').count(), 0);
      assert.equal(await p.page.locator('body script').count(), 1, 'only the bundle script exists');
      assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      assert.ok(!pages.server().requests.includes('/x'), 'the hostile <img src=x> was never requested');
    });

    test('the layer table shows NaN as NaN and sorts by every column', async () => {
      const rows = p.page.locator('#layer-table tbody tr');
      assert.equal(await rows.count(), lastProbeLayers.length);
      assert.equal(await p.page.locator('#layer-table tbody tr[data-position="2"] td').nth(2).innerText(), 'NaN');
      const healths = await column(p, 'health');
      assert.deepEqual(healths, ['Warning', 'Warning', 'Error', 'Healthy', 'Warning', 'Healthy']);

      // Sorting by gradient magnitude, largest first: NaN is the worst value, missing values go last.
      await p.page.locator('#layer-table th[data-key="gradNorm"] button').click();
      assert.equal(await p.page.locator('#layer-table th[data-key="gradNorm"]').getAttribute('aria-sort'), 'descending');
      const byNorm = [...lastProbeLayers].sort((a, b) => rankDesc(a.gradNorm) - rankDesc(b.gradNorm) || a.position - b.position).map((l) => String(l.position));
      assert.deepEqual(await column(p, 'position'), byNorm);
      assert.equal((await column(p, 'gradNorm'))[0], 'NaN');
      await p.page.locator('#layer-table th[data-key="gradNorm"] button').click();
      assert.equal(await p.page.locator('#layer-table th[data-key="gradNorm"]').getAttribute('aria-sort'), 'ascending');
      assert.deepEqual((await column(p, 'gradNorm')).slice(-2), ['–', '–'], 'missing values stay last in both directions');

      // Every column sorts, in both directions, consistently with its own values.
      for (const key of ['position', 'name', 'kind', 'gradNorm', 'updateRatio', 'dead', 'saturation', 'health']) {
        for (const direction of ['first', 'second']) {
          await p.page.locator(`#layer-table th[data-key="${key}"] button`).click();
          const sort = await p.page.locator(`#layer-table th[data-key="${key}"]`).getAttribute('aria-sort');
          assert.ok(sort === 'ascending' || sort === 'descending', `${key} ${direction}: aria-sort ${sort}`);
          const values = (await column(p, key)).filter((v) => v !== '–').map((v) => toSortable(key, v));
          const expected = [...values].sort((a, b) => cmp(a, b) * (sort === 'descending' ? -1 : 1));
          assert.deepEqual(values, expected, `${key} sorted ${sort}`);
        }
      }
      assert.equal(await p.page.locator('#layer-table th[aria-sort]').count(), 1);
    });

    test('every chart canvas is drawn in series colours, and the data tables are their text alternative', async () => {
      const palette = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'].map((c) => THEMES.dark.vars[`--vscode-charts-${c}`]!);
      for (const id of CANVASES) {
        let matching = 0;
        for (const colour of palette) matching += (await countColourPixels(p.page, id, colour)).matching;
        assert.ok(matching > 300, `${id}: ${matching} pixels in series colours`);
        const label = await p.page.locator(`#${id}`).getAttribute('aria-label');
        assert.ok(label && label.length > 30, `${id} has a descriptive label: ${label}`);
      }
      await p.page.locator('#chart-grad-norm summary').click();
      await p.page.locator('#chart-grad-norm table tbody tr').first().waitFor(); // filled on the toggle event
      const table = await p.page.locator('#chart-grad-norm table').innerText();
      assert.match(table, /Series\tLatest step\tLatest value/);
      assert.ok(table.includes(`${HOSTILE_SCRIPT_NAME} (dense)\t600\tNaN\t`), `the exploding layer's latest value reads NaN:\n${table}`);
      assert.match(await p.page.locator('#chart-histogram-canvas').getAttribute('aria-label') ?? '', /dense_1, \d+ weights over 14 bins/);
    });

    test('the histogram follows the chosen layer', async () => {
      const labelOf = () => p.page.locator('#chart-histogram-canvas').getAttribute('aria-label');
      assert.match((await labelOf())!, /^Gradient histogram: dense_1,/);
      await p.page.locator('#histogram-layer').selectOption({ label: `${HOSTILE_IMG_NAME} (dense)` });
      assert.ok((await labelOf())!.startsWith(`Gradient histogram: ${HOSTILE_IMG_NAME},`));
    });

    test('keyboard reaches the controls, fixes, links, sort headers and chart tables', async () => {
      await p.page.locator('body').click({ position: { x: 2, y: 2 } });
      const reached = new Set<string>();
      for (let i = 0; i < 80; i++) {
        await p.page.keyboard.press('Tab');
        reached.add(await p.page.evaluate(() => {
          const a = document.activeElement as HTMLElement | null;
          return a ? a.id || a.className || a.tagName : '';
        }));
      }
      for (const want of ['control-retrain', 'fix-button', 'link layer-link', 'sort', 'histogram-layer']) assert.ok([...reached].some((r) => r.includes(want)), `Tab reaches ${want}: ${[...reached].join(', ')}`);
      await p.page.locator('#layer-table th[data-key="name"] button').focus();
      await p.page.keyboard.press('Enter');
      assert.equal(await p.page.locator('#layer-table th[data-key="name"]').getAttribute('aria-sort'), 'ascending');
    });

    test('malformed messages are ignored without breaking the panel', async () => {
      await p.send([{ type: 'progress', runId: 'run-1' }, { type: 'run-start', run: { runId: 7 } }, 'hello', null, { type: 'launch-missiles' }]);
      assert.equal(await p.page.locator('#model-name').innerText(), 'spiral (lr too high)');
      assert.equal(await p.page.locator('#findings-list > li').count(), 5);
    });

    test('a reloaded panel restores the last run from its saved state', async () => {
      await p.page.waitForFunction(() => (window as unknown as { __getState: () => unknown }).__getState() !== null, null, { timeout: 5000 });
      await p.page.waitForTimeout(1100); // the throttled save after the last message
      const saved = await p.state();
      const q = await panel({ state: saved });
      assert.equal(await q.page.locator('#model-name').innerText(), 'spiral (lr too high)');
      assert.equal(await q.page.locator('#findings-list > li').count(), 5);
      assert.equal(await q.page.locator('#layer-table tbody tr[data-position="2"] td').nth(2).innerText(), 'NaN');
      assert.equal(await q.page.locator('#findings-list > li').nth(0).locator('.evidence').innerText(), 'gradient L2 norm: Infinity (threshold > 1000) from step 420 to 600');
      for (const id of CANVASES) assert.ok((await countColourPixels(q.page, id, THEMES.dark.vars['--vscode-charts-blue']!)).painted > 1000, `${id} drawn after restore`);
    });
  });

  test('a reloaded panel shows the same points and probe count, from its saved state and then the extension\'s replay', async () => {
    const p = await panel();
    await p.send(brokenRun);
    await p.page.waitForTimeout(1100); // the throttled save after the last message
    // what the panel shows: every chart's points (as the store holds them for Chart.js) and the probe count
    const shown = (q: PanelPage) => q.page.evaluate(() => {
      type S = { points: { x: number; y: number }[] };
      const run = (window as unknown as { nnPanel: { store: { current: { probes: number; loss: S; valLoss: S; layers: { gradNorm: S; updateRatio: S; dead: S; saturation: S; weightBands: S[] }[] } } } }).nnPanel.store.current;
      const xy = (s: S) => s.points.map((p) => `${p.x}:${p.y}`).join(' ');
      return { probes: run.probes, loss: xy(run.loss), valLoss: xy(run.valLoss), layers: run.layers.map((l) => [l.gradNorm, l.updateRatio, l.dead, l.saturation, ...l.weightBands].map(xy)) };
    });
    const lossTable = async (q: PanelPage) => {
      await q.page.locator('#chart-loss summary').click();
      // the table is filled when the chart is drawn, on a later animation frame
      await q.page.locator('#chart-loss table tr').nth(1).waitFor();
      return q.page.locator('#chart-loss table').innerText();
    };
    const before = await shown(p);
    const beforeTable = await lossTable(p);
    assert.equal(before.probes, decoded.flatMap((m) => (m.type === 'progress' ? m.batch.probes : [])).length);
    assert.ok(before.layers.some((l) => l[0]!.length > 0) && before.loss.length > 0);
    // the extension's copy of the run, as src/extension/runs.ts keeps it
    const extension = new RunHistory();
    for (const m of decoded) if (m.type === 'progress') extension.absorb(m.batch);
    const end = decoded.find((m) => m.type === 'run-end')!;
    const replay = replayMessages({ info: (decoded[0] as Extract<ToWebview, { type: 'run-start' }>).run, state: 'finished', history: extension, end: { summary: end.summary, findings: end.findings }, failure: null, stale: false });
    const q = await panel({ state: await p.state() });
    await q.send([]); // drawn
    assert.deepEqual(await shown(q), before, 'restored from the saved state');
    assert.equal(await lossTable(q), beforeTable);
    await q.send(replay.map((m) => encodeNumbers(m)));
    assert.deepEqual(await shown(q), before, 'then replayed by the extension: the same, nothing counted twice');
  });

  test('after a fix and retrain the previous run stays as a faded comparison', async () => {
    const p = await panel();
    await p.send(brokenRun);
    await p.send(fixedRun);
    assert.equal(await p.page.locator('#findings-list > li').count(), 0);
    assert.match(await p.page.locator('#findings-note').innerText(), /No problems found/);
    assert.deepEqual(await column(p, 'health'), ['Healthy', 'Healthy', 'Healthy', 'Healthy', 'Healthy', 'Healthy']);
    await p.page.locator('#chart-grad-norm summary').click();
    await p.page.locator('#chart-grad-norm table tbody tr').first().waitFor();
    const table = await p.page.locator('#chart-grad-norm table').innerText();
    assert.match(table, /^previous run: dense_1 \(dense\)\t600/m);
    assert.match(table, /^dense_1 \(dense\)\t600/m);
    const legend = await p.page.locator('#chart-grad-norm-canvas').getAttribute('aria-label');
    assert.doesNotMatch(legend ?? '', /previous run/, 'the summary describes the current run');
  });

  test('a run recorded from the real engine renders its findings, layers and charts, then goes green after the fix', async () => {
    const real = loadFixture('real-run');
    const [before, fixed] = real.runs.map((run) => run.map((m) => decodeNumbers(m) as ToWebview)) as [ToWebview[], ToWebview[]];
    const start = before[0] as Extract<ToWebview, { type: 'run-start' }>;
    const end = before.at(-1) as Extract<ToWebview, { type: 'run-end' }>;
    const p = await panel();
    await p.send(real.runs[0]!);
    assert.equal(await p.page.locator('#model-name').innerText(), start.run.model.name);
    assert.equal(await p.page.locator('#findings-list > li').count(), end.findings.length);
    assert.ok(end.findings.length > 0, `the recorded broken run has findings (${real.source})`);
    const codes = await p.page.locator('#findings-list > li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.code));
    assert.deepEqual(new Set(codes), new Set(end.findings.map((f) => f.code)));
    for (const f of end.findings) assert.ok((await p.page.locator('#findings-list').innerText()).includes(f.message));
    assert.equal(await p.page.locator('#layer-table tbody tr').count(), start.run.model.layers.length);
    const probes = before.flatMap((m) => (m.type === 'progress' ? m.batch.probes : []));
    const has = (pick: (l: LayerProbe) => unknown) => probes.some((s) => s.layers.some((l) => pick(l) !== null));
    const expected: [string, boolean][] = [
      ['chart-loss-canvas', true],
      ['chart-grad-norm-canvas', has((l) => l.gradNorm)],
      ['chart-update-ratio-canvas', has((l) => l.updateRatio)],
      ['chart-ratios-canvas', has((l) => l.deadRatio) || has((l) => l.saturationRatio)],
      ['chart-batchnorm-canvas', has((l) => l.batchNorm)],
      ['chart-histogram-canvas', has((l) => l.histogram)],
    ];
    for (const [id, drawn] of expected) {
      const visible = await p.page.locator(`#${id}`).isVisible();
      assert.equal(visible, drawn, `${id} shown exactly when the run has its data`);
      if (drawn) assert.ok((await countColourPixels(p.page, id, THEMES.dark.vars['--vscode-charts-blue']!)).painted > 1000, `${id} drawn`);
    }
    await shoot(p, join(RESULTS, 'panel-real-dark.png'));
    await p.send(real.runs[1]!);
    const after = fixed.at(-1) as Extract<ToWebview, { type: 'run-end' }>;
    assert.equal(await p.page.locator('#findings-list > li').count(), after.findings.length);
    await shoot(p, join(RESULTS, 'panel-real-dark-after-fix.png'));
  });

  test('charts off screen wait, and are drawn once scrolled into view', async () => {
    const p = await panel({ height: 300 });
    await p.send(brokenRun);
    const painted = async () => (await countColourPixels(p.page, 'chart-histogram-canvas', THEMES.dark.vars['--vscode-charts-blue']!)).painted;
    assert.equal(await painted(), 0, 'the histogram below the fold has not been drawn yet');
    await p.page.locator('#chart-histogram').scrollIntoViewIfNeeded();
    await p.page.waitForFunction(() => {
      const c = document.getElementById('chart-histogram-canvas') as HTMLCanvasElement;
      return c.width > 0 && c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.some((v) => v > 0);
    }, null, { timeout: 5000 });
    assert.ok((await painted()) > 1000);
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as ThemeName[]) {
    test(`themed screenshot: ${theme}`, async () => {
      const p = await panel({ theme });
      await p.send(brokenRun.slice(0, Math.floor(brokenRun.length * 0.75)));
      await p.send(fixedRun.slice(0, Math.floor(fixedRun.length * 0.6)));
      const vars = THEMES[theme].vars;
      const colours = await p.page.evaluate(() => ({ background: getComputedStyle(document.body).backgroundColor, text: getComputedStyle(document.body).color }));
      assert.equal(colours.background, await cssToRgb(p, vars['--vscode-editor-background']!));
      assert.equal(colours.text, await cssToRgb(p, vars['--vscode-foreground']!));
      for (const id of CANVASES) {
        const { matching } = await countColourPixels(p.page, id, vars['--vscode-charts-blue']!);
        const other = await countColourPixels(p.page, id, vars['--vscode-charts-orange']!);
        assert.ok(matching + other.matching > 100, `${theme} ${id}: series drawn in this theme's colours`);
      }
      await shoot(p, join(RESULTS, `panel-${theme}.png`));
    });
  }
});

function rankDesc(v: number | null): number {
  if (v === null) return Infinity;
  return Number.isNaN(v) ? -Infinity : -v;
}

const HEALTH_ORDER = ['No data', 'Healthy', 'Note', 'Warning', 'Error'];

function toSortable(key: string, text: string): number | string {
  if (key === 'health') return HEALTH_ORDER.indexOf(text);
  if (key === 'name' || key === 'kind') return text;
  if (text === 'NaN') return Infinity;
  return parseFloat(text.replace(/[ %]/g, ''));
}

function cmp(a: number | string, b: number | string): number {
  if (typeof a === 'string' || typeof b === 'string') return String(a).localeCompare(String(b));
  return a === b ? 0 : a < b ? -1 : 1;
}

function cssToRgb(p: PanelPage, css: string): Promise<string> {
  return p.page.evaluate((css) => {
    const probe = document.createElement('div');
    probe.style.color = css;
    document.body.append(probe);
    const rgb = getComputedStyle(probe).color;
    probe.remove();
    return rgb;
  }, css);
}

/** The panel's content (the viewport is taller than the content, and a full-page shot would show the gap). */
async function shoot(p: PanelPage, path: string): Promise<void> {
  const height = await p.page.evaluate(() => Math.ceil(document.documentElement.scrollHeight > window.innerHeight ? document.documentElement.scrollHeight : document.getElementById('root')!.getBoundingClientRect().bottom + 16));
  await p.page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: p.page.viewportSize()!.width, height } });
}
