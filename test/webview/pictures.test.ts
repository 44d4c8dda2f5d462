// The views that show the network learn, in a real browser: the decision boundary forming over a 2-D
// model's data (and beside the previous run), the network diagram with its links and unit states, the
// activation and weight distributions, one selection shared by every view, and a 10 000-step run.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HISTORY_CAPACITY, RunHistory } from '../../src/shared/history';
import { decodeNumbers, encodeNumbers, type ToWebview, type VisualSnapshot } from '../../src/shared/protocol';
import { countColourPixels, loadFixture, panelPages, RESULTS, type PanelPage } from './harness';
import { THEMES, type ThemeName } from './themes';
import { record } from './record-run';

const real = loadFixture('real-run');
const [brokenRun, fixedRun] = real.runs as [unknown[], unknown[]];
const pictures = (run: unknown[]): VisualSnapshot[] => run.map((m) => decodeNumbers(m) as ToWebview).flatMap((m) => (m.type === 'progress' ? m.batch.visuals ?? [] : []));

let panel: ReturnType<typeof panelPages>['open'];

/** Opens a view's data table (filled when the details element reports it opened). */
async function openTable(p: PanelPage, id: string): Promise<void> {
  await p.page.locator(`#${id} details summary`).click();
  await p.page.locator(`#${id} table tbody tr`).first().waitFor();
}

/** A digest of a canvas's pixels: equal digests, equal pictures. */
const canvasDigest = (p: PanelPage, id: string) =>
  p.page.evaluate((id) => {
    const c = document.getElementById(id) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]!) | 0;
    return h;
  }, id);

describe('the views that show the network learn', () => {
  const pages = panelPages();
  panel = pages.open;

  test('a run that sends no pictures (one recorded from PyTorch) shows no empty picture cards', async () => {
    const p = await panel();
    await p.send(loadFixture('broken-run').runs[0]!);
    assert.equal(await p.page.locator('#chart-loss').isVisible(), true);
    assert.equal(await p.page.locator('.pictures').isHidden(), true);
    await p.send(brokenRun);
    assert.equal(await p.page.locator('.pictures').isVisible(), true, 'a run with pictures shows them');
  });

  test('the recorded runs carry pictures: a boundary for this 2-input model and a picture of every layer', () => {
    const shots = pictures(brokenRun);
    assert.ok(shots.length >= 4, `${shots.length} pictures`);
    assert.ok(shots.every((s) => s.boundary !== null));
    assert.ok(shots[0]!.points && shots[0]!.points.train.length > 0);
  });

  test('the decision boundary forms while the model trains, with the points on top and a validation toggle', async () => {
    const p = await panel();
    const half = Math.floor(brokenRun.length / 2);
    await p.send(brokenRun.slice(0, 4));
    await p.page.locator('#view-boundary-canvas').waitFor();
    assert.equal(await p.page.locator('#view-boundary').isVisible(), true);
    const early = await canvasDigest(p, 'view-boundary-canvas');
    await p.send(brokenRun.slice(4, half));
    await p.send(brokenRun.slice(half));
    const late = await canvasDigest(p, 'view-boundary-canvas');
    assert.notEqual(late, early, 'the boundary changed during training');
    const blue = THEMES.dark.vars['--vscode-charts-blue']!;
    // moons has two classes: both class colours cover part of the plane and the points
    assert.ok((await countColourPixels(p.page, 'view-boundary-canvas', blue, 120)).painted > 10_000);
    const label = (await p.page.locator('#view-boundary-canvas').getAttribute('aria-label')) ?? '';
    assert.match(label, /class 0: [\d.]+ % of the plane, class 1: [\d.]+ % of the plane/);
    await openTable(p, 'view-boundary');
    const table = await p.page.locator('#view-boundary table').innerText();
    const right = [...table.matchAll(/^\d\t[\d.]+ %\t([\d.]+) %/gm)].map((m) => Number(m[1]));
    assert.equal(right.length, 2);
    assert.ok(right.every((r) => r > 50), `training points predicted right per class: ${right.join(', ')}`);
    const withVal = await canvasDigest(p, 'view-boundary-canvas');
    await p.page.locator('#boundary-val').uncheck();
    await p.send([]);
    assert.notEqual(await canvasDigest(p, 'view-boundary-canvas'), withVal, 'hiding validation points redraws without them');
  });

  test('after a retrain the previous run\'s boundary can be shown beside the new one', async () => {
    const p = await panel();
    await p.send(brokenRun);
    assert.equal(await p.page.locator('#boundary-compare').isDisabled(), true, 'nothing to compare with yet');
    await p.send(fixedRun);
    assert.equal(await p.page.locator('#boundary-compare').isDisabled(), false);
    await p.page.locator('#boundary-compare').check();
    await p.send([]);
    // two planes side by side: the left half of the canvas is painted too
    const halves = await p.page.evaluate(() => {
      const c = document.getElementById('view-boundary-canvas') as HTMLCanvasElement;
      const ctx = c.getContext('2d')!;
      const count = (x: number) => ctx.getImageData(x, 0, Math.floor(c.width / 4), Math.floor(c.height / 2)).data.filter((_, i) => i % 4 === 3).filter((a) => a > 0).length;
      return [count(0), count(Math.floor(c.width / 2))];
    });
    assert.ok(halves[0]! > 1000 && halves[1]! > 1000, `both planes drawn: ${halves.join(', ')}`);
    assert.match((await p.page.locator('#view-boundary-canvas').getAttribute('aria-label')) ?? '', /class 0/);
  });

  test('the network diagram draws every unit with links by weight and selects a layer everywhere by click or keyboard', async () => {
    const p = await panel();
    await p.send(brokenRun);
    const model = (decodeNumbers(brokenRun[0]) as Extract<ToWebview, { type: 'run-start' }>).run.model;
    const last = pictures(brokenRun).at(-1)!;
    const weighted = last.layers.filter((l) => l.weighted);
    const columns = p.page.locator('#view-network-svg .network-column');
    assert.equal(await columns.count(), 1 + weighted.length, 'inputs and one column per weighted layer');
    const drawnUnits = [model.inputs, ...weighted.map((l) => model.layers.find((m) => m.position === l.position)!.outputSize)].filter((n) => n <= 32).reduce((a, b) => a + b, 0);
    assert.equal(await p.page.locator('#view-network-svg circle').count(), drawnUnits);
    const links = weighted.filter((l) => l.weights).reduce((s, l) => s + l.weights!.length, 0);
    assert.equal(await p.page.locator('#view-network-svg line').count(), links);
    const unitTitle = await p.page.locator('#view-network-svg circle title').last().textContent();
    assert.match(unitTitle ?? '', /unit \d+: mean -?[\d.e-]+, std [\d.e-]+/);
    // click the first weighted layer: the table row, the histogram and the distributions follow
    const target = weighted[0]!;
    await columns.nth(1).click();
    await p.send([]);
    assert.equal(await p.page.locator(`#layer-table tr.selected`).getAttribute('data-position'), String(target.position));
    assert.equal(await p.page.locator('#distributions-layer').inputValue(), String(target.position));
    assert.equal(await p.page.locator('#histogram-layer').inputValue(), String(target.position));
    assert.equal(await columns.nth(1).getAttribute('aria-pressed'), 'true');
    // the keyboard: focus the last column and press Enter
    const lastWeighted = weighted.at(-1)!;
    await columns.last().focus();
    await p.page.keyboard.press('Enter');
    await p.send([]);
    assert.equal(await p.page.locator(`#layer-table tr.selected`).getAttribute('data-position'), String(lastWeighted.position));
  });

  test('activation distributions show every activation layer now and at the first picture; weight bands cover the run', async () => {
    const p = await panel();
    await p.send(brokenRun);
    const last = pictures(brokenRun).at(-1)!;
    const shown = last.layers.filter((l) => l.output && l.kind !== 'dense');
    await openTable(p, 'view-activations');
    const rows = await p.page.locator('#view-activations table tbody tr').count();
    assert.equal(rows, shown.length);
    await p.page.locator('#activations-pre').check();
    await p.send([]);
    assert.equal(await p.page.locator('#view-activations table tbody tr').count(), last.layers.filter((l) => l.output).length, 'pre-activations add the dense outputs');
    assert.ok((await countColourPixels(p.page, 'view-activations-canvas', THEMES.dark.vars['--vscode-charts-blue']!, 120)).painted > 1000);
    await openTable(p, 'view-distributions');
    const steps = await p.page.locator('#view-distributions table tbody tr').count();
    assert.ok(steps >= pictures(brokenRun).length, `a band point per picture (${steps})`);
    const [minW, medW, maxW] = await p.page.locator('#view-distributions table tbody tr').last().evaluate((tr) => [1, 3, 5].map((i) => Number(tr.children[i]!.textContent)));
    assert.ok(minW! <= medW! && medW! <= maxW!, `quantiles ordered: ${minW} ${medW} ${maxW}`);
    await p.page.locator('#distributions-tensor').selectOption('gradients');
    await p.send([]);
    assert.match((await p.page.locator('#view-distributions-canvas').getAttribute('aria-label')) ?? '', /gradients: median/);
  });

  test('a run of more than 10 000 steps streams into the views and stays bounded', async () => {
    const model = join(__dirname, '..', '..', 'examples', 'spiral.nn.json');
    const text = readFileSync(model, 'utf8').replace(/"batchSize":\s*\d+/, '"batchSize": 8').replace(/"epochs":\s*\d+/, '"epochs": 170');
    const run = await record('long', 'examples/spiral.nn.json', text, 25);
    const steps = run.messages.flatMap((m) => (m.type === 'progress' ? m.batch.steps : [])).at(-1)!.step;
    assert.ok(steps > 10_000, `${steps} steps`);
    const p = await panel();
    const encoded = run.messages.map((m) => encodeNumbers(m));
    for (let i = 0; i < encoded.length; i += 20) await p.send(encoded.slice(i, i + 20));
    await openTable(p, 'view-distributions');
    const bandPoints = await p.page.locator('#view-distributions table tbody tr').count();
    const sent = run.messages.flatMap((m) => (m.type === 'progress' ? m.batch.visuals ?? [] : [])).length;
    assert.ok(sent > 100, `${sent} pictures`);
    const kept = new RunHistory();
    for (const m of run.messages) if (m.type === 'progress') kept.absorb(m.batch);
    assert.equal(bandPoints, kept.pictures.length, 'a band point per picture the bounded history keeps');
    assert.ok(bandPoints <= HISTORY_CAPACITY.pictures + 1 && bandPoints >= HISTORY_CAPACITY.pictures / 2, `${bandPoints} band points`);
    const label = (await p.page.locator('#view-distributions-canvas').getAttribute('aria-label')) ?? '';
    assert.match(label, /median/);
    assert.ok((await countColourPixels(p.page, 'view-boundary-canvas', THEMES.dark.vars['--vscode-charts-blue']!, 120)).painted > 10_000);
    assert.match(await p.page.locator('#view-network-svg').innerHTML(), /circle/);
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as ThemeName[]) {
    test(`the views in the ${theme} theme (screenshot for the README)`, async () => {
      const p = await panel({ theme });
      await p.send(brokenRun);
      await p.send(fixedRun);
      const vars = THEMES[theme].vars;
      const blue = await countColourPixels(p.page, 'view-activations-canvas', vars['--vscode-charts-blue']!, 120);
      const orange = await countColourPixels(p.page, 'view-activations-canvas', vars['--vscode-charts-orange']!, 120);
      assert.ok(blue.painted > 1000 && blue.matching + orange.matching >= 0);
      const box = await p.page.locator('.pictures').boundingBox();
      await p.page.screenshot({ path: join(RESULTS, `views-${theme}.png`), clip: { x: 0, y: box!.y, width: 1280, height: box!.height } });
    });
  }
});
