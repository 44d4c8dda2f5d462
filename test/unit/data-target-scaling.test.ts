// Regression target scaling: the format field, the standardised targets (training statistics only), the
// losses reported back in the original units, and the unscaled-targets finding that asks for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { featureStats } from '../../src/engine/data/preprocess';
import type { DataFiles, Dataset } from '../../src/engine/data/dataset';
import type { ModelSpec } from '../../src/engine/spec/model-spec';
import { Trainer } from '../../src/engine/train/trainer';
import { checkModel, TrainingSession } from '../../src/engine/session';
import { applyFix } from '../../src/engine/fixes';

/** Prices in the thousands from two features on unit scale, with a little deterministic noise. */
function pricesCsv(n = 200): string {
  const rows = ['size,age,price'];
  for (let i = 0; i < n; i++) {
    const size = Math.sin(i * 1.7);
    const age = Math.cos(i * 0.9);
    rows.push(`${size},${age},${8000 + 3000 * size - 1500 * age + 200 * Math.sin(i * 7.3)}`);
  }
  return rows.join('\n');
}

const FILES: DataFiles = { 'prices.csv': pricesCsv() };

function modelText(targetScaling: string | null, extra: Record<string, unknown> = {}): string {
  const data: Record<string, unknown> = { source: 'prices.csv', target: 'price', task: 'regression', validationSplit: 0.25 };
  if (targetScaling) data.targetScaling = targetScaling;
  return JSON.stringify({ seed: 3, data, layers: [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'dense', units: 1 }], loss: 'mse', optimizer: 'adam', epochs: 3, ...extra }, null, 2);
}

function load(text: string): { spec: ModelSpec; data: Dataset } {
  const r = parseModel(text, 'm.nn.json');
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return { spec: r.spec, data: loadDataset(r.spec, FILES) };
}

test('targetScaling defaults to none and is refused, at its place, on a classification task', () => {
  assert.equal(load(modelText(null)).spec.data.targetScaling, 'none');
  const text = JSON.stringify({ data: { source: 'circles', targetScaling: 'standardize' }, layers: [{ type: 'dense', units: 2 }], loss: 'softmax-cross-entropy' });
  const r = parseModel(text, 'c.nn.json');
  assert.equal(r.ok, false);
  const issue = r.issues.find((i) => i.path.join('.') === 'data.targetScaling');
  assert.ok(issue, r.issues.map((i) => i.message).join('\n'));
  assert.match(issue.message, /regression/);
  assert.equal(text.slice(issue.offset, issue.offset + issue.length), '"standardize"');
  const bad = parseModel(modelText('log'), 'm.nn.json');
  assert.equal(bad.ok, false);
});

test('standardised targets use the training split statistics, and the same rows as unscaled ones', () => {
  const raw = load(modelText('none')).data;
  const scaled = load(modelText('standardize')).data;
  assert.equal(raw.targetScale, null);
  const stats = featureStats(raw.train.targets, raw.train.n, 1);
  assert.ok(scaled.targetScale);
  assert.equal(scaled.targetScale.mean[0], stats.mean[0]);
  assert.equal(scaled.targetScale.divisor[0], stats.std[0]);
  const trainStats = featureStats(scaled.train.targets, scaled.train.n, 1);
  assert.ok(Math.abs(trainStats.mean[0]) < 1e-9 && Math.abs(trainStats.std[0] - 1) < 1e-9);
  // validation targets mapped with the training statistics: exactly invertible, never re-centred on themselves
  scaled.val.targets.forEach((y, i) => assert.ok(Math.abs(y * stats.std[0] + stats.mean[0] - raw.val.targets[i]) < 1e-9));
  assert.deepEqual(scaled.val.x, raw.val.x);
});

test('every loss of a run on standardised targets is the mean squared error in the original units', async () => {
  const raw = load(modelText('none')).data;
  const { spec, data } = load(modelText('standardize'));
  const scale = data.targetScale!;
  const trainer = new Trainer(spec, data, { dtype: 'float64', yieldEveryMs: 0 });
  const epochs: { loss: number; valLoss: number | null }[] = [];
  trainer.on((e) => { if (e.type === 'epoch') epochs.push(e.metrics); });
  const summary = await trainer.run();
  // the validation split (under one evaluation chunk) is evaluated after training: recompute its loss by hand
  const val = trainer.evaluate('val');
  const out = trainer.layers[trainer.layers.length - 1].lastOutput!;
  let sse = 0;
  for (let i = 0; i < data.val.n; i++) sse += (out[i] * scale.divisor[0] + scale.mean[0] - raw.val.targets[i]) ** 2;
  const unscaledMse = sse / data.val.n;
  assert.ok(Math.abs(val.loss - unscaledMse) <= 1e-9 * unscaledMse, `${val.loss} vs ${unscaledMse}`);
  assert.equal(epochs[epochs.length - 1].valLoss, val.loss);
  assert.equal(summary.final.valLoss, val.loss);
  // the training loss is in the same units: far above the O(1) loss of the standardised problem
  assert.ok(summary.final.loss! > 1000, `training loss ${summary.final.loss}`);
});

test('unscaled-targets fires on raw targets far from unit scale, and its fix silences it', () => {
  const text = modelText(null);
  const hit = checkModel(text, 'm.nn.json', FILES).findings.filter((f) => f.code === 'unscaled-targets');
  assert.equal(hit.length, 1);
  assert.equal(hit[0].severity, 'warning');
  assert.match(hit[0].message, /"price"/);
  assert.equal(hit[0].fixes[0].id, 'target-scaling:standardize');
  const fixed = applyFix(text, hit[0].fixes[0].id);
  assert.equal(load(fixed).spec.data.targetScaling, 'standardize');
  assert.deepEqual(checkModel(fixed, 'm.nn.json', FILES).findings.filter((f) => f.code === 'unscaled-targets'), []);
});

test('unscaled-targets stays quiet on targets near unit scale and on classification', () => {
  const sine = JSON.stringify({ data: { source: 'sine' }, layers: [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'dense', units: 1 }], loss: 'mse' });
  assert.deepEqual(checkModel(sine, 's.nn.json', {}).findings.filter((f) => f.code === 'unscaled-targets'), []);
  const circles = JSON.stringify({ data: { source: 'circles' }, layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 2 }], loss: 'softmax-cross-entropy' });
  assert.deepEqual(checkModel(circles, 'c.nn.json', {}).findings.filter((f) => f.code === 'unscaled-targets'), []);
});

test('standardised training does not depend on the targets\' units: the reported loss scales with their square', async () => {
  // the same targets in other units (y' = a + b·y) standardise to the same numbers, so the network trains
  // identically and only the reporting differs, by exactly b²
  const csv = (a: number, b: number) => ['x1,x2,y', ...Array.from({ length: 160 }, (_, i) => {
    const x1 = Math.sin(i * 1.3);
    const x2 = Math.cos(i * 0.7);
    return `${x1},${x2},${a + b * (Math.sin(2 * x1) + 0.5 * x2 * x2 + 0.05 * Math.sin(i * 5.1))}`;
  })].join('\n');
  const run = async (a: number, b: number) => {
    const text = JSON.stringify({ seed: 2, data: { source: 'u.csv', target: 'y', task: 'regression', targetScaling: 'standardize' }, layers: [{ type: 'dense', units: 16, activation: 'tanh' }, { type: 'dense', units: 1 }], loss: 'mse', optimizer: 'adam', epochs: 5 });
    const r = await new TrainingSession(text, 'u.nn.json', { 'u.csv': csv(a, b) }, { dtype: 'float64', yieldEveryMs: 0 }, {}).run();
    return { final: r.summary.final, epochs: r.epochs };
  };
  const unit = await run(0, 1);
  const dollars = await run(5000, 300);
  const close = (x: number | null, y: number | null, what: string) => assert.ok(x !== null && y !== null && Math.abs(x / (y * 300 ** 2) - 1) < 1e-6, `${what}: ${x} vs ${y} x 300²`);
  close(dollars.final.loss, unit.final.loss, 'final training loss');
  close(dollars.final.valLoss, unit.final.valLoss, 'final validation loss');
  dollars.epochs.forEach((e, i) => close(e.loss, unit.epochs[i].loss, `epoch ${i + 1} loss`));
});
