// Training split across threads: every step sees its own rows (the next batch is gathered while the
// current one trains), two threads give the bits of one, and so do the probes, which read the weights beside
// the step's first product and the gradients and activations beside the update (on one thread, in line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';
import type { TrainingObserver } from '../../src/engine/train/observer';
import { ProbeObserver } from '../../src/engine/probes/observer';
import { RATIO_SAMPLE } from '../../src/engine/probes/histogram';
import type { ProbeSnapshot } from '../../src/engine/types';

// products of 96 x 384 x 384 and more: large enough for the pool to split them (and Adam on 384² weights)
const MODEL = {
  name: 'wide',
  seed: 5,
  data: { source: 'blobs', samples: 700, classes: 3, noise: 0.6, validationSplit: 0.2 },
  layers: [
    { type: 'dense', units: 384, activation: 'relu' },
    { type: 'dense', units: 384, activation: 'tanh' },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax-cross-entropy',
  optimizer: { type: 'adam', lr: 0.003 },
  epochs: 3,
  batchSize: 96,
};

/** `predictBetween`: after every step, predictions on batch-sized inputs, as the panel's pictures run them. */
async function train(threads: number, predictBetween = false): Promise<{ batches: string[][]; weights: Float32Array[]; trainRows: string[] }> {
  const parsed = parseModel(JSON.stringify(MODEL), 'wide.nn.json');
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  const data = loadDataset(parsed.spec, {});
  const batches: string[][] = [];
  const trainer = new Trainer(parsed.spec, data, {
    dtype: 'float32',
    threads,
    yieldEveryMs: 0,
    observers: [
      {
        wants: () => true,
        // the rows the first layer read at this step, as float32 pairs
        afterBackward: (ctx) => {
          const x = ctx.layers[0].lastInput!;
          batches.push(Array.from({ length: ctx.batch }, (_, r) => `${x[2 * r]},${x[2 * r + 1]}`));
        },
        afterUpdate: () => {},
      },
    ],
  });
  const kernels = (trainer as unknown as { kernels: { name: string; activeThreads?: () => number } }).kernels;
  for (let waited = 0; kernels.activeThreads && kernels.activeThreads() < threads && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  assert.match(kernels.name, threads > 1 ? /-x2$/ : /^wasm-[a-z]+$/);
  if (predictBetween) {
    const grid = new Float64Array(MODEL.batchSize * 2).map((_, i) => (i % 7) - 3);
    trainer.on((e) => {
      if (e.type === 'step') trainer.predict(grid, MODEL.batchSize);
    });
  }
  await trainer.run();
  const f32 = (v: number) => Math.fround(v);
  const trainRows = Array.from({ length: data.train.n }, (_, r) => `${f32(data.train.x[2 * r])},${f32(data.train.x[2 * r + 1])}`);
  return { batches, weights: trainer.layers.flatMap((l) => l.params.map((p) => Float32Array.from(p.value))), trainRows };
}

test('each step trains on its own rows: every training row once per epoch, the last batch short', async () => {
  const { batches, trainRows } = await train(2);
  const perEpoch = Math.ceil(trainRows.length / MODEL.batchSize);
  assert.equal(batches.length, MODEL.epochs * perEpoch);
  const expected = [...trainRows].sort();
  for (let e = 0; e < MODEL.epochs; e++) {
    const epoch = batches.slice(e * perEpoch, (e + 1) * perEpoch);
    assert.equal(epoch[perEpoch - 1].length, trainRows.length % MODEL.batchSize || MODEL.batchSize);
    assert.deepEqual(epoch.flat().sort(), expected, `epoch ${e + 1} covers the training rows once each`);
  }
  // shuffled anew every epoch
  assert.notDeepEqual(batches[0], batches[perEpoch]);
});

test('predictions between steps, as the panel pictures run them, leave the gathered next batch alone', async () => {
  const plain = await train(2);
  const predicted = await train(2, true);
  assert.deepEqual(predicted.batches, plain.batches);
  for (let i = 0; i < plain.weights.length; i++) assert.deepEqual(predicted.weights[i], plain.weights[i], `parameter ${i}`);
});

test('two threads train to the bits of one', async () => {
  const one = await train(1);
  const two = await train(2);
  assert.deepEqual(two.batches, one.batches);
  assert.equal(two.weights.length, one.weights.length);
  for (let i = 0; i < one.weights.length; i++) assert.deepEqual(two.weights[i], one.weights[i], `parameter ${i}`);
});

// an image model whose products the pool splits, with per-channel batch norm: the probe's image path
const CNN = {
  name: 'probed-cnn',
  seed: 4,
  data: { source: 'shapes', samples: 512, classes: 3, noise: 0.1, validationSplit: 0.25, preprocess: 'none' },
  layers: [
    { type: 'conv2d', filters: 16, kernel: 3, padding: 'same' },
    { type: 'batchnorm' },
    { type: 'relu' },
    { type: 'maxpool', size: 2 },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax-cross-entropy',
  optimizer: { type: 'adam', lr: 0.003 },
  batchSize: 64,
};

/** Probe snapshots of a run on `threads`, and what an observer of its own saw of each layer's main weights. */
async function probed(threads: number, model: Record<string, unknown> = MODEL): Promise<{ snapshots: ProbeSnapshot[]; norms: (number | null)[][]; ratios: (number | null)[][] }> {
  const parsed = parseModel(JSON.stringify({ ...model, epochs: 1 }), 'probed.nn.json');
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  const snapshots: ProbeSnapshot[] = [];
  const norms: (number | null)[][] = [];
  const ratios: (number | null)[][] = [];
  let before: (Float64Array | null)[] = [];
  const hypot = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
  const reference: TrainingObserver = {
    wants: (step) => step === 1 || step % 2 === 0,
    afterBackward: (ctx) => {
      before = ctx.layers.map((l) => (l.params.length ? Float64Array.from(l.params[0].value) : null));
      norms.push(before.map((w) => w && hypot(w)));
    },
    // whole tensors only: the probe compares a fixed sample of larger ones
    afterUpdate: (ctx) => ratios.push(ctx.layers.map((l, i) => {
      const w = before[i];
      return w && w.length <= RATIO_SAMPLE ? hypot(l.params[0].value.map((v, k) => v - w[k])) / norms[norms.length - 1][i]! : null;
    })),
  };
  const trainer = new Trainer(parsed.spec, loadDataset(parsed.spec, {}), { dtype: 'float32', threads, yieldEveryMs: 0, observers: [new ProbeObserver(2, (s) => snapshots.push(s)), reference] });
  const kernels = (trainer as unknown as { kernels: { activeThreads?: () => number } }).kernels;
  for (let waited = 0; kernels.activeThreads && kernels.activeThreads() < threads && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  await trainer.run();
  return { snapshots, norms, ratios };
}

for (const [label, model] of [['dense', MODEL], ['conv', CNN]] as const) test(`probes on two threads (the weights read beside the first product, the rest beside the update) report what one thread does (${label})`, async () => {
  const two = await probed(2, model);
  assert.ok(two.snapshots.length >= 3);
  two.snapshots.forEach((snap, s) => {
    snap.layers.forEach((l, i) => {
      const norm = two.norms[s][i];
      if (norm === null) return;
      assert.ok(Math.abs(l.weightNorm! - norm) <= 1e-5 * norm, `step ${snap.step} ${l.name} weight norm`);
      const ratio = two.ratios[s][i];
      if (ratio !== null) assert.ok(Math.abs(l.updateRatio! - ratio) <= 1e-4 * ratio, `step ${snap.step} ${l.name} update ratio ${l.updateRatio} against ${ratio}`);
    });
  });
  assert.deepEqual(two.snapshots, (await probed(1, model)).snapshots);
});
