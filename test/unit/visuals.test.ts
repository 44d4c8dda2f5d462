// The panel's pictures: taken without changing training, a decision boundary that agrees with the trained
// model, per-layer distributions and unit states computed as defined, and a sampler that keeps its budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { prepareSpec, TrainingSession } from '../../src/engine/session';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';
import type { SessionResult } from '../../src/engine/session-api';
import type { VisualSnapshot } from '../../src/engine/types';
import { histogram, layerPicture, quantiles, QUANTILES } from '../../src/engine/visuals/pictures';
import { VisualSampler, type PictureSource } from '../../src/engine/visuals/sampler';
import type { Layer } from '../../src/engine/layers/layer';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

async function run(file: string, epochs = 15): Promise<{ result: SessionResult; pictures: VisualSnapshot[] }> {
  const full = path.join(EXAMPLES, file);
  const text = fs.readFileSync(full, 'utf8');
  const pictures: VisualSnapshot[] = [];
  let clock = 0; // a second per reading: every step is pictured
  const result = await new TrainingSession(text, full, {}, { yieldEveryMs: 0, epochs, visuals: { everyMs: 1, clock: () => (clock += 1000) } }, { onVisual: (v) => pictures.push(v) }).run();
  return { result, pictures };
}

test('pictures change nothing in training: the same losses, epoch by epoch, with a picture after every step', async () => {
  const full = path.join(EXAMPLES, 'circles.nn.json');
  const spec = prepareSpec(fs.readFileSync(full, 'utf8'), full);
  const losses = async (withPictures: boolean) => {
    const trainer = new Trainer(spec, loadDataset(spec, {}), { yieldEveryMs: 0, epochs: 8 });
    let clock = 0;
    let taken = 0;
    const sampler = new VisualSampler(trainer, 1, () => taken++, () => clock);
    const out: number[] = [];
    trainer.on((e) => {
      if (e.type === 'step' && withPictures) {
        clock += 1e3; // a second between steps: every step is pictured
        sampler.afterStep(e.metrics.step, e.metrics.epoch);
      }
      if (e.type === 'epoch') out.push(e.metrics.loss, e.metrics.valLoss!);
    });
    await trainer.run();
    return { out, taken };
  };
  const off = await losses(false);
  const on = await losses(true);
  assert.ok(on.taken > 100, `only ${on.taken} pictures`);
  assert.deepEqual(on.out, off.out);
});

test('the decision boundary of a trained 2-D classifier predicts the class of the points it is drawn under', async () => {
  const { result, pictures } = await run('circles.nn.json', 60);
  assert.ok((result.summary.final.valAccuracy ?? 0) > 0.95);
  const first = pictures[0]!;
  const last = pictures.at(-1)!;
  assert.ok(first.points, 'the first picture carries the points');
  assert.ok(pictures.slice(1).every((p) => p.points === null), 'points are sent once');
  const b = last.boundary!;
  assert.equal(b.value.length, b.size * b.size);
  const { train, trainLabels } = first.points;
  let agree = 0;
  for (let k = 0; k < trainLabels.length; k++) {
    const i = Math.min(b.size - 1, Math.floor(((train[2 * k]! - b.x[0]) / (b.x[1] - b.x[0])) * b.size));
    const j = Math.min(b.size - 1, Math.floor(((train[2 * k + 1]! - b.y[0]) / (b.y[1] - b.y[0])) * b.size));
    if (b.value[j * b.size + i] === trainLabels[k]) agree++;
  }
  assert.ok(agree / trainLabels.length > 0.9, `the boundary agrees with ${agree} of ${trainLabels.length} labels`);
  assert.ok(b.confidence!.every((c) => c >= 0.5 && c <= 1));
  // the boundary formed during training: the first picture disagrees with the last somewhere
  assert.notDeepEqual(first.boundary!.value, b.value);
});

test('models without two inputs get layer pictures and no boundary', async () => {
  const { pictures } = await run('iris.nn.json', 3);
  assert.ok(pictures.length > 0);
  assert.ok(pictures.every((p) => p.boundary === null && p.points === null));
  const dense = pictures.at(-1)!.layers.find((l) => l.kind === 'dense')!;
  assert.ok(dense.weightQuantiles && dense.gradQuantiles && dense.output);
});

test('histogram and quantiles', () => {
  const h = histogram(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 5)!;
  assert.deepEqual(h, { min: 0, max: 9, counts: [2, 2, 2, 2, 2] });
  assert.deepEqual(histogram(Float64Array.from([3, 3]), 4), { min: 3, max: 3, counts: [2, 0, 0, 0] });
  const q = quantiles(Float64Array.from({ length: 101 }, (_, i) => 100 - i))!;
  assert.deepEqual(q, QUANTILES.map((x) => Math.round(x * 100)));
});

test('per-unit state: a ReLU unit that never fires is inactive for the whole batch; a live one is not', () => {
  // 4 rows x 3 units: unit 0 always 0, unit 1 half the time, unit 2 always positive
  const out = Float32Array.from([0, 1, 2, 0, 0, 3, 0, 5, 1, 0, 0, 4]);
  const layer = { position: 1, spec: { name: 'r', kind: 'relu' }, inputSize: 3, outputSize: 3, params: [], lastOutput: out } as unknown as Layer;
  const p = layerPicture(layer);
  assert.deepEqual(p.units!.stuck, [1, 0.5, 0]);
  assert.equal(p.units!.stuckMeans, 'inactive');
  assert.deepEqual(p.units!.mean, [0, 1.5, 2.5]);
  assert.equal(p.weights, null);
  assert.equal(p.output!.counts.reduce((a, b) => a + b, 0), 12);
});

test('the sampler takes the first step, then waits at least its interval and fifty times its own cost', () => {
  let now = 0;
  const source: PictureSource = {
    layers: [],
    data: { inputs: 3 } as PictureSource['data'],
    predict: () => ({ values: new Float64Array(0), width: 1 }),
  };
  const taken: number[] = [];
  let cost = 0;
  const sampler = new VisualSampler(source, 100, (v) => {
    taken.push(v.step);
    now += cost;
  }, () => now);
  sampler.afterStep(1, 1);
  for (let step = 2; step <= 30; step++) {
    now += 10;
    sampler.afterStep(step, 1);
  }
  assert.deepEqual(taken, [1, 11, 21]);
  cost = 4; // a picture now costs 4 ms: the next waits 200 ms
  now += 10;
  sampler.afterStep(31, 1);
  for (let step = 32; step <= 60; step++) {
    now += 10;
    sampler.afterStep(step, 1);
  }
  assert.deepEqual(taken, [1, 11, 21, 31, 51]);
});
