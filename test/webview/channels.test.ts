// The conv layers in a real browser, on a run recorded from the engine (fixtures/conv-run.json, written by
// record-conv-fixture.ts): output shapes in the layer table, and the channels view's per-channel charts
// (dead filters, batch-norm batch vs running statistics, filter gradient norms, per-channel histograms),
// checked against the recorded probes, by keyboard, and in each theme's colours.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeNumbers, type ToWebview } from '../../src/shared/protocol';
import type { LayerProbe, ModelLayerSummary } from '../../src/shared/wire-types';
import { countColourPixels, loadFixture, panelPages, RESULTS, type PanelPage } from './harness';
import { THEMES, type ThemeName } from './themes';

const convRun = (JSON.parse(readFileSync(join(__dirname, 'fixtures', 'conv-run.json'), 'utf8')) as { runs: unknown[][] }).runs[0]!;
const decoded = convRun.map((m) => decodeNumbers(m) as ToWebview);
const summary: ModelLayerSummary[] = decoded.flatMap((m) => (m.type === 'run-start' ? m.run.model.layers : []));
const lastProbe: LayerProbe[] = decoded.flatMap((m) => (m.type === 'progress' ? m.batch.probes : [])).at(-1)!.layers;
const probeOf = (name: string) => lastProbe.find((l) => l.name === name)!;
const positionOf = (name: string) => summary.find((l) => l.name === name)!.position;
/** The palette order of charts/theme.ts: a layer's colour is the palette entry at its position. */
const PALETTE = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'];
const layerColour = (theme: ThemeName, name: string) => THEMES[theme].vars[`--vscode-charts-${PALETTE[positionOf(name) % PALETTE.length]}`]!;

const label = (p: PanelPage) => p.page.locator('#view-channels-canvas').getAttribute('aria-label');

async function tableRows(p: PanelPage): Promise<string[][]> {
  const details = p.page.locator('#view-channels details');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await p.page.locator('#view-channels details summary').click();
  await p.page.locator('#view-channels table tbody tr').first().waitFor();
  return p.page.evaluate(() => [...document.querySelectorAll('#view-channels table tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent!.trim())));
}

describe('conv layers in the panel', () => {
  const pages = panelPages();

  test('the recorded run has the probes the view draws: dead filters, batch-norm channels, ranked histograms', () => {
    assert.ok(probeOf('conv2/relu').channels!.dead!.some((d) => d === 1), 'some filters of conv2 died');
    assert.ok(probeOf('bn1').channels!.batchNorm);
    assert.equal(probeOf('conv2').channels!.histograms!.rankedBy, 'gradient');
    assert.equal(probeOf('conv1').channels!.histograms!.rankedBy, 'all');
  });

  test('the layer table shows each conv layer with its output shape [C, H, W]', async () => {
    const p = await pages.open();
    await p.send(convRun);
    const rows = await p.page.evaluate(() => {
      const head = [...document.querySelectorAll('#layer-table thead th')].map((th) => (th as HTMLElement).dataset.key);
      return [...document.querySelectorAll('#layer-table tbody tr')].map((tr) => ({ name: tr.children[head.indexOf('name')]!.textContent!.trim(), output: tr.children[head.indexOf('output')]!.textContent!.trim() }));
    });
    for (const l of summary) assert.deepEqual(rows.find((r) => r.name === l.name)?.output, l.outputShape!.join('×'), l.name);
    assert.equal(rows.find((r) => r.name === 'conv1')!.output, '8×16×16');
    assert.equal(rows.find((r) => r.name === 'conv2')!.output, '24×8×8');
  });

  test('dead filters, batch-norm batch vs running statistics and filter gradients per channel, as the probes say', async () => {
    const p = await pages.open();
    await p.send(convRun);
    assert.equal(await p.page.locator('#view-channels').isVisible(), true);
    // every layer on images is offered, nothing that reads flat features
    const options = await p.page.locator('#channels-layer option').allTextContents();
    assert.deepEqual(options.map((o) => o.split(' ')[0]), lastProbe.filter((l) => l.channels).map((l) => l.name));
    assert.ok(!options.some((o) => o.startsWith('logits')));

    await p.page.locator('#channels-layer').selectOption({ label: options.find((o) => o.startsWith('conv2/relu '))! });
    await p.send([]);
    const dead = probeOf('conv2/relu').channels!.dead!.flatMap((d, c) => (d ? [c] : []));
    assert.equal(await p.page.locator('#channels-measure').inputValue(), 'dead');
    assert.equal(await label(p), `Channels: conv2/relu (relu, 24×8×8): ${dead.length} of 24 filters dead (channel ${dead.join(', ')}).`);
    const rows = await tableRows(p);
    assert.equal(rows.length, 24);
    assert.deepEqual(rows.flatMap((r) => (r[1] === 'dead' ? [Number(r[0])] : [])), dead);
    await p.page.locator('#view-channels').screenshot({ path: join(RESULTS, 'channels-dead-filters.png') });
    // the pick is shared: the layer table marks the same layer
    assert.equal(await p.page.locator(`#layer-table tr.selected`).getAttribute('data-position'), String(positionOf('conv2/relu')));

    await p.page.locator('#channels-layer').selectOption({ label: options.find((o) => o.startsWith('bn1 '))! });
    await p.send([]);
    assert.equal(await p.page.locator('#channels-measure').inputValue(), 'bnMean');
    const bn = probeOf('bn1').channels!.batchNorm!;
    const bnRows = await tableRows(p);
    const head = await p.page.locator('#view-channels table thead th').allTextContents();
    assert.deepEqual(head, ['Channel', 'batch mean', 'running mean']);
    assert.equal(bnRows.length, 8);
    for (let c = 0; c < 8; c++) {
      assert.ok(Math.abs(Number(bnRows[c]![1]) - bn.batchMean[c]!) <= 0.01 * Math.abs(bn.batchMean[c]!) + 1e-6, `channel ${c} batch mean`);
      assert.ok(Math.abs(Number(bnRows[c]![2]) - bn.runningMean[c]!) <= 0.01 * Math.abs(bn.runningMean[c]!) + 1e-6, `channel ${c} running mean`);
    }
    await p.page.locator('#channels-measure').selectOption('bnVar');
    await p.send([]);
    assert.deepEqual(await p.page.locator('#view-channels table thead th').allTextContents(), ['Channel', 'batch variance', 'running variance']);

    await p.page.locator('#channels-layer').selectOption({ label: options.find((o) => o.startsWith('conv2 '))! });
    await p.send([]);
    // bnVar does not apply to a conv layer: its most telling measure instead
    assert.equal(await p.page.locator('#channels-measure').inputValue(), 'gradNorm');
    const norms = probeOf('conv2').channels!.gradNorm!;
    const lo = norms.indexOf(Math.min(...norms));
    assert.match((await label(p))!, new RegExp(`^Channels: conv2 \\(conv2d, 24×8×8\\): gradient norm per channel from \\S+ \\(channel ${lo}\\)`));
    await p.page.locator('#channels-measure').selectOption('gradientHistograms');
    await p.send([]);
    const ranked = probeOf('conv2').channels!.histograms!.channels;
    assert.equal(await label(p), `Channels: conv2 (conv2d, 24×8×8): filter gradient histograms (log10 |g|) of the filters with the smallest gradient (16 shown: ${ranked.join(', ')}).`);
    assert.deepEqual((await tableRows(p)).map((r) => Number(r[0])), ranked);
    assert.deepEqual(await p.page.locator('#view-channels table thead th').allTextContents(), ['Channel', 'From (log10 |gradient|)', 'To (log10 |gradient|)', 'Counts per bin']);
    await p.page.locator('#view-channels').screenshot({ path: join(RESULTS, 'channels-gradient-histograms.png') });
  });

  test('keyboard: Tab reaches both selects, arrow keys change the layer and the measure', async () => {
    const p = await pages.open();
    await p.send(convRun);
    await p.page.locator('body').click({ position: { x: 2, y: 2 } });
    const reached = new Set<string>();
    for (let i = 0; i < 60 && !(reached.has('channels-layer') && reached.has('channels-measure')); i++) {
      await p.page.keyboard.press('Tab');
      reached.add(await p.page.evaluate(() => document.activeElement?.id ?? ''));
    }
    assert.ok(reached.has('channels-layer') && reached.has('channels-measure'), [...reached].join(', '));
    await p.page.locator('#channels-layer').focus();
    const before = await p.page.locator('#channels-layer').inputValue();
    await p.page.keyboard.press('ArrowDown');
    await p.send([]);
    const after = await p.page.locator('#channels-layer').inputValue();
    assert.notEqual(after, before);
    assert.equal(await p.page.locator('#layer-table tr.selected').getAttribute('data-position'), after);
    await p.page.locator('#channels-measure').focus();
    const measure = await p.page.locator('#channels-measure').inputValue();
    await p.page.keyboard.press('ArrowDown');
    await p.send([]);
    assert.notEqual(await p.page.locator('#channels-measure').inputValue(), measure);
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as ThemeName[]) {
    test(`drawn in the theme's colours: ${theme}`, async () => {
      const p = await pages.open({ theme });
      await p.send(convRun);
      await p.page.locator('#channels-layer').selectOption(String(positionOf('conv1')));
      await p.send([]);
      const colour = layerColour(theme, 'conv1');
      assert.ok((await countColourPixels(p.page, 'view-channels-canvas', colour, 10)).matching > 200, `${theme}: bars in conv1's colour`);
      const others = Object.keys(THEMES).filter((t) => t !== theme).map((t) => layerColour(t as ThemeName, 'conv1')).filter((c) => c.toLowerCase() !== colour.toLowerCase());
      for (const c of others) assert.equal((await countColourPixels(p.page, 'view-channels-canvas', c, 6)).matching, 0, `${theme}: no other theme's ${c}`);
      await p.page.locator('#view-channels').screenshot({ path: join(RESULTS, `channels-${theme}.png`) });
    });
  }

  test('a theme switch redraws the channels in the new colours', async () => {
    const p = await pages.open({ theme: 'dark' });
    await p.send(convRun);
    await p.switchTheme('light');
    // nothing picked: the first layer on images
    assert.ok((await countColourPixels(p.page, 'view-channels-canvas', layerColour('light', 'conv1'), 10)).matching > 200);
    assert.equal((await countColourPixels(p.page, 'view-channels-canvas', layerColour('dark', 'conv1'), 6)).matching, 0);
  });

  test('a model without image layers shows no channels card', async () => {
    const p = await pages.open();
    await p.send(loadFixture('broken-run').runs[0]!);
    assert.equal(await p.page.locator('#chart-loss').isVisible(), true);
    assert.equal(await p.page.locator('#view-channels').isHidden(), true);
  });
});
